"""One writer thread per city keeps the turns of questions answered on the event loop.

A question the web answers on the event loop (`City.answers_at_once`) must not wait there for the store: a
commit waits for the disk, a database may be slow or gone. Its turn is handed to this queue instead. One
thread writes every turn waiting in one transaction, and wakes each event loop once for all of its turns of
that transaction, so a worker answering eight residents at once hands work between threads a few times per
batch instead of several times per request (BENCHMARKS.md, "A lean runtime: the answer on the event loop").
A request still returns only after the commit that holds its turn, or after the spool kept it: a reply, and
the promise of an escalation, is never sent for a turn that was not kept. A turn still waiting when the
store's statement timeout runs out is withdrawn and spooled (`late`), as a request that waited for the store
that long would have been.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass

from bot.store import StoredTurn
from bot.store.facts import TurnFacts

Write = Callable[[list[TurnFacts]], list[StoredTurn | BaseException]]
WITHDRAWN = object()  # taken off the queue by its timer, never written


@dataclass(slots=True)
class _Waiting:
    """A turn and the event loop future its request awaits."""

    facts: TurnFacts
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future


class TurnQueue:
    """`await keep(facts)` returns once the turn is stored (or spooled), or raises what refused it.

    `write(turns)` stores all of them in one transaction and returns one result per turn, in order; `late`
    keeps a turn the writer did not take within `seconds` (the spool)."""

    def __init__(self, write: Write, late: Callable[[TurnFacts], StoredTurn], seconds: float) -> None:
        self._write, self._late, self._seconds = write, late, seconds
        self._changed = threading.Condition()
        self._queue: list[_Waiting] = []
        self._thread: threading.Thread | None = None
        self._stopping = False

    async def keep(self, facts: TurnFacts) -> StoredTurn:
        """Queue the turn for the writer thread and wait for its transaction (or for the spool)."""
        loop = asyncio.get_running_loop()
        waiting = _Waiting(facts, loop, loop.create_future())
        with self._changed:
            self._queue.append(waiting)
            self._start()
            self._changed.notify()
        timer = loop.call_later(self._seconds, self._withdraw, waiting)
        try:
            outcome = await waiting.future
        finally:
            timer.cancel()
        if outcome is WITHDRAWN:
            return await loop.run_in_executor(None, self._late, facts)
        return outcome

    def stop(self) -> None:
        """Let the writer finish what it holds and end (turns queued later start it again)."""
        with self._changed:
            self._stopping = True
            self._changed.notify()
        if self._thread is not None:
            self._thread.join(timeout=self._seconds + 1)

    def _start(self) -> None:
        """The writer thread, started with the first turn (a city that never answers on the loop has none)."""
        if self._thread is None or not self._thread.is_alive():
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="madoguchi-turns", daemon=True)
            self._thread.start()

    def _withdraw(self, waiting: _Waiting) -> None:
        """On the loop, when the turn waited `seconds`: still queued, it is taken off and spooled instead."""
        with self._changed:
            if waiting not in self._queue:
                return  # being written: its transaction ends within the store's own timeout
            self._queue.remove(waiting)
        if not waiting.future.done():
            waiting.future.set_result(WITHDRAWN)

    def _run(self) -> None:
        while (batch := self._next_batch()) is not None:
            self._settle_all(batch, self._write_all(batch))

    def _next_batch(self) -> list[_Waiting] | None:
        """Every turn waiting now; None once stopped with nothing left."""
        with self._changed:
            while not self._queue and not self._stopping:
                self._changed.wait()
            batch, self._queue = self._queue, []
        return batch or None

    def _write_all(self, batch: list[_Waiting]) -> list[StoredTurn | BaseException]:
        try:
            return self._write([waiting.facts for waiting in batch])
        except Exception as failed:  # every request of the batch gets it; the thread goes on
            return [failed] * len(batch)

    @staticmethod
    def _settle_all(batch: list[_Waiting], outcomes: list[StoredTurn | BaseException]) -> None:
        """One wake-up per event loop for all of its turns in the batch."""
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Waiting, StoredTurn | BaseException]]] = {}
        for waiting, outcome in zip(batch, outcomes, strict=True):
            by_loop.setdefault(waiting.loop, []).append((waiting, outcome))
        for loop, settled in by_loop.items():
            with suppress(RuntimeError):  # that loop closed: nobody awaits its turns any more
                loop.call_soon_threadsafe(_settle, settled)


def _settle(settled: list[tuple[_Waiting, StoredTurn | BaseException]]) -> None:
    for waiting, outcome in settled:
        if waiting.future.done():
            continue
        if isinstance(outcome, BaseException):
            waiting.future.set_exception(outcome)
        else:
            waiting.future.set_result(outcome)
