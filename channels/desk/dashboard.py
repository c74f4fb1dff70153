"""Every figure of the statistics page for one period, read once and shared by the page and its CSV.

The page (`channels.desk.insights`) draws these figures and `channels.desk.stats_csv` writes them; both read
this module and neither reads the other. The hours-saved figures are estimates from a configured assumption
(MADOGUCHI_MINUTES_PER_INQUIRY), always shown with the numbers they are made of.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from bot.review import ReviewCluster, ReviewTurn, review_clusters
from bot.service.city import City
from bot.service.contracts import CallFigures, Decisions, DepartmentLoad, Period
from channels.desk.queue import CHANNEL_LABELS
from knowledge.records import Audience

TOP_CLUSTERS = 5


@dataclass(frozen=True, slots=True)
class Dashboard:
    """Every figure of the statistics page and its CSV, for one period."""

    period: Period
    per_day: dict[tuple[date, str], int]
    decisions: Decisions
    thumbs: tuple[int, int]
    departments: list[DepartmentLoad]
    median_minutes: float | None
    clusters: list[ReviewCluster]
    minutes_per_inquiry: float
    calls: CallFigures = field(default_factory=CallFigures)

    @property
    def hours_saved(self) -> float:
        """Questions the bot answered × assumed minutes per inquiry, in hours."""
        return self.decisions.answered * self.minutes_per_inquiry / 60

    @property
    def phone_hours_saved(self) -> float:
        """Calls answered from the knowledge base × the same assumed minutes: each is an inquiry the
        department did not have to take (the call center answered it instead of forwarding it), in hours."""
        return self.calls.answered * self.minutes_per_inquiry / 60

    @property
    def helpful_rate(self) -> float | None:
        """👍 among all 👍/👎 given; None when nobody rated."""
        up, down = self.thumbs
        return up / (up + down) if up + down else None

    @property
    def channels(self) -> list[str]:
        """Channels with questions in the period, in a fixed order."""
        seen = {channel for _, channel in self.per_day}
        return sorted(seen, key=lambda c: (list(CHANNEL_LABELS).index(c) if c in CHANNEL_LABELS else 99, c))


def review_turns_for(served: City, period: Period, viewer: Audience) -> list[ReviewTurn]:
    """The review queue's questions a desk role may read: staff members' questions lead to rules that only
    the roles in MADOGUCHI_DESK_STAFF_ROLES read."""
    turns = served.desk.insights.review_turns(period)
    return turns if viewer is Audience.STAFF else [t for t in turns if t.audience != Audience.STAFF.value]


def unanswered_clusters(served: City, period: Period, viewer: Audience) -> list[ReviewCluster]:
    """The biggest clusters of questions the bot clarified or escalated (👎 answers were answered)."""
    turns = [t for t in review_turns_for(served, period, viewer) if t.decision != "answer"]
    return review_clusters(served.bot, turns, TOP_CLUSTERS)


def dashboard(served: City, period: Period, viewer: Audience) -> Dashboard:
    """Read every figure for the period; the clusters of unanswered questions are those `viewer` may read."""
    insights = served.desk.insights
    return Dashboard(period, insights.questions_per_day(period), insights.decisions(period),
                     insights.feedback(period), insights.escalations_by_department(period),
                     insights.median_time_to_answer(period), unanswered_clusters(served, period, viewer),
                     served.settings.minutes_per_inquiry, served.desk.call_insights.figures(period))
