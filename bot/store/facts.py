"""A turn as plain data: what the store writes, and what the spool keeps while the database is down."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True, slots=True)
class TurnFacts:
    """Everything one turn stores, already masked; escalation ids are chosen before the write (an open
    hand-over's own id when the turn joins it). Made from a bot reply by the service
    (`bot.service.conversation.turn_facts`): the store knows no answers."""

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
    joined: bool = False  # escalation_id is the conversation's open hand-over: the turn joins it
    language: str = "ja"  # the language the reply spoke (BCP-47): a choice picked later is answered in it

    def to_json(self) -> dict:
        """For the spool file; a Japanese turn's row without its language, so that a version from before
        turns kept their language still replays it after a rollback."""
        facts = asdict(self)
        if facts["language"] == "ja":
            del facts["language"]
        return facts


@dataclass(frozen=True, slots=True)
class LatestOffer:
    """The choices a conversation's latest turn offered (none after an answer) and the language that turn
    spoke: a number typed next (「2」) carries no words to tell the language by."""

    choices: tuple[str, ...] = ()
    language: str = "ja"
