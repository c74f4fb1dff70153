"""One learning run: labelled questions in, a verdict and (when something is better) an index to publish.

Nothing here writes anywhere: the run assembles candidate indexes in memory beside the serving one, and
the caller publishes the chosen one (bot/service/publishing.py) or, for a dry run, only prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.engine import Bot
from bot.labelled import LabelledQuery
from bot.learning.folds import Fold, Refitted, out_of_fold, refit, serving
from bot.learning.guard import WRONG_LIMIT, Measured, Verdict, judge, measure
from bot.learning.labels import Usable, paraphrases, split, usable
from bot.model import DecisionModel
from indexer.build import IndexBuilder
from indexer.index import KnowledgeIndex
from indexer.learned import Learned, Paraphrase
from indexer.runtime import Runtime

SERVING, PARAPHRASES, REFITTED = "serving now", "learned paraphrases", "learned paraphrases + refitted model"


@dataclass(slots=True)
class LearnRun:
    """What a run found, for the person who ran it, and the index to publish if one was chosen."""

    learned_from: str
    labels: Usable
    training: int
    held_out: list[LabelledQuery]
    judged: list[LabelledQuery]
    paraphrases: list[Paraphrase]
    kept_off: int
    scores: dict[str, Measured]
    verdict: Verdict
    chosen: KnowledgeIndex | None = None


def carried_over(bot: Bot, training: Sequence[LabelledQuery]) -> list[Paraphrase]:
    """Paraphrases an earlier run learned, except from questions this file labels again."""
    relabelled = {q.id for q in training}
    return [p for p in bot.runtime.index.learned.paraphrases if p.label not in relabelled]


def refitted(bot: Bot, folds: list[Fold], trained_on: dict[str, Any], max_wrong: float) -> Refitted | None:
    """The model refitted on out-of-fold candidates; None unless, leaving out any fold, an answer is left."""
    if len(folds) < 2 or not all(any((e.grades == 2).any() for f in folds if f is not fold
                                     for e in f.examples)
                                 for fold in folds):
        return None
    return refit(folds, bot.settings.staff_first_margin, trained_on, max_wrong)


def wrong_now(bot: Bot, training: list[LabelledQuery]) -> float:
    """The share the refitted thresholds may answer wrongly: at most 5%, and no more than the serving bot
    answers these questions wrongly, since the guard refuses a candidate with more wrong answers."""
    return min(WRONG_LIMIT, measure([(bot, training)]).scores["wrong_answer"]) if training else WRONG_LIMIT


def evidence(bot: Bot, built: dict[str, KnowledgeIndex], fitted: Refitted | None, folds: list[Fold],
             held_out: list[LabelledQuery]) -> dict[str, Measured]:
    """Every bot on the held-out share and on each training fold, where a candidate's fold index lacks that
    fold's paraphrases and its refitted model is the one fitted without that fold: more questions to judge
    by than the held-out share alone, none of them seen by what answers it."""
    everyone = held_out + [q for fold in folds for q in fold.queries]
    scores = {SERVING: measure([(bot, everyone)])}
    crossed: list[DecisionModel | None] = list(fitted.per_fold) if fitted else [None] * len(folds)
    for name, index in built.items():
        held = (candidate_bot(bot, serving(bot.runtime, index), fitted.model if fitted else None, name),
                held_out)
        parts = [(candidate_bot(bot, fold.runtime, crossed[n], name), fold.queries)
                 for n, fold in enumerate(folds)]
        scores[name] = measure([held, *parts])
    return scores


def options(bot: Bot, learned: list[Paraphrase], model: DecisionModel | None) -> dict[str, Learned]:
    """What could go live, most preferred first: paraphrases with the refitted model, then with the serving
    one."""
    keep = {PARAPHRASES: Learned(tuple(learned), bot.runtime.index.learned.model)}
    return keep if model is None else {REFITTED: Learned(tuple(learned), model.to_json()), **keep}


def learn(bot: Bot, queries: Sequence[LabelledQuery], source: str, today: date | None = None) -> LearnRun:
    """Check, split, learn, and judge every candidate against the serving bot on questions it did not learn
    from."""
    today, index = today or date.today(), bot.runtime.index
    labels = usable(queries, index.records, today)
    training, held_out = split(labels.queries)
    new, kept_off = paraphrases(training, index.records)
    learned = carried_over(bot, training) + new
    builder = IndexBuilder(bot.runtime.normaliser, bot.runtime.embedder)
    version = str(index.manifest.get("version"))
    trained_on = {"learned": source, "training": len(training), "held_out": len(held_out),
                  "date": today.isoformat(), "from_version": version}
    folds = out_of_fold(builder, bot.runtime, learned, training, today)
    fitted = refitted(bot, folds, trained_on, wrong_now(bot, training))
    built = {name: builder.assemble(index.records, index.manifest.get("sources", {}), option)
             for name, option in options(bot, learned, fitted.model if fitted else None).items()}
    scores = evidence(bot, built, fitted, folds, held_out)
    verdict = judge(scores[SERVING], {n: scores[n] for n in built})
    judged = held_out + [q for fold in folds for q in fold.queries]
    return LearnRun(version, labels, len(training), held_out, judged, new, kept_off, scores, verdict,
                    built.get(verdict.chosen))


def candidate_bot(bot: Bot, runtime: Runtime, model: DecisionModel | None, name: str) -> Bot:
    """The bot a candidate would be over an index: with a refitted model, or with the serving one."""
    return Bot(runtime, model if name == REFITTED and model is not None else bot.model)
