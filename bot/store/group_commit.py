"""Turns that wait for one SQLite writer go in together, in its next transaction: one commit, one fsync.

A SQLite database commits one write transaction at a time, and with `synchronous=FULL` each commit waits for
the disk (2–4 ms here). A worker that stored each turn in a transaction of its own paid a third of a
request's CPU for that transaction (session, connection, statements, commit) and a disk wait per turn. Here
the thread that finds no write under way writes its turn and every turn queued
while the last commit was on its way, in one transaction; each caller still returns only after the commit
that holds its own turn, so a reply (and the promise of an escalation) is never sent before its turn is on
disk. Callers that time out before any writer took their turn withdraw it: it was never written, and the
caller's outage path (the spool) keeps it instead.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy import exc

Turn = TypeVar("Turn")
Stored = TypeVar("Stored")


@dataclass(slots=True)
class _Queued(Generic[Turn, Stored]):
    """One caller's turn and, once its transaction ended, what became of it."""

    turn: Turn
    settled: bool = False
    outcome: Stored | BaseException | None = field(default=None)

    def result(self) -> Stored:
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome  # type: ignore[return-value]  # settled: a Stored


class GroupCommit(Generic[Turn, Stored]):
    """`run(turn)` returns once a transaction holding `turn` committed (or raises what ended it).

    `write(turns)` is given every turn of one transaction and returns one result per turn, in order: a
    stored value, or the exception that one turn alone met (a value the database refused). An exception
    raised by `write` itself ended the whole transaction (the store is unavailable): every turn in it gets
    that exception."""

    def __init__(self, write: Callable[[list[Turn]], list[Stored | BaseException]], seconds: float) -> None:
        self._write, self._seconds = write, seconds
        self._changed = threading.Condition()
        self._queue: list[_Queued[Turn, Stored]] = []
        self._writing = False

    def run(self, turn: Turn) -> Stored:
        """Queue the turn; write it (with all queued beside it) when no write is under way."""
        queued: _Queued[Turn, Stored] = _Queued(turn)
        with self._changed:
            self._queue.append(queued)
            self._wait_for_writer(queued)
            if queued.settled:
                return queued.result()
            self._writing = True
            batch, self._queue = self._queue, []
        self._settle(batch, self._write_all(batch))
        return queued.result()

    def _wait_for_writer(self, queued: _Queued[Turn, Stored]) -> None:
        """Until this turn is settled by another's transaction or no write is under way. Out of time while
        still queued, the turn is withdrawn, never written: a TimeoutError, as waiting for a connection."""
        deadline = time.monotonic() + self._seconds
        while self._writing and not queued.settled:
            left = deadline - time.monotonic()
            if left <= 0 and queued in self._queue:
                self._queue.remove(queued)
                raise exc.TimeoutError(f"the conversation store took no write for {self._seconds} s")
            self._changed.wait(left if left > 0 else None)  # taken by a writer: its commit settles it

    def _write_all(self, batch: list[_Queued[Turn, Stored]]) -> list[Stored | BaseException]:
        try:
            return self._write([queued.turn for queued in batch])
        except BaseException as error:  # the transaction ended: none of its turns was stored
            return [error] * len(batch)

    def _settle(self, batch: list[_Queued[Turn, Stored]], outcomes: list[Stored | BaseException]) -> None:
        with self._changed:
            try:
                for queued, outcome in zip(batch, outcomes, strict=True):
                    queued.outcome, queued.settled = outcome, True
            finally:  # the next writer is let in whatever happened
                self._writing = False
                self._changed.notify_all()
