"""The desk's review queue (`/desk/review`), content health (`/desk/health`) and statistics (`/desk/stats`).

Editors see the review queue and content health (they change entries); every agent may see the
statistics. Periods are whole days in Japan time, given as `?start=YYYY-MM-DD&end=YYYY-MM-DD`
(default: the last 30 days). The hours-saved figure is an estimate from a configured assumption
(MADOGUCHI_MINUTES_PER_INQUIRY) and always shown with the numbers it is made of.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from fastapi import Depends, Query, Request
from starlette.responses import Response

from bot.contradictions import Contradiction, ContradictionFinder
from bot.review import SHOWN, ReviewCluster, review_clusters
from bot.store.accounts import SignedIn
from bot.store.call_insights import OUTCOMES, CallFigures, CallInsights
from bot.store.insights import JST, DepartmentLoad, Decisions, Insights, Period, today_jst
from channels.desk.auth import require_role
from channels.desk.charts import Chart, bar_chart, stacked_chart
from channels.desk.queue import CHANNEL_LABELS
from channels.desk.render import desk_subrouter, page
from channels.desk.stats_csv import OUTCOME_LABELS, csv_response
from knowledge.core.errors import RequestError
from knowledge.records import Audience, Record

if TYPE_CHECKING:
    from bot.service.city import City

router = desk_subrouter()
Agent = Depends(require_role("agent"))
Editor = Depends(require_role("editor"))
DEFAULT_DAYS = 30
LONGEST_DAYS = 400
HEALTH_DAYS = 90
EASY_LISTED = 20  # the most-asked entries without an easy-Japanese answer
TOP_CLUSTERS = 5
Start = Query(None, description="First day (JST), YYYY-MM-DD.")
End = Query(None, description="Last day (JST), YYYY-MM-DD.")


def context(request: Request) -> City:
    """The app's shared context: bot, store, settings."""
    return request.app.state.madoguchi


def period_of(start: date | None, end: date | None) -> Period:
    """The asked-for days; a missing end is today, a missing start is 30 days before the end."""
    last = end or today_jst()
    period = Period(start, last) if start else Period.last_days(DEFAULT_DAYS, last)
    if period.start > period.end:
        raise RequestError("開始日が終了日より後になっています。")
    if (period.end - period.start).days >= LONGEST_DAYS:
        raise RequestError(f"期間は {LONGEST_DAYS} 日までにしてください。")
    return period


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


def unanswered_clusters(ctx: City, insights: Insights, period: Period) -> list[ReviewCluster]:
    """The biggest clusters of questions the bot clarified or escalated (👎 answers were answered)."""
    turns = [t for t in insights.review_turns(period) if t.decision != "answer"]
    return review_clusters(ctx.bot, turns, TOP_CLUSTERS)


def dashboard(ctx: City, period: Period) -> Dashboard:
    """Read every figure for the period."""
    insights = Insights(ctx.store)
    return Dashboard(period, insights.questions_per_day(period), insights.decisions(period),
                     insights.feedback(period), insights.escalations_by_department(period),
                     insights.median_time_to_answer(period), unanswered_clusters(ctx, insights, period),
                     ctx.settings.minutes_per_inquiry, CallInsights(ctx.store).figures(period))


def percent(share: float) -> str:
    """A share as the page shows it: 12.5%."""
    return f"{share * 100:.1f}%"


def charts(board: Dashboard) -> list[Chart]:
    """Questions per day by channel, how they were handled, escalations by department, and calls per day."""
    days = board.period.days()
    series = {CHANNEL_LABELS.get(c, c): [board.per_day.get((d, c), 0) for d in days] for c in board.channels}
    decided = board.decisions
    counts = (decided.answered, decided.clarified, decided.escalated)
    handled = [(decided.rate(n) or 0.0) * 100 for n in counts]
    loads = board.departments[:15]
    departments = [load.department or "（担当課なし）" for load in loads]
    return [stacked_chart("per-day", "日ごと・チャネルごとの質問数",
                          f"{days[0]} から {days[-1]} までの質問数（あいさつ・お礼を除く）。",
                          [d.strftime("%m-%d") for d in days], series, "件"),
            bar_chart("handled", "回答・聞き返し・引き継ぎの割合",
                      "質問のうち、ボットが回答・聞き返し・引き継ぎをした割合。",
                      ["回答", "聞き返し", "引き継ぎ"], handled, "%", lambda v: f"{v:.1f}", 100),
            bar_chart("departments", "担当課ごとの引き継ぎ件数",
                      "期間中に担当者へ引き継いだ質問の数（推定された担当課ごと、多い順）。",
                      departments, [load.escalations for load in loads], "件"), *call_charts(board)]


def call_charts(board: Dashboard) -> list[Chart]:
    """Calls per day by outcome, when the period has calls (no empty chart where no call center logs calls)."""
    if not board.calls.total:
        return []
    days = board.period.days()
    series = {OUTCOME_LABELS[o]: [board.calls.per_day.get((d, o), 0) for d in days] for o in OUTCOMES}
    return [stacked_chart("calls-per-day", "日ごとの電話（結果ごと）",
                          f"{days[0]} から {days[-1]} までに窓口で記録した電話の数。",
                          [d.strftime("%m-%d") for d in days], series, "件")]


@router.get("/stats")
def stats_page(request: Request, start: date | None = Start, end: date | None = End,
               user: SignedIn = Agent) -> Response:
    """The dashboard for a period, drawn as SVG with tables for screen readers."""
    board = dashboard(context(request), period_of(start, end))
    return page(request, "stats.html", board=board, charts=charts(board), percent=percent,
                outcomes=OUTCOME_LABELS)


@router.get("/stats.csv")
def stats_csv(request: Request, start: date | None = Start, end: date | None = End,
              user: SignedIn = Agent) -> Response:
    """The dashboard's figures as CSV (UTF-8 with BOM, so Excel reads the Japanese)."""
    return csv_response(dashboard(context(request), period_of(start, end)))


@router.get("/review")
def review_page(request: Request, start: date | None = Start, end: date | None = End,
                user: SignedIn = Editor) -> Response:
    """Clusters of clarified, escalated, low-confidence and 👎 questions, biggest first."""
    ctx, period = context(request), period_of(start, end)
    turns = Insights(ctx.store).review_turns(period)
    clusters = review_clusters(ctx.bot, turns)
    return page(request, "review.html", clusters=clusters, period=period, questions=len(turns), limit=SHOWN)


@dataclass(frozen=True, slots=True)
class Health:
    """What editors should fix in the knowledge base."""

    expired: list[Record]
    ownerless: list[Record]
    unseen: list[Record]
    busiest: list[DepartmentLoad]
    without_easy: list[tuple[Record, int]]
    contradictions: list[Contradiction]
    serving_days: int


def most_asked_without_easy(entries: list[Record], shown: dict[str, int], today: date) -> list[tuple[Record, int]]:
    """Residents' entries answered most often that have no やさしい日本語 answer yet, with how often."""
    lacking = [(r, shown[r.id]) for r in entries
               if r.id in shown and not r.answer_easy and r.audience is not Audience.STAFF and r.is_valid_on(today)]
    return sorted(lacking, key=lambda pair: (-pair[1], pair[0].id))[:EASY_LISTED]


def serving_days(insights: Insights, today: date) -> int:
    """Whole days since the bot answered its first question (0 on a new server)."""
    since = insights.serving_since()
    return max((today - since.astimezone(JST).date()).days, 0) if since else 0


def contradictions(ctx: City, state: Any) -> list[Contradiction]:
    """The live index's contradictions, found once per index version and kept in the app's `state`."""
    runtime = ctx.bot.runtime
    index = runtime.index
    cached = getattr(state, "contradictions", None)
    if cached is None or cached[0] is not index:
        cached = (index, ContradictionFinder(runtime.normaliser).run(index.records))
        state.contradictions = cached
    return cached[1]


def health(ctx: City, today: date, state: Any) -> Health:
    """Expired and ownerless FAQ entries, entries unseen for 90 days (once the bot has served 90 days: a new
    server has shown nothing yet), contradictions, the most escalated departments."""
    insights = Insights(ctx.store)
    entries = [r for r in ctx.bot.runtime.index.records if r.kind == "faq"]
    expired = [r for r in entries if r.valid_until and r.valid_until < today]
    shown, fresh = insights.shown_entries(HEALTH_DAYS, today), insights.published_entries(HEALTH_DAYS, today)
    days = serving_days(insights, today)
    unseen = [r for r in entries if r.is_valid_on(today) and r.id not in shown and r.id not in fresh
              ] if days >= HEALTH_DAYS else []
    ownerless = [r for r in entries if not r.owner.strip()]
    busiest = insights.escalations_by_department(Period.last_days(HEALTH_DAYS, today))[:10]
    return Health(sorted(expired, key=lambda r: r.valid_until or today), ownerless, unseen, busiest,
                  most_asked_without_easy(entries, shown, today), contradictions(ctx, state), days)


@router.get("/health")
def health_page(request: Request, user: SignedIn = Editor) -> Response:
    """Entries to renew, give an owner, check or retire; departments that need more entries."""
    today = today_jst()
    return page(request, "health.html", health=health(context(request), today, request.app.state), today=today,
                days=HEALTH_DAYS)
