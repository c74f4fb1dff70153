"""Phone calls logged at the desk: each is a conversation on channel `phone`; it counts and teaches like chat.

One transaction writes the conversation, the caller's (masked) question as its turn, the call, and what the
outcome implies: 「この回答で対応」 is a trusted label of the question (the same `question_labels` row an
agent's click on an escalation writes, so `madoguchi learn --from-desk` reads it), and 「対応できず」 is an
escalation with its desk notification, so the follow-up lives in the queue like any other.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from bot.store.escalations import audit
from bot.store.facts import TurnFacts
from bot.store.masking import mask_personal_data
from bot.store.repository import ConversationStore
from bot.store.states import CallOutcome, Channel, LabelSource, Reason, TurnDecision
from bot.store.tables import Call, Conversation, Escalation, QuestionLabel, Turn, utcnow
from bot.store.turn_writes import escalate_in

CHANNEL = Channel.PHONE
AUDIENCE = "resident"  # callers are residents; a staff question never becomes a resident paraphrase
OUTCOMES = tuple(CallOutcome)
DECISIONS: dict[str, str] = {CallOutcome.ANSWERED: TurnDecision.ANSWER,
                             CallOutcome.FORWARDED: TurnDecision.FORWARD,
                             CallOutcome.UNRESOLVED: TurnDecision.ESCALATE}


@dataclass(frozen=True, slots=True)
class CallFacts:
    """What the agent logged; the question is masked here, before anything is written."""

    question: str
    normalised: str
    outcome: str
    agent: str
    label_source: LabelSource = LabelSource.AGENT
    entry_id: str | None = None
    department: str = ""
    handling_seconds: int | None = None
    confidence: float = 0.0
    candidates: list[dict] = field(default_factory=list)
    callback_phone: str = ""

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"unknown call outcome {self.outcome!r}")
        object.__setattr__(self, "question", mask_personal_data(self.question))
        object.__setattr__(self, "normalised", mask_personal_data(self.normalised))


@dataclass(frozen=True, slots=True)
class LoggedCall:
    """The stored call, and the escalation it opened (「対応できず」 only)."""

    id: str
    escalation_id: str | None


class CallLog:
    """Writes calls; every call is one short transaction."""

    def __init__(self, store: ConversationStore) -> None:
        self.store = store

    def record(self, facts: CallFacts) -> LoggedCall:
        """The conversation, its turn, the call and the label or escalation, together or not at all."""
        call_id = uuid.uuid4().hex
        conversation_id = f"{CHANNEL}:{call_id}"
        escalation_id = uuid.uuid4().hex if facts.outcome == CallOutcome.UNRESOLVED else None
        with self.store.guard(), self.store.session() as session, session.begin():
            session.add(Conversation(id=conversation_id, channel=CHANNEL, audience=AUDIENCE))
            turn = _turn(conversation_id, facts)
            session.add(turn)
            session.flush()
            session.add(Call(id=call_id, conversation_id=conversation_id, turn_id=turn.id, agent=facts.agent,
                             outcome=facts.outcome, entry_id=facts.entry_id, department=facts.department,
                             handling_seconds=facts.handling_seconds, escalation_id=escalation_id))
            self._follow_up(session, turn, facts, escalation_id)
            audit(session, facts.agent, f"call.{facts.outcome}", call_id, entry=facts.entry_id or "",
                  department=facts.department, escalation=escalation_id or "")
        return LoggedCall(call_id, escalation_id)

    def _follow_up(self, session: Session, turn: Turn, facts: CallFacts, escalation_id: str | None) -> None:
        """What the outcome implies: a trusted label (answered with an entry), or an escalation with its desk
        notification (not resolved), written by the store's own code so it is exactly the escalation chat
        makes."""
        if facts.outcome == CallOutcome.ANSWERED and facts.entry_id:
            session.add(_label(turn.conversation_id, turn.id, facts))
        if escalation_id:
            escalated = _escalation_facts(turn.conversation_id, escalation_id, facts)
            escalate_in(session.connection(), turn.id, escalated)
            _leave_callback(session, escalation_id, facts.callback_phone)


def _turn(conversation_id: str, facts: CallFacts) -> Turn:
    return Turn(conversation_id=conversation_id, created_at=utcnow(), question=facts.question,
                normalised=facts.normalised, intent="question", decision=DECISIONS[facts.outcome],
                confidence=facts.confidence, choices=[], candidates=facts.candidates,
                shown_entry_id=facts.entry_id if facts.outcome == CallOutcome.ANSWERED else None)


def _label(conversation_id: str, turn_id: int, facts: CallFacts) -> QuestionLabel:
    """A trusted label, as an agent's 「この FAQ で答えられる」 on an escalation writes it."""
    return QuestionLabel(question=facts.question, normalised=facts.normalised or facts.question,
                         entry_id=facts.entry_id or "", audience=AUDIENCE, source=facts.label_source,
                         conversation_id=conversation_id, turn_id=turn_id, by=facts.agent)


def _escalation_facts(conversation_id: str, escalation_id: str, facts: CallFacts) -> TurnFacts:
    return TurnFacts(conversation_id, CHANNEL, AUDIENCE, facts.question, facts.normalised, "question",
                     TurnDecision.ESCALATE, facts.confidence, None, [], facts.candidates, escalation_id,
                     Reason.UNRESOLVED_CALL, facts.department)


def _leave_callback(session: Session, escalation_id: str, phone: str) -> None:
    """The number to call back, kept unmasked like a resident's contact: a person must use it."""
    escalation = session.get(Escalation, escalation_id)
    if phone.strip() and escalation is not None:
        escalation.contact_phone, escalation.preferred_reply = phone.strip(), "phone"
