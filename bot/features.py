"""Features for fusion and for confidence, derived from the retriever's raw per-field signals.

Raw BM25 scores mean different things for different queries, so most features are relative to the
best candidate of the same query; dense cosines and term coverage are comparable as they are.
"""

from __future__ import annotations

import numpy as np

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
RANKED_SIGNALS = (0, 1, 2, 3, 4, 5, 9, 10, 11, 12)  # bm25 and dense of each field, reading, expanded, bigrams


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
    crowded = np.flatnonzero(np.count_nonzero(reached, axis=1) > per_signal)  # a sparse signal keeps all it reached
    if len(crowded):
        kth = np.partition(columns[crowded], count - per_signal, axis=1)[:, count - per_signal]
        reached[crowded] &= columns[crowded] >= kth[:, None]
    return np.flatnonzero(reached.any(axis=0))


def _relative(rows: np.ndarray, kept: np.ndarray | slice) -> np.ndarray:
    """Each signal row divided by its best value over every candidate (a row of zeros stays zero)."""
    top = rows.max(axis=1, initial=0.0, keepdims=True)
    return rows[:, kept] / np.where(top > 0, top, 1.0)


def _reciprocal_rank(row: np.ndarray) -> np.ndarray:
    """1/(1 + stable rank) within the row; ranks are the sort order inverted by a scatter, not by a second sort."""
    order = (-row).argsort(kind="stable")
    ranks = np.empty(len(order), dtype=np.int64)
    ranks[order] = np.arange(len(order))
    return 1.0 / (1.0 + ranks)


def _z(rows: np.ndarray, kept: np.ndarray | slice) -> np.ndarray:
    """Standard scores against every candidate; a row without spread scores zero."""
    spread, mean = rows.std(axis=1, keepdims=True), rows.mean(axis=1, keepdims=True)
    flat = spread <= 1e-9
    return np.where(flat, np.float32(0), (rows[:, kept] - mean) / np.where(flat, np.float32(1), spread))


def candidate_features(signals: np.ndarray, is_passage: np.ndarray,
                       kept: np.ndarray | slice = slice(None)) -> np.ndarray:
    """One row per candidate in `kept` (all by default).

    Relative and standard scores compare a candidate with every candidate of the query; ranks are taken
    among the kept ones (a shortlist holds every signal's top, so a top rank is the same either way, and
    sorting the shortlist instead of every candidate was a third of the time spent answering).
    `signals` columns are bm25 q/p/a, dense q/p/a, cover q/p/a, bm25 reading, expanded bm25 q/a, bigram bm25;
    `is_passage` is per candidate.
    """
    by_signal = signals.T
    best = np.maximum(by_signal[[0, 3, 6]], by_signal[[1, 4, 7]])  # question or paraphrase, per kind
    compared = np.stack([best[0], by_signal[2], best[1], by_signal[5], by_signal[8], by_signal[9]])
    bm25 = by_signal[0:3, kept]
    features = np.empty((len(CANDIDATE_FEATURES), bm25.shape[1]))
    features[0:3] = np.log1p(bm25)
    features[3:7] = _relative(np.vstack([by_signal[0:3], best[0:1]]), kept)
    features[7:10], features[10] = by_signal[3:6, kept], best[1, kept]
    features[11] = best[1, kept] - best[1].max(initial=0.0)
    features[12:15], features[15], features[16] = by_signal[6:9, kept], best[2, kept], is_passage[kept]
    features[17:22] = [_reciprocal_rank(row[kept]) for row in compared[:5]]
    z = _z(compared[[0, 1, 2, 3, 5]], kept)
    features[22:26], features[28] = z[:4], z[4]
    features[26], features[27] = np.log1p(by_signal[9, kept]), _relative(by_signal[9:10], kept)[0]
    features[29:32] = _relative(by_signal[10:13], kept)  # expanded question / answer, character bigrams
    features[32:35] = [_reciprocal_rank(row[kept]) for row in by_signal[10:13]]
    features[35:38] = _z(by_signal[10:13], kept)
    return np.ascontiguousarray(features.T)


def query_features(fused: np.ndarray, features: np.ndarray, query_terms: int) -> np.ndarray:
    """One row describing how clear-cut a query's ranking is; `fused` and `features` sorted best first."""
    padded = np.concatenate([fused, np.full(3, fused.min(initial=0.0) - 1.0)]) if len(fused) else np.zeros(3)
    top = features[0] if len(features) else np.zeros(len(CANDIDATE_FEATURES))
    names = CANDIDATE_FEATURES
    return np.array([
        padded[0], padded[0] - padded[1], padded[0] - padded[2], padded[0] - padded[:10].mean(),
        top[names.index("dense_best")], top[names.index("cover_best")],
        max(top[names.index("bm25_question_log")], top[names.index("bm25_paraphrase_log")]),
        np.log1p(query_terms), top[names.index("is_passage")],
    ], dtype=np.float64)
