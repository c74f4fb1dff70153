"""One server, many cities: each city is the ordinary madoguchi app, chosen by the request's host name.

Why host names and not a path prefix (/t/<city>/…): the desk's pages, forms and redirects and the
widget's API calls all use absolute paths (/desk/…, /api/v1/…), so under a prefix they would leave the
city. On its own host name each city's app runs unchanged, and the browser keeps each city's desk
cookie to that city's host. Starlette does not run the lifespans of routed apps, so this app's
lifespan enters every city's (stores opened, indexes loaded, watchers and outbox workers started)
through `follow.Cities`, which also keeps the cities in step with the registry while serving.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import BaseRoute, Host, Mount, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from channels.delivery import warn_of_shared_files
from channels.server.app import create_app
from channels.server.tenants.config import Tenant, TenantsFile, tenant_settings
from channels.server.tenants.follow import Cities, follow_registry
from channels.server.tenants.parts import city_context
from channels.server.tenants.registry import load_tenants
from channels.web.errors import error_response
from channels.web.security import SecurityHeaders
from knowledge.core.settings import Settings, get_settings

PAGES = Environment(loader=FileSystemLoader(Path(__file__).resolve().parent),
                    autoescape=select_autoescape(default=True))


def widget_tag(tenant: Tenant, base: str = "") -> Markup:
    """The one line a city puts on its pages, with the city's theme."""
    return Markup(
        '<script src="{}/widget.js" data-city="{}" data-color="{}" data-title="{}"></script>').format(
        base, tenant.city_name, tenant.theme.color, tenant.theme.title)


def demo_page(tenant: Tenant) -> Route:
    """The city's demo page at / on its host: the widget in the city's colour and title."""
    html = PAGES.get_template("demo.html").render(city=tenant.city_name, title=tenant.theme.title,
                                                  tag=widget_tag(tenant))

    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse(html)

    return Route("/", page, methods=["GET"])


def city_routes(tenant: Tenant, settings: Settings, app: FastAPI) -> list[Host]:
    """The city's app on each of its host names, its themed demo page in front."""
    front = SecurityHeaders(Router(routes=[demo_page(tenant), Mount("", app=app)]),
                            frame_ancestors=settings.frame_ancestors, hsts=settings.hsts)
    return [Host(host, app=front) for host in tenant.hosts]


def city_app(settings: Settings) -> FastAPI:
    """One city as the ordinary madoguchi app, with the process's shared model and normaliser."""
    return create_app(settings, context=city_context)


def launch_city(tenant: Tenant, settings: Settings) -> tuple[FastAPI, list[BaseRoute]]:
    """The city's app and the routes of its host names (its lifespan not yet entered)."""
    app = city_app(settings)
    return app, list(city_routes(tenant, settings, app))


def city_apps(server: Settings, parsed: TenantsFile) -> list[tuple[Tenant, Settings, FastAPI]]:
    """Every city of the tenants file or registry as its own app (nothing is loaded until the lifespan
    runs)."""
    cities = []
    for tenant in parsed.tenants:
        settings = tenant_settings(server, parsed.shared_sources, tenant)
        cities.append((tenant, settings, city_app(settings)))
    return cities


def create_tenants_app(server: Settings | None = None) -> Starlette:
    """The server of many cities; a request for an unknown host name gets 404. Reading the registry, it
    follows new revisions while it serves (MADOGUCHI_TENANTS_POLL_SECONDS)."""
    server = server or get_settings()
    parsed = load_tenants(server)  # a broken file or an empty registry stops the server here, not later
    warn_of_shared_files(server)

    @asynccontextmanager
    async def lifespan(parent: Starlette) -> AsyncIterator[None]:
        cities = Cities(server, parent.router, launch_city)
        await cities.apply(parsed)
        parent.state.cities = cities.apps
        following = server.tenants_from_database and server.tenants_poll_seconds > 0
        task = asyncio.create_task(follow_registry(cities,
                                                   server.tenants_poll_seconds)) if following else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
            await cities.close()

    return Starlette(lifespan=lifespan, middleware=[Middleware(FullyQualifiedHosts)],
                     exception_handlers={404: unknown_host})


async def unknown_host(request: Request, exc: Exception) -> JSONResponse:
    """No city answers on this host name: the 404 in the JSON error shape every madoguchi error has."""
    return error_response(404, f"no city is served on the host name {request.url.hostname!r}")


class FullyQualifiedHosts:
    """`asahi.example.jp.` (a host name written fully qualified, as DNS does) reaches `asahi.example.jp`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = {**scope, "headers": [(name, _without_final_dot(value) if name == b"host" else value)
                                          for name, value in scope["headers"]]}
        await self.app(scope, receive, send)


def _without_final_dot(host: bytes) -> bytes:
    if host.startswith(b"["):  # an IPv6 address has no final dot
        return host
    name, colon, port = host.partition(b":")
    return name.rstrip(b".") + colon + port
