"""Desk accounts: roles agent ⊆ editor ⊆ admin, argon2 password hashes, and the audit log.

Signing in and sessions are in `bot.store.signins`; `Accounts` is both, so callers hold one object.
"""

from __future__ import annotations

import re

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from bot.store.escalations import audit
from bot.store.passwords import check_password
from bot.store.repository import ConversationStore
from bot.store.signins import ROLES, Account, NewSession, SignedIn, SignIns, role_at_least
from bot.store.tables import AuditEntry, DeskSession, DeskUser, utcnow
from knowledge.core.errors import ConflictError, NotFoundError, RequestError
from knowledge.core.settings import Settings

__all__ = ["ROLES", "Account", "Accounts", "NewSession", "SignedIn", "role_at_least"]
USERNAME = re.compile(r"^[\w.@-]{1,64}$")


class Accounts(SignIns):
    """Create and manage desk users (and, inherited, sign them in and out)."""

    @classmethod
    def from_settings(cls, store: ConversationStore, settings: Settings) -> Accounts:
        """Session length and lockout as configured."""
        return cls(store, settings.desk_session_hours, settings.desk_max_failed_logins,
                   settings.desk_lockout_minutes)

    def create(self, username: str, password: str, role: str, actor: str) -> Account:
        """A new active account; ConflictError when the name is taken."""
        _check_new(username, role, password)
        with self.store.guard(), self.store.session() as session, session.begin():
            if session.scalars(select(DeskUser.id).where(DeskUser.username == username)).first() is not None:
                raise ConflictError(f"ユーザー {username} は既にあります (user exists)")
            row = DeskUser(username=username, password_hash=self.hasher.hash(password), role=role,
                           active=True, failed_logins=0, created_at=utcnow())
            session.add(row)
            session.flush()
            audit(session, actor, "user.created", username, role=role)
            return Account.of(row)

    def accounts(self) -> list[Account]:
        """Everyone, by name."""
        with self.store.guard(), self.store.session() as session:
            return [Account.of(row) for row in session.scalars(select(DeskUser).order_by(DeskUser.username))]

    def get(self, username: str) -> Account:
        """One account; NotFoundError when there is none by that name."""
        with self.store.guard(), self.store.session() as session:
            return Account.of(self._user(session, username))

    @staticmethod
    def _user(session: Session, username: str) -> DeskUser:
        row = session.scalars(select(DeskUser).where(DeskUser.username == username)).first()
        if row is None:
            raise NotFoundError(f"ユーザー {username} はいません (no such user)")
        return row

    def set_password(self, username: str, password: str, actor: str) -> None:
        """A new password also unlocks the account and signs it out everywhere."""
        check_password(password, username)
        new_hash = self.hasher.hash(password)
        self._change(username, actor, "user.password", {}, password_hash=new_hash, failed_logins=0,
                     locked_until=None)

    def set_role(self, username: str, role: str, actor: str) -> None:
        """Takes effect on the user's next request (sessions are looked up every time); the audit keeps the
        role it replaced."""
        _check_role(role)
        self._change(username, actor, "user.role", {"role": role, "was": self.get(username).role}, role=role)

    def set_active(self, username: str, active: bool, actor: str) -> None:
        """Disable (signing the user out everywhere) or enable again."""
        self._change(username, actor, "user.enabled" if active else "user.disabled", {}, active=active)

    def _change(self, username: str, actor: str, action: str, detail: dict, **values: object) -> None:
        with self.store.guard(), self.store.session() as session, session.begin():
            row = self._user(session, username)
            session.execute(update(DeskUser).where(DeskUser.id == row.id).values(**values))
            if action in ("user.password", "user.disabled"):
                session.execute(delete(DeskSession).where(DeskSession.user_id == row.id))
            audit(session, actor, action, username, **detail)

    def audit_log(self, page: int = 1, per_page: int = 50, target: str = "", actor: str = "",
                  actions: tuple[str, ...] = ()) -> tuple[list[AuditEntry], int]:
        """One page of the audit log, newest first, and the number of entries that match: only those about
        `target` (an FAQ id, an account, an escalation), by `actor`, of `actions` (each a name or a prefix
        ending in a dot) when given, so 「who changed R105」 is one query, not pages of sign-ins."""
        query = select(AuditEntry)
        if target:
            query = query.where(AuditEntry.target == target)
        if actor:
            query = query.where(AuditEntry.actor == actor)
        if actions:
            query = query.where(or_(*(AuditEntry.action.startswith(a) if a.endswith(".") else
                                      AuditEntry.action == a for a in actions)))
        offset = (max(page, 1) - 1) * per_page
        with self.store.guard(), self.store.session() as session:
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = list(session.scalars(query.order_by(AuditEntry.id.desc()).offset(offset).limit(per_page)))
        return rows, total



def _check_new(username: str, role: str, password: str) -> None:
    if not USERNAME.match(username):
        raise RequestError("ユーザー名は 1〜64 文字の英数字・かな漢字・「. _ @ -」で (invalid user name)")
    _check_role(role)
    check_password(password, username)


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise RequestError(f"役割は {' / '.join(ROLES)} のどれかです (unknown role {role!r})")
