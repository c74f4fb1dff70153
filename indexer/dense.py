"""Dense vectors behind a small protocol; FAISS does the work, and the index type follows the size.

Up to APPROXIMATE_ABOVE vectors the index is exact (IndexFlatIP): every city's knowledge base, and the
range where the retriever scores every unit exactly anyway (`indexer/search.py`, EXACT_DENSE_LIMIT).
Above it the retriever only asks for the nearest few hundred units, and an HNSW graph on inner product
answers that in about a millisecond where a flat scan of a million vectors takes around a hundred
(measurements and the recall they cost: BENCHMARKS.md, "Scaling"). Either kind is one FAISS file that
`faiss.read_index` reads back, so indexes written before the graph existed load unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, cast

import faiss
import numpy as np

APPROXIMATE_ABOVE = 200_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 40
HNSW_EF_SEARCH = 256


class VectorIndex(Protocol):
    """Inner-product search over unit vectors."""

    @property
    def size(self) -> int: ...

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]: ...

    def all_scores(self, query: np.ndarray) -> np.ndarray: ...

    def save(self, path: Path) -> None: ...


def _hnsw(dimensions: int) -> faiss.IndexHNSWFlat:
    """An empty HNSW graph on inner product with madoguchi's parameters."""
    index = faiss.IndexHNSWFlat(dimensions, HNSW_M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    index.hnsw.efSearch = HNSW_EF_SEARCH
    return index


class FaissVectorIndex:
    """Exact search for small indexes, an HNSW graph for large ones; built by `build`, read by `load`."""

    def __init__(self, index: faiss.Index) -> None:
        self._index = index
        self._vectors: np.ndarray | None = None

    @classmethod
    def build(cls, vectors: np.ndarray, approximate_above: int | None = None) -> FaissVectorIndex:
        """Index the rows of a (n, d) float32 matrix; more than `approximate_above` rows get a graph."""
        limit = APPROXIMATE_ABOVE if approximate_above is None else approximate_above
        dimensions = int(vectors.shape[1])
        index = _hnsw(dimensions) if len(vectors) > limit else faiss.IndexFlatIP(dimensions)
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return cls(index)

    @property
    def kind(self) -> str:
        """Which search answers: `hnsw` (the approximate graph) or `flat` (exact)."""
        return "hnsw" if isinstance(self._index, faiss.IndexHNSW) else "flat"

    @property
    def size(self) -> int:
        """Number of vectors."""
        return int(self._index.ntotal)

    @property
    def dimensions(self) -> int:
        """Vector width."""
        return int(self._index.d)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of the k nearest rows for each query row; ids are -1 past the end.

        The graph explores at least k neighbours, so asking for 400 candidates gets 400, not fewer.
        """
        k = max(1, min(k, self.size))
        rows = np.ascontiguousarray(queries, dtype=np.float32)
        if self.kind == "hnsw":
            # faiss's bundled stubs omit SearchParametersHNSW, which its SWIG module defines
            breadth = faiss.SearchParametersHNSW(efSearch=max(HNSW_EF_SEARCH, k))  # type: ignore[attr-defined]
            return self._index.search(rows, k, params=breadth)
        return self._index.search(rows, k)

    def _stored_vectors(self) -> np.ndarray:
        """The (n, d) vectors as FAISS holds them, viewed in place (no second copy); valid while it lives."""
        if self._vectors is None and self.size == 0:
            self._vectors = np.zeros((0, self.dimensions), dtype=np.float32)
        if self._vectors is None:
            graph = self._index if isinstance(self._index, faiss.IndexHNSW) else None
            flat = cast(faiss.IndexFlat, faiss.downcast_index(graph.storage) if graph else self._index)
            view = faiss.rev_swig_ptr(flat.get_xb(), self.size * self.dimensions)
            self._vectors = np.asarray(view).reshape(self.size, self.dimensions)
        return self._vectors

    def all_scores(self, query: np.ndarray) -> np.ndarray:
        """Exact inner product of one query with every stored vector, whatever the index kind.

        Retrieval needs a score for every unit of every candidate, not only the top k: a long answer's
        vector is rarely among the nearest to a short question, yet its similarity still tells something.
        """
        return self._stored_vectors() @ np.asarray(query, dtype=np.float32).ravel()

    def save(self, path: Path) -> None:
        """One FAISS file."""
        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> FaissVectorIndex:
        """Inverse of :meth:`save`; a graph gets today's search breadth, whatever it was saved with."""
        index = faiss.read_index(str(path))
        if isinstance(index, faiss.IndexHNSW):
            index.hnsw.efSearch = HNSW_EF_SEARCH
        return cls(index)
