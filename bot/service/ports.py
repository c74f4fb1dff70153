"""What the city needs from the outside without naming it: rate limiters and the outbox worker.

The implementations are `bot.service.limits` and the delivery worker (`channels.delivery`); the services
see only these protocols, so the services never import a channel.
"""

from __future__ import annotations

from typing import Protocol


class Limiter(Protocol):
    """Counts events per key; `check` raises RateLimitedError (saying `refusal`) when a key is over. `waits`:
    checking may wait for another server (Redis), so it must not run on an event loop."""

    refusal: str
    waits: bool

    def check(self, key: str) -> None: ...


class OutboxWorker(Protocol):
    """Delivers what the store's outbox holds (and replays the spool) in the background."""

    def wake(self) -> None: ...

    def stop(self) -> None: ...
