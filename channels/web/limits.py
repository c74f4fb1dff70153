"""Input limits: body size, and requests per session, per address and per chat user (sliding window).

Counters live in memory per worker, or in Redis when `MADOGUCHI_REDIS_URL` is set, so that every worker
on every machine shares one limit. If Redis cannot be reached the limiter lets requests through and
logs a warning: a city's bot going dark because its limiter is down is worse than a few extra requests.
"""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
import threading
import time
from collections import defaultdict, deque
from contextlib import suppress

import redis
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.service.ports import Limiter
from channels.web.errors import error_response
from knowledge.core.errors import ConfigurationError, RateLimitedError, RequestError
from knowledge.core.settings import Settings

log = logging.getLogger("madoguchi.limits")
RETRY_SECONDS = 5.0
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
    """The same limit, counted in Redis so that all workers share it; fails open when Redis is down."""

    def __init__(self, client: redis.Redis, key_prefix: str, limit: int, window: float = 60.0,
                 refusal: str = "") -> None:
        self.key_prefix, self.limit, self.window = key_prefix, limit, window
        self.refusal = refusal or web_refusal(limit, window)
        self._script = client.register_script(SLIDING_WINDOW)
        self._unreachable = False
        self._retry_at = 0.0

    def key(self, key: str) -> str:
        """Hashed: keys stay short, and raw addresses and session ids are not kept in Redis in clear."""
        return self.key_prefix + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]

    def check(self, key: str) -> None:
        """Record an event in Redis; RateLimitedError when over the limit; allowed if Redis is unreachable."""
        if self._unreachable and time.monotonic() < self._retry_at:
            return
        try:
            allowed = self._script(keys=[self.key(key)], args=[int(self.window * 1000), self.limit,
                                                               secrets.token_hex(4)])
        except redis.RedisError as exc:
            self._note_unreachable(exc)
            return
        if self._unreachable:
            log.warning("rate limits: Redis reachable again; limits are shared across workers")
            self._unreachable = False
        if not allowed:
            raise RateLimitedError(self.refusal, math.ceil(self.window))

    def _note_unreachable(self, exc: redis.RedisError) -> None:
        """Warn once per outage, not once per request, and wait a little before trying again, so that a
        Redis that hangs does not slow every request by its timeout."""
        if not self._unreachable:
            log.warning("rate limits: Redis unreachable (%s); serving without limits until it returns", exc)
            self._unreachable = True
        self._retry_at = time.monotonic() + RETRY_SECONDS


def redis_client(settings: Settings) -> redis.Redis | None:
    """The configured Redis, or None; connecting is lazy, so a Redis that is down does not stop startup."""
    if settings.redis_url is None:
        return None
    try:
        return redis.Redis.from_url(settings.redis_url.get_secret_value(), socket_connect_timeout=0.5,
                                    socket_timeout=0.5)
    except ValueError:
        raise ConfigurationError("MADOGUCHI_REDIS_URL must be redis://…, rediss://… or unix://…") from None


def build_limiters(settings: Settings) -> tuple[Limiter, Limiter, Limiter]:
    """Per session, per address and per chat user (whose refusal is a chat reply, not an error text);
    shared through one Redis connection pool when configured."""
    client = redis_client(settings)

    def make(name: str, limit: int, refusal: str = "") -> Limiter:
        if client is None:
            return RateLimiter(limit, refusal=refusal)
        return RedisRateLimiter(client, f"{settings.redis_prefix}rate:{name}:", limit, refusal=refusal)

    return (make("session", settings.rate_per_session), make("address", settings.rate_per_address),
            make("chat-user", settings.rate_per_chat_user, CHAT_REFUSAL))


class BodySizeLimit:
    """Refuses request bodies over `max_bytes` with 413, before the app reads them."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        seen, over, started = 0, False, False

        async def counted() -> Message:
            nonlocal seen, over
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                over = True
                raise _TooLarge
            return message

        async def unless_over(message: Message) -> None:
            nonlocal started
            if started or not over:  # the app may turn our exception into its own 400 (a chunked body): 413 it is
                started = started or message["type"] == "http.response.start"
                await send(message)

        with suppress(_TooLarge):
            await self.app(scope, counted, unless_over)
        if over and not started:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(413, f"request body over {self.max_bytes} bytes")
        await response(scope, receive, send)


class _TooLarge(RequestError):
    """A streamed body went over the limit; handled as 413 wherever it surfaces."""

    status = 413
