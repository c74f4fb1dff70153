"""The day-one fusion: a fixed sum of scale-free signals, what a city is ranked by before its own labels.

Weights learned on the sample city do not carry over to a city the model never saw: on the real city's
questions the fitted ranker ranked the right entry first for 0.476 of them, a plain sum of the same
signals for 0.52–0.54 (BENCHMARKS.md, "Day one: a fixed fusion"). The sum adds signals that mean the same
on any city: each BM25 score relative to the query's best (question or paraphrase, question+answer, with
the city's nearest words, character bigrams), the dense cosine to question+answer and the share of the
question's words that question+answer holds, and the same two for the entry's paraphrases, so that what a
city learns (`madoguchi learn` adds its residents' questions as paraphrases) counts from the next publish.
Standard scores are left out on purpose: they grow with the number of entries, so confidence learned on a
small city would be too sure on a large one. A city's labels replace this with a fitted ranker through
`madoguchi learn`, whose guard keeps this one until the fitted one does better on questions it never saw.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.logistic import Logistic

DAY_ONE_WEIGHTS = {
    "bm25_best_rel": 1.0, "bm25_answer_rel": 1.0, "bm25x_question_rel": 1.0, "bm25x_answer_rel": 1.0,
    "bm25_bigram_rel": 1.0, "dense_answer": 2.0, "cover_answer": 2.0, "dense_paraphrase": 2.0,
    "cover_paraphrase": 2.0,
}


def day_one_ranker() -> Logistic:
    """The fixed sum as a ranker the engine and the model file already understand (no centring, no scaling).
    NumPy is imported here, so that the command line can name the choices without loading it."""
    import numpy as np

    from bot.features import CANDIDATE_FEATURES
    from bot.logistic import Logistic

    weights = np.zeros(len(CANDIDATE_FEATURES))
    for name, weight in DAY_ONE_WEIGHTS.items():
        weights[CANDIDATE_FEATURES.index(name)] = weight
    return Logistic(weights, 0.0, np.zeros_like(weights), np.ones_like(weights))


# Below about 50 labelled questions a fitted ranker does worse than a fixed fusion (the retrieval study's
# learning curve: 0.46 hit@1 at ~20 labels, 0.54 at ~50).
MIN_FITTED_LABELS = 50


class Fusion(StrEnum):
    """What `madoguchi train` ranks with: fitted to the labels, the day-one sum, or fitted only with enough
    labels."""

    AUTO = "auto"
    FITTED = "fitted"
    DAY_ONE = "day-one"

    def fits(self, answerable: int) -> bool:
        """Whether to fit a ranker to `answerable` labelled questions that have an answer."""
        return self is Fusion.FITTED or (self is Fusion.AUTO and answerable >= MIN_FITTED_LABELS)
