"""Which of a query's terms each record contains, read off the index's own BM25 postings.

The desk's search shows agents why an entry came up: the query's terms found in its question, paraphrases or
answer exactly as search indexed them (Sudachi's normalised forms), so what is shown is what matched.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from indexer.index import FIELDS, KnowledgeIndex


def owners_of(index: KnowledgeIndex, term: str) -> set[int]:
    """Positions of the records whose question, paraphrases or answer contain `term`."""
    found: set[int] = set()
    for name in FIELDS:
        bm25 = index.lexical[name]
        column = bm25.vocabulary.get(term)
        if column is None:
            continue
        documents = bm25.matrix.indices[bm25.matrix.indptr[column]:bm25.matrix.indptr[column + 1]]
        units = index.field_units(name)[np.asarray(documents, dtype=np.int64)]
        found.update(int(r) for r in index.unit_record[units])
    return found


def matched_terms(index: KnowledgeIndex, terms: Sequence[str],
                  positions: Iterable[int]) -> dict[int, tuple[str, ...]]:
    """Per record position, the query terms it contains, in the query's order."""
    distinct = list(dict.fromkeys(terms))
    owners = {term: owners_of(index, term) for term in distinct}
    return {p: tuple(t for t in distinct if p in owners[t]) for p in positions}
