"""「この FAQ で答えられる」 on an escalation: the agent's knowledge becomes a label the bot learns from.

One click on a candidate the bot considered, or a reply that quotes an entry's answer, records that the
entry answers the resident's question (`bot.store.labels`); a click made by mistake can be taken back by
whoever made it (or an editor); every label is audited. The labels are learned
at the next 「学習して公開」 on the 「学習した質問」 page, or by `madoguchi learn --from-desk`.
"""

from __future__ import annotations

from fastapi import Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from bot.service.contracts import LabelSource, Role, SignedIn
from channels.desk.auth import require_role
from channels.desk.render import city, desk_subrouter
from knowledge.core.errors import NotFoundError, RequestError
from knowledge.records import Record

router = desk_subrouter()
Agent = Depends(require_role(Role.AGENT))
MIN_QUOTED_CHARS = 20  # shorter answers (「はい。」) appear inside replies by chance


def source_of(user: SignedIn) -> LabelSource:
    """An editor's label is an editor's, whatever page it came from."""
    return LabelSource.EDITOR if user.can(Role.EDITOR) else LabelSource.AGENT


def marked_entries(request: Request, escalation_id: str) -> dict[str, str]:
    """Entries already marked for this escalation's question, with who marked each (none when it has no
    question)."""
    try:
        return city(request).desk.labels.marked(escalation_id)
    except RequestError:
        return {}


def quoted(records: list[Record], reply: str) -> list[str]:
    """FAQ entries whose whole answer the reply contains: the agent answered with that entry."""
    text = " ".join(reply.split())
    return [r.id for r in records if r.kind == "faq" and len(r.answer.strip()) >= MIN_QUOTED_CHARS
            and " ".join(r.answer.split()) in text]


def label_quoted(request: Request, escalation_id: str, reply: str, user: SignedIn) -> str | None:
    """After a reply is saved: the one entry it quotes whole becomes a label of the question (returned, for
    the agent to be told). A reply quoting several, such as the draft made of every source found, does not
    say which of them answers, so it labels none."""
    found = quoted(list(city(request).index.records), reply)
    if len(found) != 1:
        return None
    try:
        city(request).desk.labels.mark(escalation_id, found[0], source_of(user), user.username)
    except RequestError:  # no question to label (e.g. 「担当者と話したい」 only); the reply stands
        return None
    return found[0]


@router.post("/escalations/{escalation_id}/label")
def mark(request: Request, escalation_id: str, entry_id: str = Form(min_length=1, max_length=128),
         user: SignedIn = Agent) -> Response:
    """One click: this entry answers the resident's question."""
    if city(request).index.record(entry_id) is None:
        raise NotFoundError(f"FAQ {entry_id} は今の索引にありません。")
    city(request).desk.labels.mark(escalation_id, entry_id, source_of(user), user.username)
    return RedirectResponse(f"/desk/escalations/{escalation_id}?done=label", status_code=303)


@router.post("/escalations/{escalation_id}/unlabel")
def unmark(request: Request, escalation_id: str, entry_id: str = Form(min_length=1, max_length=128),
           user: SignedIn = Agent) -> Response:
    """Take back a click made by mistake before it is learned from: one's own, or anyone's for an editor."""
    city(request).desk.labels.unmark(escalation_id, entry_id, user.username, user.can(Role.EDITOR))
    return RedirectResponse(f"/desk/escalations/{escalation_id}?done=unlabel", status_code=303)
