"""One server, many cities: each city is the ordinary madoguchi app, chosen by the request's host name.

Why host names and not a path prefix (/t/<city>/…): the desk's pages, forms and redirects and the
widget's API calls all use absolute paths (/desk/…, /api/v1/…), so under a prefix they would leave the
city. On its own host name each city's app runs unchanged, and the browser keeps each city's desk
cookie to that city's host. Starlette does not run the lifespans of routed apps, so this app's
lifespan enters every city's: stores opened, indexes loaded, watchers and outbox workers started.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Host, Mount, Route, Router

from channels.tenants.config import Tenant, tenant_settings
from channels.tenants.parts import city_context
from channels.tenants.registry import load_tenants
from channels.web.app import create_app
from channels.web.security import SecurityHeaders
from knowledge.settings import Settings, get_settings

PAGES = Environment(loader=FileSystemLoader(Path(__file__).resolve().parent), autoescape=select_autoescape(default=True))


def widget_tag(tenant: Tenant, base: str = "") -> Markup:
    """The one line a city puts on its pages, with the city's theme."""
    return Markup('<script src="{}/widget.js" data-city="{}" data-color="{}" data-title="{}"></script>').format(
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


def city_apps(server: Settings) -> list[tuple[Tenant, Settings, FastAPI]]:
    """Every city of the tenants file or registry as its own app (nothing is loaded until the lifespan runs)."""
    parsed = load_tenants(server)
    cities = []
    for tenant in parsed.tenants:
        settings = tenant_settings(server, parsed.shared_sources, tenant)
        cities.append((tenant, settings, create_app(settings, context=city_context)))
    return cities


def create_tenants_app(server: Settings | None = None) -> Starlette:
    """The server of many cities; a request for an unknown host name gets 404."""
    cities = city_apps(server or get_settings())

    @asynccontextmanager
    async def lifespan(parent: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for _, _, app in cities:
                await stack.enter_async_context(app.router.lifespan_context(app))
            parent.state.cities = {tenant.id: app for tenant, _, app in cities}
            yield

    routes = [host for tenant, settings, app in cities for host in city_routes(tenant, settings, app)]
    return Starlette(routes=routes, lifespan=lifespan)
