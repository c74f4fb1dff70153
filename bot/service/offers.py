"""What the city offered last in each conversation, for a click that arrives while the store is down.

The store keeps every offer; this memory answers only while it cannot be read. In one process it is a bounded
dictionary. With `MADOGUCHI_REDIS_URL` set it is kept in Redis as well, so that a click reaching another
worker than the one that offered is still accepted: with several workers and only per-process memory, such a
click got 503 while the database was down. A Redis that is down too leaves each worker its own memory, and
once it is back the newer of the two copies counts.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from threading import Lock
from typing import Protocol

import redis

from bot.service.shared_redis import RedisOutage, hashed_key
from bot.store.facts import LatestOffer
from knowledge.core.settings import Settings

KEEP_SECONDS = 86_400  # a resident may click a choice the next morning


@dataclass(frozen=True, slots=True)
class Offer:
    """Choices offered, when (wall-clock seconds), in which language, and whether Redis holds them too."""

    at: float
    choices: tuple[str, ...]
    shared: bool = False
    language: str = "ja"

    def to_json(self) -> str:
        return json.dumps({"at": self.at, "choices": self.choices, "language": self.language})

    @classmethod
    def from_json(cls, text: str | bytes) -> Offer:
        """An offer a worker stored; one stored before offers were dated is a plain list, older than any."""
        data = json.loads(text)
        if isinstance(data, list):
            return cls(0.0, tuple(data), shared=True)
        return cls(float(data["at"]), tuple(data["choices"]), shared=True,
                   language=data.get("language", "ja"))

    @property
    def latest(self) -> LatestOffer:
        """As the store reads it."""
        return LatestOffer(self.choices, self.language)


class Offers(Protocol):
    """Remembers the latest choices offered per conversation."""

    def remember(self, conversation: str, choices: tuple[str, ...], language: str = "ja") -> None: ...

    def get(self, conversation: str) -> LatestOffer | None: ...


class RecentOffers:
    """The choices this process last offered in each conversation (bounded), with when it offered them."""

    def __init__(self, size: int = 10_000) -> None:
        self._offers: OrderedDict[str, Offer] = OrderedDict()
        self._size, self._lock = size, Lock()

    def remember(self, conversation: str, choices: tuple[str, ...], language: str = "ja") -> None:
        """The newest offer; the oldest conversation is forgotten past `size`."""
        self.keep(conversation, Offer(time.time(), choices, language=language))

    def keep(self, conversation: str, offer: Offer) -> None:
        """An offer made at a known time (SharedOffers marks it shared once Redis has it)."""
        with self._lock:
            self._offers[conversation] = offer
            self._offers.move_to_end(conversation)
            while len(self._offers) > self._size:
                self._offers.popitem(last=False)

    def dated(self, conversation: str) -> Offer | None:
        """The last offer this process made in the conversation, if it remembers one."""
        with self._lock:
            return self._offers.get(conversation)

    def get(self, conversation: str) -> LatestOffer | None:
        """The choices of that offer and their language."""
        offer = self.dated(conversation)
        return offer.latest if offer else None


class SharedOffers:
    """The same memory, written through to Redis (a day per conversation) so every worker reads it. Redis's
    copy counts, unless this worker made a newer offer while Redis was down: Redis still holds the one it
    replaced."""

    def __init__(self, client: redis.Redis, key_prefix: str) -> None:
        self._client, self._prefix, self._local = client, key_prefix, RecentOffers()
        self._outage = RedisOutage("offers")

    def remember(self, conversation: str, choices: tuple[str, ...], language: str = "ja") -> None:
        """Here and in Redis (here only while Redis is down)."""
        offer = Offer(time.time(), choices, language=language)
        self._local.keep(conversation, offer)
        if self._outage.skipping():
            return
        try:
            self._client.set(hashed_key(self._prefix, conversation), offer.to_json(), ex=KEEP_SECONDS)
        except redis.RedisError as exc:
            self._outage.failed(exc)
        else:
            self._outage.answered()
            self._local.keep(conversation, replace(offer, shared=True))

    def get(self, conversation: str) -> LatestOffer | None:
        """Redis's copy, which any worker may have written; this process's own when Redis has none or is down,
        or when its own is newer and was never written to Redis."""
        own, theirs = self._local.dated(conversation), self._shared(conversation)
        if own is not None and (theirs is None or (not own.shared and own.at > theirs.at)):
            return own.latest
        return theirs.latest if theirs is not None else None

    def _shared(self, conversation: str) -> Offer | None:
        """Redis's copy; None while Redis is down."""
        if self._outage.skipping():
            return None
        try:
            found = self._client.get(hashed_key(self._prefix, conversation))
        except redis.RedisError as exc:
            self._outage.failed(exc)
            return None
        self._outage.answered()
        return Offer.from_json(found) if found is not None else None


def remembered_offers(settings: Settings, client: redis.Redis | None) -> Offers:
    """Shared through Redis when one is configured, else this process's own."""
    return RecentOffers() if client is None else SharedOffers(client, f"{settings.redis_prefix}offers:")
