"""The guard: what was learned goes live only if it does better on questions it never saw.

Each side answers exactly as `madoguchi ask --batch` would and is scored as ../shared/eval/score.py scores
(bot/metrics.py), on the held-out share and on every training question, which a candidate answers from an
index without its fold's paraphrases and with a model (ranker, confidence and thresholds) fitted without its
fold (the held-out share alone is too small to tell a gain from chance until a city has hundreds of labels).
Thresholds chosen with the judged question in them kept its wrong answers at the serving share by
construction, and the learned model then answered new questions wrongly twice as often. A candidate is
better than the serving bot when
  - wrong answers do not rise beyond chance (the paired rise, question by question, is at most its
    standard error: one question more among hundreds is not a reason to keep a worse bot), and
    pessimistically not above what the city allows: the upper confidence bound of its wrong_answer share
    (the serving share plus the paired rise plus one standard error of it) is at most the serving one's or
    the city's limit (5% by default), whichever is higher. Measured on 50–100 questions, a point estimate
    let a model through that then answered wrongly twice as often on new questions (BENCHMARKS.md,
    `madoguchi learn`); below the limit, a bound a little above a serving share near zero is one question's
    chance, not a reason to keep a bot that ranks worse;
  - unanswerable questions are handed over at least as often as the serving bot hands them over or 60%,
    whichever is lower (a choice of entries is not a wrong answer, but it is not what a resident whose
    question nothing answers needs); and
  - right answers are higher: the reciprocal rank of each answerable question's first right entry
    (MRR@10, paired question by question) rises by more than its standard error, so that one or two
    questions moving by chance do not count, and answered_right + clarified_right does not fall; or, for a
    candidate that ranks no worse beyond chance (refitted confidence and thresholds over the same ranking),
    its decisions are better beyond chance: more right answers and right choices, or as many with fewer
    wrong answers, which is what a city's own unanswerable questions teach.
Ties keep the serving bot. With few labels a refitted ranker is usually worse than what serves (the
retrieval study: worse below about 50 labels), and with few held-out questions no difference is larger
than its error; this comparison is how either is found, on each city's data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from bot.engine import Bot
from bot.evaluate import run_batch, score_lines
from bot.labelled import LabelledQuery
from bot.tune import CLARIFY_VALUE

Scores = dict[str, float]
WRONG_LIMIT = 0.05  # the share of wrong answers a city allows, as `madoguchi train` and `tune` default to
ESCALATED_FLOOR = 0.6  # the share of unanswerable questions handed over that `train` and `tune` keep
# one wrong answer more among n questions makes the paired rise and its standard error both 1/n: a tie,
# whichever way the floating-point sums round
TIE = 1e-12


@dataclass(frozen=True, slots=True)
class Measured:
    """The metrics of one bot, each answerable question's reciprocal rank (0 past rank 10), for every
    question whether it was answered with an entry that does not answer it, and for each question that
    expects an answer what the decision gave the resident (1 a right answer, 0.8 a right choice, 0 else)."""

    scores: Scores
    reciprocal: np.ndarray
    wrong: np.ndarray = field(default_factory=lambda: np.zeros(0))
    helped: np.ndarray = field(default_factory=lambda: np.zeros(0))


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
    helped = [_helped(q, line) for q, line in zip(queries, lines, strict=True) if q.expect == "answer"]
    return Measured(score_lines(queries, lines), np.array(reciprocal), np.array(wrong), np.array(helped))


def _helped(query: LabelledQuery, line: dict) -> float:
    """A right answer 1, a right entry among the choices offered CLARIFY_VALUE (as thresholds are chosen)."""
    shown = [hit["id"] for hit in line["results"][:3]]
    if line["decision"] == "answer":
        return float(bool(shown) and query.relevant.get(shown[0]) == 2)
    right = line["decision"] == "clarify" and any(query.relevant.get(entry) == 2 for entry in shown)
    return CLARIFY_VALUE if right else 0.0


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


def paired(candidate: np.ndarray, serving: np.ndarray) -> tuple[float, float]:
    """Mean rise of a per-question measure, paired question by question, and its standard error."""
    rise = candidate - serving
    if len(rise) < 2:
        return float(rise.sum()), float("inf")
    return float(rise.mean()), float(rise.std(ddof=1) / np.sqrt(len(rise)))


def rank_gain(candidate: Measured, serving: Measured) -> tuple[float, float]:
    """Mean rise of the paired reciprocal ranks, and its standard error."""
    return paired(candidate.reciprocal, serving.reciprocal)


def decided_better(candidate: Measured, serving: Measured) -> bool:
    """The same ranking (or one not worse beyond chance) with better decisions beyond chance: more right
    answers and right choices, or as many with fewer wrong answers (a city's own unanswerable questions
    teach this: escalating them is the gain, not a higher rank)."""
    rank, rank_error = rank_gain(candidate, serving)
    helped, helped_error = paired(candidate.helped, serving.helped)
    fall, fall_error = paired(serving.wrong, candidate.wrong)
    return rank >= -rank_error and (helped > helped_error or helped >= 0 and fall > fall_error)


class Because(StrEnum):
    """Why a candidate stays off: the desk says each in Japanese (channels/desk/learned.py)."""

    WRONG_RISE = ("wrong answers would rise ({now:.3f} → {then:.3f}, {rise:+.3f} ± {error:.3f} question by "
                  "question)")
    FEWER_HANDED_OVER = ("fewer unanswerable questions would be handed over ({now:.3f} → {then:.3f}, "
                         "below {floor:.3f})")
    WRONG_BOUND = ("wrong answers might rise: their upper bound is {bound:.3f} against {allowed:.3f} allowed "
                   "({then:.3f} measured, {now:.3f} now)")
    FEWER_HELPED = "fewer questions answered or clarified rightly ({now:.3f} → {then:.3f})"
    NO_GAIN = ("right answers would not rise by more than chance (MRR@10 {now:.3f} → {then:.3f}, rise "
               "{rise:+.3f} ± {error:.3f}; hit@1 {hit_now:.3f} → {hit_then:.3f}; decisions {helped:+.3f} ± "
               "{helped_error:.3f})")


@dataclass(frozen=True, slots=True)
class Refusal:
    """One reason with its numbers; as text, the reason in English (the command line, the logs)."""

    because: Because
    numbers: dict[str, float]

    def __str__(self) -> str:
        return self.because.value.format(**self.numbers)


def worse_because(measured: Measured, than: Measured, limit: float = WRONG_LIMIT) -> Refusal | None:
    """Why the `measured` bot is not better than `than`, or None when it is; `limit`: the wrong-answer share
    the city allows."""
    candidate, serving = measured.scores, than.scores
    rise, error = paired(measured.wrong, than.wrong)
    if rise > error + TIE:
        return Refusal(Because.WRONG_RISE, {"now": serving["wrong_answer"], "then": candidate["wrong_answer"],
                                            "rise": rise, "error": error})
    floor = min(serving["escalated_when_unanswerable"], ESCALATED_FLOOR)
    if candidate["escalated_when_unanswerable"] < floor:
        return Refusal(Because.FEWER_HANDED_OVER, {"now": serving["escalated_when_unanswerable"],
                                                   "then": candidate["escalated_when_unanswerable"],
                                                   "floor": floor})
    bound, allowed = wrong_bound(measured, than), max(serving["wrong_answer"], limit)
    if bound > allowed + TIE:
        measured_now = {"then": candidate["wrong_answer"], "now": serving["wrong_answer"]}
        return Refusal(Because.WRONG_BOUND, {"bound": bound, "allowed": allowed, **measured_now})
    helped, helped_before = (candidate["answered_right"] + candidate["clarified_right"],
                             serving["answered_right"] + serving["clarified_right"])
    if helped < helped_before:
        return Refusal(Because.FEWER_HELPED, {"now": helped_before, "then": helped})
    gain, error = rank_gain(measured, than)
    if not gain > error and not decided_better(measured, than):
        rise, rise_error = paired(measured.helped, than.helped)
        return Refusal(Because.NO_GAIN, {"now": serving["mrr@10"], "then": candidate["mrr@10"], "rise": gain,
                                         "error": error, "hit_now": serving["hit@1"],
                                         "hit_then": candidate["hit@1"], "helped": rise,
                                         "helped_error": rise_error})
    return None


@dataclass(frozen=True, slots=True)
class Verdict:
    """Which candidate goes live ("" for none) and, for each refused one, why."""

    chosen: str
    refused: dict[str, Refusal]


def judge(serving: Measured, candidates: dict[str, Measured], limit: float = WRONG_LIMIT) -> Verdict:
    """The first candidate (in order of preference) that beats the serving bot, unless another displaces
    it."""
    refused = {name: why
               for name, scores in candidates.items() if (why := worse_because(scores, serving, limit))}
    better = [name for name in candidates if name not in refused]
    chosen = next((n for n in better if not any(displaces(candidates[o], candidates[n], limit)
                                                  for o in better if o != n)), better[0] if better else "")
    return Verdict(chosen, refused)


def displaces(other: Measured, candidate: Measured, limit: float = WRONG_LIMIT) -> bool:
    """`other` is better than `candidate` and ranks at least as well: between two candidates that both beat
    the serving bot, better decisions never buy back a worse ranking. (The real city, learning from 60 % with
    a confidence model refitted on the sample city: paraphrases alone clarified more of the judged questions
    than paraphrases with a refitted ranker, and went live; the refitted ranker ranked the other 40 % far
    better, hit@1 0.651 against 0.593. BENCHMARKS.md, 2026-12-03 late.)"""
    return worse_because(other, candidate, limit) is None and rank_gain(other, candidate)[0] >= -TIE
