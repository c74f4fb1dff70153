"""Read-only figures over the conversation store for the desk's review, health and statistics pages.

Everything is counted in Japan time (the cities' working day), per turn (one message the bot
answered). Smalltalk turns (greetings, thanks) are left out of question counts and rates: they
are not questions, and counting them would flatter the answer rate. The SQL is portable: the one
dialect-specific piece, "which Japanese calendar day is this timestamp", is a small construct
compiled for SQLite and PostgreSQL below.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import String, exists, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from bot.store.repository import ConversationStore
from bot.store.states import Channel, TurnDecision
from bot.store.tables import Conversation, EntryVersion, Escalation, Feedback, Turn, as_utc

JST = timezone(timedelta(hours=9), "JST")
QUESTION = "question"
# calls logged at the desk (bot/store/calls.py): counted beside chat, never as the bot's
PHONE = Channel.PHONE
UNANSWERED = (TurnDecision.CLARIFY, TurnDecision.ESCALATE, TurnDecision.FORWARD)
LOW_CONFIDENCE = 0.5  # below this the bot itself thought its best entry more likely wrong than right
REVIEW_LIMIT = 2000


def today_jst() -> date:
    """The calendar day in the city."""
    return datetime.now(JST).date()


class local_day(FunctionElement):  # noqa: N801 - reads as SQL in queries
    """The JST calendar day (YYYY-MM-DD text) of a UTC timestamp column."""

    type = String()
    name = "local_day"
    inherit_cache = True


@compiles(local_day, "sqlite")
def _local_day_sqlite(element: local_day, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, '+9 hours')"


@compiles(local_day, "postgresql")
def _local_day_postgresql(element: local_day, compiler: Any, **kw: Any) -> str:
    return f"to_char(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM-DD')"


@dataclass(frozen=True, slots=True)
class Period:
    """Whole JST days from `start` to `end`, both included."""

    start: date
    end: date

    @classmethod
    def last_days(cls, days: int, today: date | None = None) -> Period:
        """The `days` days ending today."""
        end = today or today_jst()
        return cls(end - timedelta(days=days - 1), end)

    def bounds(self) -> tuple[datetime, datetime]:
        """[first midnight, midnight after the last day) in UTC, as the store compares them."""
        begin = datetime.combine(self.start, time(), JST).astimezone(UTC)
        return begin, datetime.combine(self.end + timedelta(days=1), time(), JST).astimezone(UTC)

    def days(self) -> list[date]:
        """Every day of the period, oldest first."""
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]


@dataclass(frozen=True, slots=True)
class Decisions:
    """How the bot handled the period's questions (smalltalk excluded)."""

    answered: int = 0
    clarified: int = 0
    escalated: int = 0

    @property
    def questions(self) -> int:
        """Every question turn."""
        return self.answered + self.clarified + self.escalated

    def rate(self, count: int) -> float | None:
        """Share of questions; None when there were none (not 0%: nothing was measured)."""
        return count / self.questions if self.questions else None


@dataclass(frozen=True, slots=True)
class DepartmentLoad:
    """Escalations of one department and how fast people answered them."""

    department: str
    escalations: int
    answered: int
    median_minutes: float | None


@dataclass(frozen=True, slots=True)
class ReviewTurn:
    """A question the bot did not handle well, with why it is in the review queue."""

    turn_id: int
    at: datetime
    question: str
    decision: str
    confidence: float
    audience: str
    channel: str
    unhelpful: bool
    candidates: list[dict] = field(default_factory=list)


def median_minutes(durations: list[timedelta]) -> float | None:
    """Median of durations in minutes (None for none); medians, because one forgotten case skews a mean."""
    return round(statistics.median(d.total_seconds() for d in durations) / 60, 1) if durations else None


def is_typed_question(question: str, shown_entry_id: str | None) -> bool:
    """False for picks of an offered choice (stored as the entry id, a number or 「none」): nothing to
    read."""
    text = question.strip()
    return bool(text) and text != "none" and not text.isdigit() and text != shown_entry_id


class Insights:
    """Queries for the desk's figures; every method is one short read."""

    def __init__(self, store: ConversationStore) -> None:
        self.store = store

    def _rows(self, query: Any) -> list[Any]:
        with self.store.guard(), self.store.session() as session:
            return list(session.execute(query))

    def _turns_in(self, period: Period) -> Any:
        begin, end = period.bounds()
        return (Turn.created_at >= begin) & (Turn.created_at < end)

    def _chat(self) -> Any:
        """Turns the bot answered itself (not the phone calls agents logged)."""
        return Turn.conversation_id.in_(select(Conversation.id).where(Conversation.channel != PHONE))

    def questions_per_day(self, period: Period) -> dict[tuple[date, str], int]:
        """Question turns per JST day and channel."""
        day = local_day(Turn.created_at)
        query = (select(day, Conversation.channel, func.count(Turn.id)).join(Conversation)
                 .where(self._turns_in(period), Turn.decision != TurnDecision.SMALLTALK,
                        Conversation.channel != PHONE)
                 .group_by(day, Conversation.channel))
        return {(date.fromisoformat(str(d)), channel): n for d, channel, n in self._rows(query)}

    def decisions(self, period: Period) -> Decisions:
        """Answered / clarified / escalated turns; smalltalk is not counted."""
        query = (select(Turn.decision, func.count(Turn.id)).where(self._turns_in(period), self._chat())
                 .group_by(Turn.decision))
        counts = dict(self._rows(query))
        return Decisions(counts.get(TurnDecision.ANSWER, 0), counts.get(TurnDecision.CLARIFY, 0),
                         counts.get(TurnDecision.ESCALATE, 0))

    def feedback(self, period: Period) -> tuple[int, int]:
        """(👍, 👎) given in the period."""
        begin, end = period.bounds()
        query = (select(Feedback.helpful, func.count(Feedback.id))
                 .where(Feedback.created_at >= begin, Feedback.created_at < end).group_by(Feedback.helpful))
        counts = {bool(helpful): n for helpful, n in self._rows(query)}
        return counts.get(True, 0), counts.get(False, 0)

    def escalations_by_department(self, period: Period) -> list[DepartmentLoad]:
        """Escalations created in the period per suggested department, busiest first."""
        begin, end = period.bounds()
        query = (select(Escalation.department, Escalation.created_at, Escalation.answered_at)
                 .where(Escalation.created_at >= begin, Escalation.created_at < end))
        counts: Counter[str] = Counter()
        waits: dict[str, list[timedelta]] = defaultdict(list)
        for department, created, answered in self._rows(query):
            counts[department] += 1
            if answered is not None:
                waits[department].append(as_utc(answered) - as_utc(created))
        return [DepartmentLoad(department, n, len(waits[department]), median_minutes(waits[department]))
                for department, n in counts.most_common()]

    def median_time_to_answer(self, period: Period) -> float | None:
        """Minutes from hand-over to a person's reply (or callback), median over the period's escalations."""
        begin, end = period.bounds()
        query = (select(Escalation.created_at, Escalation.answered_at)
                 .where(Escalation.created_at >= begin, Escalation.created_at < end,
                        Escalation.answered_at.is_not(None)))
        return median_minutes([as_utc(answered) - as_utc(created) for created, answered in self._rows(query)])

    def shown_entries(self, days: int, today: date | None = None) -> dict[str, int]:
        """How often each entry was shown as the answer in the last `days` days."""
        query = (select(Turn.shown_entry_id, func.count(Turn.id))
                 .where(self._turns_in(Period.last_days(days, today)), Turn.shown_entry_id.is_not(None))
                 .group_by(Turn.shown_entry_id))
        return dict(self._rows(query))

    def serving_since(self) -> datetime | None:
        """When this city's bot answered its first question (the oldest turn kept); None before any."""
        first = self._rows(select(func.min(Turn.created_at)))[0][0]
        return as_utc(first) if first is not None else None

    def published_entries(self, days: int, today: date | None = None) -> set[str]:
        """Entries approved in the desk within the last `days` days: too new to call 「never shown」."""
        begin, _ = Period.last_days(days, today).bounds()
        query = select(EntryVersion.entry_id).where(EntryVersion.approved_at >= begin).distinct()
        return {entry_id for (entry_id,) in self._rows(query)}

    def review_turns(self, period: Period, low_confidence: float = LOW_CONFIDENCE,
                     limit: int = REVIEW_LIMIT) -> list[ReviewTurn]:
        """Questions clarified, escalated, answered with low confidence or marked 👎, and calls nothing in the
        knowledge base answered (forwarded or not resolved), newest first."""
        thumbs_down = exists().where(Feedback.turn_id == Turn.id, Feedback.helpful.is_(False))
        unsure = (Turn.confidence < low_confidence) & (Conversation.channel != PHONE)
        doubtful = Turn.decision.in_(UNANSWERED) | unsure
        query = (select(Turn, Conversation.audience, Conversation.channel, thumbs_down.label("unhelpful"))
                 .join(Conversation)
                 .where(self._turns_in(period), Turn.intent == QUESTION, doubtful | thumbs_down)
                 .order_by(Turn.created_at.desc(), Turn.id.desc()).limit(limit))
        return [ReviewTurn(t.id, as_utc(t.created_at), t.question, t.decision, t.confidence, audience,
                           channel, bool(unhelpful), list(t.candidates or []))
                for t, audience, channel, unhelpful in self._rows(query)
                if is_typed_question(t.question, t.shown_entry_id)]
