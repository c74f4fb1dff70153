"""Remembering that the store just failed a turn, so that the residents after it are not each kept waiting.

A database that stops answering is found out only by waiting for it: a turn waits for the store's connect
timeout before it is spooled (2 s with the default settings; the check of a pooled connection is bounded the
same, bot/store/timeouts.py). Without a memory of that, every resident who asked during the outage waited as
long. Once one turn has found the store down, the turns, 👍/👎 and contact details after it go straight to the
spool, and a thread of its own asks the store, once a second, whether it answers again; the first answer ends
the outage. The spool replays its rows in order, as it always did.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from knowledge.core.errors import StoreUnavailableError

if TYPE_CHECKING:
    from bot.store.spool import Spool

Kept = TypeVar("Kept")
log = logging.getLogger("madoguchi.store")
CHECK_EVERY_SECONDS = 1.0


class StoreOutage:
    """`down` while the store last failed a turn and has not answered a check since; `failed()` starts it."""

    def __init__(self, answers: Callable[[], bool], every: float = CHECK_EVERY_SECONDS) -> None:
        self._answers, self._every = answers, every
        self._lock = threading.Lock()
        self._down = False
        self._stopped = threading.Event()

    @property
    def down(self) -> bool:
        """Whether turns should go to the spool without trying the store."""
        return self._down

    def failed(self) -> None:
        """A turn found the store down: spool the turns after it until the store answers a check again."""
        with self._lock:
            if self._down or self._stopped.is_set():
                return
            self._down = True
        log.warning("conversation store down: turns go to the local spool until it answers again")
        threading.Thread(target=self._watch, name="madoguchi-store-outage", daemon=True).start()

    def store_or_spool(self, spool: Spool | None, store: Callable[[], Kept], keep: Callable[[Spool], Kept],
                       waits: bool = False) -> Kept:
        """`store()`; or `keep(spool)` at once while the store is known to be down or the row must wait
        behind others (`waits`), or when `store()` finds the store down, which starts the outage. Without a
        spool, the store's error is raised."""
        if spool is not None and (waits or self._down):
            return keep(spool)
        try:
            return store()
        except StoreUnavailableError:
            if spool is None:
                raise
            self.failed()
            return keep(spool)

    def stop(self) -> None:
        """No more checks (the city is stopping); a check under way ends on its own timeout."""
        self._stopped.set()

    def _watch(self) -> None:
        while not self._stopped.wait(self._every):
            if self._answers():
                with self._lock:
                    self._down = False
                log.warning("conversation store answers again: turns are stored again")
                return
