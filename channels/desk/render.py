"""How the desk answers: one Jinja2 environment (autoescaped), `page()`, and HTML error pages.

Desk routes are `DeskRoute`s, so a failure on a desk page becomes a readable HTML page (or, when the
user is not signed in, a redirect to the login form) instead of the API's JSON error. Routers plugged
into the desk must be made with `desk_subrouter()`; `DeskRouter` refuses any other kind, so a page
can never silently fall back to JSON errors.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.exceptions import HTTPException
from starlette.responses import Response

from bot.service.city import City
from bot.service.contracts import JST, as_utc
from knowledge.core.errors import MadoguchiError, UnauthorizedError

TEMPLATES = Path(__file__).resolve().parent / "templates"
NAV = (("キュー", "/desk", "agent"), ("電話・検索", "/desk/search", "agent"),
       ("FAQ下書き", "/desk/entries", "agent"), ("見直し", "/desk/review", "editor"),
       ("品質", "/desk/health", "editor"), ("学習した質問", "/desk/learned", "editor"),
       ("統計", "/desk/stats", "agent"), ("管理", "/desk/admin/users", "admin"))
TITLES = {400: "送られた内容に誤りがあります", 401: "ログインしてください", 403: "この操作はできません",
          404: "見つかりません", 409: "先に別の操作がありました", 422: "入力に誤りがあります",
          429: "しばらくお待ちください", 503: "データベースにつながりません"}


def jst(moment: datetime | None) -> str:
    """Agents read Japan time; the store keeps UTC."""
    if moment is None:
        return ""
    return as_utc(moment).astimezone(JST).strftime("%Y-%m-%d %H:%M")


def age(moment: datetime | None) -> str:
    """How long ago, the way an agent scans a queue: 「3時間12分」."""
    if moment is None:
        return ""
    minutes = max(int((datetime.now(UTC) - as_utc(moment)).total_seconds() // 60), 0)
    days, hours = divmod(minutes // 60, 24)
    if days:
        return f"{days}日{hours}時間"
    return f"{hours}時間{minutes % 60}分" if hours else f"{minutes}分"


def entry_path(entry_id: str) -> str:
    """The entry's page (ids come from city files and may hold any character: 税務/001, a passage's #012)."""
    return f"/desk/entries/{quote(entry_id, safe='')}"


environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                          trim_blocks=True, lstrip_blocks=True)
environment.filters.update(jst=jst, age=age)
environment.globals.update(entry_path=entry_path)


def _nav(request: Request, user: Any) -> list[dict[str, object]]:
    """The menu this user may use; the longest matching prefix is the current page."""
    path = request.url.path
    allowed = [(label, href) for label, href, role in NAV if user is not None and user.can(role)]
    matching = [href for _, href in allowed if path == href or path.startswith(href + "/")]
    current = max(matching, key=len, default="")
    return [{"label": label, "href": href, "current": href == current} for label, href in allowed]


def city(request: Request) -> City:
    """The city this desk serves, built by the app's lifespan: the one object desk pages read and call."""
    return request.app.state.madoguchi


def city_name(request: Request) -> str:
    """The name in every page's title; empty on an error page of an app whose lifespan never ran."""
    served: City | None = getattr(request.app.state, "madoguchi", None)
    return served.settings.city_name if served is not None else ""


def page(request: Request, template: str, status: int = 200, **context: object) -> HTMLResponse:
    """Render a desk page with the signed-in user, their CSRF token and the menu."""
    user = getattr(request.state, "desk_user", None)
    html = environment.get_template(template).render(user=user, csrf=user.csrf if user else "",
                                                     city=city_name(request),
                                                     nav=_nav(request, user), request=request, **context)
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def error_page(request: Request, status: int, message: str,
               problems: list[str] | None = None) -> HTMLResponse:
    """A plain explanation and a way back, for every failure on a desk page."""
    return page(request, "error.html", status=status, title=TITLES.get(status, "エラー"), message=message,
                problems=problems or [], status_code=status)


def login_redirect(request: Request) -> RedirectResponse:
    """303 to the login form, remembering where the user wanted to go: the page itself, or for a form sent
    after the session ended, the page it was sent from (and the form says it was not saved)."""
    if request.method == "GET":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/desk/login?next={quote(target, safe='')}", status_code=303)
    sent_from = urlsplit(request.headers.get("referer", ""))
    same_site = sent_from.netloc in ("", request.url.netloc)
    target = sent_from.path if same_site and sent_from.path.startswith("/desk/") else "/desk"
    return RedirectResponse(f"/desk/login?next={quote(target, safe='')}&unsent=1", status_code=303)


def _problems(exc: RequestValidationError) -> list[str]:
    return [f"{'.'.join(str(p) for p in e.get('loc', ())[1:])}: {e.get('msg', '')}" for e in exc.errors()]


class DeskRoute(APIRoute):
    """A route whose failures are desk pages: 303 to login, or an HTML page with the right status."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except UnauthorizedError:
                return login_redirect(request)
            except MadoguchiError as exc:
                return error_page(request, exc.status, str(exc))
            except RequestValidationError as exc:
                return error_page(request, 422, "入力に足りない項目か誤りがあります。", _problems(exc))
            except HTTPException as exc:
                return error_page(request, exc.status_code, str(exc.detail))

        return handle


def desk_subrouter(**options: Any) -> APIRouter:
    """The router every desk module uses (its routes render HTML errors)."""
    return APIRouter(route_class=DeskRoute, **options)


class DeskRouter(APIRouter):
    """The `/desk` router: only accepts routers whose every route is a `DeskRoute`."""

    def include_router(self, router: APIRouter, **options: Any) -> None:
        plain = [getattr(r, "path", "?") for r in router.routes
                 if isinstance(r, APIRoute) and not isinstance(r, DeskRoute)]
        if plain:
            raise TypeError(f"desk routes must come from channels.desk.render.desk_subrouter(): {plain}")
        super().include_router(router, **options)
