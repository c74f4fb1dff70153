"""Body-size limits of the web server: refused with 413 while the body streams in, before the app reads it.

The resident API takes small JSON (`MADOGUCHI_MAX_BODY_BYTES`); desk forms carry long answers and whole
spreadsheets, so paths under `/desk/` get `MADOGUCHI_DESK_MAX_BODY_BYTES` instead, and the LINE and Slack
webhooks `MADOGUCHI_WEBHOOK_MAX_BODY_BYTES` (`PathBodyLimit`). The
limit per client address is in `address_limit.py`; per-person limits are the city's (`City.admit`).
"""

from __future__ import annotations

from contextlib import suppress

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from channels.web.errors import WEBHOOK_PATHS, error_response
from knowledge.core.errors import RequestError

DESK_PREFIX = "/desk/"


class BodySizeLimit:
    """Refuses request bodies over `max_bytes` with 413, before the app reads them."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        seen, over, started = 0, False, False

        async def counted() -> Message:
            nonlocal seen, over
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                over = True
                raise _TooLarge
            return message

        async def unless_over(message: Message) -> None:
            nonlocal started
            # the app may turn our exception into its own 400 (a chunked body): 413 it is
            if started or not over:
                started = started or message["type"] == "http.response.start"
                await send(message)

        with suppress(_TooLarge):
            await self.app(scope, counted, unless_over)
        if over and not started:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(413, f"request body over {self.max_bytes} bytes")
        await response(scope, receive, send)


class _TooLarge(RequestError):
    """A streamed body went over the limit; handled as 413 wherever it surfaces."""

    status = 413


class PathBodyLimit:
    """`BodySizeLimit` with one limit for `/desk/`, one for the LINE and Slack webhooks (LINE puts several
    long messages in one request, and a refused request loses them all) and one for everything else."""

    def __init__(self, app: ASGIApp, default: int, desk: int, webhooks: int) -> None:
        self.public, self.desk = BodySizeLimit(app, default), BodySizeLimit(app, desk)
        self.webhooks = BodySizeLimit(app, webhooks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", "")) if scope["type"] == "http" else ""
        limit = self.desk if path.startswith(DESK_PREFIX) else (
            self.webhooks if path in WEBHOOK_PATHS else self.public)
        await limit(scope, receive, send)
