"""Foreign residents' questions: hit@3, wrong answers and decisions per language; Japanese answer() latency.

    python -m bench.multilingual                      # the sample city, built into a temporary index
    python -m bench.multilingual --index-dir DIR      # an index already built from the sample city
    python -m bench.multilingual --latency-only       # only the Japanese p95 (run on two branches to compare)

The questions (tests/data/foreign_questions.jsonl) were written before the bot answered any of them and
are not used for anything else. `group`: `translated` (the entry has the question's language), `easy`
(やさしい日本語), `untranslated` (English about an entry with no English: only the dictionary path reaches
it). hit@3: an expected entry is the answer or among the choices offered (at most three); wrong: the bot
answered with an entry that is not expected; entries offered: the choices of all clarify turns (the way to a
person not counted), and how many of them are not expected.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
from collections import defaultdict
from functools import partial
from pathlib import Path

for _variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

from bench.timing import timed  # noqa: E402

QUESTIONS = Path(__file__).resolve().parent.parent / "tests" / "data" / "foreign_questions.jsonl"
JAPANESE = (Path(__file__).resolve().parent.parent / "tests" / "data" / "unseen_questions.jsonl",
            Path(__file__).resolve().parent.parent / "knowledge" / "samples" / "labelled" / "minato.jsonl")


def load_bot(index_dir: Path | None):  # type: ignore[no-untyped-def]
    """The sample city's bot, from an index built here unless one is given."""
    from typer.testing import CliRunner

    from bot.engine import Bot
    from channels.cli.app import app
    from knowledge.core.settings import Settings

    if index_dir is None:
        index_dir = Path(tempfile.mkdtemp(prefix="madoguchi-multilingual-"))
        result = CliRunner().invoke(app, ["index", "build", "--index-dir", str(index_dir)])
        assert result.exit_code == 0, result.output
    return Bot.from_settings(Settings(index_dir=index_dir))


def judge(bot, question: dict) -> dict:  # type: ignore[no-untyped-def]
    """One question's outcome."""
    from bot.answer import NONE_OF_THESE, Session

    reply = bot.answer(question["text"], session=Session("bench"))
    clarified = reply.decision.value == "clarify"
    shown = [c.id for c in reply.choices if c.id != NONE_OF_THESE] if clarified else []
    answered = reply.record.id if reply.decision.value == "answer" and reply.record else None
    expected = set(question["expected"])
    return {"hit3": bool(expected & {*shown, answered} - {None}),
            "offered": len(shown), "offered_unexpected": len(set(shown) - expected),
            "wrong": answered is not None and answered not in expected,
            "decision": reply.decision.value, "detected": reply.language,
            "in_language": reply.answer_language, "language": question["language"]}


def _count(rows: list[dict], key: str, value: object = True) -> int:
    return sum(r[key] == value for r in rows)


def table(outcomes: list[tuple[dict, dict]]) -> str:
    """Markdown rows per (language, group) and for the main set (translated + easy)."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for question, outcome in outcomes:
        groups[f"{question['language']} ({question['group']})"].append(outcome)
        if question["group"] != "untranslated":
            groups["all but untranslated"].append(outcome)
    lines = [("| questions | n | hit@3 | wrong answers | answered | offered choices | handed over "
              "| language detected right | entries offered (not expected) |"),
             "|---|---|---|---|---|---|---|---|---|"]
    for name, rows in groups.items():
        n = len(rows)
        count = partial(_count, rows)
        lines.append(f"| {name} | {n} | {count('hit3') / n:.2f} | {count('wrong')} "
                     f"({count('wrong') / n:.0%}) | {count('decision', 'answer')} | "
                     f"{count('decision', 'clarify')} | {count('decision', 'escalate')} | "
                     f"{sum(r['detected'] == r['language'] for r in rows) / n:.2f} | "
                     f"{sum(r['offered'] for r in rows)} ({sum(r['offered_unexpected'] for r in rows)}) |")
    return "\n".join(lines)


def japanese_latency(bot) -> str:  # type: ignore[no-untyped-def]
    """p50/p95 CPU ms of answer() over the sample city's Japanese questions (held-out and labelled,
    residents')."""
    rows = [json.loads(line) for path in JAPANESE
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = [row["text"] for row in rows if row.get("audience", "resident") == "resident"]
    for text in texts[:5]:
        bot.answer(text)
    cpu = [timed(lambda t=text: bot.answer(t))[0] for text in texts]
    p95 = statistics.quantiles(cpu, n=20)[-1]
    return (f"Japanese answer() over {len(texts)} questions: p50 {statistics.median(cpu):.1f} ms, p95 "
            f"{p95:.1f} ms (CPU)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", type=Path)
    parser.add_argument("--latency-only", action="store_true")
    parser.add_argument("--questions", type=Path, default=QUESTIONS,
                        help="another question file, e.g. bench/foreign_dev.jsonl (the set "
                             "thresholds were set on)")
    args = parser.parse_args()
    bot = load_bot(args.index_dir)
    if not args.latency_only:
        questions = [json.loads(line)
                     for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
        outcomes = [(q, judge(bot, q)) for q in questions]
        print(table(outcomes))
        for question, outcome in outcomes:
            if not outcome["hit3"] or outcome["wrong"]:
                print(f"  miss {question['id']} {question['language']} {outcome['decision']}: "
                      f"{question['text']}")
    print(japanese_latency(bot))


if __name__ == "__main__":
    main()
