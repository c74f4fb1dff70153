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
         "1qaz2wsx3edc4rfv5tgb6yhn7ujm", "1q2w3e4r5t6y7u8i9o0p", "q1w2e3r4t5y6u7i8o9p0",
         "zaq12wsxcde34rfvbgt56yhnmju78ik,.lo90p;/")  # rows, columns and zigzags of the keyboard
MIN_RUN = 6
MAX_ADDED = 2  # letters or digits around a run: qwertyuiop12, aa123456789!
COMMON_WORDS = ("password", "passw0rd", "p@ssword", "p@ssw0rd", "pass", "qwerty", "admin", "administrator",
                "welcome", "letmein", "changeme", "iloveyou", "secret", "login", "master", "root", "test",
                "user", "guest", "desk", "madoguchi", "sunshine", "dragon", "monkey", "football", "baseball",
                "princess", "abc", "aaa", "xyz", "pw", "mypassword", "default", "shiyakusho", "yakuba",
                "kurashi")
_FILLER = re.compile(r"[\W\d_]+")
_SYMBOLS = re.compile(r"[\W_]+")


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
    if _mostly_run(folded):
        return "キーボードや数字の並びに数文字を足しただけです (a sequence with a few characters added)"
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


def _mostly_run(text: str) -> bool:
    """qwertyuiop12, 1q2w3e4r5t6y, aa123456789!: a run of six or more along one row, and at most two letters
    or digits besides."""
    start, end = _longest_run(text)
    besides = _SYMBOLS.sub("", text[:start] + text[end:])
    return end - start >= MIN_RUN and len(besides) <= MAX_ADDED


def _longest_run(text: str) -> tuple[int, int]:
    """Where the longest piece of the text that steps along one row (either way) starts and ends."""
    best = (0, 0)
    for run in _RUNS:
        for row in (run, run[::-1]):
            start = 0
            for end in range(1, len(text) + 1):
                if end == len(text) or not _steps(row, text[end - 1], text[end]):
                    best = max(best, (start, end), key=lambda span: span[1] - span[0])
                    start = end
    return best


def _steps(row: str, before: str, after: str) -> bool:
    return before in row and after in row and (row.index(after) - row.index(before)) % len(row) == 1


def _is_common(text: str) -> bool:
    """password2026!, admin-admin-12: nothing left once common words, digits and symbols are taken out."""
    rest = text
    for word in sorted(COMMON_WORDS, key=len, reverse=True):
        rest = rest.replace(word, "")
    return rest != text and not _FILLER.sub("", rest)
