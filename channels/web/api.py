"""The resident API: a thin adapter that turns HTTP into calls on the `City` (which answers and stores every
turn)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import ParamSpec, TypeVar

from fastapi import APIRouter, Path, Query, Request

from bot.answer import Answer
from bot.furigana import furigana_for
from bot.multilingual.detect import detect_language
from bot.service.city import City, Message, Reply
from bot.service.contracts import as_utc
from bot.service.identity import WEB
from bot.service.readings import japanese_for_a_foreign_reader
from channels.web.address_limit import count_address
from channels.web.reading_aids import with_ruby
from channels.web.schemas import (
    SESSION_PATTERN,
    AgentReply,
    AskRequest,
    AskResponse,
    ChoiceOut,
    ContactRequest,
    EntryOut,
    ErrorBody,
    EscalationOut,
    FeedbackRequest,
    Health,
    RepliesOut,
    UrgentOut,
    ask_request_model,
)
from knowledge.core.errors import StoreUnavailableError
from knowledge.records import Audience

CHANNEL = WEB
ERRORS: dict[int | str, dict] = {status: {"model": ErrorBody, "description": why} for status, why in (
    (400, "the request cannot be served as sent"), (404, "no such turn or escalation in this session"),
    (409, "a choice that was not offered in this conversation"),
    (413, "request body too large"),
    (422, "the body does not match the schema, or holds a value that cannot be stored"),
    (429, "too many requests"), (500, "the conversation store refused the write: nothing was received"),
    (503, "the conversation store is unavailable"))}
router = APIRouter(prefix="/api/v1", responses=ERRORS)
ASK_PATH = "/api/v1/ask"
# as many as anyio's default thread limiter lets a route use; turns wait for the store's one writer here
ANSWERING = ThreadPoolExecutor(max_workers=40, thread_name_prefix="madoguchi-ask")
Params = ParamSpec("Params")
Result = TypeVar("Result")


def context(request: Request) -> City:
    """The app's shared context."""
    return request.app.state.madoguchi


def _limit(ctx: City, request: Request, session_id: str) -> None:
    """The client address's limit (HTTP's own), then the session's, which the city counts for every
    channel."""
    count_address(request)
    ctx.admit(CHANNEL, ctx.ids.web(session_id).person)


def _entry(reply: Answer) -> EntryOut | None:
    record = reply.record
    if record is None:
        return None
    question, text = record.translated(reply.answer_language) or (record.question, record.answer)
    return EntryOut(id=record.id, question=question, text=text, notice=reply.notice or None,
                    department=record.department,
                    contact=record.contact, url=record.url,
                    valid_from=record.valid_from.isoformat() if record.valid_from else None,
                    valid_until=record.valid_until.isoformat() if record.valid_until else None,
                    text_easy=record.answer_easy or None)


async def in_thread(work: Callable[Params, Result], *args: Params.args, **kwargs: Params.kwargs) -> Result:
    """`work` on a thread of its own (it blocks: the answer, the store's commit), awaited from the event loop.
    A plain executor hop: anyio's (`run_in_threadpool`: a limiter, cancel scopes, a condition-variable queue)
    took 5 % of a request's CPU in the worker, this one about 1 %."""
    return await asyncio.get_running_loop().run_in_executor(ANSWERING, lambda: work(*args, **kwargs))


def build_ask_route(router: APIRouter, max_chars: int) -> type[AskRequest]:
    """`POST /ask`, with the request schema carrying this server's text limit (returned, for
    `channels.web.ask_path`, which answers the well-formed requests before they reach the route)."""
    async def ask(body: AskRequest, request: Request) -> AskResponse:
        """Ask the bot as a resident. The turn (and any escalation) is stored before this returns."""
        return await answer_resident(body, request)

    model = ask_request_model(max_chars)
    ask.__annotations__["body"] = model  # a class, not a string: FastAPI reads it
    router.post("/ask", response_model=AskResponse, response_model_exclude_none=True)(ask)
    return model


def _urgent(reply: Answer) -> UrgentOut | None:
    situation = reply.urgent
    if situation is None:
        return None
    return UrgentOut(id=situation.id, title=situation.title, text=situation.text, lines=list(situation.lines))


def _escalation(ctx: City, escalation_id: str | None, reply: Answer) -> EscalationOut | None:
    if escalation_id is None:
        return None
    return EscalationOut(id=escalation_id, message=reply.message, hours=ctx.settings.call_center_hours,
                         contact=ctx.settings.call_center_contact)


@router.post("/feedback", status_code=204)
def feedback(body: FeedbackRequest, request: Request) -> None:
    """👍 / 👎 (and an optional comment) on one of this session's turns."""
    ctx = context(request)
    _limit(ctx, request, body.session_id)
    ctx.feedback(ctx.ids.web(body.session_id).id, body.turn_id, body.helpful, body.comment)


@router.post("/escalations/{escalation_id}/contact", status_code=204)
def contact(body: ContactRequest, request: Request,
            escalation_id: str = Path(pattern=r"^[0-9a-f]{32}$", description="From the ask reply.")) -> None:
    """The resident's contact details for a reply by e-mail or a phone callback."""
    ctx = context(request)
    _limit(ctx, request, body.session_id)
    ctx.contact(ctx.ids.web(body.session_id).id, escalation_id, body.model_dump(exclude={"session_id"}))


@router.get("/replies", response_model=RepliesOut)
def replies(request: Request, session_id: str = Query(pattern=SESSION_PATTERN,
                                                      description="The widget's session.")) -> RepliesOut:
    """Agents' replies to this session's escalations, each with the question it answers; the widget polls
    while a hand-over waits, its panel open or closed (a reply to a closed chat is counted on the
    launcher)."""
    ctx = context(request)
    _limit(ctx, request, session_id)
    desk = ctx.desk.escalations
    try:
        found = desk.web_replies(ctx.ids.web(session_id).id)
        questions = desk.questions(found)
    except StoreUnavailableError:  # no reply can be read now; the widget asks again at its next tick
        found, questions = [], {}
    return RepliesOut(replies=[AgentReply(escalation_id=e.id, text=e.reply_text,
                                          question=questions.get(e.turn_id or -1, ""),
                                          answered_at=_utc_text(e.answered_at),
                                          language=detect_language(e.reply_text)) for e in found])


def _utc_text(moment: datetime | None) -> str:
    """ISO 8601 with its offset (+00:00): a client must not read UTC as its local time."""
    return as_utc(moment).isoformat() if moment else ""


health_router = APIRouter()


@health_router.get("/healthz", response_model=Health)
def healthz(request: Request) -> Health:
    """Index version, whether the store answers, and what waits in the outage spool."""
    ctx = context(request)
    spooled, set_aside = (ctx.spool.pending(), ctx.spool.set_aside_count()) if ctx.spool else (0, 0)
    store = "ok" if request.app.state.store_pulse() else "unreachable"
    return Health(ok=True, index_version=ctx.index.manifest["version"], store=store,
                  spooled=spooled, set_aside=set_aside)


async def answer_resident(body: AskRequest, request: Request) -> AskResponse:
    """The body of `POST /ask`: limits, answer, store, respond. A typed question whose limits are counted in
    this process is answered on the event loop and its turn kept by the city's turn writer: two threads
    share the work of all requests, not one thread per request (`bot.service.turn_queue`). Anything that
    reads the store or Redis before answering runs on a thread of its own."""
    ctx = context(request)
    session_id = body.session_id or secrets.token_urlsafe(16)
    message = Message(CHANNEL, ctx.ids.web(session_id), Audience.RESIDENT, body.text.strip(),
                      body.choice_id or None, language=body.language)
    if ctx.answers_at_once(message) and not request.app.state.address_limit.waits:
        _limit(ctx, request, session_id)
        handled = await ctx.keep(ctx.compose(message))
    else:
        handled = await in_thread(_admitted, ctx, request, session_id, message)
    return _response(ctx, body, session_id, handled)


def _admitted(ctx: City, request: Request, session_id: str, message: Message) -> Reply:
    _limit(ctx, request, session_id)
    return ctx.handle(message)


def _response(ctx: City, body: AskRequest, session_id: str, handled: Reply) -> AskResponse:
    reply, stored = handled.answer, handled.turn
    choices = [ChoiceOut(id=c.id, label=c.label) for c in reply.choices] or None
    response = AskResponse(decision=reply.decision.value, confidence=round(reply.confidence, 4),
                           message=reply.message, answer=_entry(reply), choices=choices,
                           escalation=_escalation(ctx, stored.escalation_id, reply), urgent=_urgent(reply),
                           session_id=session_id, turn_id=stored.turn_id, language=reply.language,
                           answer_language=reply.answer_language)
    wanted = body.furigana or japanese_for_a_foreign_reader(reply)
    return with_ruby(furigana_for(ctx.settings), response) if wanted else response
