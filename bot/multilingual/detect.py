"""Which language a resident wrote in, cheaply for Japanese and offline for everything else.

Japanese questions must not pay for detection (the counter's daily traffic), so the script decides first:
any kana → Japanese, Hangul → Korean, kanji only → Chinese only when it has a word Japanese does not write
(怎么, 哪里, 我想 …), else Japanese. Only Latin-script text goes to the py3langid model (English, Vietnamese,
Portuguese), which is loaded once, at the first such question.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any

from knowledge.languages import JAPANESE

KANA = re.compile(r"[\u3041-\u3096\u30a1-\u30fa\u30fc\uff66-\uff9d]")
HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3131-\u318e]")
HAN = re.compile(r"[\u3400-\u9fff]")
LATIN = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]")
CHINESE_ONLY = re.compile(
    "[们么吗呢吧这哪没谁给让说该还对应样帮请问办开门丢钱块扔怎时间为从过个儿关须护诊费险疗证书补领杀经灾晕谢你]"
    "|我想|客服")  # words, not characters: 我 and 想 alone are Japanese too
LATIN_LANGUAGES = ("en", "vi", "pt")
ROMAJI_WORD_SPLIT = re.compile(r"[a-z\u00c0-\u024f\u1e00-\u1eff]+")
ROMAJI_WORD = re.compile(r"(?:(?:[kgsztdnhbpmrfj]|ky|gy|sh|ch|ts|ny|hy|by|py|my|ry|[kstp](?=[kstp])|y|w)?"
                         r"[aiueo]|n(?![aiueoy]))+")
ROMAJI_MARKERS = frozenset({"wo", "ga", "ni", "no", "wa", "ha", "de", "desu", "masu", "tai", "shitai",
                            "kudasai", "itsu", "doko", "nani", "ikura", "dou", "doushitara", "dekimasu",
                            "desuka", "masuka"})
_load_lock = threading.Lock()


def detect_language(text: str) -> str:
    """The BCP-47 code of a question: ja, en, zh-Hans, ko, vi or pt (ja when unsure)."""
    if KANA.search(text):
        return JAPANESE
    if HANGUL.search(text):
        return "ko"
    if HAN.search(text):
        return "zh-Hans" if CHINESE_ONLY.search(text) else JAPANESE
    if len(LATIN.findall(text)) < 2:
        return JAPANESE
    return latin_language(text)


def latin_language(text: str) -> str:
    """English, Vietnamese or Portuguese by the bundled py3langid model (English when it is unsure). A
    Japanese sentence typed in romaji (「juminhyo wo toritai」) is answered in English: its vowels made the
    model say Portuguese, and the widget turned Portuguese."""
    if typed_in_romaji(text):
        return "en"
    code, probability = _identifier().classify(text)
    return code if probability >= 0.5 else "en"


def typed_in_romaji(text: str) -> bool:
    """Three words or more, nearly all spelt in Japanese syllables, one of them a particle or question
    word."""
    words = ROMAJI_WORD_SPLIT.findall(text.lower())
    syllabic = [w for w in words if ROMAJI_WORD.fullmatch(w)]
    return (len(words) >= 3 and len(syllabic) >= 0.8 * len(words)
            and any(w in ROMAJI_MARKERS for w in syllabic))


@lru_cache(maxsize=1)
def _identifier() -> Any:
    """The model ships inside the package (no download); loading takes a few seconds, once per process. Only
    the three Latin languages' columns are kept: py3langid holds on to all 97 languages' table (28 MB) so that
    `set_languages` can be called again, which madoguchi never does."""
    with _load_lock:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        identifier.set_languages(list(LATIN_LANGUAGES))
        identifier._full_model = (identifier.nb_ptc, identifier.nb_pc, identifier.nb_classes)
        return identifier
