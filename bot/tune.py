"""Choosing thresholds from data: the trade-off between answering, clarifying and escalating.

For every pair (answer threshold, clarify threshold) on a grid, each labelled query gets the decision
the engine would make; the chosen pair keeps wrong answers under the target and escalates enough
unanswerable questions, and among those answers or clarifies correctly as often as possible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.logistic import Logistic
from bot.model import Thresholds
from bot.train import Ranked

GRID = np.round(np.arange(0.0, 1.0001, 0.02), 2)


@dataclass(frozen=True, slots=True)
class Outcomes:
    """Per query: both confidences and what each decision would score."""

    top1: np.ndarray
    top3: np.ndarray
    top1_right: np.ndarray
    top1_wrong: np.ndarray
    top3_right: np.ndarray
    answerable: np.ndarray
    unanswerable: np.ndarray
    has_candidates: np.ndarray


def outcomes(ranked: Sequence[Ranked], top1: Logistic, top3: Logistic) -> Outcomes:
    """Confidences from the models, discounted as the bot discounts them; rightness from the labels."""
    rows, factors = np.vstack([r.row for r in ranked]), np.array([r.factor for r in ranked])
    first = [r.ids[0] if r.ids else "" for r in ranked]
    return Outcomes(
        factors * top1.probability(rows), factors * top3.probability(rows),
        np.array([r.top1_right for r in ranked]),
        np.array([r.query.relevant.get(f, 0) == 0 for r, f in zip(ranked, first, strict=True)]),
        np.array([r.top3_right for r in ranked]), np.array([r.query.expect == "answer" for r in ranked]),
        np.array([r.query.expect == "escalate" for r in ranked]), np.array([len(r.ids) >= 2 for r in ranked]))


def rates(o: Outcomes, answer_at: float, clarify_at: float) -> dict[str, float]:
    """The decision metrics for one pair of thresholds."""
    answer = o.top1 >= answer_at
    clarify = ~answer & (o.top3 >= clarify_at) & o.has_candidates
    escalate = ~answer & ~clarify
    answerable, unanswerable = max(o.answerable.sum(), 1), max(o.unanswerable.sum(), 1)
    return {"answered_right": float((answer & o.top1_right & o.answerable).sum() / answerable),
            "clarified_right": float((clarify & o.top3_right & o.answerable).sum() / answerable),
            "wrong_answer": float((answer & o.top1_wrong).sum() / len(answer)),
            "escalated_when_answerable": float((escalate & o.answerable).sum() / answerable),
            "escalated_when_unanswerable": float((escalate & o.unanswerable).sum() / unanswerable)}


CLARIFY_VALUE = 0.8  # a round of choices is worth a little less to a resident than a direct answer


def choose(o: Outcomes, max_wrong: float = 0.05,
           min_escalated: float = 0.6) -> tuple[Thresholds, dict[str, float]]:
    """The pair with the most right answers and right choices (a choice counting 0.8) within the limits."""
    best: tuple[tuple[float, float], Thresholds, dict[str, float]] | None = None
    for answer_at in GRID:
        for clarify_at in GRID:
            r = rates(o, answer_at, clarify_at)
            if r["wrong_answer"] > max_wrong or (o.unanswerable.any()
                                                 and r["escalated_when_unanswerable"] < min_escalated):
                continue
            key = (round(r["answered_right"] + CLARIFY_VALUE * r["clarified_right"], 6), r["answered_right"])
            if best is None or key > best[0]:
                best = (key, Thresholds(float(answer_at), float(clarify_at)), r)
    if best is None:
        return Thresholds(1.0, 1.0), rates(o, 1.01, 1.01)
    return best[1], best[2]


def curve(o: Outcomes, clarify_at: float) -> list[tuple[float, dict[str, float]]]:
    """Rates as the answer threshold moves, with the clarify threshold fixed: the table `tune` prints."""
    return [(float(a), rates(o, a, clarify_at)) for a in GRID[::5]]


def reliability(confidence: np.ndarray, right: np.ndarray,
                bins: int = 10) -> list[tuple[float, int, float, float]]:
    """(lower bound c, answers with confidence ≥ c, share right among them, mean confidence) per bin."""
    rows = []
    for lower in np.linspace(0, 1, bins, endpoint=False):
        mask = confidence >= lower
        if mask.any():
            rows.append((float(lower), int(mask.sum()), float(right[mask].mean()),
                         float(confidence[mask].mean())))
    return rows
