"""Signing in and out of the desk.

The login form has no session yet, so its CSRF token is a random value kept in a short-lived cookie
and echoed in the form (double submit): another site cannot read the cookie, so it cannot forge a
sign-in into an account of its choosing.
"""

from __future__ import annotations

import secrets
from urllib.parse import quote

from fastapi import Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from bot.service.contracts import NewSession, Role, SignedIn
from channels.desk.auth import (
    COOKIE,
    LOGIN_COOKIE,
    check_csrf,
    clear_cookie,
    client_address,
    optional_user,
    require_role,
    safe_next,
    set_cookie,
)
from channels.desk.render import city, desk_subrouter, page
from channels.desk.worker import worker
from knowledge.core.errors import RateLimitedError, UnauthorizedError

router = desk_subrouter()
LOGIN_COOKIE_SECONDS = 3600
TOO_MANY = "この接続元からのログインの試行が多すぎます。1分ほど待ってから、もう一度お試しください。"


def _login_form(request: Request, next_path: str, status: int = 200, error: str = "", username: str = "",
                hop: str = "") -> Response:
    """The form, with a fresh double-submit token in both the page and the cookie."""
    token = secrets.token_urlsafe(32)
    response = page(request, "login.html", status=status, login_csrf=token, next_path=next_path, error=error,
                    username=username, hop=hop)
    set_cookie(request, response, LOGIN_COOKIE, token, LOGIN_COOKIE_SECONDS)
    return response


UNSENT = ("ログインの有効期限が切れたか、ログアウトしたため、送った内容は保存していません。"
          "もう一度ログインすると元の画面に戻ります。")


@router.get("/login")
def login_page(request: Request, next: str = "/desk", unsent: str = "") -> Response:
    """Already signed in: straight on. Arriving from another site (a Slack link) with no cookie: one
    same-site hop first, because SameSite=Strict cookies are not sent on cross-site navigations."""
    next_path = safe_next(next)
    if optional_user(request) is not None:
        return RedirectResponse(next_path, status_code=303)
    cross_site = request.headers.get("sec-fetch-site") == "cross-site"
    first_visit = cross_site and "hop" not in request.query_params
    hop = f"/desk/login?next={quote(next_path, safe='')}&hop=1" if first_visit else ""
    return _login_form(request, next_path, hop=hop, error=UNSENT if unsent else "")


@router.post("/login")
async def login(request: Request, username: str = Form(max_length=200), password: str = Form(max_length=2000),
                next: str = Form("/desk")) -> Response:
    """Check the form token, the per-address limit, then the password; the same message for every refusal."""
    await check_csrf(request, request.cookies.get(LOGIN_COOKIE, ""))
    next_path = safe_next(next)
    accounts = city(request).desk.accounts
    try:
        await run_in_threadpool(worker(request).login_limiter.check, client_address(request))
        signed: NewSession = await run_in_threadpool(accounts.sign_in, username, password,
                                                     client_address(request))
    except RateLimitedError:
        await run_in_threadpool(_note_throttled, request, username)
        return _login_form(request, next_path, 429, TOO_MANY, username)
    except UnauthorizedError as refusal:
        return _login_form(request, next_path, 401, str(refusal), username)
    response = RedirectResponse(next_path, status_code=303)
    set_cookie(request, response, COOKIE, signed.token, int(accounts.session_length.total_seconds()))
    clear_cookie(request, response, LOGIN_COOKIE)
    return response


def _note_throttled(request: Request, username: str) -> None:
    """Audit the first refusal of an address each minute; the rest are refused without a trace."""
    address = client_address(request)
    try:
        worker(request).refusal_notes.check(address)
    except RateLimitedError:
        return
    city(request).desk.accounts.note_throttled(username, address)


@router.post("/logout")
def logout(request: Request, user: SignedIn = Depends(require_role(Role.AGENT))) -> Response:
    """End the session on the server, not only in the browser."""
    city(request).desk.accounts.sign_out(request.cookies.get(COOKIE, ""))
    response = RedirectResponse("/desk/login", status_code=303)
    clear_cookie(request, response, COOKIE)
    return response
