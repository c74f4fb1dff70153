"""A turn as plain data: what the store writes, and what the spool keeps while the database is down."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field

from bot.answer import Answer
from bot.routing import suggest_department
from bot.store.masking import mask_personal_data


@dataclass(frozen=True, slots=True)
class TurnFacts:
    """Everything one turn stores, already masked; escalation ids are chosen before the write."""

    conversation_id: str
    channel: str
    audience: str
    question: str
    normalised: str
    intent: str
    decision: str
    confidence: float
    shown_entry_id: str | None = None
    choices: list[str] = field(default_factory=list)
    candidates: list[dict] = field(default_factory=list)
    escalation_id: str | None = None
    reason: str = ""
    department: str = ""
    route: str = ""

    @classmethod
    def of(cls, conversation_id: str, channel: str, audience: str, question: str, normalised: str,
           reply: Answer, sealed_route: str = "") -> TurnFacts:
        """The facts of a bot reply; personal data is masked here, before anything is written anywhere."""
        escalated = reply.decision.value == "escalate"
        return cls(conversation_id, channel, audience, mask_personal_data(question),
                   mask_personal_data(normalised), reply.intent.value, reply.decision.value, reply.confidence,
                   reply.record.id if reply.record else None,
                   list(reply.offered),
                   [{"id": c.record.id, "score": round(c.score, 4)} for c in reply.candidates[:5]],
                   uuid.uuid4().hex if escalated else None,
                   (reply.reason or "escalated") if escalated else "",
                   suggest_department(reply.candidates) if escalated else "",
                   sealed_route if escalated else "")

    def to_json(self) -> dict:
        """For the spool file."""
        return asdict(self)
