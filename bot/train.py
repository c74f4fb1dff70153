"""Learning fusion weights and confidence models from labelled queries.

Features do not depend on the learned weights, so they are collected once per query and reused by
every fit (and by cross-validation in the benchmarks). The ranker is a linear model over candidate
features fitted listwise (each query's answer against all its other candidates); `top1` and `top3` are
logistic models over query features that predict whether the best entry, or one of the best three, answers
the query.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from bot.features import candidate_features, query_features, shortlist
from bot.fusion import day_one_ranker, fused_scores, is_day_one, recall_tail
from bot.labelled import LabelledQuery
from bot.logistic import Logistic
from bot.model import DecisionModel
from bot.snapshot import RecordFacts
from indexer.normalise import NormalisedText
from indexer.runtime import Runtime
from knowledge.records import Audience

RELATED_WEIGHT = 0.25
# Strong shrinkage: measured on two unrelated cities (BENCHMARKS.md), weights learned on one transfer to
# the other far better at 1000 than at 1 (hit@1 0.48 vs 0.36), at almost no in-sample cost.
RANKER_L2 = 1000.0


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled query's candidates: ids, features, grades, and whether they are staff records; the
    normalised question and the candidates' record positions let the bot's honest discount be applied."""

    query: LabelledQuery
    ids: tuple[str, ...]
    features: np.ndarray
    grades: np.ndarray
    staff: np.ndarray
    query_terms: int
    normalised: NormalisedText
    records: np.ndarray
    words_beyond: np.ndarray  # per candidate (bot/fusion.py `brief`)


# The factor (0–1] the bot multiplies both confidences by, given a query and the position of its top entry
Discount = Callable[[Example, int], float]


def collect(runtime: Runtime, queries: Sequence[LabelledQuery], today: date | None = None) -> list[Example]:
    """Retrieve every query once and keep what fitting needs: the shortlist the bot fuses at answer time."""
    records, examples = runtime.index.records, []
    facts = RecordFacts.of(records, runtime.index.lexical["answer"])  # as the bot ranks with, built once
    for query in queries:
        retrieval = facts.valid_only(runtime.retriever.run(query.text, query.audience), today)
        rows = shortlist(retrieval.signals)
        features = candidate_features(retrieval.signals, facts.is_passage[retrieval.candidates], rows)
        kept = retrieval.candidates[rows]
        ids = tuple(records[i].id for i in kept)
        examples.append(Example(query, ids, features, np.array([query.relevant.get(i, 0) for i in ids]),
                                facts.is_staff[kept], len(retrieval.query.terms), retrieval.query, kept,
                                facts.words_beyond(kept, retrieval.query)))
    return examples


def fit_ranker(examples: Sequence[Example], l2: float = RANKER_L2) -> Logistic:
    """Listwise: answers (grade 2) should outrank all other candidates; related entries (grade 1) count a
    quarter."""
    groups = []
    for example in examples:
        gains = np.where(example.grades == 2, 1.0, np.where(example.grades == 1, RELATED_WEIGHT, 0.0))
        if gains.sum() > 0:
            groups.append((example.features, gains / gains.sum()))
    return Logistic.fit_listwise(groups, l2)


@dataclass(frozen=True, slots=True)
class Ranked:
    """A query ranked by a ranker: ids best first, the query-feature row, what is right, and the factor the
    bot multiplies its confidences by (bot/honesty.py)."""

    query: LabelledQuery
    ids: tuple[str, ...]
    row: np.ndarray
    top1_right: bool
    top3_right: bool
    factor: float = 1.0


def rank_examples(examples: Sequence[Example], ranker: Logistic, staff_margin: float = 1.0,
                  discount: Discount | None = None) -> list[Ranked]:
    """Apply a ranker to collected examples, exactly as the engine does at answer time (with its honest
    discount when `discount` is given)."""
    ranked, day_one = [], is_day_one(ranker)
    for example in examples:
        fused = (fused_scores(ranker, example.features, day_one, example.words_beyond) if len(example.ids)
                 else np.zeros(0))
        if example.query.audience is Audience.STAFF:
            fused = fused + staff_margin * example.staff
        order = np.argsort(-fused, kind="stable")
        row = query_features(fused[order], example.features[order], example.query_terms)
        grades = example.grades[order]
        factor = discount(example, int(order[0])) if discount is not None and len(order) else 1.0
        order = recall_tail(order, fused, example.features) if day_one else order
        ranked.append(Ranked(example.query, tuple(example.ids[i] for i in order), row,
                             bool(len(grades) and grades[0] == 2), bool((grades[:3] == 2).any()), factor))
    return ranked


def fit_confidence(ranked: Sequence[Ranked], l2: float = 1.0) -> tuple[Logistic, Logistic]:
    """P(top 1 answers the query) and P(one of the top 3 does)."""
    rows = np.vstack([r.row for r in ranked])
    top1 = Logistic.fit(rows, np.array([r.top1_right for r in ranked], dtype=float), l2=l2)
    top3 = Logistic.fit(rows, np.array([r.top3_right for r in ranked], dtype=float), l2=l2)
    return top1, top3


def train(examples: Sequence[Example], staff_margin: float = 1.0, fit_fusion: bool = True) -> DecisionModel:
    """Ranker (fitted, or the fixed day-one fusion), then confidence models on the ranker's own output."""
    ranker = fit_ranker(examples) if fit_fusion else day_one_ranker()
    top1, top3 = fit_confidence(rank_examples(examples, ranker, staff_margin))
    return DecisionModel(ranker, top1, top3)
