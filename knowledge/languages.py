"""The languages an FAQ table may carry translations in, and the columns that hold them.

A city writes `question_en` / `answer_en` (or 「質問（英語）」 / 「回答（英語）」) beside its Japanese text;
each language has a BCP-47 code (the API's `language`) and a short column suffix.
"""

from __future__ import annotations

from knowledge.fields import FIELD_LABELS

LANGUAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    # code: (column suffix, names a Japanese header may use)
    "en": ("en", ("英語", "english")),
    "zh-Hans": ("zh", ("中国語", "中国語簡体字", "簡体字", "chinese", "zh-hans")),
    "ko": ("ko", ("韓国語", "韓国・朝鮮語", "朝鮮語", "korean")),
    "vi": ("vi", ("ベトナム語", "vietnamese")),
    "pt": ("pt", ("ポルトガル語", "portuguese")),
}
JAPANESE = "ja"
NAMES = {"ja": "日本語", "en": "English", "zh-Hans": "简体中文", "ko": "한국어", "vi": "Tiếng Việt",
         "pt": "Português"}


def translation_column(kind: str, code: str) -> str:
    """question_en, answer_zh …: the canonical column of one field in one language."""
    return f"{kind}_{LANGUAGES[code][0]}"


def _aliases(kind: str, japanese: str, code: str) -> tuple[str, ...]:
    suffix, names = LANGUAGES[code]
    spelled = (f"{kind}_{suffix}", f"{kind}_{code}", f"{kind}-{suffix}", f"{kind}({suffix})")
    return (*spelled, *(f"{japanese}（{name}）" for name in names),
            *(f"{japanese}({name})" for name in names))


TRANSLATION_ALIASES: dict[str, tuple[str, ...]] = {
    translation_column(kind, code): _aliases(kind, japanese, code)
    for code in LANGUAGES
    for kind, japanese in ((kind, FIELD_LABELS[kind]) for kind in ("question", "answer"))
}
