"""Logging a call from the search (`POST /desk/calls`): 「この回答で対応」, 「担当課へ転送」 or
「対応できず」.

The caller's question is ranked again as a resident's (what the bot would have offered this caller), masked,
normalised from the masked text like every stored question, and written with the call (bot/store/calls.py).
An entry the agent may not see in search cannot be logged either; a department must come from the
directory. Every form is CSRF-checked by `require_role`, as every desk form is.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from bot.routing import suggest_department
from bot.service.contracts import CALL_OUTCOMES, CallFacts, Role, SignedIn, mask_personal_data
from channels.desk.auth import require_role
from channels.desk.labelling import source_of
from channels.desk.render import city, desk_subrouter
from channels.desk.search import MAX_QUERY_CHARS, audience_of, departments
from knowledge.core.errors import NotFoundError, RequestError
from knowledge.records import Audience, Record

router = desk_subrouter()
Agent = Depends(require_role(Role.AGENT))
LONGEST_CALL_SECONDS = 4 * 60 * 60
CANDIDATES = 5


def handling_seconds(value: str) -> int | None:
    """The timer's seconds; empty when the agent ran no timer (or the browser runs no JavaScript)."""
    if not value.strip():
        return None
    if not value.strip().isdigit() or int(value) > LONGEST_CALL_SECONDS:
        raise RequestError(f"通話時間は 0〜{LONGEST_CALL_SECONDS} 秒で送ってください。")
    return int(value)


def entry_for(request: Request, user: SignedIn, entry_id: str) -> Record:
    """The entry the call was answered with; one the agent may not see is as absent as an unknown one."""
    if not entry_id.strip():
        raise RequestError("「この回答で対応」には、使った FAQ を結果から選んでください。")
    ctx = city(request)
    record = ctx.index.record(entry_id)
    if record is None or not record.audience.visible_to(audience_of(ctx, user)):
        raise NotFoundError(f"FAQ {entry_id} は今の索引にありません。")
    return record


def department_for(request: Request, user: SignedIn, name: str, required: bool) -> str:
    """A department from the directory (empty only where it may be left out)."""
    if not name.strip() and not required:
        return ""
    known = {d.name for d in departments(city(request), audience_of(city(request), user))}
    if name.strip() not in known:
        raise RequestError("転送先の担当課を一覧から選んでください。")
    return name.strip()


def facts_of(request: Request, user: SignedIn, question: str, outcome: str, entry: Record | None,
             department: str, seconds: int | None, phone: str) -> CallFacts:
    """Rank the masked question as the caller's, and gather what the store writes."""
    ctx = city(request)
    masked = mask_personal_data(question)
    ranking = ctx.bot.rank(masked, Audience.RESIDENT)
    shown = ctx.bot.candidates(ranking, CANDIDATES)
    normalised = " ".join(ranking.snapshot.runtime.normaliser.run(masked).terms)
    if outcome == "unresolved" and not department:
        department = suggest_department(shown)
    return CallFacts(question, normalised, outcome, user.username, source_of(user),
                     entry.id if entry else None, entry.department if entry else department, seconds,
                     ranking.top1, [{"id": c.record.id, "score": round(c.score, 4)} for c in shown], phone)


@router.post("/calls")
def log_call(request: Request, question: str = Form(min_length=1, max_length=MAX_QUERY_CHARS),
             outcome: str = Form(pattern="^(" + "|".join(CALL_OUTCOMES) + ")$"),
             entry_id: str = Form("", max_length=128),
             department: str = Form("", max_length=200), handling: str = Form("", max_length=8),
             callback_phone: str = Form("", max_length=40), user: SignedIn = Agent) -> Response:
    """Two clicks from a result: the call is stored, counted and (when answered) a label to learn from."""
    if not question.strip():
        raise RequestError("電話の質問を入れてください。")
    entry = entry_for(request, user, entry_id) if outcome == "answered" else None
    chosen = department_for(request, user, department, outcome == "forwarded")
    facts = facts_of(request, user, question.strip(), outcome, entry, chosen, handling_seconds(handling),
                     callback_phone)
    logged = city(request).desk.calls.record(facts)
    city(request).wake_outbox()
    done = {"done": outcome, **({"escalation": logged.escalation_id} if logged.escalation_id else {})}
    return RedirectResponse(f"/desk/search?{urlencode(done)}", status_code=303)

