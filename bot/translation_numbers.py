"""Translations and やさしい日本語 answers that state a number the entry's Japanese answer does not.

A resident reading the English answer was told "up to 5 items" where the city's answer says 1回に10点まで:
a wrong answer in one language that the contradiction check (bot/contradictions.py) cannot see, since it
compares records, not the languages of one record. Numbers are compared after width, clock times (9時 →
9:00), thousands separators (1,000 and 1.000) and the large units of each language (10万円 = 100,000 yen =
10만 엔 = 100 mil ienes) are folded; 60歳未満 also allows 59 ("20 to 59"), and 1 is never compared (「1年に
6回」 says what 年6回 says). Numbers a translation leaves out are not flagged: a shorter answer is often
meant. A finding is for an editor to read; nothing is changed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from bot.contradictions import as_clock
from knowledge.languages import LANGUAGES
from knowledge.records import Record

EASY = "easy"
_SEPARATED = re.compile(r"(?<=\d)[,.](?=\d{3}(?!\d))")
_SCALES = {"万": 10_000, "萬": 10_000, "만": 10_000, "億": 100_000_000, "억": 100_000_000,
           "million": 1_000_000, "millones": 1_000_000, "milhão": 1_000_000, "milhões": 1_000_000,
           "triệu": 1_000_000, "mil": 1_000, "nghìn": 1_000, "ngàn": 1_000}
_SCALED = re.compile(r"(\d+(?:\.\d+)?)\s*(" + "|".join(sorted(_SCALES, key=len, reverse=True))
                     + r")(?![A-Za-zÀ-ỹ])")  # mil, not milk
_UNDER = re.compile(r"(\d+)\s*[歳才]?未満")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
NEVER_COMPARED = frozenset({"1"})


@dataclass(frozen=True, slots=True)
class Mistranslation:
    """An entry whose answer in `language` (a code of knowledge/languages.py, or "easy") states `numbers`
    its Japanese answer does not."""

    record: Record
    language: str
    numbers: tuple[str, ...]
    text: str

    @property
    def language_name(self) -> str:
        """The language as the desk names it: 英語, やさしい日本語 …"""
        return "やさしい日本語" if self.language == EASY else LANGUAGES[self.language][1][0]


def numbers_in(text: str, japanese: bool = False) -> frozenset[str]:
    """The numbers a text states, folded as the module says; a Japanese text also allows N−1 for N未満."""
    folded = _SEPARATED.sub("", as_clock(unicodedata.normalize("NFKC", text)))
    found = {_plain(float(m.group(1)) * _SCALES[m.group(2)]) for m in _SCALED.finditer(folded)}
    found |= {_plain(float(n)) for n in _NUMBER.findall(_SCALED.sub(" ", folded))}
    if japanese:
        found |= {str(int(m.group(1)) - 1) for m in _UNDER.finditer(folded)}
    return frozenset(found - NEVER_COMPARED)


def _plain(number: float) -> str:
    return str(int(number)) if number.is_integer() else str(number)


def mistranslations(records: Iterable[Record]) -> list[Mistranslation]:
    """Every translated or やさしい日本語 answer stating a number its entry's Japanese question and answer
    lack."""
    found = []
    for record in records:
        japanese = numbers_in(f"{record.question}\n{record.answer}", japanese=True)
        answers = [(code, answer) for code, _, answer in record.translations if answer]
        for language, text in ([(EASY, record.answer_easy)] if record.answer_easy else []) + answers:
            extra = numbers_in(text, japanese=language == EASY) - japanese
            if extra:
                found.append(Mistranslation(record, language, tuple(sorted(extra, key=float)), text))
    return found
