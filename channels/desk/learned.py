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

from bot.learning.guard import Because, Refusal
from bot.learning.loop import CALIBRATED, PARAPHRASES, RECALIBRATED, REFITTED, SERVING
from bot.service.contracts import AGREEMENT, LabelKey, Role, SignedIn
from channels.desk.auth import require_role
from channels.desk.entry_forms import staff_only
from channels.desk.render import city, desk_subrouter, entry_path, page
from channels.desk.search import audience_of
from channels.desk.wording import SOURCE_WORDS
from channels.desk.worker import worker
from knowledge.core.errors import NotFoundError
from knowledge.records import Audience

router = desk_subrouter()
Editor = Depends(require_role(Role.EDITOR))
NAME_LABELS: dict[str, str] = {SERVING: "今の公開版", PARAPHRASES: "学習した言い換え",
                               REFITTED: "学習した言い換え＋再学習したモデル",
                               RECALIBRATED: "学習した言い換え＋確信度の再調整", CALIBRATED: "確信度の再調整"}
REFUSAL_WORDS: dict[str, str] = {
    Because.WRONG_RISE: "間違った回答が増えます（{now:.1%} → {then:.1%}）",
    Because.FEWER_HANDED_OVER: "答えのない質問を担当者につなぐ割合が下がります（{now:.1%} → {then:.1%}、"
                               "下限 {floor:.1%}）",
    Because.WRONG_BOUND: "間違った回答が増えるおそれがあります（多く見積もって {bound:.1%}、"
                         "認める上限 {allowed:.1%}）",
    Because.FEWER_HELPED: "正しく答えるか正しい候補を示せる質問が減ります（{now:.1%} → {then:.1%}）",
    Because.NO_GAIN: "正しい答えが偶然の幅を超えて増えるとは言えません"
                     "（1位が正解 {hit_now:.1%} → {hit_then:.1%}）"}
METRIC_LABELS = {"hit@1": "1位が正解", "hit@3": "3位までに正解", "mrr@10": "MRR@10",
                 "answered_right": "正しく回答", "wrong_answer": "間違った回答"}


def refusal_words(refusal: Refusal) -> str:
    """Why the guard kept a candidate off, in the editor's words and with the numbers that decided it."""
    return REFUSAL_WORDS[refusal.because].format(**refusal.numbers)


DONE = {"accepted": "学習に使うことにしました。", "removed": "学習に使わないことにしました。",
        "started": "学習を始めました。終わるとこのページに結果が出ます。", "busy": "すでに学習中です。"}


@router.get("/learned")
def learned_page(request: Request, done: str = "", user: SignedIn = Editor) -> Response:
    """The labels, the latest run's decision, and the buttons."""
    groups = [g for g in city(request).desk.labels.groups()
              if readable(request, user, g.audience, g.entry_id)]
    index = city(request).index
    state = worker(request).learner.state
    refused = {NAME_LABELS.get(name, name): refusal_words(why) for name, why in state.refused.items()}
    return page(request, "learned.html", groups=groups, index=index, state=state, agreement=AGREEMENT,
                source_labels=SOURCE_WORDS, name_labels=NAME_LABELS, refused=refused,
                metric_labels=METRIC_LABELS, done=DONE.get(done, ""),
                path=entry_path, usable=sum(g.usable for g in groups), refresh=state.running)


def readable(request: Request, user: SignedIn, audience: str, entry_id: str) -> bool:
    """Whether this role may see a label: a staff question, or one pointing at a staff-only entry, is for the
    roles the city lets read staff rules only."""
    if audience_of(city(request), user) is Audience.STAFF:
        return True
    return audience != Audience.STAFF.value and not staff_only(request, entry_id)


def key_of(request: Request, user: SignedIn, normalised: str, entry_id: str, audience: str) -> LabelKey:
    """The form's hidden fields, as a label group's key; a label this role may not see is not found."""
    if not readable(request, user, audience, entry_id):
        raise NotFoundError(f"FAQ {entry_id} の学習した質問はありません")
    return normalised, entry_id, audience


@router.post("/learned/accept")
def accept(request: Request, normalised: str = Form(min_length=1, max_length=10_000),
           entry_id: str = Form(min_length=1, max_length=128), audience: str = Form(max_length=16),
           user: SignedIn = Editor) -> Response:
    """A weak label is learned from even though fewer conversations agree."""
    city(request).desk.labels.accept(key_of(request, user, normalised, entry_id, audience), user.username)
    return RedirectResponse("/desk/learned?done=accepted", status_code=303)


@router.post("/learned/remove")
def remove(request: Request, normalised: str = Form(min_length=1, max_length=10_000),
           entry_id: str = Form(min_length=1, max_length=128), audience: str = Form(max_length=16),
           user: SignedIn = Editor) -> Response:
    """Not learned from any more (a wrong click, a question that was really about something else)."""
    city(request).desk.labels.remove(key_of(request, user, normalised, entry_id, audience), user.username)
    return RedirectResponse("/desk/learned?done=removed", status_code=303)


@router.post("/learned/publish")
def learn_now(request: Request, user: SignedIn = Editor) -> Response:
    """Learn from the usable labels in the background; the guard decides whether anything goes live."""
    started = worker(request).learner.request()
    city(request).desk.labels.note(user.username, "learn.start" if started else "learn.busy")
    return RedirectResponse(f"/desk/learned?done={'started' if started else 'busy'}", status_code=303)
