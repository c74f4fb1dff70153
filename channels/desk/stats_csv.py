"""The statistics page's figures as CSV that Excel opens correctly (UTF-8 with a BOM).

Sections follow one another, separated by a blank line: summary (the phone's figures after chat's),
questions per day and channel, escalations by department, calls per day by outcome, calls by department,
top unanswered clusters. Residents' words and department names come
from data, so a cell that Excel would read as a formula (=, +, -, @ …) is prefixed with 「'」.
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from starlette.responses import Response

from channels.desk.queue import CHANNEL_LABELS
from channels.desk.wording import OUTCOME_WORDS

if TYPE_CHECKING:
    from bot.review import ReviewCluster
    from channels.desk.dashboard import Dashboard

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula is neutralised."""
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return f"{value:.12g}" if isinstance(value, float) else str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def pct(share: float | None) -> float | None:
    """A share as a percentage with one decimal; None (empty cell) when nothing was measured."""
    return None if share is None else round(share * 100, 1)


def summary_rows(board: Dashboard) -> list[list[object]]:
    """One figure per row, with its unit in the label."""
    decided, (up, down) = board.decisions, board.thumbs
    return [["項目", "値"], ["期間の開始日", board.period.start.isoformat()],
            ["期間の終了日", board.period.end.isoformat()],
            ["質問数（あいさつ・お礼を除く）", decided.questions], ["回答した質問数", decided.answered],
            ["聞き返した質問数", decided.clarified], ["引き継いだ質問数", decided.escalated],
            ["回答率（%）", pct(decided.rate(decided.answered))],
            ["聞き返し率（%）", pct(decided.rate(decided.clarified))],
            ["引き継ぎ率（%）", pct(decided.rate(decided.escalated))], ["👍の数", up], ["👎の数", down],
            ["👍の割合（%）", pct(board.helpful_rate)],
            ["回答までの時間の中央値（分）", board.median_minutes],
            ["1件あたりの分数（設定・仮定）", board.minutes_per_inquiry],
            ["削減できた職員の時間（推計・時間）＝回答した質問数×1件あたりの分数÷60",
             round(board.hours_saved, 1)],
            *phone_rows(board)]


def phone_rows(board: Dashboard) -> list[list[object]]:
    """The calls logged at the desk, and the hours the knowledge base saved on the phone."""
    calls = board.calls
    return [["電話の件数", calls.total], ["電話: この回答で対応", calls.outcomes.get("answered", 0)],
            ["電話: 担当課へ転送", calls.outcomes.get("forwarded", 0)],
            ["電話: 対応できず", calls.outcomes.get("unresolved", 0)],
            ["知識ベースで答えた電話の割合（%）", pct(calls.answered_share)],
            ["電話の通話時間の中央値（秒）", calls.median_handling_seconds],
            ["通話時間を計った電話の数", calls.timed],
            ["削減できた職員の時間（推計・時間）電話＝知識ベースで答えた電話の数×1件あたりの分数÷60",
             round(board.phone_hours_saved, 1)],
            ["削減できた職員の時間（推計・時間）チャットと電話の合計",
             round(board.hours_saved + board.phone_hours_saved, 1)]]


def day_rows(board: Dashboard) -> list[list[object]]:
    """Questions per day and channel, zeros included, so the table has no gaps."""
    channels = board.channels
    rows: list[list[object]] = [["日付", *(CHANNEL_LABELS.get(c, c) for c in channels), "合計"]]
    for day in board.period.days():
        counts = [board.per_day.get((day, channel), 0) for channel in channels]
        rows.append([day.isoformat(), *counts, sum(counts)])
    return rows


def department_rows(board: Dashboard) -> list[list[object]]:
    """Escalations per department with the median minutes to a person's reply."""
    rows: list[list[object]] = [[load.department or "（担当課なし）", load.escalations, load.answered,
                                 load.median_minutes] for load in board.departments]
    return [["担当課", "引き継ぎ件数", "回答済み件数", "回答までの時間の中央値（分）"], *rows]


def call_day_rows(board: Dashboard) -> list[list[object]]:
    """Calls per day by outcome, zeros included."""
    outcomes = list(board.calls.outcomes) or list(OUTCOME_WORDS)
    rows: list[list[object]] = [["日付（電話）", *(f"電話: {OUTCOME_WORDS[o]}" for o in outcomes), "合計"]]
    for day in board.period.days():
        counts = [board.calls.per_day.get((day, outcome), 0) for outcome in outcomes]
        rows.append([day.isoformat(), *counts, sum(counts)])
    return rows


def call_department_rows(board: Dashboard) -> list[list[object]]:
    """Calls per department: answered from its entries, forwarded to it, or left unresolved."""
    return [["担当課（電話）", *OUTCOME_WORDS.values(), "合計"],
            *([d.department or "（担当課なし）", *(d.counts.get(o, 0) for o in OUTCOME_WORDS), d.total]
              for d in board.calls.departments)]


def cluster_rows(board: Dashboard) -> list[list[object]]:
    """The most asked needs the bot could not answer."""
    def nearest(cluster: ReviewCluster) -> str:
        return cluster.entry.id if cluster.entry and cluster.entry.likely else ""

    return [["件数", "質問の例", "近い FAQ", "推定される担当課"],
            *([c.count, " / ".join(c.examples), nearest(c), c.department] for c in board.clusters)]


def render(board: Dashboard) -> str:
    """All sections as one CSV text, starting with the BOM."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    sections = (summary_rows, day_rows, department_rows, call_day_rows, call_department_rows, cluster_rows)
    for number, section in enumerate(sections):
        if number:
            writer.writerow([])
        writer.writerows([cell(value) for value in row] for row in section(board))
    return BOM + out.getvalue()


def csv_response(board: Dashboard) -> Response:
    """A download named after the period."""
    name = f"madoguchi-stats-{board.period.start.isoformat()}-{board.period.end.isoformat()}.csv"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    return Response(render(board), media_type="text/csv; charset=utf-8", headers=headers)
