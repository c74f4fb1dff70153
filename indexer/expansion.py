"""Lexical signals that reach past the exact words: neighbour-expanded BM25 and character bigrams.

A resident writes 転居 where the entry says 転入, or 保育園 where it says 保育所. Two cheap signals catch
part of that without any labelled question (measured on a real city, ../shared/docs/retrieval-study):
  - neighbour expansion: each query word also searches for the city's words nearest to it in the embedding
    model (cosine ≥ 0.6, at most five, weight 0.3·cosine). The neighbours of every word the city's entries
    use are found once, at build time (`TermNeighbours.build`), and kept in the index version;
  - character bigrams of question + answer, which match compounds Sudachi splits differently.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from itertools import pairwise
from pathlib import Path

import numpy as np

from indexer.bm25 import BM25Index
from indexer.embedding import Embedder
from indexer.normalise import normalise_width

NEIGHBOURS_FILE = "neighbours.json"
VECTORS_FILE = "term-vectors.npy"  # the city's words' vectors, for words a question uses that no entry does
UNKNOWN_CACHE = 4096
NEIGHBOURS_PER_TERM = 5
MIN_COSINE = 0.6
EXPANSION_WEIGHT = 0.3
BIGRAM_MARK = "⁂"
PIECE_BREAKS = re.compile(r"[\s、。，．,.!！?？「」『』（）()【】\[\]・：:；"
                     r";■□◆◇●○※〜~ー－\-/／＝=＋+＊*“”\"'’‘…]+")
_ENCODE_BATCH = 1024
CHUNK_ROWS = 512  # a multiple of every row grouping of BLAS's matrix-vector kernels
_SLACK = 1e-6  # candidates are taken a little below MIN_COSINE, then tested exactly as they always were


def char_bigrams(text: str) -> list[str]:
    """Character bigrams inside each run between spaces and punctuation; a one-character run stays whole."""
    grams = []
    for piece in PIECE_BREAKS.split(normalise_width(text)):
        if len(piece) == 1:
            grams.append(BIGRAM_MARK + piece)
        grams += [BIGRAM_MARK + a + b for a, b in pairwise(piece)]
    return grams


class TermNeighbours:
    """For each word of the city's entries, its nearest other words of the entries by embedding cosine."""

    def __init__(self, neighbours: dict[str, list[tuple[str, float]]] | None = None,
                 words: Sequence[str] = (), vectors: np.ndarray | None = None) -> None:
        self.neighbours = neighbours or {}
        self.words, self.vectors = (list(words),
                                    vectors if vectors is not None else np.zeros((0, 0), np.float32))
        self._unknown: dict[str, list[tuple[str, float]] | None] = {}

    @classmethod
    def build(cls, vocabulary: Sequence[str], embedder: Embedder) -> TermNeighbours:
        """Embed every word once and keep, per word, up to five others with cosine ≥ 0.6 (ties by word
        order)."""
        return cls.search(vocabulary, cls.embed(vocabulary, embedder))

    @staticmethod
    def embed(vocabulary: Sequence[str], embedder: Embedder) -> np.ndarray:
        """The words' vectors, as a question's words are embedded."""
        words = list(vocabulary)
        if not words:
            return np.zeros((0, embedder.dimensions), dtype=np.float32)
        return np.vstack([embedder.encode_queries(words[i:i + _ENCODE_BATCH])
                          for i in range(0, len(words), _ENCODE_BATCH)])

    @classmethod
    def search(cls, vocabulary: Sequence[str], vectors: np.ndarray) -> TermNeighbours:
        """Each word's nearest others among these vectors. Almost all of it is NumPy's matrix products, which
        let go of the GIL: an index build runs this beside its other work (indexer/build.py)."""
        words = list(vocabulary)
        if not words:
            return cls()
        known = np.flatnonzero(np.linalg.norm(vectors, axis=1) > 0.5)
        table = vectors[known]
        found: dict[str, list[tuple[str, float]]] = {}
        for start in range(0, len(known), _ENCODE_BATCH):
            cosines = table[start:start + _ENCODE_BATCH] @ table.T
            found.update(cls._nearest_rows(words, known, start, cosines))
        return cls(found, [words[k] for k in known], table.astype(np.float16))

    @staticmethod
    def _nearest_rows(words: list[str], known: np.ndarray, start: int, cosines: np.ndarray
                      ) -> dict[str, list[tuple[str, float]]]:
        """The neighbours of a block of words (row i is word start + i): per row, the first five of a stable
        sort by cosine that are ≥ 0.6. Only cosines near 0.6 or above can be kept, so only those are sorted,
        not every word of the city (that sort was most of a build)."""
        own = np.arange(len(cosines))
        cosines[own, start + own] = -1.0
        near = np.flatnonzero(cosines >= MIN_COSINE - _SLACK)  # 20× cheaper than a 2-D np.nonzero, same order
        rows, columns = np.divmod(near, cosines.shape[1])
        values = cosines.ravel()[near]
        order = np.lexsort((columns, -values, rows))  # word by word, best first, ties by word order
        rows, columns, values = rows[order], columns[order], values[order]
        rank = np.arange(len(rows)) - np.searchsorted(rows, rows)
        kept = (rank < NEIGHBOURS_PER_TERM) & (values >= MIN_COSINE)
        found: dict[str, list[tuple[str, float]]] = {}
        for row, column, value in zip(rows[kept].tolist(), columns[kept].tolist(), values[kept].tolist(),
                                      strict=True):
            found.setdefault(words[known[start + row]], []).append((words[known[column]], round(value, 4)))
        return found

    def unknown(self, terms: Sequence[str], encode: Callable[[list[str]], np.ndarray]
                ) -> dict[str, list[tuple[str, float]] | None]:
        """The city's nearest words to question words no entry uses (転居 where entries say 転入), embedded
        now, one call for all, and remembered; None for a word the model has no vector for."""
        fresh = [t for t in dict.fromkeys(terms) if t not in self._unknown]
        if fresh and len(self.words):
            if len(self._unknown) > UNKNOWN_CACHE:
                self._unknown.clear()
            vectors = encode(fresh)
            known = [i for i, vector in enumerate(vectors) if np.linalg.norm(vector) > 0.5]
            found = dict(zip(known, cosines(self._table(), vectors[known]), strict=True))
            for i, term in enumerate(fresh):
                self._unknown[term] = self._near(found[i]) if i in found else None
        return {t: self._unknown.get(t) for t in terms}

    def forget(self) -> None:
        """Drop the remembered neighbours of question words (a benchmark times every question as new)."""
        self._unknown.clear()

    def _near(self, row: np.ndarray) -> list[tuple[str, float]]:
        """The five nearest words at cosine ≥ 0.6 (ties by word order), from one word's cosines with every
        city word: only those words are sorted, not all."""
        close = np.flatnonzero(row >= MIN_COSINE)
        best = close[np.argsort(-row[close], kind="stable")[:NEIGHBOURS_PER_TERM]]
        return [(self.words[j], round(float(row[j]), 4)) for j in best]

    def _table(self) -> np.ndarray:
        if self.vectors.dtype != np.float32:
            self.vectors = self.vectors.astype(np.float32)
        return self.vectors

    def weights(self, terms: Sequence[str], unknown: dict[str, list[tuple[str, float]] | None] | None = None
                ) -> dict[str, float]:
        """Query words weigh 1; each one's neighbours that the query does not already have weigh 0.3·cosine
        (the largest when two query words share a neighbour). `unknown` gives the neighbours of words no
        entry uses (`unknown()`)."""
        weights = dict.fromkeys(terms, 1.0)
        for term in dict.fromkeys(terms):
            for neighbour, cosine in self.neighbours.get(term) or (unknown or {}).get(term) or ():
                if neighbour not in terms:
                    weights[neighbour] = max(weights.get(neighbour, 0.0), EXPANSION_WEIGHT * cosine)
        return weights

    def save(self, folder: Path) -> None:
        """One JSON file in the version folder (checksummed with the rest)."""
        payload = {"neighbours": {term: [[n, c] for n, c in found]
                                  for term, found in self.neighbours.items()},
                   "words": self.words}
        (folder / NEIGHBOURS_FILE).write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        np.save(folder / VECTORS_FILE, self.vectors.astype(np.float16))

    @classmethod
    def load(cls, folder: Path) -> TermNeighbours:
        """Inverse of :meth:`save`."""
        payload = json.loads((folder / NEIGHBOURS_FILE).read_text(encoding="utf-8"))
        neighbours = {term: [(str(n), float(c)) for n, c in found]
                      for term, found in payload["neighbours"].items()}
        return cls(neighbours, payload["words"], np.load(folder / VECTORS_FILE))


def cosines(table: np.ndarray, vectors: np.ndarray) -> list[np.ndarray]:
    """Each vector's products with every row of the table, as `table @ vector` gives them bit for bit, with
    the table read from memory once for all of them: scoring several words no entry uses against every city
    word makes the slowest twentieth of a real city's questions. Each block of CHUNK_ROWS rows (600 kB) stays
    in the core's cache while every vector is scored against it; blocks start at multiples of CHUNK_ROWS, so
    BLAS groups the rows as in one product over the whole table."""
    if len(vectors) <= 1:
        return [table @ vector for vector in vectors]
    rows = [np.empty(len(table), dtype=np.result_type(table, vectors)) for _ in vectors]
    for start in range(0, len(table), CHUNK_ROWS):
        block = table[start:start + CHUNK_ROWS]
        for row, vector in zip(rows, vectors, strict=True):
            row[start:start + CHUNK_ROWS] = block @ vector
    return rows


def weighted_scores(bm25: BM25Index, weights: dict[str, float], out: np.ndarray | None = None) -> np.ndarray:
    """Σ weight · BM25 column over the weighted words: BM25 of an expanded query, added word after word in
    float32 (`np.add.at` adds in order), all postings gathered at once; into `out` (zeroed) when given."""
    total = np.zeros(bm25.size, dtype=np.float32) if out is None else out
    known = [(column, weight)
             for term, weight in weights.items() if (column := bm25.vocabulary.get(term)) is not None]
    if known:
        columns, factors = zip(*known, strict=True)
        documents, scores, lengths = bm25.postings(columns)
        np.add.at(total, documents, np.repeat(np.array(factors, dtype=np.float32), lengths) * scores)
    return total
