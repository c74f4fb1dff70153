"""The resident API: a thin adapter that turns HTTP into `Bot.answer()` and stores every turn."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass

from fastapi import APIRouter, Request

from bot import Bot
from bot.answer import Answer
from bot.store import ConversationStore
from channels.conversation import converse
from channels.web.limits import RateLimiter
from channels.web.schemas import (AskRequest, AskResponse, ChoiceOut, ContactRequest, EntryOut, EscalationOut,
                                  FeedbackRequest, Health)
from knowledge.errors import RequestError
from knowledge.records import Audience
from knowledge.settings import Settings

CHANNEL = "web"
router = APIRouter(prefix="/api/v1")


@dataclass(slots=True)
class WebContext:
    """What the routes share: the bot (one at a time: Sudachi is not thread-safe), the store, the limits."""

    settings: Settings
    bot: Bot
    store: ConversationStore
    per_session: RateLimiter
    per_address: RateLimiter
    lock: threading.Lock


def context(request: Request) -> WebContext:
    """The app's shared context."""
    return request.app.state.madoguchi


def _limit(ctx: WebContext, request: Request, session_id: str) -> None:
    ctx.per_address.check(request.client.host if request.client else "unknown")
    ctx.per_session.check(session_id)


def _entry(reply: Answer) -> EntryOut | None:
    record = reply.record
    if record is None:
        return None
    return EntryOut(id=record.id, question=record.question, text=record.answer, department=record.department,
                    contact=record.contact, url=record.url,
                    valid_from=record.valid_from.isoformat() if record.valid_from else None,
                    valid_until=record.valid_until.isoformat() if record.valid_until else None)


def _escalation(ctx: WebContext, escalation_id: str | None, reply: Answer) -> EscalationOut | None:
    if escalation_id is None:
        return None
    return EscalationOut(id=escalation_id, message=reply.message, hours=ctx.settings.call_center_hours,
                         contact=ctx.settings.call_center_contact)


@router.post("/ask", response_model=AskResponse, response_model_exclude_none=True)
def ask(body: AskRequest, request: Request) -> AskResponse:
    """Ask the bot as a resident. The turn (and any escalation) is stored before this returns."""
    ctx = context(request)
    session_id = body.session_id or secrets.token_urlsafe(16)
    _limit(ctx, request, session_id)
    text = body.text.strip()
    if not text and not body.choice_id:
        raise RequestError("text is empty; type a question")
    if len(body.text) > ctx.settings.max_text_chars:
        raise RequestError(f"text is {len(body.text)} characters; at most {ctx.settings.max_text_chars} are accepted")
    reply, stored = converse(ctx, f"{CHANNEL}:{session_id}", CHANNEL, Audience.RESIDENT, text, body.choice_id)
    choices = [ChoiceOut(id=c.id, label=c.label) for c in reply.choices] or None
    return AskResponse(decision=reply.decision.value, confidence=round(reply.confidence, 4), message=reply.message,
                       answer=_entry(reply), choices=choices, escalation=_escalation(ctx, stored.escalation_id, reply),
                       session_id=session_id, turn_id=stored.turn_id)


@router.post("/feedback", status_code=204)
def feedback(body: FeedbackRequest, request: Request) -> None:
    """👍 / 👎 (and an optional comment) on one of this session's turns."""
    ctx = context(request)
    _limit(ctx, request, body.session_id)
    ctx.store.add_feedback(f"{CHANNEL}:{body.session_id}", body.turn_id, body.helpful, body.comment)


@router.post("/escalations/{escalation_id}/contact", status_code=204)
def contact(escalation_id: str, body: ContactRequest, request: Request) -> None:
    """The resident's contact details for a reply by e-mail or a phone callback."""
    ctx = context(request)
    _limit(ctx, request, body.session_id)
    if body.preferred == "email" and not body.email or body.preferred == "phone" and not body.phone:
        raise RequestError(f"preferred is {body.preferred} but no {body.preferred} was given")
    ctx.store.add_contact(f"{CHANNEL}:{body.session_id}", escalation_id, body.name, body.email, body.phone,
                          body.preferred)


health_router = APIRouter()


@health_router.get("/healthz", response_model=Health)
def healthz(request: Request) -> Health:
    """Index version and whether the store answers."""
    ctx = context(request)
    return Health(ok=True, index_version=ctx.bot.runtime.index.manifest["version"],
                  store="ok" if ctx.store.ping() else "unreachable")
