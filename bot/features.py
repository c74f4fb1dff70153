"""Features for fusion and for confidence, derived from the retriever's raw per-field signals.

Raw BM25 scores mean different things for different queries, so most features are relative to the
best candidate of the same query; dense cosines and term coverage are comparable as they are.
"""

from __future__ import annotations

import numpy as np

from indexer.signals import RANKED, SIGNALS, Signal

CANDIDATE_FEATURES = (
    "bm25_question_log", "bm25_paraphrase_log", "bm25_answer_log",
    "bm25_question_rel", "bm25_paraphrase_rel", "bm25_answer_rel", "bm25_best_rel",
    "dense_question", "dense_paraphrase", "dense_answer", "dense_best", "dense_best_gap",
    "cover_question", "cover_paraphrase", "cover_answer", "cover_best", "is_passage",
    "rr_bm25_best", "rr_bm25_answer", "rr_dense_best", "rr_dense_answer", "rr_cover_answer",
    "z_bm25_best", "z_bm25_answer", "z_dense_best", "z_dense_answer",
    "bm25_reading_log", "bm25_reading_rel", "z_bm25_reading",
    "bm25x_question_rel", "bm25x_answer_rel", "bm25_bigram_rel",
    "rr_bm25x_question", "rr_bm25x_answer", "rr_bm25_bigram",
    "z_bm25x_question", "z_bm25x_answer", "z_bm25_bigram",
)
QUERY_FEATURES = (
    "top1", "margin12", "margin13", "top1_minus_mean10", "dense_best_top1", "cover_best_top1",
    "bm25_best_top1_log", "query_terms_log", "top1_is_passage",
)


SHORTLIST_PER_SIGNAL = 100
RANKED_SIGNALS = list(RANKED)  # bm25 and dense of each field, reading, expanded, bigrams
QUESTION_SIGNALS = [Signal.BM25_QUESTION, Signal.DENSE_QUESTION, Signal.COVER_QUESTION]
PARAPHRASE_SIGNALS = [Signal.BM25_PARAPHRASE, Signal.DENSE_PARAPHRASE, Signal.COVER_PARAPHRASE]


def shortlist(signals: np.ndarray, per_signal: int = SHORTLIST_PER_SIGNAL) -> np.ndarray:
    """Positions of the candidates that some signal ranks among its best `per_signal` (ties included).

    Fusion only reorders what the signals found: an entry that no signal puts near its top does not reach
    the top ten after fusion (tests/test_bot.py checks this on the sample city, and on the real city's
    questions when ../shared is there).
    """
    count = len(signals)
    if count <= per_signal:
        return np.arange(count)
    columns = signals.T[list(RANKED_SIGNALS)]
    reached = columns > 0
    crowded = np.flatnonzero(reached.sum(axis=1) > per_signal)  # a sparse signal keeps all it reached
    if len(crowded):
        values = columns[crowded]
        kth = np.sort(values, axis=1)[:, count - per_signal]  # faster than np.partition on these rows
        reached[crowded] &= values >= kth[:, None]
    return np.flatnonzero(reached.any(axis=0))


# the signals, then question-or-paraphrase per kind
ROWS = (*SIGNALS, "bm25_best", "dense_best", "cover_best")
_LEADERS, _EXPANDED = (("bm25_best", "bm25_answer", "dense_best", "dense_answer"),
                       ("bm25x_question", "bm25x_answer", "bm25_bigram"))


def _group(rows: dict[str, str]) -> tuple[list[int], list[int]]:
    """Positions in CANDIDATE_FEATURES and in ROWS of feature name → the row it is made from."""
    return [CANDIDATE_FEATURES.index(f) for f in rows], [ROWS.index(r) for r in rows.values()]


LOGS = _group({f"{r}_log": r for r in ("bm25_question", "bm25_paraphrase", "bm25_answer", "bm25_reading")})
RELATIVE = _group({f"{r}_rel": r for r in ("bm25_question", "bm25_paraphrase", "bm25_answer", "bm25_best",
                                           "bm25_reading", *_EXPANDED)})
AS_THEY_ARE = _group({r: r for r in ("dense_question", "dense_paraphrase", "dense_answer", "dense_best",
                                     "cover_question", "cover_paraphrase", "cover_answer", "cover_best")})
RANKS = _group({f"rr_{r}": r for r in (*_LEADERS, "cover_answer", *_EXPANDED)})
STANDARD = _group({f"z_{r}": r for r in (*_LEADERS, "bm25_reading", *_EXPANDED)})
RANK_FEATURES = RANKS[0]  # the eight rr_* columns: 1/(1 + the candidate's rank) by each ranked signal
GAP, DENSE_BEST, PASSAGE = CANDIDATE_FEATURES.index("dense_best_gap"), ROWS.index("dense_best"), \
    CANDIDATE_FEATURES.index("is_passage")


def _best_first(rows: np.ndarray) -> np.ndarray:
    """Per row, positions from the highest value down, ties in position order: what a stable argsort of -row
    gives, from one plain sort of 64-bit keys (the float's bits made to order as unsigned integers from high
    to low, then the position) at half the cost of numpy's stable sort. Adding 0 makes -0.0 and 0.0 one key,
    as they compare equal; a non-negative float's bits are flipped below the sign, a negative one's are
    not."""
    bits = (rows.astype(np.float32) + np.float32(0)).view(np.int32)
    descending = (bits ^ (~(bits >> 31) & np.int32(0x7FFFFFFF))).view(np.uint32)
    keys = (descending.astype(np.uint64) << np.uint64(32)) | np.arange(rows.shape[1], dtype=np.uint64)
    keys.sort(axis=1)
    return (keys & np.uint64(0xFFFFFFFF)).astype(np.int64)


def _reciprocal_ranks(rows: np.ndarray) -> np.ndarray:
    """1/(1 + stable rank) within each row; ranks are the sort order inverted by a scatter, not a second
    sort."""
    order = _best_first(rows)
    ranks = np.empty_like(order)
    ranks[np.arange(len(rows))[:, None], order] = np.arange(rows.shape[1])
    return 1.0 / (1.0 + ranks)


def _mean_and_spread(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's mean and standard deviation, the very numbers `rows.mean(axis=1)` and `rows.std(axis=1)`
    give (numpy's own steps: the same sums and divisions), with the mean summed once instead of twice."""
    count = np.intp(rows.shape[1])
    mean = np.add.reduce(rows, axis=1, keepdims=True)
    np.true_divide(mean, count, out=mean, casting="unsafe")
    deviations = np.subtract(rows, mean)
    np.square(deviations, out=deviations)
    spread = np.add.reduce(deviations, axis=1, keepdims=True)
    np.true_divide(spread, count, out=spread, casting="unsafe")
    return mean, np.sqrt(spread, out=spread)


def _z(rows: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """Standard scores of the kept values against every candidate's; a row without spread scores zero."""
    mean, spread = _mean_and_spread(rows)
    flat = spread <= 1e-9
    return np.where(flat, np.float32(0), (kept - mean) / np.where(flat, np.float32(1), spread))


def candidate_features(signals: np.ndarray, is_passage: np.ndarray,
                       kept: np.ndarray | slice = slice(None), read: np.ndarray | None = None) -> np.ndarray:
    """One row per candidate in `kept` (all by default).

    Relative and standard scores compare a candidate with every candidate of the query; ranks are taken
    among the kept ones (a shortlist holds every signal's top, so a top rank is the same either way, and
    sorting the shortlist instead of every candidate was a third of the time spent answering). Each kind of
    feature is computed for all its rows at once (ROWS, and the groups above). `is_passage` is per candidate.
    `read` (a mask over CANDIDATE_FEATURES, all by default): ranks, standard scores and the dense gap are
    computed only when a feature of their kind is read; the others stay zero.
    """
    by_signal = signals.T
    rows = np.concatenate([by_signal, np.maximum(by_signal[QUESTION_SIGNALS], by_signal[PARAPHRASE_SIGNALS])])
    top, chosen = rows.max(axis=1, initial=0.0), rows[:, kept]
    features = np.empty((len(CANDIDATE_FEATURES), chosen.shape[1]))
    features[LOGS[0]] = np.log1p(chosen[LOGS[1]])
    best = top[RELATIVE[1], None]
    features[RELATIVE[0]] = chosen[RELATIVE[1]] / np.where(best > 0, best, 1.0)
    features[AS_THEY_ARE[0]] = chosen[AS_THEY_ARE[1]]
    features[PASSAGE] = is_passage[kept]
    features[GAP] = chosen[DENSE_BEST] - top[DENSE_BEST] if _any(read, [GAP]) else 0.0
    features[RANKS[0]] = _reciprocal_ranks(chosen[RANKS[1]]) if _any(read, RANKS[0]) else 0.0
    features[STANDARD[0]] = _z(rows[STANDARD[1]], chosen[STANDARD[1]]) if _any(read, STANDARD[0]) else 0.0
    return np.ascontiguousarray(features.T)


def _any(read: np.ndarray | None, positions: list[int]) -> bool:
    return read is None or bool(read[positions].any())


# the candidate features `query_features` reads of the top candidate, for the confidence models
CONFIDENCE_READS = ("dense_best", "cover_best", "bm25_question_log", "bm25_paraphrase_log", "is_passage")
_DENSE_TOP, _COVER_TOP, _BM25_QUESTION_TOP, _BM25_PARAPHRASE_TOP, _PASSAGE_TOP = (
    CANDIDATE_FEATURES.index(name) for name in CONFIDENCE_READS)


def read_by(weights: np.ndarray, ranks: bool = False) -> np.ndarray:
    """The candidate features a ranker with these weights and the confidence models read: a feature whose
    weight is zero is multiplied away (and features are finite), so leaving it at zero gives the same fused
    scores; the day-one ranker reads 9 of the 38, and skipping ranks and standard scores saves a sort and two
    passes over every candidate per question. `ranks`: the rank columns too (the day-one sum orders its later
    places by them, bot/fusion.py `recall_tail`)."""
    if len(weights) != len(CANDIDATE_FEATURES):
        return np.ones(len(CANDIDATE_FEATURES), dtype=bool)
    read = np.asarray(weights) != 0
    read[[_DENSE_TOP, _COVER_TOP, _BM25_QUESTION_TOP, _BM25_PARAPHRASE_TOP, _PASSAGE_TOP]] = True
    read[RANK_FEATURES] |= ranks
    return read


def query_features(fused: np.ndarray, features: np.ndarray, query_terms: int) -> np.ndarray:
    """One row describing how clear-cut a query's ranking is; `fused` and `features` sorted best first."""
    padded = np.concatenate([fused, np.full(3, fused.min(initial=0.0) - 1.0)]) if len(fused) else np.zeros(3)
    top = features[0] if len(features) else np.zeros(len(CANDIDATE_FEATURES))
    return np.array([
        padded[0], padded[0] - padded[1], padded[0] - padded[2], padded[0] - padded[:10].mean(),
        top[_DENSE_TOP], top[_COVER_TOP], max(top[_BM25_QUESTION_TOP], top[_BM25_PARAPHRASE_TOP]),
        np.log1p(query_terms), top[_PASSAGE_TOP],
    ], dtype=np.float64)
