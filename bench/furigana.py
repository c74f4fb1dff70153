"""Furigana readings on the sample city: 200 answer sentences against Sudachi's own reading form, and the
hand-checked list of tricky words (tests/data/furigana_tricky.tsv).

    python -m bench.furigana

A word whose reading differs from Sudachi's is printed, so a person can judge which one is right (madoguchi
reads numbers with counters by rule and place names from the city's file, where Sudachi is often wrong).
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path

from bot.furigana import furigana_for
from bot.furigana.reader import KANJI, hiragana
from knowledge.core.settings import SAMPLE_CITY, Settings

TRICKY = Path(__file__).resolve().parent.parent / "tests" / "data" / "furigana_tricky.tsv"
SENTENCES = 200


def answer_sentences(limit: int = SENTENCES) -> list[str]:
    """The first `limit` sentences of the sample city's resident answers, file by file."""
    out: list[str] = []
    for path in sorted((SAMPLE_CITY / "faq").glob("resident-*.csv")):
        with open(path, encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                out.extend(s for s in re.split(r"(?<=。)|\n", row["answer"]) if KANJI.search(s))
    return out[:limit]


def sudachi_readings(tokenizer, text: str) -> dict[tuple[int, int], str]:  # type: ignore[no-untyped-def]
    """Sudachi's own reading form (mode C) of each word, by its place in the text (start, end)."""
    return {(m.begin(), m.end()): hiragana(m.reading_form()) for m in tokenizer.tokenize(text)}


def compare(furigana, tokenizer, sentences: list[str]) -> tuple[int, int, list[str]]:  # type: ignore[no-untyped-def]
    """Kanji words Sudachi splits the same way, how many read the same, and every other word for a person."""
    compared = same = 0
    others: list[str] = []
    for sentence in sentences:
        reference, start = sudachi_readings(tokenizer, sentence), 0
        for word in furigana.words(sentence):
            span, start = (start, start + len(word.text)), start + len(word.text)
            if not word.reading:
                continue
            if span not in reference:
                others.append(f"{word.text}\t{word.reading}")
                continue
            compared += 1
            same += reference[span] == word.reading
            if reference[span] != word.reading:
                others.append(f"{word.text}\t{word.reading}\t(Sudachi {reference[span]})")
    return compared, same, others


def main() -> None:
    """Print the agreement with Sudachi, the differences, and the tricky list's score."""
    from sudachipy import Dictionary, SplitMode

    furigana = furigana_for(Settings())
    compared, same, others = compare(furigana, Dictionary(dict="core").create(SplitMode.C),
                                     answer_sentences())
    for line, count in Counter(others).most_common():
        print(f"{count}\t{line}")
    print(f"kanji words split as Sudachi does: {compared}, same reading: {same} ({same / compared:.3f}); "
          "read by madoguchi's rules or the city's file (listed above for a person to check): "
          f"{len(others) - (compared - same)}")
    rows = [line.rstrip("\n").split("\t") for line in TRICKY.read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")]
    right = sum(any(w.text == word and w.reading == reading for w in furigana.words(sentence))
                for sentence, word, reading in rows)
    print(f"tricky words right: {right}/{len(rows)} ({right / len(rows):.3f})")


if __name__ == "__main__":
    main()
