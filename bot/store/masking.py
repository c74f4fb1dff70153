"""Masking personal data before storage: phone numbers, e-mail addresses, マイナンバー, card numbers, addresses.

Residents type these into chats ("折り返しは090-1234-5678に"), and a city must not keep them in logs.
Text is width-normalised first so that full-width digits (０９０…) are caught too.
"""

from __future__ import annotations

import re
import unicodedata

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("[メール]", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")),
    ("[カード番号]", re.compile(r"(?<!\d)(?:\d{4}[ -]?){3}\d{4}(?!\d)")),
    ("[個人番号]", re.compile(r"(?<!\d)\d{4}[ -]?\d{4}[ -]?\d{4}(?!\d)")),
    ("[電話番号]", re.compile(r"(?<!\d)(?:\+81[ -]?|0)\d{1,4}[ -]?\(?\d{1,4}\)?[ -]?\d{3,4}(?!\d)")),
    ("[住所]", re.compile(r"(?:[一-龥ぁ-んァ-ン]{1,6}[都道府県])?[一-龥ぁ-んァ-ン]{1,8}[市区町村]?[一-龥ぁ-んァ-ン]{0,8}"
                         r"(?:\d+丁目\d+番(?:地)?\d*(?:号)?|\d+-\d+(?:-\d+)?)")),
)


def mask_personal_data(text: str) -> str:
    """The text with personal data replaced by labels such as [電話番号]."""
    masked = unicodedata.normalize("NFKC", text)
    for label, pattern in _PATTERNS:
        masked = pattern.sub(label, masked)
    return masked
