"""Japanese words typed in romaji inside a foreign-language question (「juminhyo」, 「kokumin kenko hoken」).

Residents learn the counter's words as they hear them and type them without long vowels. Both sides are
brought to one loose spelling (Hepburn, no long vowels, no doubled consonants): the city's words from their
Sudachi readings, the question's words as typed, so じゅうみんひょう, juuminhyou and juminhyo meet.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

_DIGRAPHS = {
    "キャ": "kya", "キュ": "kyu", "キョ": "kyo", "シャ": "sha", "シュ": "shu", "ショ": "sho", "チャ": "cha",
    "チュ": "chu", "チョ": "cho", "ニャ": "nya", "ニュ": "nyu", "ニョ": "nyo", "ヒャ": "hya", "ヒュ": "hyu",
    "ヒョ": "hyo", "ミャ": "mya", "ミュ": "myu", "ミョ": "myo", "リャ": "rya", "リュ": "ryu", "リョ": "ryo",
    "ギャ": "gya", "ギュ": "gyu", "ギョ": "gyo", "ジャ": "ja", "ジュ": "ju", "ジョ": "jo", "ビャ": "bya",
    "ビュ": "byu", "ビョ": "byo", "ピャ": "pya", "ピュ": "pyu", "ピョ": "pyo", "ジェ": "je", "シェ": "she",
    "チェ": "che", "ファ": "fa", "フィ": "fi", "フェ": "fe", "フォ": "fo", "ティ": "ti", "ディ": "di",
}
_ROWS = ("ア a イ i ウ u エ e オ o カ ka キ ki ク ku ケ ke コ ko サ sa シ shi ス su セ se ソ so タ ta チ chi "
         "ツ tsu テ te ト to ナ na ニ ni ヌ nu ネ ne ノ no ハ ha ヒ hi フ fu ヘ he ホ ho マ ma ミ mi ム mu "
         "メ me モ mo ヤ ya ユ yu ヨ yo ラ ra リ ri ル ru レ re ロ ro ワ wa ヲ o ン n ガ ga ギ gi グ gu ゲ "
         "ge ゴ go ザ za ジ ji ズ zu ゼ ze ゾ zo ダ da ヂ ji ヅ zu デ de ド do バ ba ビ bi ブ bu ベ be ボ bo "
         "パ pa ピ pi プ pu ペ pe ポ po ァ a ィ i ゥ u ェ e ォ o ャ ya ュ yu ョ yo ヴ vu")
_MONOGRAPHS = dict(zip(_ROWS.split()[::2], _ROWS.split()[1::2], strict=True))
_KUNREI = (("sy", "sh"), ("si", "shi"), ("ty", "ch"), ("ti", "chi"), ("tu", "tsu"), ("hu", "fu"), ("zy", "j"),
           ("jy", "j"), ("zi", "ji"), ("dj", "j"))
_NOT_LETTER = re.compile(r"[^a-z]")
MIN_LOOSE = 5  # shorter romaji (kaki, hoken is 5) matches English words by chance


def hepburn(katakana: str) -> str:
    """A katakana reading in Hepburn romaji (ッ doubles the next consonant, ー is dropped)."""
    out, i = [], 0
    while i < len(katakana):
        pair = katakana[i:i + 2]
        step = 2 if pair in _DIGRAPHS else 1
        out.append(_DIGRAPHS[pair] if step == 2 else _MONOGRAPHS.get(katakana[i], ""))  # ッ, ー: nothing
        i += step
    return "".join(out)


def loose(romaji: str) -> str:
    """One spelling for every way of typing a word: Hepburn, long vowels and doubled consonants collapsed."""
    text = _NOT_LETTER.sub("", unicodedata.normalize("NFKD", romaji.lower()))
    for kunrei, hep in _KUNREI:
        text = re.sub(f"{kunrei}(?!{hep[len(kunrei):]})" if hep.startswith(kunrei) else kunrei, hep, text)
    text = re.sub(r"m(?=[bpm])", "n", text)
    text = re.sub(r"(?<=[ou])u|(?<=o)o|(?<=a)a|(?<=i)i|(?<=e)e", "", text)
    return re.sub(r"([bcdfghjkmnprstvwz])\1", r"\1", text)


class RomajiReader:
    """Loose romaji → the city's word, from the readings of the words its entries use."""

    def __init__(self, readings: Mapping[str, str]) -> None:
        """`readings`: katakana reading → the city's word (indexer.kana.KanaReadings.words)."""
        self.words: dict[str, str] = {}
        for reading, word in readings.items():
            key = loose(hepburn(reading))
            if len(key) >= MIN_LOOSE:
                self.words.setdefault(key, word)

    def read(self, words: list[str], english: frozenset[str] = frozenset()) -> list[tuple[int, int, str]]:
        """(first, end, city word) for runs of up to three typed words that spell a city word, longest first;
        a single word that is also an English word (`english`) is left to the dictionary."""
        found: list[tuple[int, int, str]] = []
        start = 0
        while start < len(words):
            for end in range(min(len(words), start + 3), start, -1):
                word = self.words.get(loose("".join(words[start:end])))
                if word and not (end - start == 1 and words[start].lower() in english):
                    found.append((start, end, word))
                    start = end - 1
                    break
            start += 1
        return found
