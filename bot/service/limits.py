"""Rate limits: in memory per worker, or shared by every worker through Redis when `MADOGUCHI_REDIS_URL` is
set (per worker again while Redis is unreachable). The city's per-person limits (a widget session, a LINE or
Slack user) are built here for `City.admit`; the web's per-address limit and the desk's sign-in limit use the
same limiters, but the address is HTTP's, so those stay with their adapters (`channels.web.address_limit`)."""

from __future__ import annotations

import math
import secrets
import threading
import time
from collections import defaultdict, deque

import redis

from bot.service.ports import Limiter
from bot.service.shared_redis import RedisOutage, hashed_key
from knowledge.core.errors import RateLimitedError
from knowledge.core.settings import Settings

CHAT_REFUSAL = ("短い時間にたくさんのメッセージをいただいたため、少しお待ちいただいています。"
                     "1分ほどたってから、もう一度お送りください。")
# One atomic step: drop events older than the window, refuse when full, else record this one.
# The clock is Redis's own, so workers on machines with skewed clocks still agree.
SLIDING_WINDOW = """
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ms - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ms, now[1] .. now[2] .. ':' .. ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return 1
"""


def web_refusal(limit: int, window: float) -> str:
    """Friendly for a resident reading it in the widget, exact for a developer."""
    return (f"ご質問が続いたため、少しお待ちください。1分ほどたってから、もう一度お試しください。"
            f"(too many requests: at most {limit} per {int(window)} s)")


class RateLimiter:
    """At most `limit` events per key in any `window` seconds, counted in this process."""

    waits = False

    def __init__(self, limit: int, window: float = 60.0, refusal: str = "") -> None:
        self.limit, self.window = limit, window
        self.refusal = refusal or web_refusal(limit, window)
        self._events: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def check(self, key: str) -> None:
        """Record an event; RateLimitedError when the key is over its limit."""
        now = time.monotonic()
        with self._lock:
            events = self._events[key]
            while events and events[0] <= now - self.window:
                events.popleft()
            if len(events) >= self.limit:
                raise RateLimitedError(self.refusal, math.ceil(events[0] + self.window - now))
            events.append(now)


class RedisRateLimiter:
    """The same limit, counted in Redis so that all workers share it. While Redis is unreachable each worker
    counts on its own, as without Redis: a limiter outage neither stops the bot nor lifts the limits (the
    desk's sign-in limit per address among them)."""

    waits = True

    def __init__(self, client: redis.Redis, key_prefix: str, limit: int, window: float = 60.0,
                 refusal: str = "") -> None:
        self.key_prefix, self.limit, self.window = key_prefix, limit, window
        self.refusal = refusal or web_refusal(limit, window)
        self._script = client.register_script(SLIDING_WINDOW)
        self._local = RateLimiter(limit, window, self.refusal)
        self._outage = RedisOutage("rate limits")

    def key(self, key: str) -> str:
        """Hashed: keys stay short, and raw addresses and session ids are not kept in Redis in clear."""
        return hashed_key(self.key_prefix, key)

    def check(self, key: str) -> None:
        """Record an event in Redis (in this process while Redis is unreachable); RateLimitedError when over
        the limit."""
        if self._outage.skipping():
            return self._local.check(key)
        try:
            allowed = self._script(keys=[self.key(key)], args=[int(self.window * 1000), self.limit,
                                                               secrets.token_hex(4)])
        except redis.RedisError as exc:
            self._outage.failed(exc)
            return self._local.check(key)
        self._outage.answered()
        if not allowed:
            raise RateLimitedError(self.refusal, math.ceil(self.window))


def make_limiter(settings: Settings, client: redis.Redis | None, name: str, limit: int,
                 refusal: str = "") -> Limiter:
    """`limit` events a minute per key: counted in this process, or in Redis under `<prefix>rate:<name>:`."""
    if client is None:
        return RateLimiter(limit, refusal=refusal)
    return RedisRateLimiter(client, f"{settings.redis_prefix}rate:{name}:", limit, refusal=refusal)


def build_limiters(settings: Settings, client: redis.Redis | None) -> tuple[Limiter, Limiter]:
    """The city's per-person limits: per widget session, and per chat user (whose refusal is a chat reply,
    not an error text); shared through the city's Redis connection pool when one is configured."""
    return (make_limiter(settings, client, "session", settings.rate_per_session),
            make_limiter(settings, client, "chat-user", settings.rate_per_chat_user, CHAT_REFUSAL))
