"""How urgent situations are recognised: phrasings that must trigger, ordinary questions that must not.

    python -m bench.urgent [--shared ../shared]

1. tests/data/urgent_phrasings.jsonl: urgent phrasings (kana-only and colloquial included), each with the
   situation it must trigger;
2. the sample city's labelled questions and unseen questions (ordinary questions: every trigger is false);
3. held out, when ../shared/eval/localgovfaq is present: a real city's 257 resident questions (dev split).
Prints a markdown table and every false trigger, and the time one recognition takes.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from bot.urgent import UrgentSituations
from knowledge.core.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
PHRASINGS = ROOT / "tests" / "data" / "urgent_phrasings.jsonl"
ORDINARY = {"sample city, labelled (299)": ROOT / "knowledge" / "samples" / "labelled" / "minato.jsonl",
            "sample city, unseen (34)": ROOT / "tests" / "data" / "unseen_questions.jsonl"}


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = parser.parse_args()
    urgent = UrgentSituations.from_settings(Settings())
    cases = rows(PHRASINGS)
    started = time.perf_counter()
    right = sum(1 for case in cases if (found := urgent.run(case["text"])) and found.id == case["situation"])
    per_call = (time.perf_counter() - started) / len(cases) * 1e6
    print("| set | questions | triggered | share |\n|---|---:|---:|---:|")
    print(f"| urgent phrasings (right situation) | {len(cases)} | {right} | {right / len(cases):.1%} |")
    sets = dict(ORDINARY)
    held_out = args.shared / "eval" / "localgovfaq" / "queries.jsonl"
    if held_out.exists():
        sets["LocalgovFAQ dev (held out)"] = held_out
    false: list[str] = []
    for name, path in sets.items():
        texts = [row["text"] for row in rows(path)]
        hits = [f"{name}: {t} → {s.id}" for t in texts if (s := urgent.run(t))]
        false += hits
        print(f"| {name}: false triggers | {len(texts)} | {len(hits)} | {len(hits) / len(texts):.1%} |")
    print(f"\nrecognition: {per_call:.0f} µs per message")
    print("\n".join(false))


if __name__ == "__main__":
    main()
