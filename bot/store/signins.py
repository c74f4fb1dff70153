"""Signing in to the desk: argon2 verification, lockout, and server-side sessions.

Sessions live in the database rather than in a signed cookie so that signing out, disabling an
account or changing a role takes effect at once; only the SHA-256 of the cookie's token is stored,
so a copy of the database cannot be replayed as a sign-in. Every refusal says the same thing and
costs one hash, so the login form cannot be used to find out which user names exist.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import NoReturn

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.orm import Session

from bot.store.database import rows_touched
from bot.store.escalations import audit
from bot.store.repository import ConversationStore
from bot.store.states import Role, SignInFailure
from bot.store.tables import DeskSession, DeskUser, as_utc, utcnow
from knowledge.core.errors import UnauthorizedError

ROLES = tuple(Role)
SIGN_IN_REFUSED = "ユーザー名かパスワードが違います。続けて間違えると、しばらくログインできなくなります。"


def token_hash(token: str) -> str:
    """What the database keeps instead of the session token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def role_at_least(role: str, needed: str) -> bool:
    """admin ⊇ editor ⊇ agent."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


@dataclass(frozen=True, slots=True)
class Account:
    """A desk user as pages and the CLI show it (never with the hash)."""

    id: int
    username: str
    role: str
    active: bool
    locked_until: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, row: DeskUser) -> Account:
        return cls(row.id, row.username, row.role, row.active,
                   as_utc(row.locked_until) if row.locked_until else None, as_utc(row.created_at))


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A live session: who is signed in, and the CSRF token every form of this session carries."""

    account: Account
    csrf: str
    expires_at: datetime

    @property
    def username(self) -> str:
        return self.account.username

    @property
    def role(self) -> str:
        return self.account.role

    def can(self, needed: str) -> bool:
        """True when this user's role includes `needed`."""
        return role_at_least(self.role, needed)


@dataclass(frozen=True, slots=True)
class NewSession:
    """The result of a sign-in: the token goes into the cookie, and nowhere else."""

    token: str
    signed_in: SignedIn


class SignIns:
    """Sign desk users in and out; `Accounts` adds the management of the accounts themselves."""

    def __init__(self, store: ConversationStore, session_hours: float = 8.0, max_failed: int = 5,
                 lockout_minutes: float = 15.0, hasher: PasswordHasher | None = None) -> None:
        self.store, self.max_failed = store, max_failed
        self.session_length, self.lockout = timedelta(hours=session_hours), timedelta(minutes=lockout_minutes)
        self.hasher = hasher or PasswordHasher()

    @cached_property
    def _dummy_hash(self) -> str:
        """Verified against when the user does not exist, so that case takes as long as a wrong password."""
        return self.hasher.hash(secrets.token_urlsafe(16))

    def sign_in(self, username: str, password: str, address: str) -> NewSession:
        """A new session, or UnauthorizedError with the same message whatever went wrong.

        The attempt is counted before its password is checked, so parallel guesses check at most
        `max_failed` passwords before the lock; unknown, locked and spent names check a dummy hash."""
        row = self._reserve(username[:64])
        if row is None:
            self._verify(self._dummy_hash, password)
            return self._refuse(None, username, address, self._why_not(username[:64]))
        if not self._verify(row.password_hash, password):
            return self._refuse(row, username, address, SignInFailure.WRONG_PASSWORD)
        opened = self._open_session(row, password, address)
        return opened or self._refuse(None, username, address, SignInFailure.LOCKED)

    def note_throttled(self, username: str, address: str) -> None:
        """Audit a sign-in refused by the per-address limit, before any password is checked: the trace an
        administrator looks for when one address tries many names."""
        with self.store.guard(), self.store.session() as session, session.begin():
            audit(session, username[:64], "login.failed", username[:160], address=address,
                  reason=SignInFailure.THROTTLED)

    def _open(self, now: datetime) -> ColumnElement[bool]:
        """Not locked, or the lock has run out."""
        return or_(DeskUser.locked_until.is_(None), DeskUser.locked_until <= now)

    def _reserve(self, username: str) -> DeskUser | None:
        """Count one attempt, in one UPDATE, if the account is active, unlocked and has attempts left."""
        now = utcnow()
        statement = (update(DeskUser)
                     .where(DeskUser.username == username, DeskUser.active.is_(True),
                            DeskUser.failed_logins < self.max_failed, self._open(now))
                     .values(failed_logins=DeskUser.failed_logins + 1, locked_until=None)
                     .returning(DeskUser).execution_options(synchronize_session=False))
        with self.store.guard(), self.store.session() as session, session.begin():
            return session.scalars(statement).first()

    def _why_not(self, username: str) -> SignInFailure:
        """For the audit log: why no attempt could be counted."""
        with self.store.guard(), self.store.session() as session:
            row = session.scalars(select(DeskUser).where(DeskUser.username == username)).first()
        if row is None or not row.active:
            return SignInFailure.UNKNOWN_USER if row is None else SignInFailure.INACTIVE
        locked = row.locked_until is not None and as_utc(row.locked_until) > utcnow()
        return SignInFailure.LOCKED if locked else SignInFailure.ATTEMPTS_IN_PROGRESS

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self.hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def _refuse(self, row: DeskUser | None, username: str, address: str, why: SignInFailure) -> NoReturn:
        """Audit every refusal; a wrong password that spends the last attempt locks the account."""
        with self.store.guard(), self.store.session() as session, session.begin():
            audit(session, username[:64], "login.failed", username[:160], address=address, reason=why)
            if row is not None:
                self._lock_if_spent(session, row, address)
        raise UnauthorizedError(SIGN_IN_REFUSED)

    def _lock_if_spent(self, session: Session, row: DeskUser, address: str) -> None:
        """Lock once all attempts of this window are counted; only one of parallel refusals does it."""
        until = utcnow() + self.lockout
        lock = (update(DeskUser).where(DeskUser.id == row.id, DeskUser.failed_logins >= self.max_failed)
                .values(failed_logins=0, locked_until=until).execution_options(synchronize_session=False))
        locked = rows_touched(session.execute(lock))
        if locked:
            audit(session, row.username, "login.lockout", row.username, address=address,
                  until=until.isoformat(), failures=self.max_failed)

    def _open_session(self, row: DeskUser, password: str, address: str) -> NewSession | None:
        """A session, unless the account locked while the password was being checked (then None)."""
        token, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(32), utcnow()
        values: dict[str, object] = {"failed_logins": 0, "locked_until": None}
        if self.hasher.check_needs_rehash(row.password_hash):
            values["password_hash"] = self.hasher.hash(password)
        with self.store.guard(), self.store.session() as session, session.begin():
            reset = (update(DeskUser).where(DeskUser.id == row.id, self._open(now)).values(**values)
                     .execution_options(synchronize_session=False))
            if not rows_touched(session.execute(reset)):
                return None
            session.execute(delete(DeskSession).where(DeskSession.expires_at < now))
            session.add(DeskSession(token_hash=token_hash(token), user_id=row.id, csrf=csrf, created_at=now,
                                    expires_at=now + self.session_length))
            audit(session, row.username, "login", row.username, address=address)
        account = Account.of(row)
        return NewSession(token, SignedIn(account, csrf, now + self.session_length))

    def session(self, token: str) -> SignedIn | None:
        """The live session for a cookie's token; None when unknown, expired or the user is disabled."""
        query = (select(DeskSession, DeskUser).join(DeskUser, DeskUser.id == DeskSession.user_id)
                 .where(DeskSession.token_hash == token_hash(token), DeskSession.expires_at > utcnow(),
                        DeskUser.active.is_(True)))
        with self.store.guard(), self.store.session() as session:
            found = session.execute(query).first()
        if found is None:
            return None
        desk_session, user = found
        return SignedIn(Account.of(user), desk_session.csrf, as_utc(desk_session.expires_at))

    def sign_out(self, token: str) -> None:
        """End the session; signing out twice is harmless."""
        with self.store.guard(), self.store.session() as session, session.begin():
            found = session.execute(select(DeskSession.user_id, DeskUser.username)
                                    .join(DeskUser, DeskUser.id == DeskSession.user_id)
                                    .where(DeskSession.token_hash == token_hash(token))).first()
            if found is not None:
                session.execute(delete(DeskSession).where(DeskSession.token_hash == token_hash(token)))
                audit(session, found.username, "logout", found.username)

