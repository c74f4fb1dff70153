"""What cities on one server share: the embedding model, the Sudachi normaliser, and its one lock.

The model is the biggest thing in a worker's memory and is the same for every city, so it is loaded
once per process. Sudachi is not thread-safe: every city that shares a normaliser must run its
answers, probes and index swaps under the SAME lock, which is why the lock lives here, next to the
normaliser, and not in each city's context.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from bot import Bot
from bot.engine import decision_model, grounded_composer
from bot.store.index_versions import index_store
from bot.service.city import City
from channels.server.app import build_city
from indexer.embedding import ModelEmbedder, embedder_from_settings
from indexer.normalise import TextNormaliser
from indexer.runtime import Runtime, load_newest_whole, normaliser_from_settings
from indexer.search import Retriever
from knowledge.core.settings import Settings

_GUARD = threading.Lock()
_SHARED: dict[tuple[object, ...], "SharedParts"] = {}


@dataclass(frozen=True, slots=True)
class SharedParts:
    """One model, one normaliser and the one lock every use of that normaliser must hold."""

    normaliser: TextNormaliser
    embedder: ModelEmbedder
    lock: threading.Lock


def parts_key(settings: Settings) -> tuple[object, ...]:
    """Everything that decides which model and tokenizer a city needs."""
    return (settings.model, settings.query_prompt, settings.document_prompt, str(settings.model_cache_dir),
            settings.split_mode, tuple(str(f) for f in settings.synonym_files))


def shared_parts(settings: Settings) -> SharedParts:
    """The process's parts for these settings, loaded on first use."""
    key = parts_key(settings)
    with _GUARD:
        if key not in _SHARED:
            _SHARED[key] = SharedParts(normaliser_from_settings(settings),
                                       embedder_from_settings(settings).warm_up(), threading.Lock())
        return _SHARED[key]


def city_bot(settings: Settings, parts: SharedParts) -> Bot:
    """The city's bot over its own index, with the shared model and normaliser (as `Bot.from_settings`,
    minus loading them again)."""
    store = index_store(settings)
    index = load_newest_whole(store, parts.embedder.describe(), parts.normaliser.config())
    runtime = Runtime(settings, parts.normaliser, parts.embedder, index,
                      Retriever(index, parts.normaliser, parts.embedder), store)
    return Bot(runtime, decision_model(settings, runtime.index), grounded_composer(settings, runtime))


def city_context(settings: Settings) -> City:
    """`build_city` for one city of many: its own store and index, the process's model and lock."""
    parts = shared_parts(settings)
    return build_city(settings, city_bot(settings, parts), parts.lock)
