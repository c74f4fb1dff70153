"""One learning run: labelled questions in, a verdict and (when something is better) an index to publish.

Nothing here writes anywhere: the run assembles candidate indexes in memory beside the serving one, and
the caller publishes the chosen one (channels/publishing.py) or, for a dry run, only prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.engine import Bot
from bot.labelled import LabelledQuery
from bot.learning.folds import out_of_fold, refit, serving
from bot.learning.guard import Measured, Verdict, judge, measure
from bot.learning.labels import Usable, paraphrases, split, usable
from bot.model import DecisionModel
from indexer.build import IndexBuilder
from indexer.index import KnowledgeIndex
from indexer.learned import Learned, Paraphrase

SERVING, PARAPHRASES, REFITTED = "serving now", "learned paraphrases", "learned paraphrases + refitted model"


@dataclass(slots=True)
class LearnRun:
    """What a run found, for the person who ran it, and the index to publish if one was chosen."""

    learned_from: str
    labels: Usable
    training: int
    held_out: list[LabelledQuery]
    paraphrases: list[Paraphrase]
    kept_off: int
    scores: dict[str, Measured]
    verdict: Verdict
    chosen: KnowledgeIndex | None = None


def carried_over(bot: Bot, training: Sequence[LabelledQuery]) -> list[Paraphrase]:
    """Paraphrases an earlier run learned, except from questions this file labels again."""
    relabelled = {q.id for q in training}
    return [p for p in bot.runtime.index.learned.paraphrases if p.label not in relabelled]


def refitted(bot: Bot, builder: IndexBuilder, learned: list[Paraphrase], training: Sequence[LabelledQuery],
             today: date, trained_on: dict[str, Any]) -> DecisionModel | None:
    """The model refitted on out-of-fold candidates; None when no training question has an answer."""
    if not any(q.answerable for q in training):
        return None
    examples = out_of_fold(builder, bot.runtime, learned, training, today)
    return refit(examples, bot.settings.staff_first_margin, trained_on)


def options(bot: Bot, learned: list[Paraphrase], model: DecisionModel | None) -> dict[str, Learned]:
    """What could go live, most preferred first: paraphrases with the refitted model, then with the serving one."""
    keep = {PARAPHRASES: Learned(tuple(learned), bot.runtime.index.learned.model)}
    return keep if model is None else {REFITTED: Learned(tuple(learned), model.to_json()), **keep}


def learn(bot: Bot, queries: Sequence[LabelledQuery], source: str, today: date | None = None) -> LearnRun:
    """Check, split, learn, and judge every candidate against the serving bot on the held-out share."""
    today, index = today or date.today(), bot.runtime.index
    labels = usable(queries, index.records, today)
    training, held_out = split(labels.queries)
    new, kept_off = paraphrases(training, index.records)
    learned = carried_over(bot, training) + new
    builder = IndexBuilder(bot.runtime.normaliser, bot.runtime.embedder)
    version = str(index.manifest.get("version"))
    trained_on = {"learned": source, "training": len(training), "held_out": len(held_out),
                  "date": today.isoformat(), "from_version": version}
    model = refitted(bot, builder, learned, training, today, trained_on)
    built = {name: builder.assemble(index.records, index.manifest.get("sources", {}), option)
             for name, option in options(bot, learned, model).items()}
    scores = {SERVING: measure(bot, held_out),
              **{name: measure(candidate_bot(bot, built[name], model, name), held_out) for name in built}}
    verdict = judge(scores[SERVING], {n: scores[n] for n in built})
    return LearnRun(version, labels, len(training), held_out, new, kept_off, scores, verdict,
                    built.get(verdict.chosen))


def candidate_bot(bot: Bot, index: KnowledgeIndex, model: DecisionModel | None, name: str) -> Bot:
    """The bot a candidate would be: the refitted model, or the serving one, over the candidate index."""
    return Bot(serving(bot.runtime, index), model if name == REFITTED and model is not None else bot.model)
