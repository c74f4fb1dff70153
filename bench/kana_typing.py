"""The same questions typed in kanji, in hiragana only and in katakana only: does the bot answer them alike?

    python -m bench.kana_typing INDEX_DIR QUESTIONS.jsonl [QUESTIONS.jsonl ...]

Each resident question written with kanji is asked three ways: as written, as Sudachi reads it in katakana
(the whole question, punctuation and spaces kept: 住民票の写しがほしい → ジュウミンヒョウノウツシガホシイ)
and as the same reading in hiragana. Per spelling it prints how often the first entry is the kanji form's
first entry, how often the confidence is within 0.05 of the kanji form's, and how often the first entry
answers the question (grade 2; the share of all these questions, unanswerable ones included).
Sudachi's reading is not always how a resident types (私 → ワタクシ, 日にち → ヒニチ), so kana spellings
agree with kanji less often than a resident's own typing would.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from bot.engine import Bot  # noqa: E402
from bot.labelled import LabelledQuery, read_labelled  # noqa: E402
from indexer.kana import KANJI  # noqa: E402
from indexer.normalise import hiragana, normalise_width  # noqa: E402
from indexer.sudachi import shared_splitter  # noqa: E402
from knowledge.core.settings import Settings  # noqa: E402
from knowledge.records import Audience  # noqa: E402

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
BREAKS = re.compile(r"([\s、。？！?!]+)")
SAME_CONFIDENCE = 0.05


def sudachi_reading(text: str) -> str:
    """The question as Sudachi reads it, piece by piece between punctuation and spaces."""
    splitter = shared_splitter("A")
    return "".join(splitter.reading(piece) if JAPANESE.search(piece) else piece
                   for piece in BREAKS.split(normalise_width(text)))


def first(bot: Bot, text: str) -> tuple[str, float]:
    """The first entry's id and the confidence that the first entry answers."""
    ranking = bot.rank(text, Audience.RESIDENT)
    shown = bot.candidates(ranking, 1)
    return (shown[0].record.id if shown else "", ranking.top1)


def compare(bot: Bot, queries: list[LabelledQuery]) -> dict[str, list[float]]:
    """Per spelling: [same first entry, same confidence, first entry answers], counted over the queries."""
    counts = {"kanji": [0.0, 0.0, 0.0], "hiragana": [0.0, 0.0, 0.0], "katakana": [0.0, 0.0, 0.0]}
    for query in queries:
        reading = sudachi_reading(query.text)
        written = first(bot, query.text)
        for spelling, text in (("kanji", query.text), ("hiragana", hiragana(reading)), ("katakana", reading)):
            entry, confidence = first(bot, text) if spelling != "kanji" else written
            counts[spelling][0] += entry == written[0]
            counts[spelling][1] += abs(confidence - written[1]) <= SAME_CONFIDENCE
            counts[spelling][2] += query.relevant.get(entry) == 2
    return counts


def main() -> None:
    """One table per question file."""
    bot = Bot.from_settings(Settings(index_dir=sys.argv[1]))
    for name in sys.argv[2:]:
        queries = [q for q in read_labelled(Path(name))
                   if q.audience is Audience.RESIDENT and KANJI.search(q.text)]
        print(f"{name}: {len(queries)} resident questions with kanji")
        print("| spelling | same first entry | same confidence (±0.05) | first entry answers |")
        print("|---|---:|---:|---:|")
        for spelling, (same, close, right) in compare(bot, queries).items():
            n = max(len(queries), 1)
            print(f"| {spelling} | {same / n:.3f} | {close / n:.3f} | {right / n:.3f} |")


if __name__ == "__main__":
    main()
