"""The FastAPI application: API, widget, demo page. `madoguchi serve` runs it with uvicorn."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from bot.service.city import City
from channels.desk import desk_router
from channels.line import router as line_router
from channels.server.city import open_city
from channels.web.address_limit import install_address_limit
from channels.web.api import ERRORS, build_ask_route, health_router, router
from channels.web.ask_path import AskFastPath
from channels.web.errors import UnexpectedErrors, install_error_handlers
from channels.web.limits import PathBodyLimit
from channels.web.pulse import install_store_pulse
from channels.web.reading_aids import router as reading_aids_router
from channels.web.security import SecurityHeaders
from knowledge.core.errors import RequestError
from knowledge.core.settings import Settings, get_settings

# a real city's publish takes seconds; a hung one does not hold shutdown for ever
SHUTDOWN_WAIT_SECONDS = 300.0
STATIC = Path(__file__).resolve().parents[1] / "web" / "static"


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
               context: Callable[[Settings], City] = open_city) -> FastAPI:
    """The app; heavy loading happens in its lifespan, so importing this module is cheap. `context` is
    how the lifespan opens the city (channels.server.tenants shares the model between cities)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        city = app.state.madoguchi = context(settings)
        app.state.index_watcher = city.watcher
        install_address_limit(app, settings)
        install_store_pulse(app, city.store.ping)
        if settings.slack_bot_token is not None and settings.slack_mode == "http":
            from slack_bolt.adapter.fastapi import SlackRequestHandler

            from channels.slack import build_slack_app

            app.state.slack = SlackRequestHandler(build_slack_app(city))
        yield
        if (desk := getattr(app.state, "desk", None)) is not None:
            desk.finish(SHUTDOWN_WAIT_SECONDS)
        city.stop()

    app = FastAPIOffline(title="madoguchi", version="1", lifespan=lifespan,  # API docs served by us, no CDN
                  description="Ask the city: answers from the city's FAQ, choices, or a hand-over to people.")
    install_error_handlers(app)
    api = APIRouter(prefix="/api/v1", responses=ERRORS)
    ask_model = build_ask_route(api, settings.max_text_chars)
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
    app.add_middleware(AskFastPath, model=ask_model)  # innermost: answers inside every check below
    app.add_middleware(UnexpectedErrors)  # its 500 still passes the headers middleware
    app.add_middleware(PathBodyLimit, default=settings.max_body_bytes, desk=settings.desk_max_body_bytes,
                       webhooks=settings.webhook_max_body_bytes)
    app.add_middleware(SecurityHeaders, frame_ancestors=settings.frame_ancestors, hsts=settings.hsts)
    if settings.trusted_proxies:  # only then are X-Forwarded-For/-Proto believed, and only from these
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    if settings.widget_origins:  # city sites that embed the widget call the API from their own origin
        app.add_middleware(CORSMiddleware, allow_origins=settings.widget_origins,
                           allow_methods=["GET", "POST"],
                           allow_headers=["Content-Type"], allow_credentials=False, max_age=3600)
    return app
