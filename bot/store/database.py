"""Engines and migrations: SQLite file by default, PostgreSQL when MADOGUCHI_DATABASE_URL says so."""

from __future__ import annotations

import multiprocessing
import os
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, Result, create_engine, event, exc, make_url, text
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry

from bot.store.timeouts import StoreTimeouts, bound_waits, engine_options, unbounded
from knowledge.core.errors import ConfigurationError
from knowledge.core.settings import get_settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_REVISION = re.compile(r"""^revision(?:\s*:[^=\n]*)?\s*=\s*["']([^"']+)["']""", re.MULTILINE)
_REVISES = re.compile(r"""^down_revision(?:\s*:[^=\n]*)?\s*=\s*["']([^"']+)["']""", re.MULTILINE)


def make_engine(url: str, timeouts: StoreTimeouts | None = None) -> Engine:
    """An engine for the URL whose every wait is bounded (default: the process settings' timeouts);
    SQLite gets foreign keys and a busy timeout for several workers."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        private_file(Path(url.removeprefix("sqlite:///").split("?")[0]).expanduser())
    timeouts = timeouts or StoreTimeouts.of(get_settings())
    try:
        parsed = make_url(url)
        postgresql = parsed.get_backend_name() == "postgresql"
        engine = create_engine(parsed, pool_pre_ping=not postgresql, **engine_options(parsed, timeouts))
    except Exception as exc:  # SQLAlchemy raises ArgumentError, NoSuchModuleError, ImportError
        raise ConfigurationError(f"MADOGUCHI_DATABASE_URL cannot be used ({exc})") from exc
    if postgresql:
        bound_waits(engine, timeouts)  # includes a bounded pre-ping
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def private_file(path: Path) -> None:
    """A new SQLite file (its folder too) that only its owner may read: a store or spool holds residents'
    questions, contact details and desk password hashes. SQLite gives the -wal and -shm files the same
    mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def _sqlite_pragmas(connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


_WRITERS: dict[str, threading.Lock] = {}
_WRITERS_GUARD = threading.Lock()


@contextmanager
def one_writer(engine: Engine, seconds: float) -> Iterator[None]:
    """For SQLite, one write transaction at a time per database file in this process; other databases
    take turns themselves.

    SQLite lets one connection write. Threads left to meet in its busy handler sleep in growing steps (up
    to 100 ms each) while newcomers overtake them: at 8 concurrent requests most turns were stored in
    milliseconds and one in twenty waited half a second or more. Waiting here wakes the next writer as soon
    as the last commits; the wait is bounded like the busy timeout, and running out is a TimeoutError
    (the store is unavailable), as waiting for a pooled connection is."""
    if engine.dialect.name != "sqlite":
        yield
        return
    with _WRITERS_GUARD:
        lock = _WRITERS.setdefault(str(engine.url.database), threading.Lock())
    if not lock.acquire(timeout=seconds):
        raise exc.TimeoutError(f"another write to the conversation store held it for {seconds} s")
    try:
        yield
    finally:
        lock.release()


MIGRATION_LOCK = 0x6D61646F  # "mado": PostgreSQL advisory lock taken by whoever migrates


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent; workers starting together take turns). A database
    already there is only read: alembic and the migration scripts (≈ 9 MB of modules) stay out of the
    worker."""
    if at_newest_migration(engine):
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            unbounded(connection).execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        elif engine.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def migrate_apart(url: str) -> None:
    """`migrate` in a child process, for a server about to answer in this very process (one worker): alembic's
    modules stay in the child. A database already at the newest migration needs no child."""
    engine = make_engine(url)
    try:
        if at_newest_migration(engine):
            return
    finally:
        engine.dispose()
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as child:
        child.submit(_migrate_url, url).result()


def _migrate_url(url: str) -> None:
    engine = make_engine(url)
    try:
        migrate(engine)
    finally:
        engine.dispose()


def at_newest_migration(engine: Engine) -> bool:
    """Whether the database says it is at the newest migration; anything else (no table yet, an older or a
    newer revision, two heads) is for alembic to decide."""
    try:
        with engine.connect() as connection:
            found = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except exc.SQLAlchemyError:
        return False
    return found == [newest_migration()]


@cache
def newest_migration() -> str:
    """The head revision, read from the migration files without importing alembic: the one no other revises
    ("" when a file names no revision or there is not exactly one head: no database matches, alembic
    decides)."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        if len(named := _REVISION.findall(source)) != 1:
            return ""
        revisions.update(named)
        revised.update(_REVISES.findall(source))
    heads = revisions - revised
    return heads.pop() if len(heads) == 1 else ""


def rows_touched(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed: Session.execute is typed as returning a Result, which has
    no rowcount, while a DML statement always gives a CursorResult, which has."""
    return cast(CursorResult[Any], result).rowcount


@cache
def migrated_engine(url: str) -> Engine:
    """One engine per database per process, migrated once, for what reads the database again and again in
    the background (the index pointer, the tenant registry), so a poll costs one query and nothing more."""
    engine = make_engine(url)
    try:
        migrate(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine
