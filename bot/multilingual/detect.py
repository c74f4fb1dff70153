"""Which language a resident wrote in, cheaply for Japanese and offline for everything else.

Japanese questions must not pay for detection (the counter's daily traffic), so the script decides first:
any kana → Japanese, Hangul → Korean, kanji only → Chinese only when it has a word Japanese does not write
(怎么, 哪里, 丢了 …), else Japanese. Only Latin-script text goes to the py3langid model (English, Vietnamese,
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
    "[们么吗呢吧这哪没谁给让说该还对应样帮请问办开门丢钱块扔怎时间为从过个儿关须护诊费险疗证书补领杀经灾晕]")
LATIN_LANGUAGES = ("en", "vi", "pt")
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
    """English, Vietnamese or Portuguese by the bundled py3langid model (English when it is unsure)."""
    code, probability = _identifier().classify(text)
    return code if probability >= 0.5 else "en"


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
