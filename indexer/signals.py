"""The retrieval signals, by name: each is one column of a `Retrieval`'s signal matrix.

Retrieval fills the columns, the answering engine turns them into features (bot/features.py), and
`madoguchi search` prints them; all of them name a column here instead of counting positions.
"""

from __future__ import annotations

from enum import IntEnum

from indexer.index import FIELDS


class Signal(IntEnum):
    """A signal and its column: BM25, dense cosine and term coverage of each field (question, paraphrase,
    answer), then BM25 of the reading, BM25 with the city's nearest words added (indexer/expansion.py) and
    character-bigram BM25."""

    BM25_QUESTION = 0
    BM25_PARAPHRASE = 1
    BM25_ANSWER = 2
    DENSE_QUESTION = 3
    DENSE_PARAPHRASE = 4
    DENSE_ANSWER = 5
    COVER_QUESTION = 6
    COVER_PARAPHRASE = 7
    COVER_ANSWER = 8
    BM25_READING = 9
    BM25X_QUESTION = 10
    BM25X_ANSWER = 11
    BM25_BIGRAM = 12

    @property
    def key(self) -> str:
        """The signal's name in explanations and `madoguchi search`: bm25_question, dense_answer …"""
        return self.name.lower()

    @classmethod
    def of(cls, kind: str, field: str) -> Signal:
        """The signal of one kind (bm25, dense, cover, bm25x) over one field of the index."""
        return cls[f"{kind}_{field}".upper()]


SIGNALS = tuple(signal.key for signal in Signal)
BM25 = tuple(Signal.of("bm25", field) for field in FIELDS)
DENSE = tuple(Signal.of("dense", field) for field in FIELDS)
COVER = tuple(Signal.of("cover", field) for field in FIELDS)
EXPANDED = (Signal.BM25X_QUESTION, Signal.BM25X_ANSWER, Signal.BM25_BIGRAM)
RANKED = tuple(signal for signal in Signal if signal not in COVER)  # what a rank fusion looks at


def columns(group: tuple[Signal, ...]) -> slice:
    """A group of neighbouring signals as a slice of the matrix: a view, where a list of columns would
    copy."""
    first, last = group[0], group[-1]
    if last - first + 1 != len(group):
        raise ValueError(f"signals {[s.key for s in group]} are not neighbouring columns")
    return slice(int(first), int(last) + 1)
