"""What the answering engine returns: one Answer per message, whatever the channel."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from bot.intents import Intent
from bot.store.states import Reason
from bot.urgent import Situation
from knowledge.records import Record

NONE_OF_THESE = "none"


class Decision(StrEnum):
    """answer: give the entry; clarify: offer choices; escalate: hand to a person; smalltalk:
    greeting/thanks."""

    ANSWER = "answer"
    CLARIFY = "clarify"
    ESCALATE = "escalate"
    SMALLTALK = "smalltalk"


@dataclass(frozen=True, slots=True)
class Candidate:
    """A ranked record with its fused score and raw signals."""

    record: Record
    score: float
    signals: dict[str, float]


@dataclass(frozen=True, slots=True)
class Choice:
    """One button of a clarify turn; id `none` is 「どれにも当てはまらない」 (hand to a person)."""

    id: str
    label: str


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why: the terms after normalisation and synonyms, and each top candidate's scores."""

    terms: tuple[str, ...]
    synonyms: tuple[tuple[str, str], ...]
    candidates: tuple[dict[str, Any], ...]
    top1_confidence: float
    top3_confidence: float


@dataclass(frozen=True, slots=True)
class Answer:
    """The engine's reply. `message` is plain text; channels may render the fields richer."""

    decision: Decision
    intent: Intent
    confidence: float
    message: str
    record: Record | None = None
    choices: tuple[Choice, ...] = ()
    reason: Reason = Reason.NONE
    candidates: tuple[Candidate, ...] = ()
    explanation: Explanation | None = None
    urgent: Situation | None = None  # bot/urgent.py: the public line to call, told before anything else
    language: str = "ja"  # the resident's language (BCP-47), as detected
    # the language `message` is in; "ja" under a foreign question means no translation
    answer_language: str = "ja"
    # one line in the resident's language above an answer given in Japanese (where to get help)
    notice: str = ""

    @property
    def offered(self) -> tuple[str, ...]:
        """The ids of the entries this answer offers to pick from (「どれにも当てはまらない」 is always
        there)."""
        return tuple(c.id for c in self.choices if c.id != NONE_OF_THESE)


@dataclass(frozen=True, slots=True)
class Session:
    """Conversation state a channel keeps between turns: the choices last offered. `Bot.answer()` only reads
    it; the next turn's state is `after(reply)`."""

    id: str = ""
    offered: tuple[str, ...] = field(default_factory=tuple)
    language: str = "ja"  # the resident's language when known (a pick from choices carries no text to detect)

    def after(self, reply: Answer) -> Session:
        """The state for the next turn: what this reply offered (nothing after a pick or an answer)."""
        return replace(self, offered=reply.offered)
