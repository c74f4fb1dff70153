"""A local durable queue for turns written while the database is unreachable.

The bot keeps answering from its in-memory index when PostgreSQL is down; turns and escalations go
to this SQLite file (fsynced on every write) and are replayed, in order, once the database answers
again. Escalation ids are chosen before the first write, so a replay interrupted by a crash never
stores an escalation twice. Several workers may share the file; a lease keeps them off each other's rows.
A row the database refuses, or that cannot be read back, is set aside (kept, with the reason, and logged)
so that it cannot hold back the rows behind it.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from contextlib import closing
from pathlib import Path

from bot.store.facts import TurnFacts
from bot.store.repository import ConversationStore, StoredTurn
from knowledge.errors import StoreRefusedError, StoreUnavailableError

log = logging.getLogger("madoguchi.spool")
SCHEMA = "CREATE TABLE IF NOT EXISTS spool (id INTEGER PRIMARY KEY, facts TEXT NOT NULL, leased_until REAL NOT NULL DEFAULT 0)"
SET_ASIDE = "ALTER TABLE spool ADD COLUMN set_aside TEXT"  # NULL while the row waits; the reason once refused


class Spool:
    """`keep()` when the store is down; `replay()` from a background worker when it is back."""

    def __init__(self, path: Path, lease_seconds: float = 30.0) -> None:
        self.path, self.lease = path, lease_seconds
        path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(SCHEMA)
            if "set_aside" not in {row[1] for row in connection.execute("PRAGMA table_info(spool)")}:
                connection.execute(SET_ASIDE)

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        connection.execute("PRAGMA synchronous=FULL")
        return connection

    def keep(self, facts: TurnFacts) -> StoredTurn:
        """Durably queue a turn; the resident can be told an escalation was received."""
        with closing(self._connect()) as connection:
            connection.execute("INSERT INTO spool (facts) VALUES (?)", (json.dumps(facts.to_json(), ensure_ascii=False),))
        return StoredTurn(0, facts.escalation_id)

    def pending(self) -> int:
        """Turns waiting for the database."""
        with closing(self._connect()) as connection:
            return int(connection.execute("SELECT count(*) FROM spool WHERE set_aside IS NULL").fetchone()[0])

    def set_aside(self) -> list[tuple[int, str]]:
        """Rows the database refused or that could not be read, with why: kept for a person to look at."""
        with closing(self._connect()) as connection:
            return connection.execute("SELECT id, set_aside FROM spool WHERE set_aside IS NOT NULL ORDER BY id").fetchall()

    def replay(self, store: ConversationStore) -> int:
        """Write queued turns to the store, oldest first; stops (keeping the rest) if it is down again."""
        replayed = 0
        while (claimed := self._claim_next()) is not None:
            row_id, facts = claimed
            if facts is None:
                continue
            try:
                store.record(facts)
            except StoreRefusedError as exc:
                self._put_aside(row_id, str(exc))
                continue
            except StoreUnavailableError:
                self._release(row_id)
                break
            self._forget(row_id)
            replayed += 1
        return replayed

    def _read(self, row_id: int, text: str) -> TurnFacts | None:
        """The turn a row holds; None (and the row set aside) when it cannot be read, e.g. another version's."""
        try:
            return TurnFacts(**json.loads(text))
        except (TypeError, ValueError) as exc:
            self._put_aside(row_id, f"unreadable turn ({exc})")
            return None

    def _claim_next(self) -> tuple[int, TurnFacts | None] | None:
        now = time.time()
        with closing(self._connect()) as connection:
            for row_id, text in connection.execute("SELECT id, facts FROM spool WHERE leased_until < ? AND set_aside IS NULL "
                                                   "ORDER BY id LIMIT 5", (now,)).fetchall():
                won = connection.execute("UPDATE spool SET leased_until = ? WHERE id = ? AND leased_until < ?",
                                         (now + self.lease, row_id, now)).rowcount == 1
                if won:
                    return row_id, self._read(row_id, text)
        return None

    def _put_aside(self, row_id: int, reason: str) -> None:
        log.error("spooled turn %d set aside, not replayed: %s", row_id, reason)
        with closing(self._connect()) as connection:
            connection.execute("UPDATE spool SET set_aside = ? WHERE id = ?", (reason, row_id))

    def _release(self, row_id: int) -> None:
        with closing(self._connect()) as connection:
            connection.execute("UPDATE spool SET leased_until = 0 WHERE id = ?", (row_id,))

    def _forget(self, row_id: int) -> None:
        with closing(self._connect()) as connection:
            connection.execute("DELETE FROM spool WHERE id = ?", (row_id,))
