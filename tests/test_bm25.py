"""BM25 weights: every (entry, word) weight is Okapi BM25 (k1 = 1.2, b = 0.75) of that word in that entry.

The build counts words for all entries at once; the weights, and the word order the saved vocabulary keeps,
must be those of counting entry by entry."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from indexer.bm25 import BM25Index

ENTRIES = [["住民票", "写し", "住民票", "請求"], [], ["ごみ", "出す", "粗大", "ごみ", "ごみ"],
           ["写し", "戸籍"], ["犬"]]


def okapi(entries: list[list[str]], k1: float = 1.2, b: float = 0.75) -> dict[tuple[int, str], float]:
    """The textbook weights, entry by entry."""
    frequency = Counter(word for entry in entries for word in set(entry))
    average = sum(map(len, entries)) / len(entries)
    weights = {}
    for row, entry in enumerate(entries):
        for word, tf in Counter(entry).items():
            idf = math.log1p((len(entries) - frequency[word] + 0.5) / (frequency[word] + 0.5))
            weights[row, word] = idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(entry) / average))
    return weights


def dense(bm25: BM25Index) -> np.ndarray:
    matrix, out = bm25.matrix, np.zeros(bm25.matrix.shape, dtype=np.float32)
    for column in range(matrix.shape[1]):
        span = slice(matrix.indptr[column], matrix.indptr[column + 1])
        out[matrix.indices[span], column] = matrix.data[span]
    return out


def test_every_weight_is_okapi_bm25_of_the_word_in_its_entry() -> None:
    bm25 = BM25Index().fit(ENTRIES)
    expected = np.zeros((len(ENTRIES), len(bm25.vocabulary)), dtype=np.float32)
    for (row, word), weight in okapi(ENTRIES).items():
        expected[row, bm25.vocabulary[word]] = weight
    np.testing.assert_allclose(dense(bm25), expected, rtol=1e-6)


def test_the_vocabulary_keeps_the_order_words_first_appear_in() -> None:
    assert list(BM25Index().fit(ENTRIES).vocabulary) == ["住民票", "写し", "請求", "ごみ", "出す", "粗大",
                                                         "戸籍", "犬"]


def test_each_column_lists_its_entries_in_order() -> None:
    matrix = BM25Index().fit(ENTRIES).matrix
    for column in range(matrix.shape[1]):
        rows = matrix.indices[matrix.indptr[column]:matrix.indptr[column + 1]]
        assert list(rows) == sorted(rows)


def test_no_entries_and_empty_entries_give_an_empty_matrix() -> None:
    assert BM25Index().fit([]).matrix.shape == (0, 0)
    assert BM25Index().fit([[], []]).matrix.shape == (2, 0)
