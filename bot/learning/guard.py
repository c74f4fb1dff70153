"""The guard: what was learned goes live only if it does better on questions it never saw.

Each side answers exactly as `madoguchi ask --batch` would and is scored as ../shared/eval/score.py scores
(bot/metrics.py), on the held-out share and on every training question, which a candidate answers from an
index without its fold's paraphrases and with a ranker fitted without its fold (the held-out share alone is
too small to tell a gain from chance until a city has hundreds of labels). A candidate is better than the
serving bot when
  - wrong answers are not higher, and pessimistically not above what the city allows: the upper confidence
    bound of its wrong_answer share (the serving share plus the paired rise, question by question, plus one
    standard error of that rise) is at most the serving one's or the city's limit (5% by default), whichever
    is higher. Measured on 50–100 questions, a point estimate let a model through that then answered wrongly
    twice as often on new questions, past the limit (BENCHMARKS.md, `madoguchi learn`); below the limit, a
    bound a little above a serving share near zero is one question's chance, not a reason to keep a bot that
    ranks worse, and
  - right answers are higher: the reciprocal rank of each answerable question's first right entry
    (MRR@10, paired question by question) rises by more than its standard error, so that one or two
    questions moving by chance do not count, and answered_right + clarified_right does not fall.
Ties keep the serving bot. With few labels a refitted ranker is usually worse than what serves (the
retrieval study: worse below about 50 labels), and with few held-out questions no difference is larger
than its error; this comparison is how either is found, on each city's data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from bot.engine import Bot
from bot.evaluate import run_batch, score_lines
from bot.labelled import LabelledQuery

Scores = dict[str, float]
WRONG_LIMIT = 0.05  # the share of wrong answers a city allows, as `madoguchi train` and `tune` default to


@dataclass(frozen=True, slots=True)
class Measured:
    """The metrics of one bot, each answerable question's reciprocal rank (0 past rank 10), and for every
    question whether it was answered with an entry that does not answer it."""

    scores: Scores
    reciprocal: np.ndarray
    wrong: np.ndarray = field(default_factory=lambda: np.zeros(0))


def _reciprocal(query: LabelledQuery, line: dict) -> float:
    ranked = [hit["id"] for hit in line["results"][:10]]
    return next((1.0 / (n + 1) for n, entry in enumerate(ranked) if query.relevant.get(entry) == 2), 0.0)


def measure(parts: Sequence[tuple[Bot, Sequence[LabelledQuery]]]) -> Measured:
    """hit@k, MRR@10 and the decision metrics over questions none of the bots learned from, each part's
    questions answered by that part's bot; parts are concatenated in order, so two measurements pair up."""
    queries = [q for _, part in parts for q in part]
    lines = [line for bot, part in parts for line in run_batch(bot, part, top_k=10)]
    reciprocal = [_reciprocal(q, line) for q, line in zip(queries, lines, strict=True) if q.answerable]
    wrong = [_wrong(q, line) for q, line in zip(queries, lines, strict=True)]
    return Measured(score_lines(queries, lines), np.array(reciprocal), np.array(wrong))


def _wrong(query: LabelledQuery, line: dict) -> float:
    """1 when the bot answered with an entry the labels do not grade (bot/metrics.py's wrong_answer)."""
    top = line["results"][0]["id"] if line["results"] else ""
    return float(line["decision"] == "answer" and query.relevant.get(top, 0) == 0)


def wrong_bound(candidate: Measured, serving: Measured) -> float:
    """Upper confidence bound of the candidate's wrong-answer share: the serving share plus the paired rise
    plus one standard error of it (the serving share itself when both answer the same questions wrongly)."""
    rise = candidate.wrong - serving.wrong
    if len(rise) < 2:
        return candidate.scores["wrong_answer"]
    error = float(rise.std(ddof=1) / np.sqrt(len(rise)))
    return serving.scores["wrong_answer"] + float(rise.mean()) + error


def rank_gain(candidate: Measured, serving: Measured) -> tuple[float, float]:
    """Mean rise of the paired reciprocal ranks, and its standard error."""
    rise = candidate.reciprocal - serving.reciprocal
    if len(rise) < 2:
        return float(rise.sum()), float("inf")
    return float(rise.mean()), float(rise.std(ddof=1) / np.sqrt(len(rise)))


def worse_because(measured: Measured, than: Measured, limit: float = WRONG_LIMIT) -> str | None:
    """Why the `measured` bot is not better than `than`, or None when it is; `limit`: the wrong-answer share
    the city allows."""
    candidate, serving = measured.scores, than.scores
    if candidate["wrong_answer"] > serving["wrong_answer"]:
        return f"wrong answers would rise ({serving['wrong_answer']:.3f} → {candidate['wrong_answer']:.3f})"
    bound, allowed = wrong_bound(measured, than), max(serving["wrong_answer"], limit)
    if bound > allowed + 1e-12:
        return (f"wrong answers might rise: their upper bound is {bound:.3f} against {allowed:.3f} allowed "
                f"({candidate['wrong_answer']:.3f} measured, {serving['wrong_answer']:.3f} now)")
    helped = candidate["answered_right"] + candidate["clarified_right"]
    if helped < serving["answered_right"] + serving["clarified_right"]:
        return (f"fewer questions answered or clarified rightly ("
                f"{serving['answered_right'] + serving['clarified_right']:.3f} → {helped:.3f})")
    gain, error = rank_gain(measured, than)
    if not gain > error:
        return (f"right answers would not rise by more than chance (MRR@10 {serving['mrr@10']:.3f} → "
                f"{candidate['mrr@10']:.3f}, rise {gain:+.3f} ± {error:.3f}; hit@1 {serving['hit@1']:.3f} → "
                f"{candidate['hit@1']:.3f})")
    return None


@dataclass(frozen=True, slots=True)
class Verdict:
    """Which candidate goes live ("" for none) and, for each refused one, why."""

    chosen: str
    refused: dict[str, str]


def judge(serving: Measured, candidates: dict[str, Measured], limit: float = WRONG_LIMIT) -> Verdict:
    """The first candidate (in order of preference) that beats the serving bot, unless a later one beats
    it."""
    refused = {name: why
               for name, scores in candidates.items() if (why := worse_because(scores, serving, limit))}
    better = [name for name in candidates if name not in refused]
    chosen = next((n for n in better if not any(worse_because(candidates[o], candidates[n], limit) is None
                                                  for o in better if o != n)), better[0] if better else "")
    return Verdict(chosen, refused)
