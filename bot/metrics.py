"""Ranking and decision metrics, defined exactly as the evaluation scorer in ../shared/eval/score.py.

hit@k, MRR@10: over queries with a grade-2 entry, position of the first grade-2 entry.
nDCG@10: over all queries, gain 2^grade − 1. Decision metrics over queries with an `expect`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from bot.labelled import LabelledQuery


@dataclass(frozen=True, slots=True)
class RunLine:
    """One query's outcome: the decision and the entry ids best first."""

    id: str
    decision: str
    results: tuple[str, ...]


def _ndcg(relevant: dict[str, int], ranked: Sequence[str]) -> float:
    ideal = sorted(relevant.values(), reverse=True)[:10]
    best = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    gained = sum((2 ** relevant.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranked))
    return gained / best if best > 0 else 0.0


def ranking_metrics(queries: Sequence[LabelledQuery], runs: dict[str, RunLine]) -> dict[str, float]:
    """hit@1/3/10, mrr@10, ndcg@10."""
    positions = []
    for query in (q for q in queries if q.answerable):
        ranked = runs[query.id].results[:10]
        positions.append(next((i for i, d in enumerate(ranked) if query.relevant.get(d) == 2), None))
    n = max(len(positions), 1)
    found = [p for p in positions if p is not None]
    return {"hit@1": sum(p < 1 for p in found) / n, "hit@3": sum(p < 3 for p in found) / n,
            "hit@10": len(found) / n, "mrr@10": sum(1 / (p + 1) for p in found) / n,
            "ndcg@10": sum(_ndcg(q.relevant, runs[q.id].results[:10])
                           for q in queries) / max(len(queries), 1)}


def decision_metrics(queries: Sequence[LabelledQuery], runs: dict[str, RunLine]) -> dict[str, float]:
    """answered_right, clarified_right, wrong_answer, escalated_when_(un)answerable."""
    counts = {"answer": 0, "escalate": 0}
    out = dict.fromkeys(("answered_right", "clarified_right", "escalated_when_answerable",
                         "escalated_when_unanswerable"), 0)
    wrong = 0
    for query in queries:
        run = runs[query.id]
        top = run.results[0] if run.results else None
        wrong += run.decision == "answer" and query.relevant.get(top or "", 0) == 0
        if query.expect in counts:
            counts[query.expect] += 1
        if query.expect == "answer":
            out["answered_right"] += run.decision == "answer" and query.relevant.get(top or "") == 2
            out["clarified_right"] += run.decision == "clarify" and any(query.relevant.get(d) == 2
                                                                        for d in run.results[:3])
            out["escalated_when_answerable"] += run.decision == "escalate"
        elif query.expect == "escalate":
            out["escalated_when_unanswerable"] += run.decision == "escalate"
    answerable, unanswerable = max(counts["answer"], 1), max(counts["escalate"], 1)
    return {"answered_right": out["answered_right"] / answerable,
            "clarified_right": out["clarified_right"] / answerable,
            "wrong_answer": wrong / max(len(queries), 1),
            "escalated_when_answerable": out["escalated_when_answerable"] / answerable,
            "escalated_when_unanswerable": out["escalated_when_unanswerable"] / unanswerable}
