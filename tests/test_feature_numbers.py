"""The fast feature and scoring paths give exactly the numbers of their plain definitions, so a faster query
never changes a ranking or a fused score: reciprocal ranks are those of a stable sort, standard scores use
numpy's own mean and standard deviation, and BM25 added up in place equals BM25 in a new array."""

from __future__ import annotations

import numpy as np

from bot.features import CANDIDATE_FEATURES, ROWS, candidate_features, read_by
from bot.fusion import day_one_ranker
from indexer.bm25 import BM25Index
from indexer.signals import SIGNALS


def signals_with_ties(seed: int) -> np.ndarray:
    """(candidates × signals) scores as retrieval gives them: non-negative, many zeros, many ties, some
    -0.0."""
    rng = np.random.default_rng(seed)
    values = rng.choice(np.array([0.0, -0.0, 0.25, 1.5, 3.0], dtype=np.float32), size=(300, len(SIGNALS)))
    noisy = rng.random(values.shape) < 0.5
    values[noisy] = rng.gamma(2.0, 1.0, size=int(noisy.sum())).astype(np.float32)
    return np.asfortranarray(values)


def feature(features: np.ndarray, name: str) -> np.ndarray:
    return features[:, CANDIDATE_FEATURES.index(name)]


def test_reciprocal_ranks_are_those_of_a_stable_sort_best_first() -> None:
    for seed in range(5):
        signals = signals_with_ties(seed)
        features = candidate_features(signals, np.zeros(len(signals), dtype=bool))
        for name in ("bm25_answer", "dense_answer", "cover_answer", "bm25_bigram"):
            order = np.argsort(-signals[:, ROWS.index(name)], kind="stable")
            ranks = np.empty(len(order), dtype=np.int64)
            ranks[order] = np.arange(len(order))
            assert feature(features, f"rr_{name}").tobytes() == (1.0 / (1.0 + ranks)).tobytes()


def test_standard_scores_use_numpys_mean_and_standard_deviation() -> None:
    for seed in range(5):
        signals = signals_with_ties(seed)
        kept = np.arange(0, len(signals), 3)
        features = candidate_features(signals, np.zeros(len(signals), dtype=bool), kept)
        for name in ("bm25_answer", "dense_answer", "bm25_reading", "bm25x_question"):
            column = np.ascontiguousarray(signals[:, ROWS.index(name)])
            expected = (column[kept] - column.mean()) / column.std()
            assert feature(features, f"z_{name}").tobytes() == expected.astype(np.float64).tobytes()


def test_bm25_added_up_in_place_equals_bm25_in_a_new_array() -> None:
    documents = [["住民票", "写し", "請求"], ["転入", "届", "住民票"], ["犬", "登録"],
                 ["住民票", "住民票", "届"]]
    bm25 = BM25Index().fit(documents)
    terms = ["住民票", "届", "猫"]
    row, cover = np.zeros(bm25.size, dtype=np.float32), np.zeros(bm25.size, dtype=np.float32)
    scores, coverage = bm25.scores_and_coverage(terms)
    assert bm25.scores_and_coverage(terms, (row, cover))[0] is row
    assert row.tobytes() == scores.tobytes() and cover.tobytes() == coverage.tobytes()
    assert row[3] > row[1] > 0 and row[2] == 0


def test_features_the_day_one_ranker_does_not_read_leave_its_fused_scores_unchanged() -> None:
    ranker = day_one_ranker()
    read = read_by(ranker.weights)
    assert not read[CANDIDATE_FEATURES.index("rr_bm25_best")] and read[CANDIDATE_FEATURES.index("dense_best")]
    for seed in range(5):
        signals = signals_with_ties(seed)
        kept, is_passage = np.arange(0, len(signals), 2), np.zeros(len(signals), dtype=bool)
        every = candidate_features(signals, is_passage, kept)
        lean = candidate_features(signals, is_passage, kept, read)
        assert lean[:, read].tobytes() == every[:, read].tobytes()
        skipped = [i for i, name in enumerate(CANDIDATE_FEATURES) if name.startswith(("rr_", "z_"))]
        assert not lean[:, skipped].any() and every[:, skipped].any()
        assert ranker.logit(lean).tobytes() == ranker.logit(every).tobytes()


def test_a_fitted_ranker_reads_every_feature() -> None:
    assert read_by(np.linspace(-1.0, 1.0, len(CANDIDATE_FEATURES))).all()
