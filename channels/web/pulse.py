"""Whether the store answers, as `/healthz` reports it: measured at most once every two seconds.

A store check holds a thread for up to a second against a silent database, and anyone can call `/healthz`:
a burst of calls (a misconfigured monitor, or someone on purpose) would otherwise be a burst of database
pings. Callers that arrive while a check runs wait for it and share its result.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from fastapi import FastAPI

FRESH_SECONDS = 2.0
PROBE_SECONDS = 1.0  # /healthz answers within this (plus the spool count) whatever the store does


class StorePulse:
    """The last answer of `check` (the store's ping), reused while it is fresh."""

    def __init__(self, check: Callable[[], bool], fresh_seconds: float = FRESH_SECONDS) -> None:
        self.check, self.fresh_seconds = check, fresh_seconds
        self._lock = threading.Lock()
        self._answer, self._at = False, -math.inf

    def __call__(self) -> bool:
        with self._lock:
            if time.monotonic() - self._at > self.fresh_seconds:
                self._answer, self._at = self.check(), time.monotonic()
            return self._answer


def install_store_pulse(app: FastAPI, ping: Callable[[float], bool]) -> None:
    """Give the app its store check for /healthz, in its lifespan beside the city (`ping`: the store's)."""
    app.state.store_pulse = StorePulse(lambda: ping(PROBE_SECONDS))
