"""`POST /api/v1/ask` straight to the city: a body that parses and validates is answered here, without
FastAPI's per-request machinery; anything else goes on to the FastAPI route, which refuses it as always.

A worker's requests per core are its CPU per request. For the route FastAPI reads the body, parses the
content type, solves the dependencies, validates the reply it was handed and passes the response through
its routers and exception layers: with the middleware, 15 % of a request's CPU in the worker, for a body
that is one small JSON object (9.8 % with this layer).
This layer, the innermost middleware, does the same steps as the route for the common case, with the same
model, the same parser and the same serialiser, so the reply is byte for byte the route's. It answers only
when it can: a content type other than JSON, a body that is not JSON or fails the schema, a client that went
away while sending: the messages it read are replayed to the route, which gives the one error shape (and
counts the refusal against the address, `channels.web.errors`). The route stays the published schema.
"""

from __future__ import annotations

import json

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from channels.web.api import ASK_PATH, answer_resident
from channels.web.errors import madoguchi_error
from channels.web.schemas import AskRequest
from knowledge.core.errors import MadoguchiError

JSON = "application/json"


class AskFastPath:
    """ASGI middleware answering well-formed `POST /api/v1/ask` requests itself (see the module)."""

    def __init__(self, app: ASGIApp, model: type[AskRequest]) -> None:
        self.app, self.model = app, model

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != ASK_PATH or scope["method"] != "POST" or \
                not _sends_json(scope):
            await self.app(scope, receive, send)
            return
        messages, refused = await _read_body(receive)
        body = None if refused else self._parsed(messages)
        if body is None:
            await self.app(scope, _replaying(messages, refused, receive), send)
            return
        await (await self._answer(body, Request(scope, receive)))(scope, receive, send)

    def _parsed(self, messages: list[Message]) -> AskRequest | None:
        """The body as the route would have it; None when the route must refuse it (or it never arrived)."""
        if messages[-1]["type"] != "http.request" or _more_to_come(messages[-1]):
            return None
        raw = b"".join(message.get("body", b"") for message in messages)
        try:
            return self.model.model_validate(json.loads(raw)) if raw else None
        except (ValueError, ValidationError, RecursionError):  # not JSON (or UTF-8, or nested past Python's
            return None  # limit), or not the schema: the route refuses it in the one error shape

    @staticmethod
    async def _answer(body: AskRequest, request: Request) -> Response:
        try:
            reply = await answer_resident(body, request)
        except MadoguchiError as error:
            return madoguchi_error(request, error)
        return Response(reply.model_dump_json(by_alias=True, exclude_none=True), media_type=JSON)


def _sends_json(scope: Scope) -> bool:
    """`Content-Type: application/json` (parameters allowed), which the route reads as JSON; the rarer
    types it also reads (`+json`, no header at all) take the route."""
    for name, value in scope["headers"]:
        if name == b"content-type":
            return value.split(b";", 1)[0].strip().lower() == JSON.encode()
    return False


async def _read_body(receive: Receive) -> tuple[list[Message], Exception | None]:
    """Every message up to the body's last (or a disconnect), as received, and what receiving raised: the body
    limit's refusal (`channels.web.limits`), which the route must meet where it always met it."""
    messages: list[Message] = []
    try:
        while not messages or _more_to_come(messages[-1]):
            messages.append(await receive())
    except Exception as refused:  # re-raised to the route where it reads the body: its refusal, as before
        return messages, refused
    return messages, None


def _more_to_come(message: Message) -> bool:
    return message["type"] == "http.request" and bool(message.get("more_body", False))


def _replaying(messages: list[Message], refused: Exception | None, receive: Receive) -> Receive:
    """A `receive` that gives the messages already read, in order, raises what reading them raised, and
    then gives the client's own."""
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        if refused is not None:
            raise refused
        return await receive()

    return replay
