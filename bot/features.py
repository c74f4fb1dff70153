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
)
QUERY_FEATURES = (
    "top1", "margin12", "margin13", "top1_minus_mean10", "dense_best_top1", "cover_best_top1",
    "bm25_best_top1_log", "query_terms_log", "top1_is_passage",
)


def _relative(columns: np.ndarray) -> np.ndarray:
    top = np.ascontiguousarray(columns.T).max(axis=1, initial=0.0)  # same maxima, quicker than down strides
    return columns / np.where(top > 0, top, 1.0)


def _reciprocal_rank(column: np.ndarray) -> np.ndarray:
    """1/(1 + stable rank); ranks are the sort order inverted by a scatter, not by a second sort."""
    order = (-column).argsort(kind="stable")
    ranks = np.empty(len(order), dtype=np.int64)
    ranks[order] = np.arange(len(order))
    return 1.0 / (1.0 + ranks)


def _z(column: np.ndarray) -> np.ndarray:
    spread = column.std()
    return (column - column.mean()) / spread if spread > 1e-9 else np.zeros_like(column)


def candidate_features(signals: np.ndarray, is_passage: np.ndarray) -> np.ndarray:
    """One row per candidate; `signals` columns are bm25 q/p/a, dense q/p/a, cover q/p/a, bm25 reading."""
    bm25, dense, cover, reading = signals[:, 0:3], signals[:, 3:6], signals[:, 6:9], signals[:, 9]
    bm25_best = np.maximum(bm25[:, 0], bm25[:, 1])
    dense_best = np.maximum(dense[:, 0], dense[:, 1])
    top_dense = dense_best.max(initial=0.0)
    return np.column_stack([
        np.log1p(bm25), _relative(bm25), _relative(bm25_best[:, None]),
        dense, dense_best, dense_best - top_dense,
        cover, np.maximum(cover[:, 0], cover[:, 1]), is_passage.astype(np.float32),
        *(_reciprocal_rank(c) for c in (bm25_best, bm25[:, 2], dense_best, dense[:, 2], cover[:, 2])),
        *(_z(c) for c in (bm25_best, bm25[:, 2], dense_best, dense[:, 2])),
        np.log1p(reading), _relative(reading[:, None]), _z(reading),
    ]).astype(np.float64, copy=False)


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
