"""The question the desk asks before a decision that changes the bot's answers at once.

「公開を終了する」 and 「版 N に戻す」 start a rebuild the moment they are sent, so a click on the wrong row
would change what residents get. Their first POST (without `confirmed`) only shows what would happen; the
page's button sends the same action again with `confirmed=1`. No JavaScript is needed. The checks are the
store's own (bot/store/entries.py, same words and statuses), so the page never offers an action that would
then be refused.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from bot.service.contracts import EntryVersionView, VersionStatus, live_of, open_draft
from channels.desk.render import city, entry_path, page
from knowledge.core.errors import ConflictError, NotFoundError


def ask_to_retire(request: Request, entry_id: str) -> HTMLResponse:
    """What retiring takes away (the live question and answer); raises the store's refusal when the entry
    is not live, since then there is nothing to confirm."""
    history = city(request).desk.entries.history(entry_id)
    live = live_of(history)
    if live is None:
        raise ConflictError(f"FAQ {entry_id} は公開されていません。")
    return confirmation(request, entry_id, live, None, open_draft(history))


def ask_to_roll_back(request: Request, entry_id: str, version: int) -> HTMLResponse:
    """Version `version` beside what is live now, so the editor sees what residents will get; raises the
    store's refusal for a version that is missing, not approved or already live."""
    history = city(request).desk.entries.history(entry_id)
    target = next((v for v in history if v.version == version), None)
    if target is None or target.status != VersionStatus.APPROVED:
        raise NotFoundError(f"FAQ {entry_id} に承認済みの版 {version} はありません。")
    live = live_of(history)
    if live is not None and live.version == version:
        raise ConflictError(f"版 {version} はすでに公開中です。")
    return confirmation(request, entry_id, live, target, open_draft(history))


def confirmation(request: Request, entry_id: str, live: EntryVersionView | None,
                 target: EntryVersionView | None, draft: EntryVersionView | None) -> HTMLResponse:
    """One page for both questions (a `target` version means rollback): its button sends the same action
    again with `confirmed=1`, and its link goes back to the entry without doing anything."""
    path = entry_path(entry_id)
    action_path = f"{path}/retire" if target is None else f"{path}/rollback/{target.version}"
    return page(request, "confirm_entry.html", entry_id=entry_id, path=path, action_path=action_path,
                live=live, target=target, draft=draft)
