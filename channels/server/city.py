"""The one way a `City` is built: for the web app's lifespan, Slack Socket Mode and each city of a tenants
server.

`build_city` loads the bot (from the settings, or over the model and normaliser many cities share), opens
(and migrates) the store, and sets up the limits and the index watcher; `open_city` also starts what runs
in the background: the watcher, the spool's replay and the outbox's deliveries.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot import Bot
from bot.service.city import City
from bot.service.identity import secret_key
from bot.service.limits import build_limiters
from bot.service.offers import remembered_offers
from bot.service.shared_redis import redis_client
from bot.store import ConversationStore
from bot.store.routes import RouteCipher
from bot.store.timeouts import StoreTimeouts
from channels.delivery import start_background_work
from indexer.embedding import ModelEmbedder
from indexer.normalise import TextNormaliser
from indexer.runtime import IndexWatcher
from knowledge.core.settings import Settings

log = logging.getLogger("madoguchi.server")

@dataclass(frozen=True, slots=True)
class SharedParts:
    """What cities of one server share: the embedding model and the Sudachi normaliser (both thread-safe)."""

    normaliser: TextNormaliser
    embedder: ModelEmbedder


def city_bot(settings: Settings, parts: SharedParts | None = None) -> Bot:
    """The city's bot over its own index; with `parts`, without loading them again."""
    if parts is None:
        return Bot.from_settings(settings)
    return Bot.from_settings(settings, parts.normaliser, parts.embedder)


def build_city(settings: Settings, parts: SharedParts | None = None) -> City:
    """Load the bot and open (and migrate) the store: the expensive part, once per worker and city."""
    store = ConversationStore(settings.resolved_database_url, RouteCipher(secret_key(settings)),
                              StoreTimeouts.of(settings)).migrate()
    shared = redis_client(settings)
    per_session, per_chat_user = build_limiters(settings, shared)
    bot = city_bot(settings, parts)
    watcher = IndexWatcher(bot.reload_if_changed, settings.index_poll_seconds)
    return City(settings, bot, store, per_session, per_chat_user, watcher,
                offers=remembered_offers(settings, shared))


def open_city(settings: Settings, parts: SharedParts | None = None) -> City:
    """A built city that follows newly published index versions, replays its spool and delivers its outbox
    (`City.stop()` ends all of it)."""
    city = build_city(settings, parts)
    city.watcher.start()
    start_background_work(city)
    log.info("%s: serving index version %s (%d records), conversation store %s", settings.city_name,
             city.index.manifest["version"], len(city.index.records), city.store.engine.dialect.name)
    return city
