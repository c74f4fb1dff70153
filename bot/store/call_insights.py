"""The phone's figures for the dashboard: calls by outcome, department and day, and how long they took.

Counted like chat, in Japan time over the same period. A call is 「answered from the knowledge base」 when
the agent logged 「この回答で対応」 with an entry; forwarded and unresolved calls are what the knowledge base
did not answer. Handling time is the agent's optional timer (from the first search to the log), so its
median is over the calls that have one.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select

from bot.store.insights import Period, local_day
from bot.store.repository import ConversationStore
from bot.store.states import CallOutcome
from bot.store.tables import Call

OUTCOMES = tuple(CallOutcome)


@dataclass(frozen=True, slots=True)
class CallDepartment:
    """Calls of one department: answered there from its entries, forwarded to it, or left unresolved."""

    department: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        """Every call of the department."""
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class CallFigures:
    """The phone over one period."""

    outcomes: dict[str, int] = field(default_factory=dict)
    per_day: dict[tuple[date, str], int] = field(default_factory=dict)
    departments: list[CallDepartment] = field(default_factory=list)
    median_handling_seconds: float | None = None
    timed: int = 0

    @property
    def total(self) -> int:
        """Every call logged in the period."""
        return sum(self.outcomes.values())

    @property
    def answered(self) -> int:
        """Calls answered from the knowledge base."""
        return self.outcomes.get(CallOutcome.ANSWERED, 0)

    @property
    def answered_share(self) -> float | None:
        """Share of calls the knowledge base answered; None when no call was logged (nothing measured)."""
        return self.answered / self.total if self.total else None


class CallInsights:
    """Three short reads over the calls table."""

    def __init__(self, store: ConversationStore) -> None:
        self.store = store

    def figures(self, period: Period) -> CallFigures:
        """Everything the dashboard shows of the phone for the period."""
        begin, end = period.bounds()
        within = (Call.created_at >= begin) & (Call.created_at < end)
        day = local_day(Call.created_at)
        with self.store.guard(), self.store.session() as session:
            days = session.execute(select(day, Call.outcome, func.count(Call.id)).where(within)
                                   .group_by(day, Call.outcome)).all()
            departments = session.execute(select(Call.department, Call.outcome, func.count(Call.id))
                                          .where(within).group_by(Call.department, Call.outcome)).all()
            handled = select(Call.handling_seconds).where(within, Call.handling_seconds.is_not(None))
            seconds = [s for s in session.scalars(handled) if s is not None]
        per_day = {(date.fromisoformat(str(d)), outcome): n for d, outcome, n in days}
        outcomes = Counter[str]()
        for (_, outcome), n in per_day.items():
            outcomes[outcome] += n
        return CallFigures({o: outcomes.get(o, 0) for o in OUTCOMES}, per_day, by_department(departments),
                           float(statistics.median(seconds)) if seconds else None, len(seconds))


def by_department(rows: Sequence[Any]) -> list[CallDepartment]:
    """(department, outcome, count) rows as one entry per department, busiest first."""
    found: dict[str, dict[str, int]] = {}
    for department, outcome, count in rows:
        found.setdefault(department or "", dict.fromkeys(OUTCOMES, 0))[outcome] = count
    loads = [CallDepartment(name, counts) for name, counts in found.items()]
    return sorted(loads, key=lambda d: (-d.total, d.department))
