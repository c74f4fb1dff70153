"""Which links an answer may carry: residents open them from the widget, LINE and the desk.

A `javascript:` or `data:` link in an FAQ would run or show whatever its author wrote on a city's
page, so only web pages, phone numbers and mail addresses are accepted wherever a link comes in.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

LINK_SCHEMES = ("http", "https", "tel", "mailto")


def is_allowed_link(text: str) -> bool:
    """True for an http(s) address with a host, or a tel:/mailto: with something after the colon."""
    if any(unicodedata.category(char) == "Cc" for char in text):
        return False
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        return bool(parts.netloc)
    return scheme in LINK_SCHEMES and bool(parts.path or (scheme == "tel" and parts.fragment))


def link_problem(text: str) -> str:
    """Why a link was refused, for a city's staff to fix it in their file."""
    return f"使えるリンクは {', '.join(LINK_SCHEMES)} だけです（書かれていた値: {text[:60]!r}）"
