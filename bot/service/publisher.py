"""Publishing from the desk: after an approval, rollback, retirement or import, this worker rebuilds the
index (files + desk entries, `bot.service.publishing`) in one background thread while the bot keeps
answering; every worker's index watcher then swaps the new version in. The desk asks for it, but it is
the city's publishing, not a page: it lives with the services.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from bot.service.publishing import build_knowledge_index, new_builder
from bot.store.entries import EntryStore
from indexer.build import IndexBuilder
from indexer.embedding import Embedder
from knowledge.core.settings import Settings

log = logging.getLogger("madoguchi.publish")


@dataclass(slots=True)
class PublishState:
    """What the desk shows about publishing in this process."""

    building: bool = False
    version: str = ""
    error: str = ""
    published: int = 0


class Publisher:
    """Rebuilds in one background thread per process; requests made during a build coalesce into one more."""

    def __init__(self, settings: Settings, entries: EntryStore, embedder: Embedder | None = None) -> None:
        self.settings, self.entries, self.embedder = settings, entries, embedder
        self.state = PublishState()
        self._builder: IndexBuilder | None = None
        self._guard = threading.Lock()
        self._pending = False
        self._reasons: list[str] = []
        self._thread: threading.Thread | None = None

    def request(self, reason: str) -> None:
        """Publish soon (after an approval, rollback, retirement or import); returns at once."""
        log.info("publish requested: %s", reason)
        with self._guard:
            self._pending, self.state.building = True, True
            self._reasons.append(reason)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="madoguchi-publish", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            with self._guard:
                if not self._pending:
                    self._thread, self.state.building = None, False
                    return
                self._pending, reasons, self._reasons = False, self._reasons, []
            self._build_once("desk: " + "; ".join(dict.fromkeys(reasons)))

    def _build_once(self, note: str) -> None:
        try:
            self._builder = self._builder or new_builder(self.settings, embedder=self.embedder)
            report = build_knowledge_index(self.settings, self.entries, builder=self._builder, note=note)
        except Exception as exc:  # a broken source file must not kill the thread; the desk shows why
            log.exception("publishing failed; the live index is unchanged")
            self.state.error = f"{type(exc).__name__}: {exc}"
            return
        self.state.version, self.state.error = report.manifest["version"], ""
        self.state.published += 1

    def wait(self, timeout: float) -> bool:
        """Block until no build is pending or running (for the CLI and tests); False on timeout."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self._thread is None
