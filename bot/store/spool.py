"""A local durable queue for what residents send while the database is unreachable.

The bot keeps answering from its in-memory index when PostgreSQL is down; turns, escalations, contact
details and 👍/👎 go to this SQLite file (fsynced on every write) and are replayed, in order, once the
database answers again. Each city has its own file, and every row also carries its city, so a city never
replays another's rows even if two are (mis)configured to share one file. A turn's replay writes a key
into the store in the same transaction, so a replay interrupted by a crash never stores it twice.
Rows are replayed strictly oldest first (a contact detail needs its escalation), one worker at a time:
a lease keeps the others off. A row the database refuses, or that cannot be read back, is set aside
(kept masked, with the reason, and logged) so that it cannot hold back the rows behind it.
"""

from __future__ import annotations

import json
import logging
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from bot.store.database import private_file
from bot.store.facts import LatestOffer, TurnFacts
from bot.store.masking import mask_personal_data
from bot.store.repository import ConversationStore, StoredTurn
from bot.store.spool_rows import REPLAY, Row, masked
from knowledge.core.errors import NotFoundError, StoreRefusedError, StoreUnavailableError

log = logging.getLogger("madoguchi.spool")
SPOOL_FILE = "spool.db"
SCHEMA = (("CREATE TABLE IF NOT EXISTS spool "
           "(id INTEGER PRIMARY KEY, facts TEXT NOT NULL, leased_until REAL NOT NULL DEFAULT 0)"),
          ("CREATE TABLE IF NOT EXISTS replayed "
           "(city TEXT, conversation TEXT, ref TEXT, turn_id INTEGER, at REAL)"))
COLUMNS = {"set_aside": "TEXT",  # NULL while the row waits; the reason once refused
           "city": "TEXT", "kind": "TEXT NOT NULL DEFAULT 'turn'", "conversation": "TEXT", "ref": "TEXT",
           "key": "TEXT", "kept_at": "REAL NOT NULL DEFAULT 0"}
MINE = "(city = ? OR city IS NULL)"  # NULL: a row of a version that did not tag rows, in this city's own file
EMPTY_FOR_SECONDS = 1.0  # an empty file is believed empty this long (`holds_turns_of`)


class Spool:
    """`keep*()` when the store is down; `replay()` from a background worker when it is back."""

    def __init__(self, path: Path, city: str = "main", lease_seconds: float = 30.0) -> None:
        self.path, self.city, self.lease = path, city, lease_seconds
        self._empty_at = -float("inf")  # when this process last found nothing waiting
        self._inserted, self._inserting = 0, threading.Lock()  # rows this process kept (`holds_turns_of`)
        private_file(path)
        with closing(self._connect()) as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            for statement in SCHEMA:
                connection.execute(statement)
            self._upgrade(connection)
            connection.execute("CREATE INDEX IF NOT EXISTS spool_by_conversation ON spool (conversation)")

    @staticmethod
    def _upgrade(connection: sqlite3.Connection) -> None:
        """Columns added since the first version; rows kept before them get their conversation and a time."""
        present = {row[1] for row in connection.execute("PRAGMA table_info(spool)")}
        for name, kind in COLUMNS.items():
            if name not in present:
                connection.execute(f"ALTER TABLE spool ADD COLUMN {name} {kind}")
        connection.execute("UPDATE spool SET conversation = json_extract(facts, '$.conversation_id') "
                           "WHERE conversation IS NULL AND json_valid(facts)")
        connection.execute("UPDATE spool SET kept_at = ? WHERE kept_at = 0", (time.time(),))

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        connection.execute("PRAGMA synchronous=FULL")
        return connection

    def _insert(self, kind: str, conversation: str, ref: str, payload: dict, key: str | None = None) -> None:
        with closing(self._connect()) as connection:
            connection.execute("INSERT INTO spool (facts, city, kind, conversation, ref, key, kept_at) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?)",
                               (json.dumps(payload, ensure_ascii=False), self.city,
                                kind, conversation, ref, key, time.time()))
        with self._inserting:
            self._inserted += 1
            self._empty_at = -float("inf")

    def keep(self, facts: TurnFacts) -> StoredTurn:
        """Durably queue a turn. Its turn id is negative (a reference into the spool) until it is replayed,
        so 👍/👎 on it can be kept too; the resident can be told an escalation was received."""
        ref = str(secrets.randbelow(2**31 - 2) + 1)
        self._insert("turn", facts.conversation_id, ref, facts.to_json(), uuid.uuid4().hex)
        return StoredTurn(-int(ref), facts.escalation_id)

    def keep_contact(self, conversation: str, escalation_id: str, details: dict[str, str]) -> None:
        """Contact details for an escalation; replayed after it (kept unmasked: a person must use them)."""
        self._insert("contact", conversation, escalation_id, details)

    def keep_feedback(self, conversation: str, turn_id: int, helpful: bool, comment: str) -> None:
        """👍/👎 on a stored turn (positive id) or on one still waiting here (negative id)."""
        self._insert("feedback", conversation, str(turn_id),
                     {"helpful": helpful, "comment": mask_personal_data(comment)})

    def _one(self, query: str, *values: object) -> tuple | None:
        with closing(self._connect()) as connection:
            return connection.execute(query, values).fetchone()

    def holds_escalation(self, conversation: str, escalation_id: str) -> bool:
        """Whether this conversation's escalation still waits here (so its contact details must wait behind
        it)."""
        return self._one(f"SELECT 1 FROM spool WHERE {MINE} AND kind = 'turn' AND conversation = ? AND "
                         "set_aside IS NULL AND json_extract(facts, '$.escalation_id') = ?", self.city,
                         conversation, escalation_id) is not None

    def holds_turns_of(self, conversation: str) -> bool:
        """Whether turns of this conversation wait here: its next turn must wait behind them (stored at
        once, it would come first). Every turn asks, so a file found empty is believed empty for a second."""
        if time.monotonic() - self._empty_at < EMPTY_FOR_SECONDS:
            return False
        waiting, inserted = f"SELECT 1 FROM spool WHERE {MINE} AND set_aside IS NULL", self._inserted
        try:
            with closing(self._connect()) as connection:
                if connection.execute(f"{waiting} LIMIT 1", (self.city,)).fetchone() is None:
                    self._believe_empty(inserted)
                    return False
                return connection.execute(f"{waiting} AND kind = 'turn' AND conversation = ? LIMIT 1",
                                          (self.city, conversation)).fetchone() is not None
        except sqlite3.Error as error:  # an unreadable spool must not keep turns from the store
            log.error("spool %s cannot be read, turns are stored without it: %s", self.path, error)
            self._believe_empty(inserted)
            return False

    def _believe_empty(self, inserted: int) -> None:
        """Found empty: believed so for a second, unless this process kept a row since the look began (it
        may have come after the look and must not be hidden)."""
        with self._inserting:
            if self._inserted == inserted:
                self._empty_at = time.monotonic()

    def turn(self, conversation: str, turn_id: int) -> int | None:
        """A spooled turn's stored id once replayed, None while it waits; NotFoundError if not this
        conversation's."""
        if self._one(f"SELECT 1 FROM spool WHERE {MINE} AND kind = 'turn' AND conversation = ? AND ref = ? "
                     "AND set_aside IS NULL", self.city, conversation, str(-turn_id)) is not None:
            return None
        found = self._one("SELECT turn_id FROM replayed WHERE city = ? AND conversation = ? AND ref = ?",
                          self.city, conversation, str(-turn_id))
        if found is None:
            raise NotFoundError(f"no turn {turn_id} in this conversation")
        return int(found[0])

    def last_offer(self, conversation: str) -> LatestOffer | None:
        """The choices and language of this conversation's latest turn if it waits here (it is newer than any
        stored one)."""
        found = self._one(f"SELECT facts FROM spool WHERE {MINE} AND kind = 'turn' AND conversation = ? AND "
                          "set_aside IS NULL ORDER BY id DESC LIMIT 1", self.city, conversation)
        if found is None:
            return None
        facts = json.loads(found[0])
        return LatestOffer(tuple(facts.get("choices", ())), facts.get("language", "ja"))

    def pending(self) -> int:
        """Rows waiting for the database."""
        return self._count("set_aside IS NULL")

    def set_aside_count(self) -> int:
        """How many rows are set aside (`/healthz` reports it on every poll: a count, not the rows)."""
        return self._count("set_aside IS NOT NULL")

    def _count(self, state: str) -> int:
        counted = self._one(f"SELECT count(*) FROM spool WHERE {MINE} AND {state}", self.city)
        return int(counted[0]) if counted else 0

    def set_aside(self) -> list[tuple[int, str]]:
        """Rows the database refused or that could not be read, with why: kept for a person to look at."""
        with closing(self._connect()) as connection:
            return connection.execute(f"SELECT id, set_aside FROM spool WHERE {MINE} AND set_aside IS NOT "
                                      "NULL ORDER BY id", (self.city,)).fetchall()

    def replay(self, store: ConversationStore) -> int:
        """Write queued rows to the store, oldest first; stops (keeping the rest) if it is down again."""
        replayed = 0
        while (row := self._claim_next()) is not None:
            try:
                turn_id = REPLAY[row.kind](store, row, self.turn)
            except (StoreRefusedError, NotFoundError, ValueError, KeyError) as exc:
                self._put_aside(row.id, str(exc))
                continue
            except StoreUnavailableError:
                self._release(row.id)
                break
            self._forget(row, turn_id)
            replayed += 1
        return replayed

    def _claim_next(self) -> Row | None:
        """The oldest waiting row of this city, unless another worker holds it (then that worker goes on)."""
        now = time.time()
        with closing(self._connect()) as connection:
            found = connection.execute("SELECT id, kind, conversation, ref, key, facts, leased_until FROM "
                                       f"spool WHERE {MINE} AND set_aside IS NULL ORDER BY id LIMIT 1",
                                       (self.city,)).fetchone()
            if found is None or found[6] >= now:
                return None
            won = connection.execute("UPDATE spool SET leased_until = ? WHERE id = ? AND leased_until < ?",
                                     (now + self.lease, found[0], now)).rowcount == 1
        return Row(*found[:6]) if won else None

    def _put_aside(self, row_id: int, reason: str) -> None:
        """Kept for a person to look at, but masked: a set-aside row must not keep personal data for ever."""
        log.error("spooled row %d set aside, not replayed: %s", row_id, reason)
        with closing(self._connect()) as connection:
            text = connection.execute("SELECT facts FROM spool WHERE id = ?", (row_id,)).fetchone()[0]
            connection.execute("UPDATE spool SET set_aside = ?, facts = ? WHERE id = ?",
                               (mask_personal_data(reason), masked(text), row_id))

    def _release(self, row_id: int) -> None:
        with closing(self._connect()) as connection:
            connection.execute("UPDATE spool SET leased_until = 0 WHERE id = ?", (row_id,))

    def _forget(self, row: Row, turn_id: int | None) -> None:
        """Done: gone from the queue; a turn's stored id is remembered for 👍/👎 sent with its spool
        reference."""
        with closing(self._connect()) as connection, connection:
            if turn_id is not None and row.ref:
                connection.execute("INSERT INTO replayed VALUES (?, ?, ?, ?, ?)",
                                   (self.city, row.conversation, row.ref, turn_id, time.time()))
            connection.execute("DELETE FROM spool WHERE id = ?", (row.id,))

    def export(self, belongs: Callable[[str], bool]) -> dict[str, list[dict]]:
        """Rows of the conversations `belongs` picks, by conversation (for a resident's access request). This
        and `delete` and `purge_older_than` cover the whole file, whichever city a row names: it is one
        person's data, and the city's own file."""
        found: dict[str, list[dict]] = {}
        with closing(self._connect()) as connection:
            for conversation, kind, text, reason, at in connection.execute(
                    "SELECT conversation, kind, facts, set_aside, kept_at FROM spool ORDER BY id"):
                if conversation and belongs(conversation):
                    found.setdefault(conversation, []).append({"kind": kind, "kept_at": at,
                                                               "set_aside": reason,
                                                               "data": json.loads(text) if _json(text)
                                                               else text})
        return found

    def delete(self, belongs: Callable[[str], bool]) -> int:
        """Remove the rows (and replay notes) of the conversations `belongs` picks; returns how many rows."""
        with closing(self._connect()) as connection, connection:
            ids = [(i,)
                   for i, c in connection.execute("SELECT id, conversation FROM spool") if c and belongs(c)]
            connection.executemany("DELETE FROM spool WHERE id = ?", ids)
            notes = [(c,) for (c,) in connection.execute("SELECT DISTINCT conversation FROM replayed")
                     if belongs(c)]
            connection.executemany("DELETE FROM replayed WHERE conversation = ?", notes)
        return len(ids)

    def purge_older_than(self, days: int) -> int:
        """The retention period applies here too: rows (waiting or set aside) and notes older than `days`."""
        cutoff = time.time() - days * 86_400
        with closing(self._connect()) as connection, connection:
            connection.execute("DELETE FROM replayed WHERE at < ?", (cutoff,))
            return connection.execute("DELETE FROM spool WHERE kept_at < ?", (cutoff,)).rowcount


def _json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True
