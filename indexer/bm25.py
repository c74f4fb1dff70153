"""Okapi BM25 over pre-tokenised documents, as one sparse matrix so a query is a column sum."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

import numpy as np


@dataclass(slots=True)
class Columns:
    """A document × term weight matrix as compressed sparse columns: the three arrays scoring reads, in
    NumPy, so a serving worker never imports SciPy (about 20 MB in every worker); SciPy only writes the
    file."""

    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    shape: tuple[int, int]

    @classmethod
    def of(cls, rows: np.ndarray, columns: np.ndarray, values: np.ndarray, shape: tuple[int, int]) -> Columns:
        """From entries given row by row; a stable sort by column keeps each column's documents in order, the
        arrays `scipy.sparse` makes of the same entries."""
        order = np.argsort(columns, kind="stable")
        indptr = np.zeros(shape[1] + 1, dtype=np.int32)
        np.cumsum(np.bincount(columns, minlength=shape[1]), out=indptr[1:])
        return cls(values[order], rows[order].astype(np.int32), indptr, shape)

    @classmethod
    def load(cls, path: Path) -> Columns:
        """The matrix `scipy.sparse.save_npz` wrote row by row, read into columns."""
        with np.load(path) as stored:
            data, indices, indptr = stored["data"], stored["indices"], stored["indptr"]
            shape = (int(stored["shape"][0]), int(stored["shape"][1]))
        return cls.of(np.repeat(np.arange(shape[0]), np.diff(indptr)), indices, data, shape)

    def save(self, path: Path) -> None:
        """Row by row through `scipy.sparse.save_npz`, the index format since the first version."""
        from scipy import sparse

        sparse.save_npz(path,
                        sparse.csc_matrix((self.data, self.indices, self.indptr), shape=self.shape).tocsr())


class BM25Index:
    """Term weights are precomputed at build time; searching adds up one matrix column per query term."""

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.vocabulary: dict[str, int] = {}
        self.idf = np.zeros(0, dtype=np.float32)
        self.matrix = Columns.of(*(np.zeros(0, dtype=np.int64),) * 2, np.zeros(0, dtype=np.float32), (0, 0))
        self._listed: tuple[Columns | None, list[int], bool] = (None, [], True)

    @property
    def size(self) -> int:
        """Number of documents."""
        return int(self.matrix.shape[0])

    def fit(self, documents: Sequence[Sequence[str]]) -> BM25Index:
        """Build the document × term weight matrix: the (document, term) pairs and their counts come from one
        `np.unique` over every term of every document, not a Counter per document."""
        words = list(chain.from_iterable(documents))
        for term in dict.fromkeys(words):  # first-seen order, as document by document
            self.vocabulary.setdefault(term, len(self.vocabulary))
        sizes = np.fromiter(map(len, documents), dtype=np.int64, count=len(documents))
        terms = np.fromiter(map(self.vocabulary.__getitem__, words), dtype=np.int64, count=len(words))
        return self.fit_numbered(terms, sizes)

    def fit_numbered(self, terms: np.ndarray, sizes: np.ndarray) -> BM25Index:
        """`fit` of documents already given as numbers: every document's terms one after the other as their
        columns in `vocabulary` (set beforehand), and each document's number of terms."""
        lengths = sizes.astype(np.float32)
        average = float(lengths.mean()) if len(lengths) and lengths.mean() > 0 else 1.0
        rows, columns, tf = self._pairs(terms, sizes)
        frequency = np.bincount(columns, minlength=len(self.vocabulary)).astype(np.float32)
        idf = np.log1p((len(sizes) - frequency + 0.5) / (frequency + 0.5)).astype(np.float32)
        self.idf = idf
        norm = self.k1 * (1 - self.b + self.b * lengths[rows] / average) if len(rows) else 0
        weights = (idf[columns] * tf * (self.k1 + 1) / (tf + norm)).astype(np.float32)
        self.matrix = Columns.of(rows, columns, weights, (len(sizes), len(self.vocabulary)))
        return self

    def _pairs(self, terms: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each distinct (document, term) pair, document by document, and how often the term occurs there."""
        width = max(len(self.vocabulary), 1)
        keys, counts = np.unique(np.repeat(np.arange(len(sizes), dtype=np.int64), sizes) * width + terms,
                                 return_counts=True)
        return keys // width, keys % width, counts.astype(np.float32)

    def _postings(self, terms: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The distinct known terms' columns (ascending), their postings' documents and weights, and how
        many postings each column has. Summing the postings column after column in float32 gives exactly
        the sums the sparse products gave."""
        columns = sorted({c for t in terms if (c := self.vocabulary.get(t)) is not None})
        return np.array(columns, dtype=np.int64), *self.postings(columns)

    def postings(self, columns: Sequence[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """These columns' postings, column after column: documents, weights, and how many each column has.

        Slicing the CSC arrays directly costs far less than slicing the sparse matrix per query."""
        starts, documents, weights = self._starts(), self.matrix.indices, self.matrix.data
        spans = [(starts[c], starts[c + 1]) for c in columns]
        if not spans:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        return (np.concatenate([documents[a:b] for a, b in spans]),
                np.concatenate([weights[a:b] for a, b in spans]),
                np.array([b - a for a, b in spans], dtype=np.int64))

    def _starts(self) -> list[int]:
        """The column starts as a Python list, made once per matrix: indexing it is far cheaper than
        numpy's."""
        return self._facts()[1]

    def _facts(self) -> tuple[Columns | None, list[int], bool]:
        """Made once per matrix: the column starts, and whether every stored weight is positive (BM25's always
        are), which spares coverage a mask per query."""
        if self._listed[0] is not self.matrix:
            self._listed = (self.matrix, self.matrix.indptr.tolist(), bool((self.matrix.data > 0).all()))
        return self._listed

    def scores(self, terms: Sequence[str], out: np.ndarray | None = None) -> np.ndarray:
        """BM25 score of every document for the query terms (repeated terms count once); `out`, zeroed,
        receives them when given (a row of the retriever's table, so no array is made and copied)."""
        _, documents, weights, _ = self._postings(terms)
        return self._scores(documents, weights, out)

    def scores_and_coverage(self, terms: Sequence[str], out: tuple[np.ndarray, np.ndarray] | None = None
                            ) -> tuple[np.ndarray, np.ndarray]:
        """BM25 scores, and the share of the query's IDF mass each document contains (1.0: every query term
        is there), from one walk over the postings; into `out` (two zeroed arrays) when given.

        A query word no document has (猫 where only 犬 is registered) counts with the largest IDF a word can
        have: it is what the question is about, and no entry saying nothing of it covers the question."""
        postings = self._postings(terms)
        vocabulary = self.vocabulary
        unseen = len({t for t in terms if t not in vocabulary}) * self.unseen_idf
        scores, coverage = out if out is not None else (None, None)
        return self._scores(postings[1], postings[2], scores), self._coverage(*postings, unseen, coverage)

    @property
    def unseen_idf(self) -> float:
        """The IDF of a term no document contains (document frequency 0)."""
        return float(np.log1p((self.size + 0.5) / 0.5))

    def _scores(self, documents: np.ndarray, weights: np.ndarray,
                out: np.ndarray | None = None) -> np.ndarray:
        total = np.zeros(self.size, dtype=np.float32) if out is None else out
        np.add.at(total, documents, weights)
        return total

    def _coverage(self, columns: np.ndarray, documents: np.ndarray, weights: np.ndarray,
                  lengths: np.ndarray, unseen: float = 0.0, out: np.ndarray | None = None) -> np.ndarray:
        total = (float(self.idf[columns].sum()) if len(columns) else 0.0) + unseen
        share = np.zeros(self.size, dtype=np.float32) if out is None else out
        if total <= 0 or not len(columns):
            return share
        if self._facts()[2]:
            np.add.at(share, documents, np.repeat(self.idf[columns], lengths))
        else:
            present = weights > 0
            np.add.at(share, documents[present], np.repeat(self.idf[columns], lengths)[present])
        share /= np.float32(total)
        return share

    def save(self, folder: Path, name: str) -> None:
        """Two files: NAME.npz (weights) and NAME.vocab.json."""
        self.matrix.save(folder / f"{name}.npz")
        np.save(folder / f"{name}.idf.npy", self.idf)
        payload = {"k1": self.k1, "b": self.b, "vocabulary": self.vocabulary}
        (folder / f"{name}.vocab.json").write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, name: str) -> BM25Index:
        """Inverse of :meth:`save`."""
        payload = json.loads((folder / f"{name}.vocab.json").read_text(encoding="utf-8"))
        index = cls(payload["k1"], payload["b"])
        index.vocabulary = payload["vocabulary"]
        index.matrix = Columns.load(folder / f"{name}.npz")
        index.idf = np.load(folder / f"{name}.idf.npy")
        return index
