"""How often the desk's suggested department is right, for the best-candidate rule and the vote.

    python -m bench.departments

On the sample city's labelled questions that have an answering entry (gold department: that entry's),
ranked by the shipped model: (1) as ranked; (2) the questions the bot escalates; (3) with every labelled
entry of the question taken out of the candidates, the shape of a question the knowledge base cannot
answer, which is what an escalation usually is. `suggested` is the share of questions given a
department, `right` and `wrong` are shares of all questions, `precision` is right among suggested.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from bot import Bot  # noqa: E402
from bot.answer import Candidate  # noqa: E402
from bot.labelled import read_labelled  # noqa: E402
from bot.routing import AGREEMENT, suggest_department  # noqa: E402
from bot.service.publishing import build_from_settings  # noqa: E402
from knowledge.core.settings import Settings  # noqa: E402

LABELLED = Path(__file__).resolve().parents[1] / "knowledge" / "samples" / "labelled" / "minato.jsonl"
Rule = Callable[[Sequence[Candidate]], str]
Case = tuple[set[str], tuple[Candidate, ...]]


def best_candidate(candidates: Sequence[Candidate]) -> str:
    """The rule before the vote: the department of the best candidate that names one."""
    return next((c.record.department for c in candidates if c.record.department), "")


def cases(bot: Bot) -> dict[str, list[Case]]:
    """Gold departments with the candidates each scenario leaves."""
    found: dict[str, list[Case]] = {"as ranked": [], "escalated by the bot": [], "answer taken out": []}
    for query in read_labelled(LABELLED):
        gold = {bot.runtime.index.by_id[i].department for i, g in query.relevant.items() if g == 2}
        if not gold:
            continue
        reply = bot.answer(query.text, query.audience, top_k=20)
        found["as ranked"].append((gold, reply.candidates))
        if reply.decision.value == "escalate":
            found["escalated by the bot"].append((gold, reply.candidates))
        without = tuple(c for c in reply.candidates if c.record.id not in query.relevant)
        found["answer taken out"].append((gold, without))
    return found


def rates(rule: Rule, scenario: list[Case]) -> dict[str, float]:
    """Shares of the scenario's questions given a department, given the right one, given a wrong one."""
    made = [(department, gold) for gold, candidates in scenario if (department := rule(candidates))]
    right = sum(department in gold for department, gold in made)
    n = len(scenario)
    return {"suggested": len(made) / n, "precision": right / max(1, len(made)), "right": right / n,
            "wrong": (len(made) - right) / n}


def main() -> None:
    """Print the table in Markdown, ready for BENCHMARKS.md."""
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(index_dir=Path(folder) / "index")
        build_from_settings(settings)
        scenarios = cases(Bot.from_settings(settings))
    rules: list[tuple[str, Rule]] = [("best candidate", best_candidate)]
    rules += [(f"vote, agreement ≥ {a}" + (" (shipped)" if a == AGREEMENT else ""),
               lambda c, a=a: suggest_department(c, a)) for a in (0.0, 0.4, 0.5, 0.6, 0.7)]
    print("| scenario (questions) | rule | suggested | precision | right | wrong |")
    print("|---|---|---:|---:|---:|---:|")
    for name, scenario in scenarios.items():
        for label, rule in rules:
            shares = rates(rule, scenario)
            print(f"| {name} ({len(scenario)}) | {label} | {shares['suggested']:.2f} | "
                  f"{shares['precision']:.3f} | {shares['right']:.3f} | {shares['wrong']:.3f} |")


if __name__ == "__main__":
    main()
