"""Wiring the indexer's parts from the settings: what the CLI, the bot and the servers share."""

from __future__ import annotations

import logging
import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from indexer.embedding import ModelEmbedder, embedder_from_settings
from indexer.index import KnowledgeIndex, check_compatible, load_index
from indexer.normalise import TextNormaliser
from indexer.search import Retriever
from indexer.store import MANIFEST, IndexStore
from knowledge.core.errors import CorruptIndexError, IndexStoreError
from knowledge.core.settings import Settings
from knowledge.records import Audience, LoadResult

log = logging.getLogger("madoguchi.index")
PROBE = "住民票の写しがほしい"


@dataclass(slots=True)
class BuildReport:
    """What a build did, for the person who ran it."""

    manifest: dict[str, Any]
    loaded: LoadResult
    per_source: dict[str, Counter]


def normaliser_from_settings(settings: Settings) -> TextNormaliser:
    """The configured normaliser, warmed up; the synonym files' terms are kept in DATA_DIR/cache for the next
    process."""
    return TextNormaliser(settings.split_mode, settings.synonym_files, settings.data_dir / "cache").warm_up()


def summarise_sources(loaded: LoadResult) -> dict[str, Counter]:
    """Records and problems per source file."""
    summary: dict[str, Counter] = defaultdict(Counter)
    for record in loaded.records:
        summary[record.source][record.kind] += 1
        summary[record.source][record.audience.value] += 1
    for problem in loaded.problems:
        summary[problem.source][problem.severity] += 1
    return dict(summary)


@dataclass(slots=True)
class Runtime:
    """The loaded parts, built once per process."""

    settings: Settings
    normaliser: TextNormaliser
    embedder: ModelEmbedder
    index: KnowledgeIndex
    retriever: Retriever
    store: IndexStore


def load_runtime(settings: Settings, store: IndexStore | None = None, fall_back: bool = False,
                 normaliser: TextNormaliser | None = None, embedder: ModelEmbedder | None = None) -> Runtime:
    """Load model, normaliser and the live index, refusing an incompatible index. `store` says where the
    live version is named (default: the index directory's CURRENT file). With `fall_back` (a server
    starting) a corrupt live version gives way to the newest older version that is whole. A server of many
    cities passes the normaliser and embedder they share, loaded once."""
    store = store or IndexStore(settings.resolved_index_dir)
    normaliser = normaliser or normaliser_from_settings(settings)
    embedder = embedder or embedder_from_settings(settings).warm_up()
    load = load_newest_whole if fall_back else load_index
    index = load(store, embedder.describe(), normaliser.config())
    return Runtime(settings, normaliser, embedder, index, Retriever(index, normaliser, embedder), store)


def running_identity(settings: Settings) -> tuple[dict[str, Any], dict[str, str]]:
    """The model's identity and the tokenizer settings an index must have been built with to be served; a
    server of many cities has one of each for all its cities."""
    return embedder_from_settings(settings).describe(), normaliser_from_settings(settings).config()


def check_live_version(store: IndexStore, model: dict[str, Any], tokenizer: dict[str, str]) -> None:
    """Refuse, before a server starts its workers, a live version built with another model or tokenizer
    (IncompatibleIndexError names the rebuild command): the command line prints it as one line, where a
    worker refusing it at start-up printed a traceback of the web framework's."""
    try:
        version = store.current_version()
        check_compatible(store.manifest(version), model, tokenizer, store.versions / version)
    except CorruptIndexError as damaged:  # the workers serve the newest older version that loads, if any
        if not any(older_would_serve(store, version, model, tokenizer) for version in store.list_versions()):
            raise
        log.error("the live index version cannot be used (%s); the workers will serve an older one", damaged)


def older_would_serve(store: IndexStore, version: str, model: dict[str, Any],
                      tokenizer: dict[str, str]) -> bool:
    """Whether a version older than the one the pointer names has a readable manifest this model and
    tokenizer may serve (`load_newest_whole` then serves the newest such)."""
    live = store.pointer.read()
    if live is not None and version >= live:
        return False
    try:
        check_compatible(store.manifest(version), model, tokenizer, store.versions / version)
    except IndexStoreError:
        return False
    return True


class PinnedStore(IndexStore):
    """The store seen at one version, so a reload reads one version whole even if the pointer moves
    meanwhile."""

    def __init__(self, root: Path, version: str) -> None:
        super().__init__(root)
        self.version = version

    def current_version(self) -> str:
        """Always the pinned version, as long as it exists."""
        if not (self.versions / self.version / MANIFEST).is_file():
            raise CorruptIndexError(f"index version {self.version!r} is no longer in {self.versions}")
        return self.version


def load_newest_whole(store: IndexStore, model: dict[str, Any], tokenizer: dict[str, str]) -> KnowledgeIndex:
    """The live version or, when it is corrupt, the newest older one that loads, logged as an error: residents
    keep being answered while someone rebuilds; the watcher swaps to the next good version published."""
    try:
        return load_index(store, model, tokenizer)
    except CorruptIndexError as exc:
        live, problem = store.pointer.read(), exc
    for version in reversed(store.list_versions()):
        if live is not None and version >= live:
            continue
        try:
            index = load_index(PinnedStore(store.root, version), model, tokenizer)
        except IndexStoreError as older:
            log.warning("older index version %s cannot serve either: %s", version, older)
            continue
        log.error("THE LIVE INDEX VERSION %s CANNOT BE USED (%s). Serving the older version %s instead until "
                  "a good version is built or chosen (madoguchi index build, on a server of many cities "
                  "madoguchi tenants build ID; madoguchi index use --index-dir %s).", live, problem, version,
                  store.root)
        return index
    raise problem


def load_version(runtime: Runtime, version: str) -> Runtime:
    """Another index version beside the serving one, sharing its model and normaliser: checked against
    them, then tried on one question while the serving one keeps answering."""
    store = PinnedStore(runtime.store.root, version)
    try:
        index = load_index(store, runtime.embedder.describe(), runtime.normaliser.config())
        if index.manifest.get("version") != version:
            raise CorruptIndexError(f"{store.versions / version} says it is "
                                    f"{index.manifest.get('version')!r}")
        retriever = Retriever(index, runtime.normaliser, runtime.embedder)
        fresh = replace(runtime, index=index, retriever=retriever)
        fresh.retriever.run(PROBE, Audience.RESIDENT)
    except IndexStoreError:
        raise
    except Exception as exc:  # damaged files fail in numpy's, faiss's or json's own ways
        problem = f"{type(exc).__name__}: {exc}"
        raise CorruptIndexError(f"index version {version} cannot be used ({problem})") from exc
    return fresh


class IndexWatcher:
    """Polls for a newly published index version in a daemon thread, so that every worker process follows
    the live-version pointer whoever moved it; problems are logged once each and never stop the serving
    index."""

    def __init__(self, reload: Callable[[], str | None], seconds: float) -> None:
        self.reload, self.seconds = reload, seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="madoguchi-index-watcher", daemon=True)
        self._reported = ""

    def start(self) -> IndexWatcher:
        """Begin polling, unless polling is turned off (0 seconds)."""
        if self.seconds > 0:
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop polling; a reload in progress finishes first."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def poll(self) -> str | None:
        """One look: the version now served, or None when nothing changed or the new one was refused."""
        try:
            version = self.reload()
        except IndexStoreError as exc:
            if str(exc) != self._reported:
                log.warning("index not swapped, still serving the loaded version: %s", exc)
                self._reported = str(exc)
            return None
        if version is not None:
            log.info("now serving index version %s", version)
        return version

    def _run(self) -> None:
        while not self._stop.wait(self.seconds):
            try:
                self.poll()
            except Exception:  # the thread must outlive any surprise; the old index keeps serving
                log.exception("index watcher: unexpected error")
