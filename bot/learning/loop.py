"""One learning run: labelled questions in, a verdict and (when something is better) an index to publish.

Nothing here writes anywhere: the run assembles candidate indexes in memory beside the serving one, and
the caller publishes the chosen one (bot/service/publishing.py) or, for a dry run, only prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from bot.engine import Bot
from bot.fusion import Fusion
from bot.labelled import LabelledQuery
from bot.learning.folds import Fold, Refitted, out_of_fold, refit, serving, without
from bot.learning.guard import WRONG_LIMIT, Measured, Verdict, judge, measure
from bot.learning.labels import FOLDS, Usable, fold_of, paraphrases, split, usable
from bot.store.masking import with_personal_data_masked
from indexer.build import IndexBuilder
from indexer.index import KnowledgeIndex
from indexer.learned import Learned, Paraphrase

SERVING, PARAPHRASES = "serving now", "learned paraphrases"
RECALIBRATED, CALIBRATED = "learned paraphrases + refitted confidence", "refitted confidence"
REFITTED = "learned paraphrases + refitted model"
Judged = list[tuple[Bot, list[LabelledQuery]]]  # a bot and the questions it is judged on, share by share


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
    """Paraphrases an earlier run learned, except from questions this file labels again; personal data in them
    is masked, as in new ones (a run before masking published a phone number as typed)."""
    relabelled = {q.id for q in training}
    return [replace(p, text=with_personal_data_masked(p.text))
            for p in bot.runtime.index.learned.paraphrases if p.label not in relabelled]


def refitted(bot: Bot, folds: list[Fold], trained_on: dict[str, Any],
             max_wrong: float) -> dict[str, Refitted]:
    """The refitted models worth judging, most preferred first: a ranker fitted to the labels, once enough
    questions have an answer (below that the untrained fusion ranks better: BENCHMARKS.md, "Learning curve")
    and an answer is left whichever fold is left out; and the serving ranker with confidence models and
    thresholds refitted, so that the city's own unanswerable questions teach it when to escalate."""
    if len(folds) < 2:
        return {}
    margin, found = bot.settings.staff_first_margin, {}
    answerable = sum(q.answerable for fold in folds for q in fold.queries)
    if Fusion.AUTO.fits(answerable) and all(any((e.grades == 2).any() for f in folds if f is not fold
                                                for e in f.examples) for fold in folds):
        found[REFITTED] = refit(folds, bot.model, margin, trained_on, True, max_wrong)
    found[RECALIBRATED] = refit(folds, bot.model, margin, trained_on, False, max_wrong)
    return found


def wrong_now(serving_on_training: Judged) -> float:
    """The share the refitted thresholds may answer wrongly: at most 5%, and no more than the serving bot
    answers these questions wrongly, since the guard refuses a candidate with more wrong answers."""
    if not any(queries for _, queries in serving_on_training):
        return WRONG_LIMIT
    return min(WRONG_LIMIT, measure(serving_on_training).scores["wrong_answer"])


@dataclass(frozen=True, slots=True)
class Option:
    """A candidate: the paraphrases it would publish, the folds it is judged on, and its refitted model
    (None: it answers with the serving model)."""

    paraphrases: tuple[Paraphrase, ...]
    folds: list[Fold]
    fitted: Refitted | None = None


def options(bot: Bot, builder: IndexBuilder, training: list[LabelledQuery], new: list[Paraphrase],
            trained_on: dict[str, Any], today: date, max_wrong: float) -> dict[str, Option]:
    """What could go live, most preferred first: the new paraphrases with a refitted model, then with the
    serving one, then only refitted confidence over the paraphrases the serving index has (new paraphrases
    can draw questions to the wrong entry, BENCHMARKS.md)."""
    carried = carried_over(bot, training)
    folds = out_of_fold(builder, bot.runtime, carried + new, training, today)
    found = {name: Option(tuple(carried + new), folds, fitted)
             for name, fitted in refitted(bot, folds, trained_on, max_wrong).items()}
    found[PARAPHRASES] = Option(tuple(carried + new), folds)
    plain = out_of_fold(builder, bot.runtime, carried, training, today)
    if len(plain) >= 2:
        margin = bot.settings.staff_first_margin
        found[CALIBRATED] = Option(tuple(carried), plain,
                                   refit(plain, bot.model, margin, trained_on, False, max_wrong))
    return found


def evidence(bot: Bot, judged_serving: Judged, built: dict[str, KnowledgeIndex],
             candidates: dict[str, Option], held_out: list[LabelledQuery]) -> dict[str, Measured]:
    """Every bot on the held-out share and on each training fold, where a candidate's fold index lacks that
    fold's paraphrases and its refitted model is the one fitted without that fold: more questions to judge
    by than the held-out share alone, none of them seen by what answers it."""
    scores = {SERVING: measure(judged_serving)}
    for name, option in candidates.items():
        fitted = option.fitted
        held = (Bot(serving(bot.runtime, built[name]), fitted.model if fitted else bot.model), held_out)
        parts = [(Bot(fold.runtime, fitted.per_fold[n] if fitted else bot.model), fold.queries)
                 for n, fold in enumerate(option.folds)]
        scores[name] = measure([held, *parts])
    return scores


def serving_unseen(bot: Bot, builder: IndexBuilder, shares: list[list[LabelledQuery]]) -> Judged:
    """The serving bot on each share of questions without the paraphrases an earlier run learned from them,
    as the candidates are judged: on its own paraphrases it looked better than it is, and refused every
    later run over the same labels."""
    index, pairs = bot.runtime.index, []
    for queries in shares:
        kept = without(index.learned.paraphrases, queries)
        if len(kept.paraphrases) == len(index.learned.paraphrases):
            pairs.append((bot, queries))
        else:
            fair = builder.assemble(index.records, index.manifest.get("sources", {}), kept)
            pairs.append((Bot(serving(bot.runtime, fair), bot.model), queries))
    return pairs


def by_fold(training: list[LabelledQuery]) -> list[list[LabelledQuery]]:
    """The training share in the folds the candidates are judged on (bot/learning/folds.py)."""
    shares = ([q for q in training if fold_of(q.id, FOLDS) == fold] for fold in range(FOLDS))
    return [share for share in shares if share]


def learn(bot: Bot, queries: Sequence[LabelledQuery], source: str, today: date | None = None) -> LearnRun:
    """Check, split, learn, and judge every candidate against the serving bot on questions it did not learn
    from."""
    today, index = today or date.today(), bot.runtime.index
    labels = usable(queries, index.records, today)
    training, held_out = split(labels.queries)
    new, kept_off = paraphrases(training, index.records)
    builder = IndexBuilder(bot.runtime.normaliser, bot.runtime.embedder)
    version = str(index.manifest.get("version"))
    trained_on = {"learned": source, "training": len(training), "held_out": len(held_out),
                  "date": today.isoformat(), "from_version": version}
    judged_serving = serving_unseen(bot, builder, [held_out, *by_fold(training)])
    candidates = options(bot, builder, training, new, trained_on, today, wrong_now(judged_serving[1:]))
    built = {name: builder.assemble(index.records, index.manifest.get("sources", {}), Learned(
                 option.paraphrases, option.fitted.model.to_json() if option.fitted else index.learned.model),
                 index.manifest.get("built_from", ()))
             for name, option in candidates.items()}
    scores = evidence(bot, judged_serving, built, candidates, held_out)
    verdict = judge(scores[SERVING], {n: scores[n] for n in built})
    judged = held_out + [q for fold in candidates[PARAPHRASES].folds for q in fold.queries]
    return LearnRun(version, labels, len(training), held_out, judged, new, kept_off, scores, verdict,
                    built.get(verdict.chosen))
