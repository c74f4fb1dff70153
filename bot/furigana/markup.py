"""Readings shown two ways: `<ruby>` for the web widget, and parentheses after difficult words for LINE
and Slack, which cannot show ruby.

The ruby markup is built from escaped text only: an FAQ's answer is never trusted as HTML.
"""

from __future__ import annotations

import re
from html import escape

from bot.furigana.reader import KANJI, Word
from indexer.normalise import hiragana

# first-grade kanji
EASY_KANJI = frozenset("一右雨円王音下火花貝学気九休玉金空月犬見五口校左三山子四糸字耳七車手十出女小上森人水"
                       "正生青夕石赤千川先早草足村大男竹中虫町天田土二日入年白八百文木本名目立力林六")
KANJI_RUN = re.compile(r"([\u3400-\u9fff\uf900-\ufaff々〆ヵヶ]+)")
OPEN, CLOSE = "（", "）"


def aligned(word: Word) -> list[tuple[str, str]]:
    """The word's kanji runs with their part of the reading and kana left bare: 届け出 → 届/とど, け, 出/で.
    A number with its counter, or a word the kana do not line up with, gets one reading over all of it."""
    runs = [run for run in KANJI_RUN.split(word.text) if run]
    if word.counted or len(runs) == 1:
        return [(word.text, word.reading)]
    pattern = "".join("(.+?)" if KANJI.match(run) else f"({re.escape(hiragana(run))})" for run in runs)
    match = re.fullmatch(pattern, word.reading)
    if match is None:
        return [(word.text, word.reading)]
    return [(run, reading if KANJI.match(run) else "")
            for run, reading in zip(runs, match.groups(), strict=True)]


def ruby_markup(words: list[Word]) -> str:
    """HTML with `<ruby>` over every word that has kanji and a reading; all text escaped."""
    parts: list[str] = []
    for word in words:
        if not word.reading:
            parts.append(escape(word.text, quote=True))
            continue
        for base, reading in aligned(word):
            parts.append(f"<ruby>{escape(base, quote=True)}<rt>{escape(reading, quote=True)}</rt></ruby>"
                         if reading else escape(base, quote=True))
    return "".join(parts)


def is_difficult(word: Word) -> bool:
    """Worth a reading in plain text: a kanji beyond the first school year, or a number read irregularly."""
    if not word.reading:
        return False
    if word.counted:
        return any(ch not in EASY_KANJI
                   for ch in "".join(KANJI_RUN.findall(word.text))) or word.text[-1] in "日人"
    return any(ch not in EASY_KANJI for ch in "".join(KANJI_RUN.findall(word.text)))


def with_readings(words: list[Word]) -> str:
    """Plain text with （reading） after the first time each difficult word appears."""
    seen: set[str] = set()
    parts: list[str] = []
    for word in words:
        parts.append(word.text)
        if is_difficult(word) and word.text not in seen:
            seen.add(word.text)
            parts.append(f"{OPEN}{word.reading}{CLOSE}")
    return "".join(parts)
