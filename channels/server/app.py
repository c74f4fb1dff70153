"""The FastAPI application: API, widget, demo page. `madoguchi serve` runs it with uvicorn."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import FileResponse
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware
from fastapi.staticfiles import StaticFiles

from bot import Bot
from bot.store import ConversationStore
from bot.store.routes import RouteCipher
from bot.store.timeouts import StoreTimeouts
from bot.service.conversation import secret_key
from channels.delivery import start_background_work
from channels.desk import desk_router
from channels.desk.uploads import PathBodyLimit
from channels.line import router as line_router
from channels.web.reading_aids import router as reading_aids_router
from bot.service.city import City
from channels.web.api import ERRORS, build_ask_route, health_router, router
from channels.web.errors import UnexpectedErrors, install_error_handlers
from channels.web.limits import build_limiters
from channels.web.security import SecurityHeaders
from indexer.runtime import IndexWatcher
from knowledge.core.errors import RequestError
from knowledge.core.settings import Settings, get_settings

STATIC = Path(__file__).resolve().parents[1] / "web" / "static"


def build_city(settings: Settings, bot: Bot | None = None, lock: threading.Lock | None = None) -> City:
    """Load the bot and open (and migrate) the store: the expensive part, once per worker. A server of
    several cities passes each city's bot and the ONE lock of the Sudachi normaliser they share."""
    store = ConversationStore(settings.resolved_database_url, RouteCipher(secret_key(settings)),
                              StoreTimeouts.of(settings)).migrate()
    per_session, per_address, per_chat_user = build_limiters(settings)
    return City(settings, bot or Bot.from_settings(settings), store, per_session, per_address,
                      lock or threading.Lock(), per_chat_user)


async def slack_events(request: Request) -> Response:
    """Slack's Events API, slash commands and interactions (HTTP mode), signature checked before parsing."""
    handler = getattr(request.app.state, "slack", None)
    if handler is None:
        raise RequestError("Slack is not configured on this server (HTTP mode)")
    from channels.slack.gate import check_slack_request  # slack_sdk is loaded only where Slack is used

    secret = request.app.state.madoguchi.settings.slack_signing_secret
    await check_slack_request(request, secret.get_secret_value())
    return await handler.handle(request)


def create_app(settings: Settings | None = None,
               context: Callable[[Settings], City] = build_city) -> FastAPI:
    """The app; heavy loading happens in its lifespan, so importing this module is cheap. `context` is
    how the lifespan builds the shared context (channels.server.tenants shares model and lock between cities)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.madoguchi = context(settings)
        ctx = app.state.madoguchi
        app.state.index_watcher = IndexWatcher(partial(ctx.bot.reload_if_changed, ctx.lock),
                                               settings.index_poll_seconds).start()
        start_background_work(app.state.madoguchi)
        if settings.slack_bot_token is not None and settings.slack_mode == "http":
            from slack_bolt.adapter.fastapi import SlackRequestHandler

            from channels.slack import build_slack_app

            app.state.slack = SlackRequestHandler(build_slack_app(app.state.madoguchi))
        yield
        app.state.index_watcher.stop()
        app.state.madoguchi.dispatcher.stop()
        app.state.madoguchi.store.engine.dispose()

    app = FastAPIOffline(title="madoguchi", version="1", lifespan=lifespan,  # API docs served by us, no CDN
                  description="Ask the city: answers from the city's FAQ, choices, or a hand-over to people.")
    install_error_handlers(app)
    api = APIRouter(prefix="/api/v1", responses=ERRORS)
    build_ask_route(api, settings.max_text_chars)
    app.include_router(api)
    app.include_router(router)
    app.include_router(reading_aids_router)
    app.include_router(health_router)
    app.include_router(line_router)
    app.include_router(desk_router)
    app.add_api_route("/slack/events", slack_events, methods=["POST"], include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_api_route("/widget.js", lambda: FileResponse(STATIC / "widget.js", media_type="text/javascript"),
                      include_in_schema=False)
    app.add_api_route("/", lambda: FileResponse(STATIC / "demo.html"), include_in_schema=False)
    app.add_api_route("/favicon.ico", lambda: FileResponse(STATIC / "favicon.ico", media_type="image/x-icon"),
                      include_in_schema=False)  # browsers ask for it on every page, the desk's too
    app.add_middleware(UnexpectedErrors)  # innermost: its 500 still passes the headers middleware
    app.add_middleware(PathBodyLimit, default=settings.max_body_bytes, desk=settings.desk_max_body_bytes)
    app.add_middleware(SecurityHeaders, frame_ancestors=settings.frame_ancestors, hsts=settings.hsts)
    if settings.trusted_proxies:  # only then are X-Forwarded-For/-Proto believed, and only from these
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    if settings.widget_origins:  # city sites that embed the widget call the API from their own origin
        app.add_middleware(CORSMiddleware, allow_origins=settings.widget_origins, allow_methods=["GET", "POST"],
                           allow_headers=["Content-Type"], allow_credentials=False, max_age=3600)
    return app
