"""One shared, cached Sudachi pass for both search terms and word vectors.

A text is split once in mode C (long units: 住民票, マイナンバーカード); each unit also carries its
finer split (mode A or B) for search terms. The normaliser and the embedding module ask for the
same texts while an index is built (and an answer repeats its question's line), so lines are cached:
the second request is a cache hit, not a second parse.
"""

from __future__ import annotations

import threading
import weakref
from functools import lru_cache
from operator import itemgetter
from typing import Any, NamedTuple, Protocol

CONTENT_POS = frozenset({"名詞", "動詞", "形容詞", "形状詞", "接尾辞", "接頭辞", "副詞"})
KEPT_POS = CONTENT_POS | {"助動詞"}  # 助動詞 for negation: 燃えないごみ
SUDACHI_MAX_CHARS = 4000
CACHE_LINES = 50_000
# Sudachi's ids for unknown words and the words it joins (29, 1,000): built with no finer split
UNSPLIT = 0xF000_0000
OWN_WORDS = UNSPLIT  # word ids from here on are read afresh every time
CACHE_WORDS = 200_000  # distinct (surface, dictionary word) pairs; a morpheme is described once
REMEMBER_OWN_UNITS = True  # and the units of unknown words and joined numbers (tests turn it off)


class Morph(NamedTuple):
    """What madoguchi uses of a Sudachi morpheme."""

    surface: str
    lemma: str
    pos: str


class Unit(NamedTuple):
    """A mode-C unit and, when the finer mode splits it, its parts."""

    whole: Morph
    parts: tuple[Morph, ...]

    def in_mode(self, fine: bool) -> tuple[Morph, ...]:
        """The unit itself, or its finer parts."""
        return (self.parts or (self.whole,)) if fine else (self.whole,)


Parsed = tuple[tuple[Unit, ...], str]  # a line's content units and its reading


class Ahead(Protocol):
    """Lines parsed elsewhere (indexer/parse_ahead.py): their parse, or None to parse here."""

    def get(self, line: str) -> Parsed | None: ...


_new = tuple.__new__  # builds NamedTuples without a Python-level __new__ call: this is the hot loop
_unit, _reading = itemgetter(0), itemgetter(1)
_SPLITTERS: weakref.WeakSet[SudachiSplitter] = weakref.WeakSet()


def pieces(text: str) -> list[str]:
    """Sudachi refuses very long inputs; cut at line breaks, then at a hard limit."""
    out: list[str] = []
    for line in text.splitlines() or [text]:
        out.extend(line[i:i + SUDACHI_MAX_CHARS] for i in range(0, len(line), SUDACHI_MAX_CHARS))
    return out


class SudachiSplitter:
    """Sudachi with the core dictionary; `units()` gives content units only, cached per text."""

    def __init__(self, fine_mode: str = "A") -> None:
        from sudachipy import Dictionary, SplitMode

        dictionary = Dictionary(dict="core")
        self._tokenizer = dictionary.create(SplitMode.C, fields=used_fields(fine_mode))
        # reused by every parse: Sudachi fills it instead of a new list
        self._morphemes = self._tokenizer.tokenize("")
        self._dictionary = dictionary
        self._pos: dict[int, str | None] = {}
        self._fine = getattr(SplitMode, fine_mode)
        self.fine_mode = fine_mode
        self._splits = fine_mode != "C"
        self._line = lru_cache(maxsize=CACHE_LINES)(self.parse)
        self._silent: dict[int, bool] = {}
        self._words: dict[tuple[str, int], tuple[Unit | None, str]] = {}
        self._own: dict[tuple[str, int], Unit | None] = {}
        self._busy = threading.Lock()  # a Sudachi tokenizer raises "Already borrowed" if two threads share it
        self.ahead: Ahead | None = None
        _SPLITTERS.add(self)

    def units(self, text: str) -> tuple[Unit, ...]:
        """Content units of a text; each line is parsed once and cached, so shared lines cost nothing."""
        lines = pieces(text)
        if len(lines) == 1:
            return self._parsed(lines[0])[0]
        return tuple(unit for line in lines for unit in self._parsed(line)[0])

    def reading(self, text: str) -> str:
        """The text as katakana (how it is read), punctuation and spaces left out: 住民票 and
        じゅうみんひょう agree."""
        return "".join(self._parsed(line)[1] for line in pieces(text))

    def parse(self, line: str) -> Parsed:
        """One line's units and reading, parsed now (no cache)."""
        with self._busy:
            return self._parse_line_unlocked(line)

    def _parsed(self, line: str) -> Parsed:
        if self.ahead is not None and (found := self.ahead.get(line)) is not None:
            return found
        return self._line(line)

    def _parse_line_unlocked(self, line: str) -> Parsed:
        """One pass over the morphemes, one append each; units and reading are gathered afterwards in C."""
        described: list[tuple[Unit | None, str]] = []
        add, words = described.append, self._words
        for morpheme in self._tokenizer.tokenize(line, out=self._morphemes):
            key = (morpheme.surface(), morpheme.word_id())
            word = words.get(key)
            add(word if word is not None else self._word(morpheme, key))
        return tuple(filter(None, map(_unit, described))), "".join(map(_reading, described))

    def _word(self, morpheme: Any, key: tuple[str, int]) -> tuple[Unit | None, str]:
        """What a morpheme gives search: its unit (None if search ignores it) and its reading ("" for
        punctuation and spaces). A dictionary word's are remembered by surface and word: they follow from
        those two. Unknown words and joined numbers (住所の 1329) are read afresh: their reading follows the
        parts (29 in 29日 and in 第29条)."""
        pos_id = morpheme.part_of_speech_id()
        if pos_id not in self._silent:
            self._silent[pos_id] = self._dictionary.pos_of(pos_id)[0] in ("補助記号", "空白")
        reading = "" if self._silent[pos_id] else morpheme.reading_form()
        if key[1] >= OWN_WORDS:
            return self._own_unit(morpheme, key), reading
        if len(self._words) >= CACHE_WORDS:
            self._words.clear()
        self._words[key] = self._unit(morpheme, key[1]), reading
        return self._words[key]

    def _own_unit(self, morpheme: Any, key: tuple[str, int]) -> Unit | None:
        """The unit of an unknown word or joined number: its surface, normalised form and part of speech
        follow from the surface and word id as a dictionary word's do, so it is remembered by them (a real
        city has 21,000 of these morphemes and 1,102 distinct ones)."""
        if REMEMBER_OWN_UNITS and key in self._own:
            return self._own[key]
        if len(self._own) >= CACHE_WORDS:
            self._own.clear()
        unit = self._own[key] = self._unit(morpheme, key[1])
        return unit

    def _unit(self, morpheme: Any, word_id: int) -> Unit | None:
        whole = self._morph(morpheme)
        return None if whole is None else _new(Unit, (whole, self._finer(morpheme, whole, word_id)))

    def _finer(self, morpheme: Any, whole: Morph, word_id: int) -> tuple[Morph, ...]:
        """The finer parts of a dictionary word; Sudachi's own words (22,000 numbers in a city) have none to
        ask for."""
        if not self._splits or len(whole.surface) < 2 or word_id >= UNSPLIT:
            return ()
        parts = morpheme.split(self._fine)
        return tuple(m for m in map(self._morph, parts) if m is not None) if len(parts) > 1 else ()

    def _morph(self, morpheme: Any) -> Morph | None:
        """The morpheme as a Morph, or None for particles, symbols and other words search ignores."""
        pos_id = morpheme.part_of_speech_id()
        pos = self._pos.get(pos_id, "")
        if pos == "":
            pos = self._pos[pos_id] = self._kept_pos(pos_id)
        if pos is None:
            return None
        return _new(Morph, (morpheme.surface(), morpheme.normalized_form(), pos))

    def _kept_pos(self, pos_id: int) -> str | None:
        pos = self._dictionary.pos_of(pos_id)[0]
        return pos if pos in KEPT_POS else None


def used_fields(fine_mode: str) -> set[str]:
    """The dictionary fields the walk reads (part of speech, normalised form, reading, the finer split):
    Sudachi decodes only these for each morpheme. The surface comes from the text and the word id from the
    lattice."""
    return {"pos", "normalized_form", "reading_form",
            *([f"split_{fine_mode.lower()}"] if fine_mode != "C" else [])}


def forget_lines() -> None:
    """Drop the lines every splitter remembers: a build fills them with a whole city's texts, answering needs
    none."""
    for splitter in list(_SPLITTERS):
        splitter._line.cache_clear()
        splitter.ahead = None


@lru_cache(maxsize=4)
def shared_splitter(fine_mode: str = "A") -> SudachiSplitter:
    """One splitter per process and mode, so every part shares its cache."""
    return SudachiSplitter(fine_mode)
