"""Words of a text with their readings: Sudachi's reading forms, numbers with counters read by rule, and
the city's own readings (place names) from a small file.

Computed only when a resident asks for furigana, with its own Sudachi tokenizer and lock, so answering
without furigana costs nothing more.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from pathlib import Path
from typing import NamedTuple

from bot.furigana.counters import COUNTER_PATTERN, COUNTERS, counted_reading
from indexer.normalise import hiragana
from knowledge.core.errors import ConfigurationError

KANJI = re.compile(r"[\u3400-\u9fff\uf900-\ufaff々〆ヵヶ]")
KANA_ONLY = re.compile(r"^[\u3041-\u309f\u30a0-\u30ffー]+$")
COUNTED = re.compile(r"^([0-9０-９,，]+)(" + COUNTER_PATTERN.pattern[1:-1] + ")$")
DATE_BEFORE = ("月", "毎月")  # 4月1日 and 毎月1日 are ついたち; 1日に2回 is いちにち
MAX_CHARS = 4000  # Sudachi refuses very long inputs


class Word(NamedTuple):
    """A piece of text and how it is read (empty when it has no kanji); `counted` for number + counter."""

    text: str
    reading: str = ""
    counted: bool = False


def read_overrides(path: Path | None) -> dict[str, str]:
    """`word<TAB>reading` lines (# comments); a missing or malformed file stops startup with its line."""
    if path is None:
        return {}
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError as exc:
        raise ConfigurationError(f"furigana readings file {path} cannot be read: {exc}") from exc
    readings: dict[str, str] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        word, _, reading = (part.strip() for part in line.partition("\t"))
        if not word or not KANA_ONLY.match(reading):
            raise ConfigurationError(f"{path}, line {number}: expected 'word<TAB>reading in "
                                     f"kana', got {line!r}")
        readings[unicodedata.normalize("NFC", word)] = hiragana(reading)
    return readings


def _number(text: str) -> int | None:
    digits = unicodedata.normalize("NFKC", text).replace(",", "")
    return int(digits) if digits.isdigit() else None


class Reader:
    """Splits a text into words with readings; thread-safe (one tokenizer, one lock)."""

    def __init__(self, overrides: dict[str, str]) -> None:
        from sudachipy import Dictionary, SplitMode

        self._tokenizer = Dictionary(dict="core").create(SplitMode.C)
        self._lock = threading.Lock()
        self.overrides = overrides
        keys = sorted(overrides, key=len, reverse=True)
        self._override = re.compile("(" + "|".join(map(re.escape, keys)) + ")") if keys else None

    def words(self, text: str) -> list[Word]:
        """Every piece of the text in order; joined, their texts give the text back."""
        out: list[Word] = []
        pieces = self._override.split(text) if self._override else [text]
        for index, piece in enumerate(pieces):
            if index % 2:
                out.append(Word(piece, self.overrides[piece]))
            elif piece:
                out.extend(self._tokenized(piece))
        return out

    def _tokenized(self, text: str) -> list[Word]:
        out: list[Word] = []
        # Sudachi has words across ・ (日・祝 ニチシュク): read each side alone
        for line in re.split(r"(\n|・)", text):
            for start in range(0, len(line), MAX_CHARS):
                with self._lock:
                    morphs = [(m.surface(), m.reading_form(), m.part_of_speech()[1], m.normalized_form())
                              for m in self._tokenizer.tokenize(line[start:start + MAX_CHARS])]
                out.extend(self._read(morphs))
        return out

    def _read(self, morphs: list[tuple[str, str, str, str]]) -> list[Word]:
        """Morphemes as words: a number and its counter become one word read by rule."""
        out: list[Word] = []
        index = 0
        while index < len(morphs):
            surface, reading, kind, normal = morphs[index]
            after = morphs[index + 1][0] if index + 1 < len(morphs) else ""
            date = bool(out) and out[-1].text.endswith(DATE_BEFORE)
            if kind == "数詞" and after in COUNTERS and (n := _number(normal) if normal.isdigit()
                                                         else None) is not None:
                out.append(Word(surface + after, counted_reading(n, after, date) or "", True))
                index += 2
                continue
            out.append(self._word(surface, reading, date))
            index += 1
        return out

    def _word(self, surface: str, reading: str, date: bool) -> Word:
        """One morpheme; 1日 or 1人 that Sudachi keeps as one word is read by the counter rules too."""
        if (match := COUNTED.match(surface)) and (n := _number(match.group(1))) is not None:
            return Word(surface, counted_reading(n, match.group(2), date) or "", True)
        if not KANJI.search(surface):
            return Word(surface)
        kana = hiragana(reading)
        return Word(surface, kana if KANA_ONLY.match(kana) else "")

