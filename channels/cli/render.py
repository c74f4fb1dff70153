"""What the CLI prints: one console for every command's output and one for its errors, and the tables a
city's IT staff read after a build or a search."""

from __future__ import annotations

import os
import sys
from collections import Counter
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:  # the tables are drawn after the work is done: `madoguchi --help` loads none of it
    from bot.answer import Explanation
    from indexer.pointers import Activation
    from indexer.search import Hit
    from knowledge.records import Problem

UNCUT = 1000  # columns for output read later (a file, a pipe, cron's mail): a table is never cut to 80


def console(stderr: bool = False) -> Console:
    """In a terminal, output fits the terminal; written anywhere else it is as wide as its longest row, so a
    version name, a problem's message or a widget tag in a log is whole (COLUMNS still decides if set)."""
    stream = sys.stderr if stderr else sys.stdout
    interactive = stream.isatty() or "COLUMNS" in os.environ
    return Console(stderr=stderr, width=None if interactive else UNCUT)


out = console()
err = console(stderr=True)


def sources_table(per_source: dict[str, Counter]) -> Table:
    """Records per source file, by kind and audience, with problem counts."""
    # the desk's entries have source "desk"
    files = [source for source in per_source if os.path.isabs(source)]
    common = os.path.commonpath(files) if len(files) > 1 else ""
    table = Table("source", "faq", "passages", "resident", "staff", "all", "errors", "warnings",
                  title=f"records per source (under {common})" if common else "records per source")
    for source, counts in sorted(per_source.items()):
        name = os.path.relpath(source, common) if common and source in files else source
        table.add_row(name, *(str(counts.get(k, 0)) for k in
                              ("faq", "passage", "resident", "staff", "all", "error", "warning")))
    return table


def problems_table(problems: list[Problem]) -> Table:
    """Every problem with file, row or page, field and message."""
    table = Table("種類", "ファイル", "場所", "列", "内容", title=f"問題 {len(problems)} 件")
    for problem in problems:
        colour, word = ("red", "誤り") if problem.severity == "error" else ("yellow", "注意")
        table.add_row(f"[{colour}]{word}[/{colour}]", problem.source, problem.place, problem.field,
                      problem.message)
    return table


def _signals(hit: Hit) -> str:
    from indexer.signals import BM25, DENSE

    lexical = "/".join(f"{hit.signals[s.key]:.1f}" for s in BM25)
    dense = "/".join(f"{hit.signals[s.key]:.2f}" for s in DENSE)
    return f"{lexical} | {dense}"


def hits_table(query: str, hits: list[Hit]) -> Table:
    """Ranked records with each signal's score (question / paraphrase / answer, BM25 | dense)."""
    table = Table("#", "id", "question", "audience", "fused", "bm25 q/p/a | dense q/p/a",
                  title=f"search: {query}")
    for rank, hit in enumerate(hits, start=1):
        question = hit.record.section_path[-1] if hit.record.section_path else hit.record.question
        table.add_row(str(rank), hit.record.id, question[:40], hit.record.audience.value, f"{hit.score:.4f}",
                      _signals(hit))
    return table


def metrics_table(metrics: dict[str, float], title: str) -> Table:
    """Metric name and value, three decimals (the scorer's format)."""
    table = Table("metric", "value", title=title)
    for name, value in metrics.items():
        table.add_row(name, f"{value:.3f}")
    return table


def reliability_table(rows: list[tuple[float, int, float, float]]) -> Table:
    """Among answers with confidence ≥ c, the share that is right should be about c."""
    table = Table("confidence ≥", "queries", "share right", "mean confidence", title="reliability (top 1)")
    for lower, count, right, mean in rows:
        table.add_row(f"{lower:.1f}", str(count), f"{right:.3f}", f"{mean:.3f}")
    return table


def tradeoff_table(rows: list[tuple[float, dict[str, float]]], clarify_at: float) -> Table:
    """How the outcomes move with the answer threshold."""
    names = ("answered_right", "clarified_right", "wrong_answer", "escalated_when_answerable",
             "escalated_when_unanswerable")
    table = Table("answer ≥", *names, title=f"trade-off (clarify ≥ {clarify_at})")
    for threshold, rates in rows:
        table.add_row(f"{threshold:.2f}", *(f"{rates[n]:.3f}" for n in names))
    return table


def explanation_table(explanation: Explanation) -> Table:
    """Terms, synonyms and scores of the best candidates."""
    synonyms = ", ".join(f"{word}→{group}" for group, word in explanation.synonyms) or "-"
    table = Table("id", "question", "fused", "bm25 q/p/a", "dense q/p/a", "cover q/p/a",
                  title=f"terms: {' '.join(explanation.terms)} | synonyms: {synonyms} | "
                        f"P(top1)={explanation.top1_confidence:.2f} "
                        f"P(top3)={explanation.top3_confidence:.2f}")
    for row in explanation.candidates:
        table.add_row(row["id"], str(row["question"])[:30], f"{row['fused']:.2f}",
                      *("/".join(f"{row[f'{kind}_{f}']:.2f}" for f in ("question", "paraphrase", "answer"))
                        for kind in ("bm25", "dense", "cover")))
    return table


def activations_table(where: str, activations: list[Activation], on_disk: set[str]) -> Table:
    """Each time a version was made live, and whether this machine's copy of the index holds it."""
    table = Table("when (UTC)", "version", "on this machine", "by", "why", title=f"index history in {where}")
    for change in activations:
        table.add_row(change.at.strftime("%Y-%m-%d %H:%M:%S"), change.version,
                      "yes" if change.version in on_disk else "[red]no[/red]", change.by, change.note)
    return table
