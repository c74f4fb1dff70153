"""Japanese text → search terms: Unicode and width normalisation, Sudachi normalised forms,
function words and polite filler removed, synonym groups added.

「引越しの手続きを教えてください」 and 「引っ越し 手続き」 give the same terms.
"""

from __future__ import annotations

import ctypes
import re
import unicodedata
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

from indexer.sudachi import CONTENT_POS, Morph, SudachiSplitter, forget_lines, shared_splitter
from indexer.synonyms import SynonymTable

FILLER_LEMMAS = frozenset({
    "する", "為る", "ある", "有る", "在る", "いる", "居る", "なる", "成る", "できる", "出来る", "くださる",
    "下さる",
    "いただく", "頂く", "教える", "知る", "思う", "おる", "言う", "いう", "こと", "事", "もの", "物", "ため",
    "為",
    "よう", "様", "ところ", "所", "など", "等", "ほしい", "欲しい", "いい", "良い", "よい", "お", "ご", "御",
    "さん", "どう", "ちょっと", "すみません", "済む", "ね", "よ", "的", "ん", "の", "そう", "ちゃう",
    "しまう", "仕舞う", "おく", "置く", "くる", "来る", "いく", "行く", "みる", "見る", "もらう", "貰う",
    "くれる", "呉れる",
    "たい", "かた", "方", "方法", "場合", "際", "時", "つく", "付く", "関する", "おいて", "於く",
})
NEGATIONS = frozenset({"ない", "無い", "ぬ", "ず"})
NORMALISER_VERSION = "2"
READING_MARK = "≈"
KANA_SHIFT = 0x60  # ア − あ: the two syllabaries in the same order
_SPACES = re.compile(r"\s+")
_WIDE_RUN = re.compile("[\uff01-\uff5e\u3000]+")  # full-width ASCII (！ to ～) and the ideographic space
_WIDE_TO_ASCII = str.maketrans({chr(wide): chr(wide - 0xFEE0) for wide in range(0xFF01, 0xFF5F)}
                               | {"\u3000": " "})
# the labels the conversation store writes for personal data (bot/store/masking.py): a stored question
# that becomes a paraphrase must not make 住所 or 電話番号 one of its words
MASKED = re.compile(r"\[(?:メール|カード番号|個人番号|電話番号|郵便番号|住所)\]")
# set phrases of politeness around a question: their words (すむ + ない of すみません) are no search
# words, and the negation would make a polite question a negative one
COURTESY = re.compile(
    r"(?:すみません|すいません|済みません|申し訳(?:ない|ありません|ございません)(?:ん|の)?(?:です)?|恐れ入ります|"
    r"おそれいります|恐縮(?:です)?|お忙しい(?:ところ|中))(?:が|けど|けれど|けれども)?|"
    r"(?:どうぞ)?(?:よろしく|宜しく)(?:お願い|おねがい)(?:いた|致)?(?:します|いたします|申し上げます)|"
    r"ありがとう(?:ございます|ございました)?|失礼(?:します|いたします)|ごめんなさい|"
    r"お世話になって(?:おります|います)|お世話になります")
# a dash typed for the long vowel mark inside a katakana word (マイナンバーカ－ド)
KATAKANA_DASH = re.compile(r"(?<=[\u30a1-\u30fa\u30fc])[-\u2010-\u2015\u2212\uff0d]"
                           r"(?=[\u30a1-\u30fa]|$|[\s、。をのがはにでと])")
CACHE_TEXTS = 16_384  # a build's texts (3,571 in a real city) and its vocabulary (7,000 words) together


@lru_cache(maxsize=CACHE_TEXTS)
def normalise_width(text: str) -> str:
    """NFKC (全角英数→半角, 半角カナ→全角), lower-case Latin, one space between words; lone surrogates become
    '?'; the labels of masked personal data ([住所]) dropped. Cached: a build asks for each text three times
    (terms, reading, vector), an answer for its question twice."""
    valid = text.encode("utf-8", "replace").decode("utf-8")
    return _SPACES.sub(" ", MASKED.sub(" ", nfkc(valid))).strip().lower()


def plain_question(text: str) -> str:
    """A question as search reads it: without the set phrases of politeness around it (「すみません、」
    「よろしくお願いします」), and with a dash typed inside a katakana word read as ー. A question that is
    nothing but politeness is left as it is."""
    plain = COURTESY.sub(" ", KATAKANA_DASH.sub("ー", text)).strip(" 、,。.!！")
    return plain or text


def katakana(text: str) -> str:
    """Hiragana shifted to katakana, one character for one, so positions stay aligned."""
    return "".join(chr(ord(c) + KANA_SHIFT) if "\u3041" <= c <= "\u3096" else c for c in text)


def hiragana(text: str) -> str:
    """Katakana shifted to hiragana, one character for one (ー and the katakana-only ヷ–ヺ kept)."""
    return "".join(chr(ord(c) - KANA_SHIFT) if "\u30a1" <= c <= "\u30f6" else c for c in text)


def nfkc(text: str) -> str:
    """`unicodedata.normalize("NFKC", text)`, faster for Japanese text. Python composes a text that is not in
    NFKC character by character (a fifth of a real city's Sudachi time again), and most entries are not only
    because of full-width letters, digits and the ideographic space. Those decompose to one ASCII character
    each, so writing them as that character first leaves the NFKC form unchanged, and what remains is usually
    already normalised (3,567 of a real city's 3,572 texts), which a quick check tells."""
    narrow = _WIDE_RUN.sub(_narrowed, text)
    return narrow if unicodedata.is_normalized("NFKC", narrow) else unicodedata.normalize("NFKC", narrow)


def _narrowed(run: re.Match[str]) -> str:
    return run.group().translate(_WIDE_TO_ASCII)


def forget_build_texts() -> None:
    """After a build: drop the texts and parsed lines it left in the caches and give the freed heap back to
    the system. A server that builds (first start, a publish from the desk) keeps serving in the same
    process, and a real city's build leaves tens of MB there that answering never reads."""
    normalise_width.cache_clear()
    forget_lines()
    with suppress(AttributeError, OSError):
        # glibc keeps freed heap otherwise; elsewhere there is nothing to trim
        ctypes.CDLL(None).malloc_trim(0)


@dataclass(frozen=True, slots=True)
class NormalisedText:
    """A text as search sees it: the cleaned text, its content terms and the synonym groups they hit."""

    text: str
    terms: tuple[str, ...]
    synonyms: tuple[tuple[str, str], ...] = ()

    @property
    def search_terms(self) -> list[str]:
        """What goes into BM25: content terms plus synonym group terms."""
        return [*self.terms, *(group for group, _ in self.synonyms)]


class TextNormaliser:
    """Cheap to construct; `warm_up()` loads the Sudachi dictionary and the synonym files."""

    def __init__(self, split_mode: str = "A", synonym_files: list[Path] | None = None,
                 remember_in: Path | None = None) -> None:
        """`remember_in`: a folder where the synonym headwords' terms are kept for the next process."""
        if split_mode not in ("A", "B", "C"):
            raise ValueError(f"split_mode must be A, B or C, got {split_mode!r}")
        self.split_mode = split_mode
        self.synonym_files = list(synonym_files or [])
        self.remember_in = remember_in
        self._splitter: SudachiSplitter | None = None
        self.synonyms = SynonymTable()

    def warm_up(self) -> TextNormaliser:
        """Load Sudachi and the synonym table; safe to call twice."""
        if self._splitter is None:
            self._splitter = shared_splitter(self.split_mode)
            self.synonyms = SynonymTable.from_files(self.synonym_files, self.content_terms,
                                                    self._remembered())
        return self

    def _remembered(self) -> Path | None:
        """The file of synonym terms for this split mode, dictionary, Sudachi and normaliser."""
        if self.remember_in is None:
            return None
        made_by = (f"{self.split_mode}-{version('sudachidict-core')}-{version('sudachipy')}-"
                   f"{NORMALISER_VERSION}")
        return self.remember_in / f"synonym-terms-{made_by}.json"

    def content_terms(self, text: str) -> list[str]:
        """Normalised forms of the content words of a width-normalised text."""
        splitter = self._splitter or self.warm_up()._splitter
        assert splitter is not None
        terms: list[str] = []
        fine = self.split_mode != "C"
        for unit in splitter.units(text):
            for morph in (unit.parts or (unit.whole,)) if fine else (unit.whole,):  # Unit.in_mode, inlined
                if morph.pos in CONTENT_POS and morph.lemma not in FILLER_LEMMAS and morph.lemma.strip():
                    terms.append(morph.lemma)
                elif morph.lemma in NEGATIONS:
                    terms.append("ない")  # 燃えないごみ is not 燃えるごみ
        return terms

    def morphs(self, text: str) -> list[Morph]:
        """The text's content words and auxiliaries as Sudachi's long units, in order (indexer/polarity.py
        reads 払え|ない from them)."""
        splitter = self._splitter or self.warm_up()._splitter
        assert splitter is not None
        return [unit.whole for unit in splitter.units(normalise_width(text))]

    def reading_grams(self, text: str) -> list[str]:
        """Character bigrams of the text's reading, so kana-only typing (いんかんとうろく) meets kanji
        (印鑑登録)."""
        splitter = self._splitter or self.warm_up()._splitter
        assert splitter is not None
        reading = splitter.reading(normalise_width(text))
        return [f"{READING_MARK}{reading[i:i + 2]}" for i in range(len(reading) - 1)]

    def run(self, text: str) -> NormalisedText:
        """The terms and synonym groups of one text."""
        clean = normalise_width(text)
        terms = self.content_terms(clean)
        return NormalisedText(clean, tuple(terms), tuple(self.synonyms.expand(terms)))

    def config(self) -> dict[str, str]:
        """Everything that changes the terms; an index built with other values must be rebuilt."""
        return {
            "normaliser_version": NORMALISER_VERSION, "split_mode": self.split_mode,
            "sudachidict_core": version("sudachidict-core"), "synonyms": self.synonyms.fingerprint,
        }
