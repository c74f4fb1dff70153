"""A background thread per server process: replays the spool, works the outbox until empty, then waits.

Woken at once when this process adds work (a reply), and every `interval` seconds otherwise, so rows
added by other workers, retries that came due and leases of crashed workers are all picked up.
"""

from __future__ import annotations

import logging
import threading

from bot.service.contracts import Delivery, OutboxItem, Spool
from bot.service.desk import DeskServices
from channels.delivery.work import HANDLERS
from knowledge.core.errors import StoreUnavailableError
from knowledge.core.settings import Settings

log = logging.getLogger("madoguchi.delivery")


class Dispatcher:
    """`start()` in the app's lifespan, `stop()` at shutdown; `run_once()` does one pass (tests, CLI)."""

    def __init__(self, settings: Settings, desk: DeskServices, interval: float = 1.0,
                 spool: Spool | None = None) -> None:
        self.settings, self.desk, self.interval, self.spool = settings, desk, interval, spool
        self.outbox = desk.outbox
        self._wake, self._stop = threading.Event(), threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Dispatcher:
        """Run in a daemon thread."""
        self._thread = threading.Thread(target=self._loop, name="madoguchi-outbox", daemon=True)
        self._thread.start()
        return self

    def wake(self) -> None:
        """New work was committed: look now rather than at the next tick."""
        self._wake.set()

    def stop(self) -> None:
        """Finish the current item and end."""
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=15)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                while self.run_once() and not self._stop.is_set():
                    pass
            except StoreUnavailableError as exc:
                log.warning("outbox paused: %s", exc)
            self._wake.wait(self.interval)
            self._wake.clear()

    def run_once(self) -> int:
        """Replay spooled turns, then handle every outbox row due now; returns how many were claimed."""
        if self.spool is not None:
            self.spool.replay(self.outbox.store)
        items = self.outbox.claim_due()
        for item in items:
            self._handle(item)
        return len(items)

    def _handle(self, item: OutboxItem) -> None:
        try:
            HANDLERS[item.kind](self.settings, self.desk, item)
        except Exception as exc:  # any failure of a far service: retry later, never crash the loop
            log.warning("outbox %s %s failed (try %d): %s", item.kind, item.key, item.attempts, exc)
            if self.outbox.retry_later(item, f"{type(exc).__name__}: {exc}") and item.kind == "reply":
                self.desk.escalations.set_delivery(item.escalation_id or "", Delivery.UNDELIVERED)
            return
        self.outbox.done(item)
