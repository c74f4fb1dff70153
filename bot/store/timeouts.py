"""Every wait on the database is bounded, so a database that accepts connections but never answers is an
outage (the turn goes to the spool and the resident is answered), not a frozen city.

PostgreSQL gets `connect_timeout`, a server-side `statement_timeout` and TCP keepalives with a
`tcp_user_timeout` (a partition that swallows packets). A connection that is already open and whose peer
keeps acknowledging but never answers honours none of these, so a watchdog shuts the socket of any wait
(pre-ping, statement, commit, rollback) that outlasts its bound; libpq then reports a lost connection,
which SQLAlchemy discards and the store turns into StoreUnavailableError. Migrations and waiting for the
index build lock are long on purpose (`unbounded`). SQLite gets a busy timeout.
"""

from __future__ import annotations

import heapq
import itertools
import socket
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import Connection, Engine, event, exc, text
from sqlalchemy.engine import URL

from knowledge.core.settings import Settings

KEEPALIVE_SECONDS = 2  # idle seconds before the first probe, and between probes


@dataclass(frozen=True, slots=True)
class StoreTimeouts:
    """Seconds: opening a connection (and the pre-ping), one statement, waiting for a pooled connection."""

    connect: float = 2.0
    statement: float = 5.0
    pool: float = 2.0

    @classmethod
    def of(cls, settings: Settings) -> StoreTimeouts:
        """The three `MADOGUCHI_DATABASE_*_TIMEOUT_SECONDS` settings."""
        return cls(settings.database_connect_timeout_seconds, settings.database_statement_timeout_seconds,
                   settings.database_pool_timeout_seconds)


def engine_options(url: URL, timeouts: StoreTimeouts) -> dict[str, Any]:
    """create_engine keyword arguments that bound every wait for this kind of database."""
    if url.get_backend_name() == "sqlite":
        return {"connect_args": {"timeout": timeouts.statement}, "pool_timeout": timeouts.pool}
    if url.get_backend_name() != "postgresql":
        return {"pool_timeout": timeouts.pool}
    statement_ms = int(timeouts.statement * 1000)
    options = f"{url.query.get('options', '')} -c statement_timeout={statement_ms}".strip()
    return {"pool_timeout": timeouts.pool, "connect_args": {
        "connect_timeout": max(1, round(timeouts.connect)), "options": options, "keepalives": 1,
        "keepalives_idle": KEEPALIVE_SECONDS, "keepalives_interval": KEEPALIVE_SECONDS, "keepalives_count": 2,
        "tcp_user_timeout": statement_ms + 1000}}


def bound_waits(engine: Engine, timeouts: StoreTimeouts) -> None:
    """Arm the watchdog around every wait on a PostgreSQL server (the engine's own pre-ping is replaced)."""
    statement = timeouts.statement + 1.0  # the server's own statement_timeout should win when it is alive
    event.listen(engine, "connect", lambda dbapi, record: record.info.__setitem__("fresh", True))
    event.listen(engine, "checkout", lambda dbapi, record, _: _ping(engine, dbapi, record, timeouts.connect))
    event.listen(engine, "before_cursor_execute", partial(_before_statement, seconds=statement))
    event.listen(engine, "after_cursor_execute", lambda conn, *_: WATCHDOG.disarm(_dbapi(conn)))
    for done in ("checkin", "invalidate", "soft_invalidate", "close", "close_detached"):
        event.listen(engine, done, lambda dbapi, *_: WATCHDOG.disarm(dbapi))
    dialect = engine.dialect  # the pool's reset-on-return uses the same methods, so it is bounded too
    # mypy refuses assigning to methods; these wrap this one engine's dialect instance on purpose
    dialect.do_commit = partial(_bounded, dialect.do_commit, statement)  # type: ignore[method-assign]
    dialect.do_rollback = partial(_bounded, dialect.do_rollback, statement)  # type: ignore[method-assign]


def unbounded(connection: Connection) -> Connection:
    """This connection's statements in its current transaction may wait as long as they need: a migration,
    or waiting for another server's index build to release its lock."""
    connection.execution_options(wait_unbounded=True)
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET LOCAL statement_timeout = 0"))
    return connection


def _before_statement(conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any,
                      executemany: bool, seconds: float) -> None:
    if not conn.get_execution_options().get("wait_unbounded"):
        WATCHDOG.arm(_dbapi(conn), seconds)


def _bounded(method: Callable[[Any], None], seconds: float, connection: Any) -> None:
    dbapi = getattr(connection, "dbapi_connection", connection)
    WATCHDOG.arm(dbapi, seconds)
    try:
        method(connection)
    finally:
        WATCHDOG.disarm(dbapi)


def _dbapi(connection: Any) -> Any:
    """The DBAPI connection under a SQLAlchemy one; None once it was invalidated (nothing left to wait on)."""
    if connection.invalidated or connection.closed:
        return None
    return connection.connection.dbapi_connection


def _ping(engine: Engine, dbapi: Any, record: Any, seconds: float) -> None:
    """The pool's pre-ping, bounded. A connection that fails at once (a restarted server closed it) is
    replaced by a new one. One that did not answer within `seconds` fails the checkout: the server is silent,
    a new connection would only wait out the connect timeout as well, and the first resident to meet the
    outage would wait twice as long before the turn is spooled."""
    if record.info.pop("fresh", False):
        return
    started = time.monotonic()
    WATCHDOG.arm(dbapi, seconds)
    try:
        engine.dialect.do_ping(dbapi)
    except Exception as error:
        if time.monotonic() - started >= seconds:
            raise exc.TimeoutError(f"no answer to a ping within {seconds:g} s") from error
        raise exc.InvalidatePoolError(f"no answer to a ping ({type(error).__name__})") from error
    finally:
        WATCHDOG.disarm(dbapi)


class Watchdog:
    """One thread per process; shuts the socket of a connection whose current wait is past its deadline."""

    def __init__(self) -> None:
        self._armed: dict[int, tuple[float, weakref.ref]] = {}
        self._heap: list[tuple[float, int, int]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def arm(self, dbapi: Any, seconds: float) -> None:
        """Watch this connection's wait from now on (a later arm replaces the deadline)."""
        if dbapi is None:
            return
        deadline = time.monotonic() + seconds
        with self._wake:
            self._armed[id(dbapi)] = (deadline, weakref.ref(dbapi))
            heapq.heappush(self._heap, (deadline, next(self._order), id(dbapi)))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="madoguchi-db-watchdog", daemon=True)
                self._thread.start()
            self._wake.notify()

    def disarm(self, dbapi: Any) -> None:
        """The wait is over; stale heap entries are skipped when they come due."""
        with self._wake:
            self._armed.pop(id(dbapi), None)

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._heap or self._heap[0][0] > time.monotonic():
                    self._wake.wait(self._heap[0][0] - time.monotonic() if self._heap else None)
                deadline, _, key = heapq.heappop(self._heap)
                armed = self._armed.get(key)
                if armed is None or armed[0] != deadline:
                    continue  # disarmed, or re-armed with a later deadline
                del self._armed[key]
                _shut(armed[1]())


def _shut(dbapi: Any) -> None:
    """Shut (not close: libpq owns the descriptor) the socket: the waiting thread sees a lost connection."""
    try:
        with socket.socket(fileno=socket.dup(dbapi.fileno())) as duplicate:
            duplicate.shutdown(socket.SHUT_RDWR)
    except Exception:  # already closed or collected: nothing left to unblock
        return


WATCHDOG = Watchdog()


class Probe:
    """One check at a time, in the background; a caller waits at most its own deadline for the answer
    (a health check must answer quickly whatever the database does)."""

    def __init__(self, check: Callable[[], bool]) -> None:
        self._check, self._lock = check, threading.Lock()
        self._running: Future[bool] | None = None

    def __call__(self, within: float) -> bool:
        with self._lock:
            if self._running is None or self._running.done():
                self._running = Future()
                threading.Thread(target=self._run, args=(self._running,), name="madoguchi-db-probe",
                                 daemon=True).start()
            running = self._running
        try:
            return running.result(timeout=within)
        except FutureTimeout:
            return False

    def _run(self, future: Future[bool]) -> None:
        try:
            future.set_result(self._check())
        except Exception as error:
            future.set_exception(error)
