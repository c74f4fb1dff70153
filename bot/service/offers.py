"""What the city offered last in each conversation, for a click that arrives while the store is down.

The store keeps every offer; this memory answers only while it cannot be read. In one process it is a bounded
dictionary. With `MADOGUCHI_REDIS_URL` set it is kept in Redis as well, so that a click reaching another
worker than the one that offered is still accepted: with several workers and only per-process memory, such a
click got 503 while the database was down. A Redis that is down too leaves each worker its own memory.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from threading import Lock
from typing import Protocol

import redis

from bot.service.limits import RedisOutage, hashed_key
from knowledge.core.settings import Settings

KEEP_SECONDS = 86_400  # a resident may click a choice the next morning


class Offers(Protocol):
    """Remembers the latest choices offered per conversation."""

    def remember(self, conversation: str, choices: tuple[str, ...]) -> None: ...

    def get(self, conversation: str) -> tuple[str, ...] | None: ...


class RecentOffers:
    """The choices this process last offered in each conversation (bounded)."""

    def __init__(self, size: int = 10_000) -> None:
        self._offers: OrderedDict[str, tuple[str, ...]] = OrderedDict()
        self._size, self._lock = size, Lock()

    def remember(self, conversation: str, choices: tuple[str, ...]) -> None:
        """The newest offer; the oldest conversation is forgotten past `size`."""
        with self._lock:
            self._offers[conversation] = choices
            self._offers.move_to_end(conversation)
            while len(self._offers) > self._size:
                self._offers.popitem(last=False)

    def get(self, conversation: str) -> tuple[str, ...] | None:
        """The last offer this process made in the conversation, if it remembers one."""
        with self._lock:
            return self._offers.get(conversation)


class SharedOffers:
    """The same memory, written through to Redis (a day per conversation) so every worker reads it."""

    def __init__(self, client: redis.Redis, key_prefix: str) -> None:
        self._client, self._prefix, self._local = client, key_prefix, RecentOffers()
        self._outage = RedisOutage("offers")

    def remember(self, conversation: str, choices: tuple[str, ...]) -> None:
        """Here and in Redis (here only while Redis is down)."""
        self._local.remember(conversation, choices)
        if self._outage.skipping():
            return
        try:
            self._client.set(hashed_key(self._prefix, conversation), json.dumps(choices), ex=KEEP_SECONDS)
        except redis.RedisError as exc:
            self._outage.failed(exc)
        else:
            self._outage.answered()

    def get(self, conversation: str) -> tuple[str, ...] | None:
        """Redis's copy, which any worker may have written; this process's own while Redis is down."""
        if self._outage.skipping():
            return self._local.get(conversation)
        try:
            found = self._client.get(hashed_key(self._prefix, conversation))
        except redis.RedisError as exc:
            self._outage.failed(exc)
            return self._local.get(conversation)
        self._outage.answered()
        return tuple(json.loads(found)) if found is not None else self._local.get(conversation)


def remembered_offers(settings: Settings, client: redis.Redis | None) -> Offers:
    """Shared through Redis when one is configured, else this process's own."""
    return RecentOffers() if client is None else SharedOffers(client, f"{settings.redis_prefix}offers:")
