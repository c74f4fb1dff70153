"""What the FAQ-entry pages share: the entry form, and whether a decision is already what the bot serves."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import Depends, Request
from starlette.datastructures import FormData

from bot.service.contracts import (
    DECIDED,
    EntryFields,
    EntryVersionView,
    Role,
    SignedIn,
    VersionStatus,
    split_paraphrases,
)
from channels.desk.auth import require_role
from channels.desk.render import city
from channels.desk.search import audience_of
from channels.desk.worker import worker
from knowledge.core.errors import NotFoundError, RequestError
from knowledge.fields import ENTRY_FIELDS, FIELD_LABELS, FORM_LIMITS
from knowledge.records import AUDIENCE_NAMES, Audience, Record

PUBLISH_WITHIN_SECONDS = 120
AUDIENCES = tuple((audience.value, names.choice) for audience, names in AUDIENCE_NAMES.items())
VERSION_STATUS_LABELS: dict[str, str] = {VersionStatus.DRAFT: "下書き", VersionStatus.APPROVED: "承認済み",
                                 VersionStatus.REJECTED: "却下", VersionStatus.RETIRED: "公開終了"}

MAX_ID_CHARS = 128


def served(request: Request, entry_id: str) -> Record | None:
    """The record the bot answers with under this id right now."""
    return city(request).index.record(entry_id)


def staff_only(request: Request, entry_id: str) -> bool:
    """Whether the bot serves the entry to staff only, or any of its desk versions was written for staff."""
    record = served(request, entry_id)
    versions = city(request).desk.entries.history(entry_id)
    audiences = {version.audience for version in versions} | ({record.audience.value} if record else set())
    return Audience.STAFF.value in audiences


def served_ids(request: Request) -> set[str]:
    """Ids the bot knows now, so a new desk id never shadows a file record by accident."""
    return set(city(request).index.by_id)


def _day(name: str, text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise RequestError(f"{FIELD_LABELS[name]}は 2026-04-01 の形で入力してください（{text!r}）") from None


def fields_from_form(form: FormData) -> EntryFields:
    """The entry form as content; RequestError names the field a person has to fix."""
    values: dict[str, Any] = {field.name: str(form.get(field.name) or "") for field in ENTRY_FIELDS}
    for name, limit in FORM_LIMITS.items():
        if len(values[name]) > limit:
            raise RequestError(f"{FIELD_LABELS[name]}は {limit} 文字までです")
    values.update(paraphrases=split_paraphrases(values["paraphrases"]),
                  audience=values["audience"] or "resident",
                  valid_from=_day("valid_from", values["valid_from"]),
                  valid_until=_day("valid_until", values["valid_until"]))
    return EntryFields(**values).cleaned()


def form_values(content: EntryFields | None) -> dict[str, str]:
    """Content as the form's strings (paraphrases one per line, ISO dates)."""
    if content is None:
        return {"audience": "resident"}
    values = {name: str(value) for name, value in content.as_columns().items() if value is not None}
    values["paraphrases"] = "\n".join(content.paraphrases)
    return values


@dataclass(frozen=True, slots=True)
class Publication:
    """Whether the entry's newest decision is what this worker's bot serves."""

    live: bool
    retired: bool
    index_version: str
    error: str
    reload_off: bool
    behind: bool = False  # long after the decision, nothing building, and the served index lacks it

    @property
    def on_its_way(self) -> bool:
        """Still to be served by itself: the page keeps refreshing."""
        return not (self.live or self.reload_off or self.error or self.behind)


def publication(request: Request, entry_id: str, history: list[EntryVersionView]) -> Publication | None:
    """None for an entry never decided on; otherwise live, or still publishing (or failed, and why)."""
    decided = [v for v in history if v.status in DECIDED]
    if not decided:
        return None
    newest = max(decided, key=lambda v: v.version)
    record = served(request, entry_id)
    if newest.status == VersionStatus.RETIRED:
        live = record is None
    else:
        live = (record is not None and record.source == "desk"
                and record.location == f"version {newest.version}")
    state = worker(request).publishing
    version = city(request).index.manifest["version"]
    settings = city(request).settings
    building = state is not None and state.state.building
    return Publication(live, newest.status == VersionStatus.RETIRED, version,
                       state.state.error if state and not live else "", settings.index_poll_seconds == 0,
                       not live and not building and _long_ago(newest, settings.index_poll_seconds))


def _long_ago(decision: EntryVersionView, poll_seconds: float) -> bool:
    """Past the time a build and the servers' switch take (a rebuild here takes seconds): a served index that
    still lacks the decision was chosen by hand (`madoguchi index use`), not a publish still on its way."""
    decided = decision.approved_at or decision.created_at
    waited = datetime.now(UTC) - decided.replace(tzinfo=decided.tzinfo or UTC)
    return waited > timedelta(seconds=PUBLISH_WITHIN_SECONDS + 3 * poll_seconds)


def reader(role: Role) -> Callable[..., SignedIn]:
    """`role`, and for a staff-only entry also a role the city lets read staff-only entries: a contracted
    call center's agent finds no internal rule by counting ids (S001, S002 …) any more than in search."""
    def check(request: Request, entry_id: str, user: SignedIn = Depends(require_role(role))) -> SignedIn:
        if audience_of(city(request), user) is not Audience.STAFF and staff_only(request, entry_id):
            raise NotFoundError(f"FAQ {entry_id[:MAX_ID_CHARS]} はありません")
        return user
    return check


async def opened_on(request: Request) -> tuple[str | None, dict[str, str]]:
    """The draft the form was opened on (None from a form that does not say) and what was typed in it."""
    form = await request.form()
    seen = form.get("seen")
    return (str(seen) if seen is not None else None), typed_fields(form)


def typed_fields(form: FormData) -> dict[str, str]:
    """What a person typed into an entry form, to show again with a refusal (not its tokens)."""
    return {name: str(value) for name, value in form.items() if name not in ("csrf", "seen")}
