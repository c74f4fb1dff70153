"""Terminal tables for the CLI: what a city's IT staff read after a build or a search."""

from __future__ import annotations

import os
from collections import Counter

from rich.table import Table

from indexer.search import SIGNALS, Hit
from knowledge.records import Problem


def sources_table(per_source: dict[str, Counter]) -> Table:
    """Records per source file, by kind and audience, with problem counts."""
    common = os.path.commonpath(list(per_source)) if len(per_source) > 1 else ""
    table = Table("source", "faq", "passages", "resident", "staff", "all", "errors", "warnings",
                  title=f"records per source (under {common})" if common else "records per source")
    for source, counts in sorted(per_source.items()):
        table.add_row(os.path.relpath(source, common) if common else source, *(str(counts.get(k, 0)) for k in
                                ("faq", "passage", "resident", "staff", "all", "error", "warning")))
    return table


def problems_table(problems: list[Problem]) -> Table:
    """Every problem with file, row or page, field and message."""
    table = Table("severity", "file", "where", "field", "problem", title=f"{len(problems)} problem(s)")
    for problem in problems:
        colour = "red" if problem.severity == "error" else "yellow"
        table.add_row(f"[{colour}]{problem.severity}[/{colour}]", problem.source, problem.location,
                      problem.field, problem.message)
    return table


def _signals(hit: Hit) -> str:
    lexical = "/".join(f"{hit.signals[s]:.1f}" for s in SIGNALS[:3])
    dense = "/".join(f"{hit.signals[s]:.2f}" for s in SIGNALS[3:])
    return f"{lexical} | {dense}"


def hits_table(query: str, hits: list[Hit]) -> Table:
    """Ranked records with each signal's score (question / paraphrase / answer, BM25 | dense)."""
    table = Table("#", "id", "question", "audience", "fused", "bm25 q/p/a | dense q/p/a", title=f"search: {query}")
    for rank, hit in enumerate(hits, start=1):
        question = hit.record.section_path[-1] if hit.record.section_path else hit.record.question
        table.add_row(str(rank), hit.record.id, question[:40], hit.record.audience.value, f"{hit.score:.4f}",
                      _signals(hit))
    return table
