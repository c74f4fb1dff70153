"""Masking personal data before storage: phone numbers, e-mail addresses, マイナンバー, card numbers,
postal codes and addresses.

Residents type these into chats the way Japanese input methods give them: full-width digits
(０９０…), 「ー」 or −, ‐, – between the groups, 「一丁目」 in kanji, a phone number in kanji digits. The text
is width-normalised and such numerals are turned into digits first; the patterns accept any of those
separators.
"""

from __future__ import annotations

import re
import unicodedata

_DASH = r"[-‐‑‒–—―−ー]"
_SEP = rf"(?:\s*{_DASH}\s*|[.・/〜~_]|\s)"  # between digit groups: a dash, dot, slash, 〜 or space
_KANJI_DIGITS = str.maketrans("〇一二三四五六七八九", "0123456789")
_KANJI_NUMBER = re.compile(r"[〇一二三四五六七八九十]+(?=丁目|番|号)")
# ten or more kanji digits: 〇九〇ー一二三四ー五六七八
_KANJI_DIGIT_RUN = re.compile(rf"[〇一二三四五六七八九](?:{_SEP}?[〇一二三四五六七八九]){{9,}}")
_PLACE = r"[一-龥ぁ-んァ-ヶー]"

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("[メール]", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")),
    ("[カード番号]", re.compile(rf"(?<![\d.])\d(?:{_SEP}?\d){{13,18}}(?![\d])")),
    ("[個人番号]", re.compile(rf"(?<![\d.])\d{{4}}{_SEP}?\d{{4}}{_SEP}?\d{{4}}(?!\d)")),
    ("[電話番号]", re.compile(rf"(?<![\d.])(?:\+81{_SEP}?\(?|\(?0)\d{{1,4}}\)?\s*{_SEP}?"
                             rf"\(?\d{{1,4}}\)?{_SEP}?\d{{3,4}}(?!\d)")),
    ("[郵便番号]", re.compile(rf"(?:〒\s*\d{{3}}{_SEP}?\d{{4}}|(?<![\d.:])\d{{3}}{_DASH}\d{{4}})(?!\d)")),
    # after 〒, 郵便 or 郵便番号 with a colon or は between, and seven digits in a row there
    ("[郵便番号]", re.compile(rf"(?<=[〒便号])\s*(?::|は)?\s*〒?\s*\d{{3}}{_SEP}?\d{{4}}(?!\d)")),
    ("[住所]", re.compile(rf"(?:{_PLACE}{{1,6}}[都道府県])?{_PLACE}{{0,8}}"
                         rf"(?:\d+丁目(?:\d+(?:番地?|{_DASH}))*\d*号?|\d+(?:{_DASH}\d+){{2}}|(?<=[町村区市])\d+{_DASH}\d+)"
                         rf"(?:\s*[^\s\d。、]{{0,12}}\d+号室)?")),
    ("[住所]", re.compile(r"[^\s\d。、]{0,12}\d+号室")),
)


def prepare(text: str) -> str:
    """Width-normalised and without invisible format characters (a zero-width space or soft hyphen copied
    from a web page between the groups of a number; bidi controls that turn text around on the desk), with
    the kanji numerals of 丁目・番・号 as digits (二丁目十番 → 2丁目10番), and runs of ten or more kanji
    digits (a phone, card or マイナンバー number written in kanji) as digits."""
    visible = "".join(char for char in text if unicodedata.category(char) != "Cf")
    text = _KANJI_DIGIT_RUN.sub(lambda found: found.group().translate(_KANJI_DIGITS),
                                unicodedata.normalize("NFKC", visible))
    return _KANJI_NUMBER.sub(lambda found: _kanji_number(found.group()), text)


def _kanji_number(kanji: str) -> str:
    """一 … 九十九 as digits; 十 alone is 10, 二十 is 20, 十五 is 15."""
    if "十" not in kanji:
        return kanji.translate(_KANJI_DIGITS)
    tens, _, ones = kanji.partition("十")
    return str(int(tens.translate(_KANJI_DIGITS) or 1) * 10 + int(ones.translate(_KANJI_DIGITS) or 0))


def with_personal_data_masked(text: str) -> str:
    """The text as written when it holds no personal data, else masked: for text that is searched as typed
    (a learned paraphrase), where `prepare`'s folding of widths and kanji numbers must not change the rest."""
    masked = mask_personal_data(text)
    return text if masked == prepare(text) else masked


def mask_personal_data(text: str) -> str:
    """The text with personal data replaced by labels such as [電話番号]."""
    masked = prepare(text)
    for label, pattern in _PATTERNS:
        masked = pattern.sub(label, masked)
    return masked
