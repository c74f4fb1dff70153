"""Which department an escalated question belongs to: the suggestion the desk's queue filters by and
its statistics count.

An escalation is by definition a question the bot could not match well, so its best candidate's
department is often wrong: on the sample city with the right entry taken out, a third of the time. The
best candidates vote instead, each with its share of the fused scores (a softmax), and a department is
suggested only when it holds half the vote or more; otherwise the desk shows none and the agent
decides. `python -m bench.departments` measures both rules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from bot.answer import Candidate

DEPARTMENT_VOTERS = 10
AGREEMENT = 0.5  # BENCHMARKS.md, "Desk: the department suggested for an escalation"


def department_votes(candidates: Sequence[Candidate], voters: int = DEPARTMENT_VOTERS) -> dict[str, float]:
    """Each department's share of the best `voters` candidates that name one, weighted by fused score."""
    named = [c for c in candidates if c.record.department][:voters]
    if not named:
        return {}
    scores = np.array([c.score for c in named], dtype=np.float64)
    weights = np.exp(scores - scores.max())
    shares: dict[str, float] = defaultdict(float)
    for candidate, weight in zip(named, weights / weights.sum(), strict=True):
        shares[candidate.record.department] += float(weight)
    return dict(shares)


def suggest_department(candidates: Sequence[Candidate], agreement: float = AGREEMENT) -> str:
    """The department most of the vote agrees on, or "" when none holds `agreement` of it."""
    votes = department_votes(candidates)
    if not votes:
        return ""
    department, share = max(votes.items(), key=lambda item: item[1])
    return department if share >= agreement else ""
