"""Kana-only questions written back in the city's own kanji: 「じどうてあて」 → 「児童手当」.

Sudachi reads 児童手当 and じどうてあて alike (ジドウテアテ) but splits the kana into other words
(じどう, 手当て), so a resident typing on a phone without converting got other terms, another vector and
a lower confidence than the same question in kanji. The words of the city's entries are known with their
readings, and so are the compounds of its questions, answers and paraphrases, written or learned from
residents (母子手帳, where the entries say 母子健康手帳); a question with no kanji has each kana run matched
against those readings, longest cover first, and the matched pieces replaced by the city's word, so both
spellings are answered alike.

Reading every word of a city through Sudachi touches scattered rows of its 71.5 MB connection matrix, so the
build does it once and keeps the result in the version (kana-readings.json); a worker loading the version
reads that file and leaves the dictionary's pages alone. A version built before the file existed is read
through Sudachi at load, as it always was.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from indexer.bm25 import BM25Index
from indexer.normalise import hiragana, katakana, normalise_width
from indexer.sudachi import shared_splitter

KANJI = re.compile(r"[\u3400-\u9fff]")
HIRAGANA = re.compile(r"[\u3041-\u3096]")
KATAKANA_WORD = re.compile(r"[\u30a1-\u30faー]+")
KANA_RUN = re.compile(r"[\u3041-\u3096\u30a1-\u30faー]+")
KANJI_RUN = re.compile(r"[\u3400-\u9fff]{3,}")  # two-kanji homophones (講座, 口座) are words of their own
INFLECTING = frozenset({"動詞", "助動詞", "形容詞"})  # したい is する + たい, never 死体
MIN_READING = 3  # two-kana readings (フリ, コマ) match by chance too often
MAX_READING = 12
LONG_READING = 4  # a noun this long may reach over a verb form Sudachi misreads in kana
MOSTLY = 0.6  # …and at most this share of its kana is what Sudachi reads as a verb form
GLIDES = frozenset("ァィゥェォャュョヮヵヶ")  # small kana: part of the syllable before them, no mora
SYLLABLE_TAIL = frozenset("ぁぃぅぇぉゃゅょゎゕゖァィゥェォャュョヮヵヶー")  # no word starts or ends before
READINGS_FILE = "kana-readings.json"
log = logging.getLogger("madoguchi.index")


@dataclass(frozen=True, slots=True)
class KanaParse:
    """How Sudachi reads one kana run. `inflecting`: which characters are an auxiliary or a word inflected
    before one (し+たい, はいり+たい), kana that no noun of the city may replace (死体). `content`: which
    are part of a word search reads (a noun, verb, adjective …; not an auxiliary, particle or pronoun), the
    only places a verb form of the city (振り込ま, 送っ, 写し) may start: わたし is a pronoun, not the 渡し
    of an answer's 引き渡し, and the なく of いらなくなった an auxiliary, not 亡く."""

    inflecting: list[bool]
    content: frozenset[int]


def as_hiragana(text: str) -> str | None:
    """A question typed wholly in katakana (ｼﾞｭｳﾐﾝﾋｮｳﾉｳﾂｼｶﾞﾎｼｲ, from a terminal or phone set to katakana), as
    if typed in hiragana; None for any other question. Sudachi reads katakana as loanwords and names, so the
    particles of such a question (ノ, ガ) were not read as particles and its words were not the city's."""
    clean = normalise_width(text)
    if KANJI.search(clean) or HIRAGANA.search(clean) or not KATAKANA_WORD.search(clean):
        return None
    return hiragana(clean)


class KanaReadings:
    """Reading (katakana) → the city's word as its entries write it (with kanji, or in katakana)."""

    def __init__(self, words: Mapping[str, str], inflected: frozenset[str] = frozenset()) -> None:
        """`words`: katakana reading → the city's word. `inflected`: those that are verb or adjective forms
        (振り込ま), which may replace kana Sudachi reads as inflecting."""
        self.words = dict(words)
        self.inflected = inflected

    @classmethod
    def of(cls, wording: Iterable[str], pages: BM25Index) -> KanaReadings:
        """From the words of every entry's page (BM25 over question + answer) and the compounds of its
        questions, paraphrases and answers (住民票 as one word, so じゅうみんひょう is not read as 重+票)."""
        words = {term: int(pages.matrix.indptr[column + 1] - pages.matrix.indptr[column])
                 for term, column in pages.vocabulary.items()}
        splitter, inflected = shared_splitter("A"), set()
        for text in wording:
            for unit in splitter.units(normalise_width(text)):
                words[unit.whole.surface] = words.get(unit.whole.surface, 0) + 1
                if unit.whole.pos in INFLECTING:
                    inflected.add(unit.whole.surface)
        return cls(spelled(words), frozenset(inflected))

    def save(self, folder: Path) -> None:
        """One JSON file in the version folder (checksummed with the rest); the words keep their order."""
        payload = {"words": self.words, "inflected": sorted(self.inflected)}
        (folder / READINGS_FILE).write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, wording: Iterable[str], pages: BM25Index) -> KanaReadings:
        """What the build stored; a version built before readings were stored is read through Sudachi now."""
        path = folder / READINGS_FILE
        if not path.is_file():
            log.info("%s has no stored kana readings: reading its words through Sudachi (a "
                     "rebuild stores them)",
                     folder)
            return cls.of(wording, pages)
        payload = json.loads(path.read_text(encoding="utf-8"))
        return cls({str(k): str(v) for k, v in payload["words"].items()},
                   frozenset(map(str, payload["inflected"])))

    def rewrite(self, text: str) -> str:
        """The question with its kana runs spelled in the city's words; a question with kanji is left as it
        is."""
        clean = normalise_width(text)
        if KANJI.search(clean) or not self.words:
            return text
        return KANA_RUN.sub(lambda run: self._run(run.group()), clean)

    def respell(self, text: str) -> str:
        """A kanji compound no dictionary knows, read like one of the city's words of the same length but for
        one kanji, written as the city writes it: 住民表 (an input method's homophone) is 住民票."""
        if not self.words:
            return text
        return KANJI_RUN.sub(lambda run: self._homophone(run.group()), text)

    def _homophone(self, run: str) -> str:
        units = shared_splitter("A").units(run)
        if len(units) == 1 and units[0].whole.surface == run:
            return run  # a word of its own (保健所), not a slip
        word = self.words.get(shared_splitter("A").reading(run))
        if word is None or len(word) != len(run) or sum(a != b for a, b in zip(word, run, strict=True)) != 1:
            return run
        return word

    @staticmethod
    def _parse(run: str) -> KanaParse:
        """How Sudachi reads the run (see `KanaParse`)."""
        morphs = [m for unit in shared_splitter("A").units(run) for m in unit.in_mode(True)]
        marks, content, cursor = [False] * len(run), set[int](), 0
        for number, morph in enumerate(morphs):
            at = run.find(morph.surface, cursor)
            if at < 0:
                continue
            cursor = at + len(morph.surface)
            before_auxiliary = number + 1 < len(morphs) and morphs[number + 1].pos == "助動詞"
            if morph.pos == "助動詞" or (morph.pos in INFLECTING and before_auxiliary):
                marks[at:cursor] = [True] * len(morph.surface)
            if morph.pos != "助動詞":
                content.update(range(at, cursor))
        return KanaParse(marks, frozenset(content))

    def _run(self, run: str) -> str:
        """Best cover of one kana run by known readings: most kana covered, then fewest pieces; what Sudachi
        reads as an inflecting word stays as typed, unless the city's word is in katakana: a loanword is no
        verb form, and Sudachi reads the まい of まいなんばーかーど as the auxiliary まい. No word splits a
        syllable, and a bound kanji (`is_bound`) only follows a word. Linear in the run's length
        (back-pointers, no copies)."""
        read, parsed = katakana(run), self._parse(run)
        score = [(0, 0)] + [(-1, 0)] * len(run)
        back: list[tuple[int, str]] = [(0, "")] * (len(run) + 1)
        for end in range(1, len(run) + 1):
            score[end], back[end] = score[end - 1], (end - 1, run[end - 1])
            if not whole_syllable(run, end):
                continue
            for start in range(max(0, end - MAX_READING), end - MIN_READING + 1):
                word = self.words.get(read[start:end])
                after_word = back[start][1] != run[start - 1:start]
                if word is None or not self._fits(word, run, start, end, parsed) \
                        or (is_bound(word, read[start:end]) and not after_word):
                    continue
                option = (score[start][0] + end - start, score[start][1] - 1)
                if option > score[end]:
                    score[end], back[end] = option, (start, word)
        pieces, end = [], len(run)
        while end > 0:
            end, piece = back[end]
            pieces.append(piece)
        return "".join(reversed(pieces))

    def _fits(self, word: str, run: str, start: int, end: int, parsed: KanaParse) -> bool:
        """Whether the city's word may stand for the kana from `start` to `end`: it begins a syllable, and it
        is a loanword of the city, a verb form of the city starting in what Sudachi reads as a content
        word, or a noun that `may_cover` the kana."""
        if not whole_syllable(run, start):
            return False
        if KATAKANA_WORD.fullmatch(word):
            return True
        if word in self.inflected:
            return start in parsed.content
        return may_cover(parsed.inflecting[start:end])


def whole_syllable(run: str, at: int) -> bool:
    """Whether a word may start or stop before `at`: not before a small kana or a long-vowel mark, which
    end the syllable before them (the りんじ of ちゅうりんじょう is no word)."""
    return at >= len(run) or run[at] not in SYLLABLE_TAIL


def is_bound(word: str, reading: str) -> bool:
    """A single kanji read in fewer than three morae (証, 料, 章, 週, 急): inside the city's compounds
    (職員証, 国保料) it is a word of its own, but typed in kana it is nearly always part of a word the
    city does not write (しょうがっこう, らいしゅう), so it follows another of the city's words only.
    港, 夫 and 南 (みなと, おっと, みなみ) are words on their own."""
    return len(word) == 1 and KANJI.match(word) is not None \
        and sum(kana not in GLIDES for kana in reading) < 3


def may_cover(inflecting: list[bool]) -> bool:
    """Whether a noun of the city may replace kana of which `inflecting` marks what Sudachi reads as a verb
    form: when none is, or when the noun is long and mostly reaches past them or starts outside them. Read
    as kana, Sudachi takes the し of しやくしょ and こていしさんぜい for する, the せたい of せたいぬし for
    する + たい and the いきん of ぜいきん for 行く + ん; 市役所, 固定資産税, 世帯主 and 税金 are no verb
    form. A noun that starts inside a verb form and is only or mostly one never may: 死体 for したい, 解体
    for かいたい, 消火 for the しょうか of でしょうか."""
    return not any(inflecting) or (len(inflecting) >= LONG_READING
                                   and (sum(inflecting) <= MOSTLY * len(inflecting) or not inflecting[0]))


def spelled(words: Mapping[str, int]) -> dict[str, str]:
    """Reading → word for the words written with kanji or in katakana, of a readable length; of two words
    read alike (保険, 保健) the one more entries use, the first in sorted order on a tie."""
    splitter, uses, found = shared_splitter("A"), dict[str, int](), dict[str, str]()
    for word, count in sorted(words.items()):
        reading = splitter.reading(word)
        if (KANJI.search(word)
            or KATAKANA_WORD.fullmatch(word)) and MIN_READING <= len(reading) <= MAX_READING \
                and count > uses.get(reading, 0):
            found[reading], uses[reading] = word, count
    return found
