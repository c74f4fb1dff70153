"""What this server worker's desk keeps beside its city: the sign-in limiter, the background publisher,
learner and drafter, and the checks of the index it serves (contradictions, mistranslated numbers).

They belong to the worker, not to the city's data: the publisher and the learner each run one background
thread per process, and the drafter holds a client of the city's model server. Each is made on first use —
the publisher borrows the model the bot serves at that moment, and drafting loads LangChain only when an
agent first asks for a draft — so the app's lifespan needs no desk-specific code.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import Request

from bot.service.city import City
from bot.service.publisher import Publisher
from channels.desk.learner import Learner
from channels.desk.render import city
from indexer.embedding import LentEmbedder
from knowledge.core.settings import Settings

if TYPE_CHECKING:  # channels.web imports the desk; the desk must not import channels.web at load time
    from bot.contradictions import Contradiction
    from bot.drafting import Drafter
    from bot.service.ports import Limiter
    from bot.translation_numbers import Mistranslation
    from indexer.index import KnowledgeIndex

_BUILD_LOCK = threading.Lock()


def login_limiter(settings: Settings) -> Limiter:
    """Sign-in attempts per client address; shared through Redis when configured, like the API's limits."""
    from bot.service.limits import make_limiter
    from bot.service.shared_redis import redis_client

    return make_limiter(settings, redis_client(settings), "desk-login", settings.desk_login_rate_per_address)


def refusal_notes(settings: Settings) -> Limiter:
    """One audited refusal a minute per address: a flood of refused sign-ins must not flood the log."""
    from bot.service.limits import make_limiter
    from bot.service.shared_redis import redis_client

    return make_limiter(settings, redis_client(settings), "desk-login-noted", 1)


@dataclass(frozen=True, slots=True)
class IndexChecks:
    """What the content-health page finds in one index version's entries."""

    index: KnowledgeIndex
    contradictions: list[Contradiction]
    mistranslated: list[Mistranslation]


class DeskWorker:
    """The desk's parts in this process, for one city."""

    def __init__(self, served: City) -> None:
        self.city = served
        self.login_limiter = login_limiter(served.settings)
        self.refusal_notes = refusal_notes(served.settings)
        self.publishing: Publisher | None = None  # None until the first decision asks for a rebuild
        self._learner: Learner | None = None
        self._drafter: Drafter | None = None
        self.checked: IndexChecks | None = None
        self._guard = threading.Lock()

    @property
    def publisher(self) -> Publisher:
        """The publisher, made at the first decision; it builds with the bot's own model, lent in slices."""
        with self._guard:
            if self.publishing is None:
                lent = LentEmbedder(self.city.bot.runtime.embedder)
                self.publishing = Publisher(self.city.settings, self.city.desk.entries, lent)
            return self.publishing

    def finish(self, timeout: float) -> None:
        """At shutdown: let a publish or learning run in progress end, rather than stop its thread inside
        Sudachi or FAISS when the interpreter exits (a version is only switched on when whole either way)."""
        for running in (self.publishing, self._learner):
            if running is not None:
                running.wait(timeout)

    @property
    def learner(self) -> Learner:
        """The learner of 「学習して公開」, made on first use."""
        with self._guard:
            self._learner = self._learner or Learner(self.city)
            return self._learner

    @property
    def drafter(self) -> Drafter:
        """The drafter of suggested replies, made (and LangChain loaded) at the first draft asked for."""
        from bot.drafting import Drafter

        with self._guard:
            if self._drafter is None:
                self._drafter = Drafter.from_settings(self.city.settings, self.city.bot.runtime.normaliser)
            return self._drafter


def worker(request: Request) -> DeskWorker:
    """This worker's desk parts, made on the first desk request."""
    found = getattr(request.app.state, "desk", None)
    if found is not None:
        return found
    with _BUILD_LOCK:
        if getattr(request.app.state, "desk", None) is None:
            request.app.state.desk = DeskWorker(city(request))
        return request.app.state.desk
