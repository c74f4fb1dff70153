"""What cities on one server share: the embedding model and the Sudachi normaliser, loaded once per process.

The model is the biggest thing in a worker's memory and is the same for every city. Both parts are safe
to use from many threads at once (the Sudachi splitter guards its own tokenizer), so the cities share
them and nothing else: each keeps its own index, store and limits.
"""

from __future__ import annotations

import threading

from bot.service.city import City
from channels.server.city import SharedParts, open_city
from indexer.embedding import embedder_from_settings
from indexer.runtime import normaliser_from_settings
from knowledge.core.settings import Settings

_GUARD = threading.Lock()  # two cities starting at once must not load the model twice
_SHARED: dict[tuple[object, ...], SharedParts] = {}


def parts_key(settings: Settings) -> tuple[object, ...]:
    """Everything that decides which model and tokenizer a city needs."""
    return (settings.model, settings.query_prompt, settings.document_prompt, str(settings.model_cache_dir),
            settings.split_mode, tuple(str(f) for f in settings.synonym_files))


def shared_parts(settings: Settings) -> SharedParts:
    """The process's parts for these settings, loaded on first use."""
    key = parts_key(settings)
    with _GUARD:
        if key not in _SHARED:
            embedder = embedder_from_settings(settings).warm_up()
            _SHARED[key] = SharedParts(normaliser_from_settings(settings), embedder)
        return _SHARED[key]


def city_context(settings: Settings) -> City:
    """`open_city` for one city of many: its own store and index, the process's model and normaliser."""
    return open_city(settings, shared_parts(settings))
