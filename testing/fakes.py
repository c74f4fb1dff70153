"""A deterministic embedder and an in-memory index, for the unit tests that exercise ranking plumbing
(signals, audiences, exact versus nearest-candidate scoring) and not the quality of chiVe's vectors: they run
in a second, on any machine, with nothing built or downloaded. Each sits behind the protocol its real
counterpart implements (`indexer.embedding.Embedder`, `indexer.dense.VectorIndex`)."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from indexer.build import IndexBuilder
from indexer.index import KnowledgeIndex, record_units
from indexer.runtime import normaliser_from_settings
from indexer.search import Retriever
from knowledge.core.settings import Settings
from knowledge.records import Record


class FakeEmbedder:
    """Character bigrams hashed into a fixed number of buckets, then normalised: the same text gives the same
    vector on every machine and run, and texts sharing characters are near, which is all plumbing needs."""

    def __init__(self, dimensions: int = 256) -> None:
        self._dimensions = dimensions

    @property
    def dimensions(self) -> int:
        """Vector width."""
        return self._dimensions

    def describe(self) -> dict[str, Any]:
        """What an index manifest records about the model."""
        return {"name": "fake-bigram-hash", "fingerprint": f"fake-{self._dimensions}",
                "dimensions": self._dimensions, "query_prompt": "", "document_prompt": ""}

    def warm_up(self) -> FakeEmbedder:
        """Nothing to load."""
        return self

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts)

    def _bucket(self, gram: str) -> int:
        return int.from_bytes(hashlib.blake2b(gram.encode(), digest_size=4).digest(),
                              "big") % self._dimensions

    def _encode(self, texts: list[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self._dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            for gram in (text[i:i + 2] for i in range(max(1, len(text) - 1))):
                vectors[row, self._bucket(gram)] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1.0, norms)


class MemoryVectorIndex:
    """Exact inner-product search over a matrix held in memory (the FAISS index's contract, without FAISS)."""

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)

    @property
    def size(self) -> int:
        """Number of vectors."""
        return len(self.vectors)

    def all_scores(self, query: np.ndarray) -> np.ndarray:
        """The score of every row for one query (a (1, d) matrix)."""
        return (self.vectors @ query[0]).astype(np.float32)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of the k best rows for each query, best first."""
        scores = queries @ self.vectors.T
        ids = np.argsort(-scores, axis=1, kind="stable")[:, :max(1, min(k, self.size))]
        return np.take_along_axis(scores, ids, axis=1).astype(np.float32), ids.astype(np.int64)

    def save(self, path: Path) -> None:
        """In-memory only: a test that saves wants the real index."""
        raise NotImplementedError(f"an in-memory vector index is never saved ({path})")


def memory_retriever(records: list[Record], embedder: FakeEmbedder | None = None) -> Retriever:
    """A retriever over these records with the real normaliser (Sudachi), the fake embedder and the vectors
    held in memory: no model built, no index written."""
    embedder = embedder or FakeEmbedder()
    normaliser = normaliser_from_settings(Settings())
    built = IndexBuilder(normaliser, embedder).assemble(records, {})
    index: KnowledgeIndex = replace(built, dense=MemoryVectorIndex(_unit_vectors(built, embedder)))
    return Retriever(index, normaliser, embedder)


def _unit_vectors(index: KnowledgeIndex, embedder: FakeEmbedder) -> np.ndarray:
    texts = [text for record in index.records
             for _, text in record_units(record, index.learned.of(record.id))]
    return embedder.encode_documents(texts)
