"""The day-one fusion: a fixed sum of scale-free signals, what a city is ranked by before its own labels.

Weights learned on the sample city do not carry over to a city the model never saw: on the real city's
questions the fitted ranker ranked the right entry first for 0.476 of them, a plain sum of the same
signals for 0.52–0.54 (BENCHMARKS.md, "Day one: a fixed fusion"). The sum adds signals that mean the same
on any city: each BM25 score relative to the query's best (question or paraphrase, question+answer, with
the city's nearest words, character bigrams), the dense cosine to question+answer and the share of the
question's words that question+answer holds, and the same two for the entry's paraphrases, so that what a
city learns (`madoguchi learn` adds its residents' questions as paraphrases) counts from the next publish,
as far as the paraphrases reach beyond the entry's own text (`paraphrases_beyond`), so that having
paraphrases, written or learned, is not itself worth a rank. A manual's section that matches as well as an
entry comes after it (−1): the entry is what the city wrote to answer the question, and without the
paraphrases' offset a section whose title repeats the question (「粗大ごみの出し方ガイド」, whose text is its
update date) outranked the entry that answers 「粗大ごみの出し方」 word for word.
Standard scores are left out on purpose: they grow with the number of entries, so confidence learned on a
small city would be too sure on a large one. A city's labels replace this with a fitted ranker through
`madoguchi learn`, whose guard keeps this one until the fitted one does better on questions it never saw.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from bot.logistic import Logistic

DAY_ONE_WEIGHTS = {
    "bm25_best_rel": 1.0, "bm25_answer_rel": 1.0, "bm25x_question_rel": 1.0, "bm25x_answer_rel": 1.0,
    "bm25_bigram_rel": 1.0, "dense_answer": 2.0, "cover_answer": 2.0, "dense_paraphrase": 2.0,
    "cover_paraphrase": 2.0, "is_passage": -1.0,
}
BRIEF_WORDS = 10  # content words beyond the question's that make a text more than a repeat of it (`brief`)
BRIEF_WEIGHT = 0.5


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


@cache
def _day_one() -> Logistic:
    return day_one_ranker()


def is_day_one(ranker: Logistic) -> bool:
    """Whether this ranker is the fixed sum (shipped, or kept as the serving ranker by `madoguchi learn`)."""
    import numpy as np

    fixed = _day_one()
    return (ranker.bias == fixed.bias and np.array_equal(ranker.weights, fixed.weights)
            and np.array_equal(ranker.mean, fixed.mean) and np.array_equal(ranker.std, fixed.std))


# each paraphrase column the sum reads, and the columns of the entry's own text it is measured beyond
_BEYOND = (("dense_paraphrase", ("dense_question", "dense_answer")),
           ("cover_paraphrase", ("cover_question", "cover_answer")))


def paraphrases_beyond(features: np.ndarray) -> np.ndarray:
    """The candidates' features with their paraphrases' dense and coverage columns counting only what the
    paraphrases reach beyond the entry's own text: how much closer the nearest of them is to the question
    asked than the entry's question and its question+answer are, never below zero.

    A cosine or coverage to any paraphrase is well above zero even for an unrelated question (chiVe puts one
    at 0.4–0.5), so counted as they are, merely having paraphrases was worth up to two of the five lexical
    signals. Where only some entries have them, questions went to those entries for that alone: the entries
    a city learned residents' questions for (the real city's reduced corpus: the entry ranked first had a
    learned paraphrase for 24 % of the questions, the right one for 6 %), or the entries a city wrote
    alternative questions for (the sample city with every other entry's removed: hit@1 0.64–0.85 → 0.69–0.91
    on its three unseen sets). Where every entry has them, the same offset made unrelated questions look
    answerable (BENCHMARKS.md, "Paraphrases beyond the entry's own text, with a manual's section after an
    entry")."""
    import numpy as np

    from bot.features import CANDIDATE_FEATURES

    changed = features.copy()
    for column, own in _BEYOND:
        at, text = CANDIDATE_FEATURES.index(column), [CANDIDATE_FEATURES.index(name) for name in own]
        changed[:, at] = np.maximum(features[:, at] - features[:, text].max(axis=1), 0.0)
    return changed


def brief(features: np.ndarray, words_beyond: np.ndarray) -> np.ndarray:
    """What the day-one sum takes off a manual's section (the `is_passage` column of `features`) whose
    heading + text holds fewer than `BRIEF_WORDS` content words more than the question asked (`words_beyond`,
    per candidate; bot/snapshot.py): nothing for a text that says something beyond the question,
    `BRIEF_WEIGHT` for one that only repeats it.

    A section whose heading is the question and whose text only says the guide explains it (「このガイドでは、
    粗大ごみの出し方を説明します。」) holds the question's words more densely than the entry that answers it,
    and came first. FAQ entries are left alone: a city answers some questions with
    「下記URLをご覧ください」 on purpose (the real city's 1784, the right answer to a question it then no
    longer ranked tenth). No ranking of the sample city's question sets or of the real city's changes
    (BENCHMARKS.md, "Paraphrases beyond the entry's own text, with a manual's section after an entry")."""
    import numpy as np

    from bot.features import PASSAGE

    short = 1.0 - np.clip(words_beyond, 0, BRIEF_WORDS) / BRIEF_WORDS
    return BRIEF_WEIGHT * short * features[:, PASSAGE]


def fused_scores(ranker: Logistic, features: np.ndarray, day_one: bool,
                 words_beyond: np.ndarray | None = None) -> np.ndarray:
    """The ranker's score of each candidate (rows of `features`); the day-one sum (`day_one`, decided once
    per model by `is_day_one`) reads paraphrases as `paraphrases_beyond` says and takes `brief` off a
    manual's section that says little beyond the question. A fitted ranker reads paraphrases as they are: it
    was fitted, out of fold, on what a paraphrase is worth, and ranked better so (the sample city without its
    alternative questions: hit@1 0.818, against 0.785 when fitted and served on paraphrases measured beyond
    the question)."""
    if not day_one:
        return ranker.logit(features)
    fused = ranker.logit(paraphrases_beyond(features))
    return fused if words_beyond is None else fused - brief(features, words_beyond)


# The places from here on go by the recall order (`recall_tail`); the first ones are the answer and the
# choices a clarify turn offers (max_choices, 3 by default), which keep the sum's order.
RECALL_FROM = 3
RECALL_WEIGHT = 8.0  # picked on four folds of a real city's questions, scored on the fifth: 8 in all five


def recall_tail(order: np.ndarray, fused: np.ndarray, features: np.ndarray) -> np.ndarray:
    """The day-one order with its places from the fourth on ranked for recall: by the sum plus
    `RECALL_WEIGHT` × Σ 1/(1 + rank) over the eight ranked signals (the `rr_*` features), so mostly by how
    near each signal puts the entry to its own top.

    Rank terms added to the whole sum trade first places for later ones (BENCHMARKS.md, "Day one: reciprocal
    ranks added to the day-one sum"). Later places are what an agent sees: the desk lists an escalation's best
    five candidates to mark the one that answers it, and its search shows ten. There an entry that one signal
    ranks near its top, and the sum does not, is worth a place (the real city's questions: the answer among
    the five 0.764 → 0.793, among the ten 0.846 → 0.870; BENCHMARKS.md, "Day one: places from the fourth on
    ranked for recall"). `order` is the sum's, best first; the first three places and the confidence are
    left as they are."""
    import numpy as np

    from bot.features import RANK_FEATURES

    if len(order) <= RECALL_FROM + 1:
        return order
    recall = fused + RECALL_WEIGHT * features[:, RANK_FEATURES].sum(axis=1)
    recall[order[:RECALL_FROM]] = np.inf  # first, then put back in the sum's order
    served = np.argsort(-recall, kind="stable")
    served[:RECALL_FROM] = order[:RECALL_FROM]
    return served


# A clarify turn offers a place only when the day-one sum matched it at least this share as well as the first,
# or when a fitted ranker's score is at most this far below the first's
CHOICE_SHARE = 0.55
CHOICE_GAP = 6.0


def offered_places(ranked: np.ndarray, day_one: bool) -> int:
    """How many of the first places (`ranked`: their fused scores, in the order served) a clarify turn
    offers: each while it matched at least `CHOICE_SHARE` as well as the first under the day-one sum, or
    scored at most `CHOICE_GAP` below the first under a fitted ranker, and always the first.

    A place matched about half as well shares a word or two with the question and nothing more: the cat owner
    asking whether a cat must be registered was offered the dog registration and two seal registration entries
    (sums 8.0, 4.1, 3.6). Over the real city's and the sample city's question sets, every second or third
    choice that answers (grade 2) scored at least 0.65 of the first, one that partly answers (grade 1) at
    least 0.53, and 72 of the 560 that do not scored under 0.55 (BENCHMARKS.md, "Choices matched about half as
    well as the first are not offered"). A fitted ranker's scores are logits, where a difference is a ratio of
    probabilities: 6 below the first is under 1/400 of its chance. With rankers fitted on each city's labels,
    no choice that answers or partly answers lay more than 4.93 below the first, and 50 of the 362 that do
    not lay more than 6 below. A foreign question's combined scores (shares of each side's best) are read as
    shares too (bot/multilingual/answering.py)."""
    top = float(ranked[0]) if len(ranked) else 0.0
    if day_one and top <= 0.0:
        return len(ranked)
    near = ranked >= CHOICE_SHARE * top if day_one else ranked >= top - CHOICE_GAP
    return int(near.argmin()) if not near.all() else len(ranked)


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
