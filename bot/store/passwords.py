"""What a desk password must be: long enough and not one that is guessed first.

Desk accounts open residents' conversations and contact details, so a password of one repeated
character, a run like 123456789012, a repeated pattern, the user's own name or a common password
with digits around it is refused, with the reason in Japanese (English in brackets for logs).
"""

from __future__ import annotations

import re
import unicodedata
from itertools import pairwise

from knowledge.core.errors import RequestError

MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1024
MIN_DISTINCT_CHARS = 6
_RUNS = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiopasdfghjklzxcvbnm",
         "1qaz2wsx3edc4rfv5tgb6yhn7ujm")
COMMON_WORDS = ("password", "passw0rd", "p@ssword", "p@ssw0rd", "pass", "qwerty", "admin", "administrator",
                "welcome", "letmein", "changeme", "iloveyou", "secret", "login", "master", "root", "test",
                "user", "guest", "desk", "madoguchi", "sunshine", "dragon", "monkey", "football", "baseball",
                "princess", "abc", "aaa", "xyz", "pw", "mypassword", "default", "shiyakusho", "yakuba",
                "kurashi")
_FILLER = re.compile(r"[\W\d_]+")


def check_password(password: str, username: str = "") -> None:
    """RequestError saying why a password is too easy to guess; silent when it will do."""
    if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
        raise RequestError(f"パスワードは {MIN_PASSWORD_CHARS} 文字以上にしてください "
                           f"(password must be {MIN_PASSWORD_CHARS}–{MAX_PASSWORD_CHARS} characters)")
    folded = unicodedata.normalize("NFKC", password).casefold()
    reason = _weakness(folded, unicodedata.normalize("NFKC", username).casefold())
    if reason:
        raise RequestError(f"このパスワードは推測されやすいので使えません: {reason}")


def _weakness(folded: str, username: str) -> str:
    """Why the (NFKC, case-folded) password is weak, or "" when it is not."""
    distinct = len(set(folded))
    if distinct == 1:
        return "同じ文字の繰り返しです (one repeated character)"
    if _repeats(folded):
        return "同じ並びの繰り返しです (a repeated pattern)"
    if _is_run(folded):
        return "123456… や abcdef… のような並びです (a simple sequence)"
    if distinct < MIN_DISTINCT_CHARS:
        return (f"使っている文字が {distinct} 種類だけです。{MIN_DISTINCT_CHARS} 種類以上にしてください "
                "(too few distinct characters)")
    if len(username) >= 3 and username in folded:
        return "ユーザー名を含んでいます (contains the user name)"
    if _is_common(folded):
        return "よく使われるパスワードに数字や記号を足しただけです (a common password)"
    return ""


def _repeats(text: str) -> bool:
    """abcabcabcabc: the whole password is one short unit said again and again."""
    return any(text == (text[:size] * (len(text) // size + 1))[: len(text)]
               for size in range(1, len(text) // 2 + 1))


def _is_run(text: str) -> bool:
    """123456789012, abcdefghijkl, lkjhgfdsa…: each character follows the last along one row, either way."""
    for run in _RUNS:
        for row in (run, run[::-1]):
            if all(char in row for char in text):
                places = [row.index(char) for char in text]
                if all((b - a) % len(row) == 1 for a, b in pairwise(places)):
                    return True
    return False


def _is_common(text: str) -> bool:
    """password2026!, admin-admin-12: nothing left once common words, digits and symbols are taken out."""
    rest = text
    for word in sorted(COMMON_WORDS, key=len, reverse=True):
        rest = rest.replace(word, "")
    return rest != text and not _FILLER.sub("", rest)
