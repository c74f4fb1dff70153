"""「学習して公開」: the desk's labels learned in one background thread, as `madoguchi learn --from-desk`
learns them, while the bot keeps answering; the guard's decision and its reasons stay for the page to show.

The run borrows the serving bot's model a slice at a time (as desk publishing does) and uses its own
normaliser, so no answer ever waits for more than one slice of work.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.engine import Bot
from bot.learning.desk import SOURCE
from bot.learning.folds import serving
from bot.learning.guard import Refusal
from bot.service.learning import Outcome, learn_and_publish, stored_labels
from indexer.embedding import LentEmbedder
from indexer.runtime import normaliser_from_settings

if TYPE_CHECKING:  # the desk must not import channels.web at load time
    from bot.service.city import City

log = logging.getLogger("madoguchi.learn")
SHOWN = ("hit@1", "hit@3", "mrr@10", "answered_right", "wrong_answer")


@dataclass(slots=True)
class LearnState:
    """What the 「学習した質問」 page shows about the latest run in this process."""

    running: bool = False
    finished_at: datetime | None = None
    chosen: str = ""
    published: str = ""
    kept: str = ""
    refused: dict[str, Refusal] = field(default_factory=dict)
    scores: dict[str, dict[str, float]] = field(default_factory=dict)
    questions: int = 0
    dropped: int = 0
    kept_off: int = 0
    error: str = ""

    def record(self, outcome: Outcome) -> None:
        """The guard's decision, its reasons and the comparison it was made on."""
        run = outcome.run
        self.chosen, self.published, self.kept = run.verdict.chosen, outcome.published, run.learned_from
        self.refused, self.questions, self.error = dict(run.verdict.refused), len(run.labels.queries), ""
        self.dropped, self.kept_off = run.labels.dropped_labels, run.kept_off
        self.scores = {name: {k: m.scores[k] for k in SHOWN} for name, m in run.scores.items()}


class Learner:
    """One learning run at a time per process; a click while one runs is answered with 「学習中」."""

    def __init__(self, ctx: City) -> None:
        self.ctx = ctx
        self.state = LearnState()
        self._guard = threading.Lock()
        self._thread: threading.Thread | None = None

    def request(self) -> bool:
        """Start a run; False when one is already running."""
        with self._guard:
            if self._thread is not None:
                return False
            self.state.running = True
            self._thread = threading.Thread(target=self._run, name="madoguchi-learn", daemon=True)
            self._thread.start()
            return True

    def _bot(self) -> Bot:
        """The serving bot over its own normaliser and the lent model."""
        served = self.ctx.bot.snapshot
        runtime = replace(served.runtime, normaliser=normaliser_from_settings(self.ctx.settings),
                          embedder=LentEmbedder(served.runtime.embedder))
        return Bot(serving(runtime, runtime.index), served.model)

    def _run(self) -> None:
        try:
            queries = stored_labels(self.ctx.store)
            self.state.record(learn_and_publish(self.ctx.settings, self._bot(), queries, SOURCE))
        except Exception as exc:  # the desk shows why; the serving index is unchanged
            log.exception("learning from the desk failed; the live index is unchanged")
            self.state.error = f"{type(exc).__name__}: {exc}"
        finally:
            with self._guard:
                self.state.running, self.state.finished_at, self._thread = False, datetime.now(UTC), None

    def wait(self, timeout: float) -> bool:
        """Block until the run ends (for tests and the command line); False on timeout."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self._thread is None

