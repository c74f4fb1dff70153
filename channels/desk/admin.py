"""Administration (`/desk/admin/…`, admin role only): desk accounts and the audit log.

An administrator cannot demote or disable their own account here, so a city can never lock itself
out of its desk by a slip of the mouse (the CLI can still do anything).
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Depends, Form, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from bot.service.contracts import ROLES, Role, SignedIn
from channels.desk.auth import require_role
from channels.desk.render import city, desk_subrouter, page
from channels.desk.wording import ROLE_LABELS, action_words, detail_words
from knowledge.core.errors import ConflictError, RequestError

router = desk_subrouter(prefix="/admin")
Admin = Depends(require_role(Role.ADMIN))
PER_PAGE = 50
KINDS: dict[str, tuple[tuple[str, ...], str]] = {  # the audit log's filter: actions, and its name
    "faq": (("entry.", "kb.import"), "FAQ の変更"), "accounts": (("user.",), "アカウント"),
    "signins": (("login", "login.", "logout"), "ログイン・ログアウト"),
    "escalations": (("claim", "reply", "callback", "closed", "dropped", "delivery."), "引き継ぎ"),
    "labels": (("label.", "learn."), "学習"), "calls": (("call.",), "電話"),
}
DONE = {"created": "アカウントを作りました。", "role": "役割を変えました。",
        "disabled": "アカウントを無効にしました。", "enabled": "アカウントを有効に戻しました。"}


def users_page(request: Request, status: int = 200, error: str = "", done: str = "", **form: str) -> Response:
    """The account list, the creation form, and what just happened."""
    return page(request, "admin_users.html", status=status, accounts=city(request).desk.accounts.accounts(),
                roles=ROLES, role_labels=ROLE_LABELS, error=error, done=DONE.get(done, ""), form=form)


@router.get("/users")
def users(request: Request, done: str = "", user: SignedIn = Admin) -> Response:
    """Everyone who can sign in to the desk."""
    return users_page(request, done=done)


@router.post("/users")
def create_user(request: Request, username: str = Form(max_length=64), password: str = Form(max_length=1024),
                role: str = Form(), user: SignedIn = Admin) -> Response:
    """A new account; a weak password or a taken name shows the form again with the reason."""
    try:
        city(request).desk.accounts.create(username.strip(), password, role, user.username)
    except RequestError as refusal:
        return users_page(request, refusal.status, str(refusal), username=username, role=role)
    return RedirectResponse("/desk/admin/users?done=created", status_code=303)


def _not_self(user: SignedIn, username: str) -> None:
    if username == user.username:
        raise ConflictError("自分のアカウントの役割の変更・無効化はここではできません（ほかの管理者に頼むか、"
                            "サーバーで madoguchi desk user role・disable を使ってください）。")


@router.post("/users/{username}/role")
def change_role(request: Request, username: str, role: str = Form(), user: SignedIn = Admin) -> Response:
    """Promote or demote; takes effect on the user's next page."""
    _not_self(user, username)
    city(request).desk.accounts.set_role(username, role, user.username)
    return RedirectResponse("/desk/admin/users?done=role", status_code=303)


@router.post("/users/{username}/disable")
def disable(request: Request, username: str, user: SignedIn = Admin) -> Response:
    """Sign the user out everywhere and refuse further sign-ins; the audit history stays."""
    _not_self(user, username)
    city(request).desk.accounts.set_active(username, False, user.username)
    return RedirectResponse("/desk/admin/users?done=disabled", status_code=303)


@router.post("/users/{username}/enable")
def enable(request: Request, username: str, user: SignedIn = Admin) -> Response:
    """Undo a disable."""
    city(request).desk.accounts.set_active(username, True, user.username)
    return RedirectResponse("/desk/admin/users?done=enabled", status_code=303)


@router.get("/audit")
def audit_log(request: Request, page_number: int = Query(1, alias="page", ge=1, le=1_000_000),
              target: str = Query("", max_length=160), actor: str = Query("", max_length=64),
              kind: str = Query("", pattern="^(|" + "|".join(KINDS) + ")$"),
              user: SignedIn = Admin) -> Response:
    """Who did what, newest first, a page at a time; narrowed to one FAQ, account or escalation, one person,
    or one kind of action (a plain GET form: a view can be bookmarked)."""
    entries, total = city(request).desk.accounts.audit_log(page_number, PER_PAGE, target.strip(),
                                                           actor.strip(), KINDS.get(kind, ((), ""))[0])
    pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    chosen = {"target": target, "actor": actor, "kind": kind}
    return page(request, "admin_audit.html", entries=entries, total=total, page_number=page_number,
                pages=pages, action_words=action_words, detail_words=detail_words, kinds=KINDS,
                chosen=chosen, more=urlencode({k: v for k, v in chosen.items() if v}))
