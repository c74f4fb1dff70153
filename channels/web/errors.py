"""One JSON error shape for every failure: {"ok": false, "status", "error", "detail"}."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from channels.web.address_limit import count_address
from knowledge.core.errors import MadoguchiError, RateLimitedError

log = logging.getLogger("madoguchi.web")

WEBHOOK_PATHS = frozenset({"/callback/line", "/slack/events"})


def error_response(status: int, message: str, detail: list[dict] | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    """The error body every handler returns."""
    return JSONResponse({"ok": False, "status": status, "error": message, "detail": detail or []},
                        status_code=status, headers=headers)


def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    detail = [{"field": ".".join(str(p) for p in e.get("loc", ())[1:]), "problem": e.get("msg", "")}
              for e in exc.errors()]
    refused = _over_address_limit(request)
    return refused or error_response(422, "the request does not match the API schema", detail)


def _over_address_limit(request: Request) -> JSONResponse | None:
    """An API request that fails validation, and a webhook request that is unsigned or unreadable, still count
    toward the address's limit, so they cannot be sent without end; the 429 once the address is over it.
    (Signed webhook requests are not counted: they come from the platform's few addresses.)"""
    if not request.url.path.startswith("/api/") and request.url.path not in WEBHOOK_PATHS:
        return None
    try:
        count_address(request)
    except RateLimitedError as exc:
        return madoguchi_error(request, exc)
    return None


def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return error_response(exc.status_code, str(exc.detail))


def madoguchi_error(request: Request, exc: Exception) -> JSONResponse:
    """The response for one of our own errors (a route's, or the ask fast path's)."""
    assert isinstance(exc, MadoguchiError)
    webhook_refused = exc.status in (400, 401) and request.url.path in WEBHOOK_PATHS
    if webhook_refused and (over := _over_address_limit(request)) is not None:
        return over
    if exc.status >= 500:
        log.error("request failed: %s", exc)
    retry = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimitedError) else None
    return error_response(exc.status, str(exc), headers=retry)


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected error on %s", request.url.path, exc_info=exc)
    return error_response(500, "internal error; the request was logged")


def install_error_handlers(app: FastAPI) -> None:
    """Map every exception class to the one shape, most specific first."""
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(MadoguchiError, madoguchi_error)
    app.add_exception_handler(Exception, _unexpected)


class UnexpectedErrors:
    """The innermost middleware: an unhandled exception becomes the one JSON 500 here, inside the stack,
    so the security headers are added to it like to any other response (Starlette's own 500 comes from
    its outermost layer, past every middleware)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception:
            log.exception("unexpected error on %s", scope.get("path", "?"))
            if started:
                raise
            await error_response(500, "internal error; the request was logged")(scope, receive, send)
