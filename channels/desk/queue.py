"""The queue (`/desk`): escalations to work on, filtered by status, channel, department and age.

"Open" (new and claimed) is the default view because that is the work still to do; counts per status
are shown above the filters so an agent sees the whole day at a glance.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Depends, Query, Request
from starlette.responses import Response

from bot.service.contracts import (
    CHANNEL_LABELS,
    STATUSES,
    EscalationStatus,
    EscalationView,
    Role,
    SignedIn,
)
from channels.desk.auth import require_role
from channels.desk.render import city, page
from knowledge.core.errors import RequestError
from knowledge.records import AUDIENCE_LABELS

ESCALATION_STATUS_LABELS: dict[str, str] = {
    EscalationStatus.NEW: "未対応", EscalationStatus.CLAIMED: "対応中", EscalationStatus.ANSWERED: "回答済み",
    EscalationStatus.CLOSED: "完了", EscalationStatus.DROPPED: "取り下げ"}
CHANNEL_FILTER = "^(|" + "|".join(CHANNEL_LABELS) + ")$"
MAX_HOURS = 24 * 365
VIEWS: dict[str, tuple[str, ...]] = {"open": (EscalationStatus.NEW, EscalationStatus.CLAIMED),
                                     "all": STATUSES,
         **{status: (status,) for status in STATUSES}}
PREVIEW_CHARS = 80


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One line of the queue: the escalation and the first words of the resident's question."""

    escalation: EscalationView
    question: str


def queue_rows(request: Request, view: str, channel: str | None, department: str | None,
               hours: float | None) -> list[QueueRow]:
    """The escalations in this view, oldest first (the longest-waiting resident comes first)."""
    escalations = city(request).desk.escalations
    found = [e for status in VIEWS[view] for e in escalations.queue(status, channel, department, hours)]
    found.sort(key=lambda e: e.created_at)
    questions = escalations.questions(found)
    return [QueueRow(e, questions.get(e.turn_id or -1, "")[:PREVIEW_CHARS]) for e in found]


def departments(request: Request) -> list[str]:
    """Departments the index knows, for the filter's choices."""
    records = city(request).index.records
    return sorted({r.department for r in records if r.department})


def age_at_least(hours: str) -> float | None:
    """The age filter as the form sends it: empty (the form's default) means any age."""
    if not hours.strip():
        return None
    try:
        value = float(hours)
    except ValueError:
        value = -1.0
    if not 0 <= value <= MAX_HOURS:
        raise RequestError(f"経過は 0 から {MAX_HOURS} までの時間数で入れてください（例: 2、0.5）。"
                           "空なら絞り込みません。")
    return value


def queue_page(request: Request, user: SignedIn = Depends(require_role(Role.AGENT)),
               status: str = Query("open", pattern="^(open|all|new|claimed|answered|closed|dropped)$"),
               channel: str = Query("", pattern=CHANNEL_FILTER),
               department: str = Query("", max_length=200),
               hours: str = Query("", max_length=16)) -> Response:
    """The queue with its filters; every filter is a plain GET parameter, so a view can be bookmarked."""
    rows = queue_rows(request, status, channel or None, department or None, age_at_least(hours))
    return page(request, "queue.html", rows=rows, counts=city(request).desk.escalations.counts(),
                departments=departments(request), filters={"status": status, "channel": channel,
                                                           "department": department, "hours": hours.strip()},
                status_labels=ESCALATION_STATUS_LABELS, channel_labels=CHANNEL_LABELS,
                audience_labels=AUDIENCE_LABELS)
