"""Raw retrieval: every field's lexical and dense score for the records a query touches.

This is the part of answering that needs only the index. It returns per-record signals; how they
are fused into one confidence is the answering engine's job (bot/), and `madoguchi search` shows
them raw with a simple reciprocal-rank fusion.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from indexer.dense import APPROXIMATE_ABOVE
from indexer.embedding import Embedder
from indexer.index import FIELDS, LEXICAL, READING, KnowledgeIndex
from indexer.normalise import NormalisedText, TextNormaliser
from knowledge.records import Audience, Record

SIGNALS = (*(f"{kind}_{f}" for kind in ("bm25", "dense", "cover") for f in FIELDS), "bm25_reading")
RANKED = [SIGNALS.index(s) for s in SIGNALS if not s.startswith("cover_")]
DENSE_CANDIDATES = 400
EXACT_DENSE_LIMIT = APPROXIMATE_ABOVE  # below it every unit is scored exactly, so no graph is built
RRF_K = 60


@dataclass(frozen=True, slots=True)
class Hit:
    """One record with the score of every signal (0 where a signal did not reach it)."""

    record: Record
    signals: dict[str, float]
    score: float
    matched_terms: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Retrieval:
    """The normalised query, a signal matrix over candidate records, and the records' positions."""

    query: NormalisedText
    candidates: np.ndarray
    signals: np.ndarray


class Retriever:
    """Cheap to build around an already-loaded index, normaliser and embedder."""

    def __init__(self, index: KnowledgeIndex, normaliser: TextNormaliser, embedder: Embedder) -> None:
        self.index, self.normaliser, self.embedder = index, normaliser, embedder
        self._resident_sees = np.array([r.audience is not Audience.STAFF for r in index.records], dtype=bool)
        self._resident_sees.flags.writeable = False
        self._owners = {f: index.unit_record[index.field_units(f)] for f in LEXICAL}
        rows, columns = index.unit_record.astype(np.int64), len(FIELDS) + index.unit_field.astype(np.int64)
        self._dense_cells = rows * len(SIGNALS) + columns  # each unit's dense cell in the flattened table

    def visible(self, audience: Audience) -> np.ndarray:
        """Mask of the records this audience may ever see."""
        if audience is Audience.STAFF:
            return np.ones(len(self._resident_sees), dtype=bool)
        return self._resident_sees

    def _lexical(self, terms: list[str], table: np.ndarray) -> None:
        for column, name in enumerate(FIELDS):
            bm25, owners = self.index.lexical[name], self._owners[name]
            np.maximum.at(table[:, column], owners, bm25.scores(terms))
            np.maximum.at(table[:, 2 * len(FIELDS) + column], owners, bm25.coverage(terms))

    def _reading(self, text: str, table: np.ndarray) -> None:
        scores = self.index.lexical[READING].scores(self.normaliser.reading_grams(text))
        np.maximum.at(table[:, SIGNALS.index("bm25_reading")], self._owners[READING], scores)

    def _dense(self, text: str, table: np.ndarray) -> None:
        vector = self.embedder.encode_queries([text])
        if self.index.dense.size <= EXACT_DENSE_LIMIT:
            scores, cells = self.index.dense.all_scores(vector), self._dense_cells
        else:
            top, found = self.index.dense.search(vector, DENSE_CANDIDATES)
            scores, cells = top[0][found[0] >= 0], self._dense_cells[found[0][found[0] >= 0]]
        np.maximum.at(table.reshape(-1), cells, np.maximum(scores, 0.0))

    def run(self, text: str, audience: Audience) -> Retrieval:
        """Signals for every record the query reached that the audience may see."""
        query = self.normaliser.run(text)
        table = np.zeros((len(self.index.records), len(SIGNALS)), dtype=np.float32)
        self._lexical(query.search_terms, table)
        if query.text:
            self._reading(query.text, table)
            self._dense(query.text, table)
        lexical = table[:, [*range(len(FIELDS)), SIGNALS.index("bm25_reading")]].max(axis=1) > 0
        dense_best = table[:, len(FIELDS): 2 * len(FIELDS)].T.max(axis=0)  # as max(axis=1), but quicker
        near = dense_best >= np.sort(dense_best)[-min(DENSE_CANDIDATES, len(dense_best))] if len(dense_best) else lexical
        reached = np.flatnonzero(self.visible(audience) & (lexical | near))
        return Retrieval(query, reached, table[reached])


def reciprocal_rank_fusion(signals: np.ndarray) -> np.ndarray:
    """Σ 1/(60 + rank) over signals, for an unweighted first look at the ranking."""
    ranked = signals[:, RANKED]
    ranks = (-ranked).argsort(axis=0).argsort(axis=0) + 1
    return np.where(ranked > 0, 1.0 / (RRF_K + ranks), 0.0).sum(axis=1)


def raw_search(retriever: Retriever, text: str, audience: Audience, top_k: int = 10) -> list[Hit]:
    """The `madoguchi search` view: candidates ranked by reciprocal-rank fusion."""
    retrieval = retriever.run(text, audience)
    fused = reciprocal_rank_fusion(retrieval.signals)
    order = np.argsort(-fused, kind="stable")[:top_k]
    terms = tuple(retrieval.query.terms)
    return [Hit(retriever.index.records[retrieval.candidates[i]],
                dict(zip(SIGNALS, map(float, retrieval.signals[i]))), float(fused[i]), terms) for i in order]
