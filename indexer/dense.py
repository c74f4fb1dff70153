"""Dense vectors behind a small protocol; FAISS does the work."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import faiss
import numpy as np


class VectorIndex(Protocol):
    """Inner-product search over unit vectors."""

    @property
    def size(self) -> int: ...

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]: ...

    def save(self, path: Path) -> None: ...


class FaissVectorIndex:
    """Exact inner-product search (IndexFlatIP): knowledge bases of a city fit easily."""

    def __init__(self, index: object) -> None:
        self._index = index
        self._vectors: np.ndarray | None = None

    @classmethod
    def build(cls, vectors: np.ndarray) -> "FaissVectorIndex":
        """Index the rows of a (n, d) float32 matrix."""
        index = faiss.IndexFlatIP(int(vectors.shape[1]))
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return cls(index)

    @property
    def size(self) -> int:
        """Number of vectors."""
        return int(self._index.ntotal)  # type: ignore[attr-defined]

    @property
    def dimensions(self) -> int:
        """Vector width."""
        return int(self._index.d)  # type: ignore[attr-defined]

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of the k nearest rows for each query row; ids are -1 past the end."""
        k = max(1, min(k, self.size))
        return self._index.search(np.ascontiguousarray(queries, dtype=np.float32), k)  # type: ignore[attr-defined]

    def all_scores(self, query: np.ndarray) -> np.ndarray:
        """Inner product of one query with every stored vector, for indexes small enough to hold as a matrix.

        Retrieval needs a score for every unit of every candidate, not only the top k: a long answer's
        vector is rarely among the nearest to a short question, yet its similarity still tells something.
        """
        if self._vectors is None:
            self._vectors = self._index.reconstruct_n(0, self.size)  # type: ignore[attr-defined]
        return self._vectors @ np.asarray(query, dtype=np.float32).ravel()

    def save(self, path: Path) -> None:
        """One FAISS file."""
        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> "FaissVectorIndex":
        """Inverse of :meth:`save`."""
        return cls(faiss.read_index(str(path)))
