"""Refitting the decision model with out-of-fold features.

A question's own paraphrase matches it almost perfectly, so a ranker fitted on features that include it
learns to trust the paraphrase signals far more than they deserve on new questions. Each training
question is therefore retrieved from an index whose learned paraphrases leave out its whole fold
(k-fold nesting, as the retrieval study did), and the model is fitted on those candidates.

Every labelled question counts for the confidence models and thresholds, not only those with an answer: a
question nothing answers is a negative for both models and one the thresholds must escalate, so a city's
own unanswerable questions teach it when to hand over (they never become paraphrases: labels.py). The
thresholds are chosen on the confidences the bot serves, after its honest discount (bot/honesty.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from bot.labelled import LabelledQuery
from bot.learning.labels import FOLDS, fold_of
from bot.logistic import Logistic
from bot.model import DecisionModel
from bot.snapshot import Snapshot
from bot.train import Discount, Example, Ranked, collect, fit_confidence, fit_ranker, rank_examples
from bot.tune import choose, outcomes
from indexer.build import IndexBuilder
from indexer.index import KnowledgeIndex
from indexer.learned import Learned, Paraphrase
from indexer.runtime import Runtime
from indexer.search import Retriever

# The study's setting for one city's own labels (hit@1 moved ≤ 0.02 over 1–100); the shipped model's 1000
# is for weights that must transfer to cities they never saw.
LEARN_L2 = 10.0


def serving(runtime: Runtime, index: KnowledgeIndex) -> Runtime:
    """The same model and normaliser over another (in-memory) index."""
    return replace(runtime, index=index, retriever=Retriever(index, runtime.normaliser, runtime.embedder))


def without(learned: Sequence[Paraphrase], queries: Sequence[LabelledQuery]) -> Learned:
    """The paraphrases none of these questions gave (by id, and by text for a question asked twice)."""
    ids, texts = {q.id for q in queries}, {q.text for q in queries}
    return Learned(tuple(p for p in learned if p.label not in ids and p.text not in texts))


@dataclass(frozen=True, slots=True)
class Fold:
    """One fold of the training share: its questions, the index without their paraphrases, their
    candidates."""

    queries: list[LabelledQuery]
    runtime: Runtime
    examples: list[Example]


def out_of_fold(builder: IndexBuilder, runtime: Runtime, learned: Sequence[Paraphrase],
                queries: Sequence[LabelledQuery], today: date, folds: int = FOLDS) -> list[Fold]:
    """Every training question's candidates, retrieved with its own fold's paraphrases left out."""
    records, sources = runtime.index.records, runtime.index.manifest.get("sources", {})
    found = []
    for fold in range(folds):
        inside = [q for q in queries if fold_of(q.id, folds) == fold]
        if inside:
            fold_runtime = serving(runtime, builder.assemble(records, sources, without(learned, inside)))
            found.append(Fold(inside, fold_runtime, collect(fold_runtime, inside, today)))
    return found


@dataclass(frozen=True, slots=True)
class Refitted:
    """The model fitted on every fold, and per fold the same kind of model fitted without that fold."""

    model: DecisionModel
    per_fold: list[DecisionModel]


def discount_of(runtime: Runtime, model: DecisionModel) -> Discount:
    """The bot's honest discount over a fold's index (bot/honesty.py), so that thresholds are chosen on the
    confidences the bot will serve, not on higher ones it never shows."""
    snapshot = Snapshot.of(runtime, model)
    return lambda example, top: snapshot.honest_factor(example.normalised, int(example.records[top]))


def _error(share: float, questions: int) -> float:
    """The standard error of a share measured on this many questions."""
    return math.sqrt(share * (1 - share) / questions) if questions else 0.0


def calibrated(ranker: Logistic, ranked: Sequence[Ranked], max_wrong: float,
               min_escalated: float) -> DecisionModel:
    """Confidence models and thresholds from rankings the ranker did not fit: a question nothing answers,
    like one whose top entry is not its answer, is a negative for both models, and the thresholds must
    escalate `min_escalated` of the unanswerable ones. Thresholds that just meet a limit on these questions
    miss it on new ones (the best of many pairs is chosen), so both limits are kept with one standard error
    to spare."""
    top1, top3 = fit_confidence(ranked)
    unanswerable = sum(r.query.expect == "escalate" for r in ranked)
    wrong = max(0.0, max_wrong - _error(max_wrong, len(ranked)))
    escalated = min(1.0, min_escalated + _error(min_escalated, unanswerable))
    thresholds, _ = choose(outcomes(ranked, top1, top3), wrong, escalated)
    return DecisionModel(ranker, top1, top3, thresholds)


def refit(folds: Sequence[Fold], serving_model: DecisionModel, staff_margin: float,
          trained_on: dict[str, object], own_ranker: bool, max_wrong: float = 0.05,
          min_escalated: float = 0.6) -> Refitted:
    """Confidence models and thresholds as `madoguchi train` and `tune` fit them, over a ranker fitted to the
    labels (`own_ranker`) or the serving one, except that they learn from rankings made by rankers that never
    saw the question (a ranker scores its own training questions too well, and thresholds tuned on that
    answer too often). Each fold's model is fitted without that fold, confidence and thresholds included, so
    the guard judges every training question on a model that never saw it."""
    def ranker_without(fold: Fold | None) -> Logistic:
        return (fit_ranker([e for f in folds if f is not fold for e in f.examples], LEARN_L2) if own_ranker
                else serving_model.ranker)

    rankers = [ranker_without(fold) for fold in folds]
    honest = [rank_examples(fold.examples, ranker, staff_margin, discount_of(fold.runtime, serving_model))
              for fold, ranker in zip(folds, rankers, strict=True)]
    per_fold = [calibrated(ranker, [r for m, part in enumerate(honest) if m != n for r in part], max_wrong,
                           min_escalated)
                for n, ranker in enumerate(rankers)]
    model = calibrated(ranker_without(None), [r for part in honest for r in part], max_wrong, min_escalated)
    model.trained_on = dict(trained_on)
    return Refitted(model, per_fold)
