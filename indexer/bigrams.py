"""The answers' character-bigram BM25 (indexer/expansion.py) built from code points in NumPy.

A real city's answers give 700,000 bigrams. As strings (`char_bigrams`, one Python string each, then a
dictionary look-up each) they cost as much as a sixth of the build; as numbers (two code points side by side)
they are a few array operations, and only the 50,000 distinct bigrams become strings, for the vocabulary. The
index is the one `BM25Index().fit([char_bigrams(text) for text in texts])` gives, file for file
(tests/test_bigram_index.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from indexer.bm25 import BM25Index
from indexer.expansion import BIGRAM_MARK, PIECE_BREAKS
from indexer.normalise import normalise_width

CODE_BITS = 21  # every code point is below 2**21
LONE = 1 << (2 * CODE_BITS)  # a one-character piece's number: its code point plus this; a pair's is below it
GAP = " "  # between two texts: a separator, so no piece runs on into the next text


def bigram_index(texts: Sequence[str]) -> BM25Index:
    """BM25 over each text's character bigrams: numbered in the order `char_bigrams` gives them, text by
    text, the vocabulary in first-seen order."""
    clean = [normalise_width(text) for text in texts]
    points = np.frombuffer(GAP.join(clean).encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    at, numbers = _grams(points)
    starts = np.cumsum([0] + [len(text) + len(GAP) for text in clean[:-1]])
    sizes = np.bincount(np.searchsorted(starts, at, side="right") - 1, minlength=len(texts))
    distinct, first, inverse = np.unique(numbers, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    column = np.empty(len(order), dtype=np.int64)
    column[order] = np.arange(len(order))
    index = BM25Index()
    index.vocabulary = {_spelled(int(number)): n for n, number in enumerate(distinct[order].tolist())}
    return index.fit_numbered(column[inverse.ravel()], sizes.astype(np.int64))


def _grams(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each gram starts and its number: a pair of neighbouring characters inside a piece, or a piece of
    one character."""
    inside = ~np.isin(points, _separators(points))
    before = np.concatenate(([False], inside[:-1]))
    after = np.concatenate((inside[1:], [False]))
    pair, lone = inside & after, inside & ~before & ~after
    at = np.flatnonzero(pair | lone)
    following = np.concatenate((points[1:], [0]))[at]
    numbers = np.where(pair[at], (points[at] << CODE_BITS) | following, LONE | points[at])
    return at, numbers


def _separators(points: np.ndarray) -> np.ndarray:
    """The code points among these that split pieces (spaces, punctuation), as the pattern finds them."""
    return np.array([c for c in np.unique(points).tolist() if PIECE_BREAKS.fullmatch(chr(c))], dtype=np.int64)


def _spelled(number: int) -> str:
    """The gram as `char_bigrams` writes it."""
    if number >= LONE:
        return BIGRAM_MARK + chr(number - LONE)
    return BIGRAM_MARK + chr(number >> CODE_BITS) + chr(number & ((1 << CODE_BITS) - 1))
