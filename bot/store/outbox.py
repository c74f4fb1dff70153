"""The outbox: side effects (desk notifications, reply deliveries) stored with the change that causes them.

A row is written in the same transaction as its escalation or reply, so a crash can delay a
notification but never lose it. Workers claim due rows by compare-and-set on `due_at` (a lease that
works the same on SQLite and PostgreSQL); a claimed row whose worker died becomes due again when the
lease runs out. Failures back off exponentially; after `max_attempts` a row is marked failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, func, select, update
from sqlalchemy.orm import Session

from bot.store.database import rows_touched
from bot.store.repository import ConversationStore
from bot.store.states import OutboxState
from bot.store.tables import OutboxMessage, utcnow


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A claimed piece of work."""

    id: int
    kind: str
    key: str
    escalation_id: str | None
    payload: dict
    attempts: int


def enqueue(session: Session, kind: str, key: str, escalation_id: str | None = None,
            payload: dict | None = None) -> None:
    """Add work inside the caller's transaction."""
    session.add(OutboxMessage(kind=kind, key=key, escalation_id=escalation_id, payload=payload or {}))


# Built once and run on a bare connection: every escalation's row is leased and marked done, and a
# statement built per call, run through the ORM (which checks the session's objects against its WHERE), cost
# the outbox worker more CPU than the escalation's own turn cost the store.
LEASE = (update(OutboxMessage)
         .where(OutboxMessage.id == bindparam("row"), OutboxMessage.due_at == bindparam("was_due"),
                OutboxMessage.state == OutboxState.PENDING)
         .values(due_at=bindparam("lease_until"), attempts=bindparam("tries")))
DONE = (update(OutboxMessage).where(OutboxMessage.id == bindparam("row"))
        .values(state=OutboxState.DONE, last_error=""))


class Outbox:
    """Claim, complete and retry outbox rows."""

    def __init__(self, store: ConversationStore, max_attempts: int = 8, lease_seconds: float = 30.0,
                 first_delay_seconds: float = 2.0) -> None:
        self.store, self.max_attempts = store, max_attempts
        self.lease, self.first_delay = timedelta(seconds=lease_seconds), first_delay_seconds

    def claim_due(self, limit: int = 20) -> list[OutboxItem]:
        """Rows due now, each leased to this caller alone; all the leases in one transaction (one commit, not
        one per row: on SQLite each commit waits for the disk, in line with the residents' turns)."""
        now = utcnow()
        with self.store.guard(), self.store.session() as session:
            rows = list(
                session.scalars(select(OutboxMessage).where(OutboxMessage.state == OutboxState.PENDING,
                                                            OutboxMessage.due_at <= now)
                                .order_by(OutboxMessage.id).limit(limit)))
        if not rows:
            return []
        with self.store.guard(), self.store.writing_rows() as connection:
            return [item for row in rows if (item := self._lease(connection, row, now))]

    def _lease(self, connection: Connection, row: OutboxMessage, now: datetime) -> OutboxItem | None:
        lease = {"row": row.id, "was_due": row.due_at, "lease_until": now + self.lease,
                 "tries": row.attempts + 1}
        won = rows_touched(connection.execute(LEASE, lease)) == 1
        return OutboxItem(row.id, row.kind, row.key, row.escalation_id, row.payload or {},
                          row.attempts + 1) if won else None

    def add_once(self, escalation_id: str | None, kinds: list[str]) -> None:
        """One row per kind for the escalation, keyed `kind:escalation`; a key already written (a fan-out
        retried after one of its rows was added) is not added twice. No kinds (no Slack, no webhook): nothing
        to write."""
        if not kinds:
            return
        with self.store.guard(), self.store.writing() as session:
            existing = set(session.scalars(
                select(OutboxMessage.key).where(OutboxMessage.escalation_id == escalation_id)))
            for kind in kinds:
                if f"{kind}:{escalation_id}" not in existing:
                    enqueue(session, kind, f"{kind}:{escalation_id}", escalation_id)

    def done(self, item: OutboxItem) -> None:
        """The work succeeded."""
        with self.store.guard(), self.store.writing_rows() as connection:
            connection.execute(DONE, {"row": item.id})

    def retry_later(self, item: OutboxItem, error: str) -> bool:
        """Back off (2 s, 4 s, 8 s, … capped at 10 min); True when this was the last attempt."""
        if item.attempts >= self.max_attempts:
            self._set(item.id, state=OutboxState.FAILED, last_error=error[:2000])
            return True
        delay = min(self.first_delay * 2 ** (item.attempts - 1), 600.0)
        self._set(item.id, due_at=utcnow() + timedelta(seconds=delay), last_error=error[:2000])
        return False

    def _set(self, item_id: int, **values: object) -> None:
        with self.store.guard(), self.store.writing() as session:
            session.execute(update(OutboxMessage).where(OutboxMessage.id == item_id).values(**values))

    def counts(self) -> dict[str, int]:
        """Rows per state, for health pages."""
        with self.store.guard(), self.store.session() as session:
            rows = session.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state))
            return dict(rows.tuples().all())
