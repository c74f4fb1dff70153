"""What the city keeps in Redis when `MADOGUCHI_REDIS_URL` is set (rate limits, the last offer of choices)
shares one client, one way to name keys and one way to live through Redis being down: each worker keeps its
own copy meanwhile, as without Redis."""

from __future__ import annotations

import hashlib
import logging
import time

import redis

from knowledge.core.errors import ConfigurationError
from knowledge.core.settings import Settings

log = logging.getLogger("madoguchi.limits")
RETRY_SECONDS = 5.0


class RedisOutage:
    """Remembers that Redis failed, so that its users skip it for a few seconds instead of waiting for its
    timeout on every request (a Redis that hangs must not slow every request), and warns once per outage."""

    def __init__(self, what: str) -> None:
        self.what, self.down, self._retry_at = what, False, 0.0

    def skipping(self) -> bool:
        """Whether Redis failed a moment ago and is not to be asked yet."""
        return self.down and time.monotonic() < self._retry_at

    def failed(self, exc: redis.RedisError) -> None:
        """Redis did not answer: skip it for RETRY_SECONDS (warned at the first failure of an outage)."""
        if not self.down:
            log.warning("%s: Redis unreachable (%s); kept per worker until it returns", self.what, exc)
            self.down = True
        self._retry_at = time.monotonic() + RETRY_SECONDS

    def answered(self) -> None:
        """Redis answered: the end of an outage is logged."""
        if self.down:
            log.warning("%s: Redis reachable again; shared across workers", self.what)
            self.down = False


def hashed_key(prefix: str, key: str) -> str:
    """A Redis key: short, and no address, session or conversation id in clear."""
    return prefix + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def redis_client(settings: Settings) -> redis.Redis | None:
    """The configured Redis, or None; connecting is lazy, so a Redis that is down does not stop startup."""
    if settings.redis_url is None:
        return None
    try:
        return redis.Redis.from_url(settings.redis_url.get_secret_value(), socket_connect_timeout=0.5,
                                    socket_timeout=0.5)
    except ValueError:
        raise ConfigurationError("MADOGUCHI_REDIS_URL must be redis://…, rediss://… or unix://…") from None
