"""FAQ entries in the desk: promote an answered escalation, edit the draft, approve, roll back, retire.

Agents may promote, write drafts and add paraphrases; only editors decide (approve, reject, roll
back, retire). Every decision is followed by a rebuild in this worker's background publisher; the
page then says 「公開中…」 (refreshing itself, no JavaScript needed) until the bot serves it. Retiring and
rolling back first show what would change (`confirm.py`) and act only when that page is sent.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from bot.service.contracts import (
    EntryFields,
    EntryVersionView,
    Role,
    SignedIn,
    draft_mark,
    live_of,
    open_draft,
)
from channels.desk.auth import require_role
from channels.desk.confirm import ask_to_retire, ask_to_roll_back
from channels.desk.diff import FIELD_LABELS, field_changes
from channels.desk.entry_forms import (
    AUDIENCES,
    MAX_ID_CHARS,
    VERSION_STATUS_LABELS,
    fields_from_form,
    form_values,
    opened_on,
    publication,
    reader,
    served,
    served_ids,
    staff_only,
    typed_fields,
)
from channels.desk.render import city, desk_subrouter, entry_path, page
from channels.desk.search import audience_of
from channels.desk.worker import worker
from knowledge.core.errors import ForbiddenError, NotFoundError, RequestError
from knowledge.languages import LANGUAGES
from knowledge.records import Audience, Record

router = desk_subrouter()
Agent = Depends(require_role(Role.AGENT))
Editor = Depends(require_role(Role.EDITOR))
AgentReading = Depends(reader(Role.AGENT))  # and, for a staff-only entry, a role that may read it
EditorReading = Depends(reader(Role.EDITOR))
DONE = {"saved": "下書きを保存しました。", "paraphrase": "言い換えを加えた下書きを作りました。",
        "rejected": "下書きを却下しました。",
        "promoted": "下書きを作りました。内容を確かめて保存してください。"}


def entry_page(request: Request, entry_id: str, user: SignedIn, status: int = 200, alert: str = "",
               values: dict[str, str] | None = None, done: str = "", refresh: bool = False) -> Response:
    """The draft form, its differences from the live version, the actions and the history."""
    history = city(request).desk.entries.history(entry_id)
    draft, live, record = open_draft(history), live_of(history), served(request, entry_id)
    baseline = EntryFields.of(live) if live else (EntryFields.from_record(record) if record
                                                  and record.kind == "faq"
                                                  else None)
    if not history and baseline is None:
        raise NotFoundError(f"FAQ {entry_id} はありません")
    current = EntryFields.of(draft) if draft else baseline
    state = publication(request, entry_id, history)
    still_publishing = state is not None and state.on_its_way
    return page(request, "entry.html", status=status, entry_id=entry_id, path=entry_path(entry_id),
                history=list(reversed(history)), draft=draft, live=live,
                values=values or form_values(current),
                changes=field_changes(current, baseline) if draft and current else [], alert=alert,
                done=DONE.get(done, ""), publication=state, refresh=refresh and still_publishing,
                audiences=AUDIENCES, status_labels=VERSION_STATUS_LABELS, labels=FIELD_LABELS,
                from_files=record is not None and record.source != "desk",
                translated=[LANGUAGES[code][1][0] for code, _, _ in record.translations] if record else [],
                learned=city(request).index.learned.of(entry_id), seen=draft_mark(draft))


def act(request: Request, entry_id: str, user: SignedIn, work: Callable[[], EntryVersionView | None],
        publish: bool, done: str = "", typed: dict[str, str] | None = None) -> Response:
    """Run one action; a refusal shows the page again with why (and what was `typed`, when a form was
    sent). Decisions start a rebuild."""
    try:
        result = work()
    except RequestError as exc:
        return refused(request, entry_id, user, exc, typed)
    if publish:
        worker(request).publisher.request(f"{entry_id} by {user.username}")
        return RedirectResponse(f"{entry_path(entry_id)}?published={result.version if result else ''}", 303)
    return RedirectResponse(f"{entry_path(entry_id)}?done={done}", 303)


def refused(request: Request, entry_id: str, user: SignedIn, exc: RequestError,
            typed: dict[str, str] | None = None) -> Response:
    """The entry page again with why; an entry with no versions at all is the desk's plain 404 page."""
    if isinstance(exc, NotFoundError) and not city(request).desk.entries.history(entry_id):
        raise exc
    return entry_page(request, entry_id, user, exc.status, str(exc), values=typed)


def ask_first(request: Request, entry_id: str, user: SignedIn, ask: Callable[[], Response]) -> Response:
    """The confirmation page (nothing changes yet), or, when the store would refuse the action, the same
    page and reason as the action itself would give: the desk never asks about what cannot be done."""
    try:
        return ask()
    except RequestError as exc:
        return refused(request, entry_id, user, exc)


def file_record(request: Request, entry_id: str) -> Record | None:
    """The FAQ as the city's files have it, for an entry the desk has not versioned yet."""
    record = served(request, entry_id)
    return record if record is not None and record.kind == "faq" and record.source != "desk" else None


@router.post("/escalations/{escalation_id}/promote")
def promote(request: Request, escalation_id: str, user: SignedIn = Agent) -> Response:
    """An answered escalation becomes a draft entry; the draft's page opens. A staff member's question makes a
    staff-only draft, which only the roles that read staff rules may open: others are refused before it is
    made (the draft was made, then its page was a 404)."""
    staff_question = city(request).desk.escalations.get(escalation_id).audience == Audience.STAFF.value
    if staff_question and audience_of(city(request), user) is not Audience.STAFF:
        raise ForbiddenError("職員からの質問の FAQ は、職員向けの FAQ を読める役割の人が作ります。")
    taken = served_ids(request)
    draft = city(request).desk.entries.draft_from_escalation(escalation_id, user.username, taken)
    return RedirectResponse(f"{entry_path(draft.entry_id)}?done=promoted", 303)


@router.get("/entries")
def entries_page(request: Request, user: SignedIn = Agent) -> Response:
    """Drafts waiting for an editor, and the entries the desk manages that are live now."""
    store, everyone = city(request).desk.entries, audience_of(city(request), user) is Audience.STAFF
    shown = [v for v in store.live_versions() if everyone or v.audience != Audience.STAFF.value]
    live = sorted(shown, key=lambda v: v.approved_at or v.created_at, reverse=True)
    drafts = [v for v in store.drafts() if everyone or not staff_only(request, v.entry_id)]
    return page(request, "entries.html", drafts=drafts, live=live, path=entry_path)


@router.post("/entries/new")
def new_entry(request: Request, question: str = Form(min_length=1, max_length=1000),
              source_turn: int | None = Form(None), user: SignedIn = Agent) -> Response:
    """A draft of a new entry from a question (the review page sends the turn it came from)."""
    if not question.strip():
        raise RequestError("質問を書いてください。")
    note = f"会話のやりとり {source_turn} から" if source_turn is not None else ""
    entries = city(request).desk.entries
    draft = entries.new_entry(EntryFields(question, ""), user.username, served_ids(request), note)
    return RedirectResponse(f"{entry_path(draft.entry_id)}?done=saved", 303)


async def edited(request: Request, entry_id: str, user: SignedIn) -> EntryFields | Response:
    """The entry form's fields, or the page again with why they cannot be saved (what was typed kept)."""
    record = served(request, entry_id)
    if len(entry_id) > MAX_ID_CHARS or (record is not None and record.kind == "passage"):
        raise NotFoundError(f"FAQ {entry_id[:MAX_ID_CHARS]} "
                            "はありません（文書の一節は元の文書で直してください）")
    form = await request.form()
    try:
        return fields_from_form(form)
    except RequestError as exc:
        return entry_page(request, entry_id, user, exc.status, str(exc), values=typed_fields(form))


@router.post("/entries/{entry_id:path}/approve")
async def approve(request: Request, entry_id: str, user: SignedIn = EditorReading) -> Response:
    """Publish the draft: a new index version is built in the background. Sent from the entry form, its fields
    are saved first, so what the editor sees is what residents get (an edit not saved was lost)."""
    entries = city(request).desk.entries
    if "question" not in await request.form():
        return act(request, entry_id, user, lambda: entries.approve(entry_id, user.username), True)
    content = await edited(request, entry_id, user)
    if isinstance(content, Response):
        return content

    seen, typed = await opened_on(request)

    def save_and_approve() -> EntryVersionView | None:
        entries.save_draft(entry_id, content, user.username, file_record(request, entry_id), seen)
        return entries.approve(entry_id, user.username)

    return act(request, entry_id, user, save_and_approve, True, typed=typed)


@router.post("/entries/{entry_id:path}/reject")
def reject(request: Request, entry_id: str, note: str = Form("", max_length=1000),
           user: SignedIn = EditorReading) -> Response:
    """Close the draft unpublished, with an optional reason."""
    entries = city(request).desk.entries
    return act(request, entry_id, user, lambda: entries.reject(entry_id, user.username, note.strip()),
               False, "rejected")


@router.get("/entries/{entry_id:path}/retire")
def ask_retire(request: Request, entry_id: str, user: SignedIn = EditorReading) -> Response:
    """The confirmation page on its own: where signing in again leads after it was sent too late."""
    return ask_first(request, entry_id, user, lambda: ask_to_retire(request, entry_id))


@router.get("/entries/{entry_id:path}/rollback/{version}")
def ask_rollback(request: Request, entry_id: str, version: int, user: SignedIn = EditorReading) -> Response:
    """The rollback's confirmation page on its own (see `ask_retire`)."""
    return ask_first(request, entry_id, user, lambda: ask_to_roll_back(request, entry_id, version))


@router.post("/entries/{entry_id:path}/retire")
def retire(request: Request, entry_id: str, confirmed: str = Form(""),
           user: SignedIn = EditorReading) -> Response:
    """Stop answering with this entry (a new version; rollback brings it back). It changes the bot's answers
    at once, so the first click only asks; the confirmation page sends `confirmed=1`."""
    if confirmed != "1":
        return ask_first(request, entry_id, user, lambda: ask_to_retire(request, entry_id))
    entries = city(request).desk.entries
    return act(request, entry_id, user, lambda: entries.retire(entry_id, user.username), True)


@router.post("/entries/{entry_id:path}/rollback/{version}")
def rollback(request: Request, entry_id: str, version: int, confirmed: str = Form(""),
             user: SignedIn = EditorReading) -> Response:
    """Make an earlier approved version live again, as a new version; first the page showing that version
    beside the live one, whose button sends `confirmed=1`."""
    if confirmed != "1":
        return ask_first(request, entry_id, user, lambda: ask_to_roll_back(request, entry_id, version))
    entries = city(request).desk.entries
    return act(request, entry_id, user, lambda: entries.rollback(entry_id, version, user.username), True)


@router.post("/entries/{entry_id:path}/paraphrases")
def add_paraphrase(request: Request, entry_id: str, text: str = Form(min_length=1, max_length=1000),
                   user: SignedIn = AgentReading) -> Response:
    """A draft with one more way of asking (also for entries that so far live only in the city's files)."""
    record = served(request, entry_id)
    base = record if record is not None and record.kind == "faq" else None
    entries = city(request).desk.entries
    return act(request, entry_id, user, lambda: entries.add_paraphrase(entry_id, text, user.username, base),
               False, "paraphrase")


# last: an id may hold "/" (税務/001), so these would take the paths of the routes above
@router.get("/entries/{entry_id:path}")
def show(request: Request, entry_id: str, done: str = "", published: str | None = None,
         user: SignedIn = AgentReading) -> Response:
    """The entry; after a decision (?published=N) it refreshes until the bot serves it. No number (the
    list's address with a slash) is the list."""
    if not entry_id:
        return RedirectResponse("/desk/entries", 303)
    return entry_page(request, entry_id, user, done=done, refresh=published is not None)


@router.post("/entries/{entry_id:path}")
async def save(request: Request, entry_id: str, user: SignedIn = AgentReading) -> Response:
    """Save the draft (made on first save when the entry had none); passages are edited in their documents."""
    content = await edited(request, entry_id, user)
    if isinstance(content, Response):
        return content
    entries, (seen, typed) = city(request).desk.entries, await opened_on(request)
    base = file_record(request, entry_id)
    return act(request, entry_id, user,
               lambda: entries.save_draft(entry_id, content, user.username, base, seen),
               False, "saved", typed)
