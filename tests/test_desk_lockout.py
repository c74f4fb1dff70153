"""The desk lockout holds under a burst of parallel sign-ins, on SQLite and PostgreSQL.

Bursts go through the store's `Accounts` (the code the login page calls) from many threads at once;
`tests/test_desk_auth.py` sends a burst through the login page itself.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from bot.store.accounts import Accounts
from bot.store.repository import ConversationStore
from bot.store.tables import AuditEntry, DeskUser
from bot.store.timeouts import StoreTimeouts
from knowledge.core.errors import UnauthorizedError
from testing.database import STORES, postgres_schema_url

PASSWORD = "minato-desk-2026"
LIMIT = 5
# A burst of 40 argon2 checks on a busy shared machine can hold the pool longer than the served 2 s: these
# tests are about the lockout, not about how long a sign-in may wait for a connection.
PATIENT = StoreTimeouts(connect=10.0, statement=30.0, pool=60.0)


class CountingHasher(PasswordHasher):
    """The real argon2 hasher; it also counts the passwords checked against each stored hash."""

    def __init__(self) -> None:
        super().__init__()
        self.checked: dict[str, int] = {}
        self._lock = threading.Lock()

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # noqa: A002 (argon2's name)
        with self._lock:
            self.checked[str(hash)] = self.checked.get(str(hash), 0) + 1
        return super().verify(hash, password)


@pytest.fixture(params=STORES)
def accounts(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Accounts]:
    if request.param == "sqlite":
        urls: Iterator[str] = iter([f"sqlite:///{tmp_path / 'store.db'}"])
    else:
        urls = postgres_schema_url()
    store = ConversationStore(next(urls), timeouts=PATIENT).migrate()
    desk = Accounts(store, max_failed=LIMIT, lockout_minutes=15, hasher=CountingHasher())
    desk.create("racer", PASSWORD, "agent", "admin")
    yield desk
    store.engine.dispose()
    next(urls, None)  # drops the PostgreSQL schema


def attempt(desk: Accounts, password: str, number: int) -> bool:
    try:
        desk.sign_in("racer", password, f"203.0.113.{number}")
        return True
    except UnauthorizedError:
        return False


def burst(desk: Accounts, passwords: list[str]) -> list[bool]:
    """Every password tried at the same moment, each from its own thread (and address)."""
    start = threading.Barrier(len(passwords))

    def one(number: int) -> bool:
        start.wait()
        return attempt(desk, passwords[number], number)

    with ThreadPoolExecutor(len(passwords)) as pool:
        return list(pool.map(one, range(len(passwords))))


def checked_against_racer(desk: Accounts) -> int:
    with desk.store.session() as session:
        stored = session.scalars(select(DeskUser.password_hash).where(DeskUser.username == "racer")).one()
    return desk.hasher.checked.get(stored, 0)  # type: ignore[attr-defined]


def actions(desk: Accounts) -> list[str]:
    with desk.store.session() as session:
        return list(session.scalars(select(AuditEntry.action).where(AuditEntry.actor == "racer")
                                    .order_by(AuditEntry.id)))


def test_a_burst_of_guesses_checks_no_more_passwords_than_the_limit(accounts: Accounts) -> None:
    results = burst(accounts, [f"wrong-guess-{n:02d}" for n in range(39)] + [PASSWORD])
    assert checked_against_racer(accounts) <= LIMIT
    assert results.count(True) <= 1
    done = actions(accounts)
    assert "login" not in done[done.index("login.lockout"):] if "login.lockout" in done else True


def test_a_locked_account_refuses_the_right_password_even_in_a_burst(accounts: Accounts) -> None:
    assert burst(accounts, [f"wrong-guess-{n:02d}" for n in range(40)]) == [False] * 40
    assert actions(accounts).count("login.lockout") == 1
    assert burst(accounts, [PASSWORD] * 8) == [False] * 8
    assert checked_against_racer(accounts) <= LIMIT
    assert "login" not in actions(accounts)


def test_sign_ins_one_after_another_lock_at_the_limit_and_the_right_password_resets_the_count(
        accounts: Accounts) -> None:
    assert [attempt(accounts, "wrong-guess", n) for n in range(LIMIT - 1)] == [False] * (LIMIT - 1)
    assert attempt(accounts, PASSWORD, 9)
    assert [attempt(accounts, "wrong-guess", n) for n in range(LIMIT)] == [False] * LIMIT
    assert not attempt(accounts, PASSWORD, 10)
    assert actions(accounts).count("login.lockout") == 1
