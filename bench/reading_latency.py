"""answer() CPU time on the sample city's resident questions, and what furigana adds when a resident asks.

    python -m bench.reading_latency INDEX_DIR [--furigana]

Furigana is never computed inside answer(); this shows answer() is as fast as before (run it on an older
checkout with that checkout's index for the comparison; without --furigana it imports nothing new) and what
the ruby of one reply costs on top, for residents who switch furigana on.
"""

from __future__ import annotations

import json
import os
import sys
from functools import partial

os.environ.setdefault("OMP_NUM_THREADS", "1")

from bench.timing import Latencies, timed  # noqa: E402
from bot.engine import Bot  # noqa: E402
from knowledge.core.settings import Settings  # noqa: E402
from knowledge.records import Audience  # noqa: E402

LABELLED = "knowledge/samples/labelled/minato.jsonl"


def resident_questions() -> list[str]:
    """The labelled resident questions of the sample city."""
    with open(LABELLED, encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return [row["text"] for row in rows if row.get("audience") == "resident"]


def measure(call, items: list[str]) -> Latencies:  # type: ignore[no-untyped-def]
    """Median of 3 CPU timings per item."""
    latencies = Latencies()
    for item in items:
        cpu, wall, _ = timed(partial(call, item), repeats=3)
        latencies.add(cpu, wall)
    return latencies


def main() -> None:
    """Print p50/p95 of answer(), and of the reply's ruby with --furigana."""
    bot = Bot.from_settings(Settings(index_dir=sys.argv[1]))
    questions = resident_questions()
    for question in questions[:20]:
        bot.answer(question, Audience.RESIDENT)  # warm-up
    answered = measure(lambda q: bot.answer(q, Audience.RESIDENT), questions)
    print(f"answer(): n={len(questions)} p50={answered.p50():.2f} ms p95={answered.p95():.2f} ms (CPU)")
    if "--furigana" in sys.argv:
        from bot.furigana import furigana_for

        furigana = furigana_for(Settings())
        replies = [bot.answer(q, Audience.RESIDENT).message for q in questions]
        ruby = measure(furigana.ruby, replies)
        print(f"ruby of the reply: p50={ruby.p50():.2f} ms p95={ruby.p95():.2f} ms (CPU)")


if __name__ == "__main__":
    main()
