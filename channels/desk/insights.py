"""The desk's review queue (`/desk/review`), content health (`/desk/health`) and statistics (`/desk/stats`).

Editors see the review queue and content health (they change entries); every agent may see the
statistics. Periods are whole days in Japan time, given as `?start=YYYY-MM-DD&end=YYYY-MM-DD`
(default: the last 30 days). The statistics' figures are read in `channels.desk.dashboard`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fastapi import Depends, Query, Request
from starlette.responses import Response

from bot.contradictions import Contradiction, ContradictionFinder
from bot.review import SHOWN, review_clusters
from bot.service.city import City
from bot.service.contracts import CALL_OUTCOMES, JST, DepartmentLoad, Period, Role, SignedIn, today_jst
from bot.translation_numbers import Mistranslation, mistranslations
from channels.desk.auth import require_role
from channels.desk.charts import Chart, bar_chart, stacked_chart
from channels.desk.dashboard import CHANNEL_LABELS, Dashboard, dashboard, review_turns_for
from channels.desk.render import city, desk_subrouter, page
from channels.desk.search import audience_of
from channels.desk.stats_csv import csv_response
from channels.desk.wording import OUTCOME_WORDS
from channels.desk.worker import DeskWorker, IndexChecks, worker
from knowledge.core.errors import RequestError
from knowledge.records import Audience, Record

router = desk_subrouter()
Agent = Depends(require_role(Role.AGENT))
Editor = Depends(require_role(Role.EDITOR))
DEFAULT_DAYS = 30
LONGEST_DAYS = 400
HEALTH_DAYS = 90
EASY_LISTED = 20  # the most-asked entries without an easy-Japanese answer
Start = Query(None, description="First day (JST), YYYY-MM-DD.")
End = Query(None, description="Last day (JST), YYYY-MM-DD.")


def period_of(start: date | None, end: date | None) -> Period:
    """The asked-for days; a missing end is today, a missing start is 30 days before the end."""
    last = end or today_jst()
    period = Period(start, last) if start else Period.last_days(DEFAULT_DAYS, last)
    if period.start > period.end:
        raise RequestError("開始日が終了日より後になっています。")
    if (period.end - period.start).days >= LONGEST_DAYS:
        raise RequestError(f"期間は {LONGEST_DAYS} 日までにしてください。")
    return period


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
    """Calls per day by outcome, when the period has calls (no empty chart where no call center logs
    calls)."""
    if not board.calls.total:
        return []
    days = board.period.days()
    series = {OUTCOME_WORDS[o]: [board.calls.per_day.get((d, o), 0) for d in days] for o in CALL_OUTCOMES}
    return [stacked_chart("calls-per-day", "日ごとの電話（結果ごと）",
                          f"{days[0]} から {days[-1]} までに窓口で記録した電話の数。",
                          [d.strftime("%m-%d") for d in days], series, "件")]


@router.get("/stats")
def stats_page(request: Request, start: date | None = Start, end: date | None = End,
               user: SignedIn = Agent) -> Response:
    """The dashboard for a period, drawn as SVG with tables for screen readers."""
    board = dashboard(city(request), period_of(start, end), audience_of(city(request), user))
    return page(request, "stats.html", board=board, charts=charts(board), percent=percent,
                outcomes=OUTCOME_WORDS)


@router.get("/stats.csv")
def stats_csv(request: Request, start: date | None = Start, end: date | None = End,
              user: SignedIn = Agent) -> Response:
    """The dashboard's figures as CSV (UTF-8 with BOM, so Excel reads the Japanese)."""
    return csv_response(dashboard(city(request), period_of(start, end), audience_of(city(request), user)))


@router.get("/review")
def review_page(request: Request, start: date | None = Start, end: date | None = End,
                user: SignedIn = Editor) -> Response:
    """Clusters of clarified, escalated, low-confidence and 👎 questions, biggest first."""
    ctx, period = city(request), period_of(start, end)
    turns = review_turns_for(ctx, period, audience_of(ctx, user))
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
    mistranslated: list[Mistranslation]


def most_asked_without_easy(entries: list[Record], shown: dict[str, int],
                            today: date) -> list[tuple[Record, int]]:
    """Residents' entries answered most often that have no やさしい日本語 answer yet, with how often."""
    lacking = [(r, shown[r.id]) for r in entries
               if r.id in shown and not r.answer_easy and r.audience is not Audience.STAFF
               and r.is_valid_on(today)]
    return sorted(lacking, key=lambda pair: (-pair[1], pair[0].id))[:EASY_LISTED]


def serving_days(ctx: City, today: date) -> int:
    """Whole days since the bot answered its first question (0 on a new server)."""
    since = ctx.desk.insights.serving_since()
    return max((today - since.astimezone(JST).date()).days, 0) if since else 0


def index_checks(ctx: City, desk: DeskWorker) -> IndexChecks:
    """The live index's contradictions and translations stating other numbers, found once per index version
    and kept by this worker's desk: the entries change only with a new version."""
    index = ctx.index
    if desk.checked is None or desk.checked.index is not index:
        entries = [r for r in index.records if r.kind == "faq"]
        desk.checked = IndexChecks(index, ContradictionFinder(ctx.bot.runtime.normaliser).run(index.records),
                                   mistranslations(entries))
    return desk.checked


def health(ctx: City, today: date, desk: DeskWorker, audience: Audience = Audience.STAFF) -> Health:
    """Expired and ownerless FAQ entries, entries unseen for 90 days (once the bot has served 90 days: a new
    server has shown nothing yet), contradictions, translations stating other numbers than the Japanese
    answer, the most escalated departments; staff-only records only for a role that may read them."""
    insights = ctx.desk.insights

    def readable(record: Record) -> bool:
        return audience is Audience.STAFF or record.audience is not Audience.STAFF

    entries = [r for r in ctx.index.records if r.kind == "faq" and readable(r)]
    expired = [r for r in entries if r.valid_until and r.valid_until < today]
    shown, fresh = insights.shown_entries(HEALTH_DAYS, today), insights.published_entries(HEALTH_DAYS, today)
    days = serving_days(ctx, today)
    unseen = [r for r in entries if r.is_valid_on(today) and r.id not in shown and r.id not in fresh
              ] if days >= HEALTH_DAYS else []
    ownerless = [r for r in entries if not r.owner.strip()]
    busiest = insights.escalations_by_department(Period.last_days(HEALTH_DAYS, today))[:10]
    checks = index_checks(ctx, desk)
    contradictions = [c for c in checks.contradictions
                      if readable(c.first.record) and readable(c.second.record)]
    return Health(sorted(expired, key=lambda r: r.valid_until or today), ownerless, unseen, busiest,
                  most_asked_without_easy(entries, shown, today), contradictions, days,
                  [m for m in checks.mistranslated if readable(m.record)])


@router.get("/health")
def health_page(request: Request, user: SignedIn = Editor) -> Response:
    """Entries to renew, give an owner, check or retire; departments that need more entries."""
    today = today_jst()
    ctx = city(request)
    return page(request, "health.html", health=health(ctx, today, worker(request), audience_of(ctx, user)),
                today=today, days=HEALTH_DAYS)
