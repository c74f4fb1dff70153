"""Who is at the desk: the session cookie, role checks and the CSRF check on every form.

Use `Depends(require_role("agent" | "editor" | "admin"))` on every desk route (admin ⊇ editor ⊇ agent).
It returns the `SignedIn` user (`.username`, `.role`, `.csrf`), redirects to the login form when
nobody is signed in, answers 403 for a role too low, and, for every POST, refuses a form whose
hidden `csrf` field is missing or wrong. Templates get the token as `{{ csrf }}`: put
`<input type="hidden" name="csrf" value="{{ csrf }}">` in every form.
"""

from __future__ import annotations

import posixpath
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import unquote, urlsplit

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from bot.service.contracts import ROLES, SignedIn
from channels.desk.render import city
from channels.desk.wording import ROLE_LABELS
from knowledge.core.errors import ForbiddenError, UnauthorizedError

COOKIE = "madoguchi_desk"
LOGIN_COOKIE = "madoguchi_desk_login"
COOKIE_PATH = "/desk"
CSRF_FIELD = "csrf"
CSRF_REFUSED = ("フォームの確認用の値（CSRF トークン）がないか、違っています。ページを開き直してから、"
                "もう一度送ってください。(CSRF token missing or wrong)")


def client_address(request: Request) -> str:
    """The address rate limits and the audit log use."""
    return request.client.host if request.client else "unknown"


def optional_user(request: Request) -> SignedIn | None:
    """The signed-in user, or None; remembered on `request.state.desk_user` for `page()`."""
    token = request.cookies.get(COOKIE)
    user = city(request).desk.accounts.session(token) if token else None
    request.state.desk_user = user
    return user


def current_user(request: Request) -> SignedIn:
    """The signed-in user; UnauthorizedError (→ 303 to the login form) when there is none."""
    user = optional_user(request)
    if user is None:
        raise UnauthorizedError("not signed in to the desk")
    return user


async def check_csrf(request: Request, expected: str) -> None:
    """The form's hidden token must equal the session's; ForbiddenError (403) otherwise."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    matches = isinstance(sent,
                         str) and bool(expected) and secrets.compare_digest(sent.encode(), expected.encode())
    if not matches:
        raise ForbiddenError(CSRF_REFUSED)


def require_role(role: str) -> Callable[[Request], Awaitable[SignedIn]]:
    """A dependency: signed in, at least `role`, and (for POST) a valid CSRF token."""
    if role not in ROLES:
        raise ValueError(f"unknown desk role {role!r}")

    async def dependency(request: Request) -> SignedIn:
        user = await run_in_threadpool(current_user, request)
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            await check_csrf(request, user.csrf)
        if not user.can(role):
            raise ForbiddenError(f"この画面は「{ROLE_LABELS[role]}」以上の役割が必要です"
                                 f"（あなたは「{ROLE_LABELS.get(user.role, user.role)}」）。")
        return user

    return dependency


def safe_next(target: str | None) -> str:
    """Where to go after signing in: only a path inside the desk on this site, never another site."""
    if not target or not target.startswith("/desk") or "\\" in target or any(ord(c) < 32 for c in target):
        return "/desk"
    parts = urlsplit(target)
    path = posixpath.normpath(unquote(parts.path))  # /desk/../..//elsewhere leaves the desk
    if parts.scheme or parts.netloc or not (path == "/desk" or path.startswith("/desk/")):
        return "/desk"
    return target


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None) -> None:
    """HttpOnly, SameSite=Strict, only for /desk, and Secure whenever the request came over TLS."""
    response.set_cookie(name, value, max_age=max_age, path=COOKIE_PATH, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")


def clear_cookie(request: Request, response: Response, name: str) -> None:
    """Remove a desk cookie with the same attributes it was set with."""
    response.delete_cookie(name, path=COOKIE_PATH, httponly=True, samesite="strict",
                           secure=request.url.scheme == "https")
