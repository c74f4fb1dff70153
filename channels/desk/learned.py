"""「学習した質問」 (`/desk/learned`, editors): every question the desk's work labelled, how many
conversations say so and from where, the entry it points at; accept a weak label, remove any, and
「学習して公開」.

Weak labels (a resident's pick or 👍) show how many different conversations agree; they are learned from
only at `AGREEMENT` conversations or once an editor accepts them. Questions were masked when stored.
"""

from __future__ import annotations

from fastapi import Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from bot.service.contracts import AGREEMENT, LabelKey, LabelSource, Role, SignedIn
from channels.desk.auth import require_role
from channels.desk.entry_forms import entry_path
from channels.desk.render import city, desk_subrouter, page
from channels.desk.worker import worker

router = desk_subrouter()
Editor = Depends(require_role(Role.EDITOR))
SOURCE_LABELS: dict[str, str] = {LabelSource.AGENT: "担当者", LabelSource.EDITOR: "編集者",
                                 LabelSource.APPROVED: "承認した FAQ",
                 LabelSource.WEAK: "住民の選択・👍"}
NAME_LABELS = {"serving now": "今の公開版", "learned paraphrases": "学習した言い換え",
               "learned paraphrases + refitted model": "学習した言い換え＋再学習したモデル"}
DONE = {"accepted": "学習に使うことにしました。", "removed": "学習に使わないことにしました。",
        "started": "学習を始めました。終わるとこのページに結果が出ます。", "busy": "すでに学習中です。"}


@router.get("/learned")
def learned_page(request: Request, done: str = "", user: SignedIn = Editor) -> Response:
    """The labels, the latest run's decision, and the buttons."""
    groups = city(request).desk.labels.groups()
    index = city(request).index
    state = worker(request).learner.state
    return page(request, "learned.html", groups=groups, index=index, state=state, agreement=AGREEMENT,
                source_labels=SOURCE_LABELS, name_labels=NAME_LABELS, done=DONE.get(done, ""),
                path=entry_path, usable=sum(g.usable for g in groups), refresh=state.running)


def key_of(normalised: str, entry_id: str, audience: str) -> LabelKey:
    """The form's hidden fields, as a label group's key."""
    return normalised, entry_id, audience


@router.post("/learned/accept")
def accept(request: Request, normalised: str = Form(min_length=1, max_length=10_000),
           entry_id: str = Form(min_length=1, max_length=128), audience: str = Form(max_length=16),
           user: SignedIn = Editor) -> Response:
    """A weak label is learned from even though fewer conversations agree."""
    city(request).desk.labels.accept(key_of(normalised, entry_id, audience), user.username)
    return RedirectResponse("/desk/learned?done=accepted", status_code=303)


@router.post("/learned/remove")
def remove(request: Request, normalised: str = Form(min_length=1, max_length=10_000),
           entry_id: str = Form(min_length=1, max_length=128), audience: str = Form(max_length=16),
           user: SignedIn = Editor) -> Response:
    """Not learned from any more (a wrong click, a question that was really about something else)."""
    city(request).desk.labels.remove(key_of(normalised, entry_id, audience), user.username)
    return RedirectResponse("/desk/learned?done=removed", status_code=303)


@router.post("/learned/publish")
def learn_now(request: Request, user: SignedIn = Editor) -> Response:
    """Learn from the usable labels in the background; the guard decides whether anything goes live."""
    started = worker(request).learner.request()
    city(request).desk.labels.note(user.username, "learn.start" if started else "learn.busy")
    return RedirectResponse(f"/desk/learned?done={'started' if started else 'busy'}", status_code=303)
