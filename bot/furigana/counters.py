"""How a number with its counter is read: 1通 いっつう, 3日 みっか, 20日 はつか, 4月 しがつ, 3本 さんぼん.

Sudachi reads numbers digit by digit (14 イチヨン) and misses the sound changes counters cause
(20日 ニチ instead of はつか), so number + counter is read here, from the number's value and rules for
the counter: the irregular days and people, and the small sound change (いち → いっ) or voicing
(さん + ほん → さんぼん) that the counter's first sound brings.
"""

from __future__ import annotations

import re
from typing import NamedTuple

DIGITS = ("", "いち", "に", "さん", "よん", "ご", "ろく", "なな", "はち", "きゅう")
DAYS = {1: "ついたち", 2: "ふつか", 3: "みっか", 4: "よっか", 5: "いつか", 6: "むいか", 7: "なのか",
        8: "ようか", 9: "ここのか", 10: "とおか", 14: "じゅうよっか", 20: "はつか", 24: "にじゅうよっか"}
HUNDREDS = {3: "さんびゃく", 6: "ろっぴゃく", 8: "はっぴゃく"}
THOUSANDS = {3: "さんぜん", 8: "はっせん"}
SMALL_TSU = {"いち": "いっ", "ろく": "ろっ", "はち": "はっ", "じゅう": "じゅっ", "ひゃく": "ひゃっ"}
VOICED = str.maketrans("はひふへほ", "ばびぶべぼ")
HALF_VOICED = str.maketrans("はひふへほ", "ぱぴぷぺぽ")


class Counter(NamedTuple):
    """A counter's plain reading, which sound change its first sound brings, and readings that differ."""

    reading: str
    sound: str = ""  # "k" か行, "s" さ行, "t" た行, "h" は行 (3本 さんぼん, 1分 いっぷん), "" none
    four: str = "よん"  # how a final 4 is said before it (4人 よにん, 4円 よえん)
    special: tuple[tuple[int, str], ...] = ()


COUNTERS: dict[str, Counter] = {
    "通": Counter("つう", "t"), "回": Counter("かい", "k"), "か月": Counter("かげつ", "k"),
    "ヶ月": Counter("かげつ", "k"), "カ月": Counter("かげつ", "k"), "ケ月": Counter("かげつ", "k"),
    "箇月": Counter("かげつ", "k"), "か所": Counter("かしょ", "k"), "カ所": Counter("かしょ", "k"),
    "箇所": Counter("かしょ", "k"), "件": Counter("けん", "k"), "個": Counter("こ", "k"),
    "階": Counter("かい", "k", special=((3, "さんがい"),)),
    "歳": Counter("さい", "s", special=((20, "はたち"),)),
    "歳児": Counter("さいじ", "s"), "才": Counter("さい", "s"), "冊": Counter("さつ", "s"),
    "週": Counter("しゅう", "s"), "週間": Counter("しゅうかん", "s"), "世帯": Counter("せたい", "s"),
    "種類": Counter("しゅるい", "s"), "丁目": Counter("ちょうめ", "t"), "点": Counter("てん", "t"),
    "本": Counter("ほん", "h"), "分": Counter("ふん", "h"), "泊": Counter("はく", "h"),
    "杯": Counter("はい", "h"),
    "人": Counter("にん", four="よ", special=((1, "ひとり"), (2, "ふたり"))),
    "円": Counter("えん", four="よ"),
    "年": Counter("ねん", four="よ"), "年間": Counter("ねんかん", four="よ"),
    "年度": Counter("ねんど", four="よ"),
    "年生": Counter("ねんせい", four="よ"),
    "時": Counter("じ", four="よ", special=((7, "しちじ"), (9, "くじ"))),
    "時間": Counter("じかん", four="よ", special=((9, "くじかん"),)),
    "月": Counter("がつ", four="し", special=((7, "しちがつ"), (9, "くがつ"))),
    "枚": Counter("まい"), "名": Counter("めい"), "番": Counter("ばん"), "番地": Counter("ばんち"),
    "号": Counter("ごう"), "号室": Counter("ごうしつ"), "倍": Counter("ばい"), "台": Counter("だい"),
    "部": Counter("ぶ"), "割": Counter("わり"), "度": Counter("ど"), "万円": Counter("まんえん"),
    "千円": Counter("せんえん"), "日": Counter("にち"), "日間": Counter("にち"), "日目": Counter("にち"),
}
DAY_SUFFIX = {"日": "", "日間": "かん", "日目": "め"}
COUNTER_PATTERN = re.compile("(" + "|".join(sorted(map(re.escape, COUNTERS), key=len, reverse=True)) + ")")


def _below_ten_thousand(n: int) -> list[str]:
    """Parts of 1–9999 (さん, びゃく…), so a counter can change the last one."""
    parts: list[str] = []
    thousands, hundreds, tens, ones = n // 1000, n // 100 % 10, n // 10 % 10, n % 10
    if thousands:
        parts.append(THOUSANDS.get(thousands, ("" if thousands == 1 else DIGITS[thousands]) + "せん"))
    if hundreds:
        parts.append(HUNDREDS.get(hundreds, ("" if hundreds == 1 else DIGITS[hundreds]) + "ひゃく"))
    if tens:
        parts.extend(([] if tens == 1 else [DIGITS[tens]]) + ["じゅう"])
    if ones:
        parts.append(DIGITS[ones])
    return parts


def number_parts(n: int) -> list[str]:
    """A whole number as reading parts: 1500 → せん, ご, ひゃく; 0 → ぜろ."""
    if n == 0:
        return ["ぜろ"]
    parts: list[str] = []
    for unit, name in ((10**8, "おく"), (10**4, "まん")):
        if n >= unit:
            parts.extend([*_below_ten_thousand(n // unit), name])
            n %= unit
    return parts + _below_ten_thousand(n)


def number_reading(n: int) -> str:
    """A whole number as said on its own: 14 じゅうよん, 300 さんびゃく."""
    return "".join(number_parts(n))


def _sound_change(parts: list[str], counter: Counter) -> str:
    """The number's last part and the counter's first sound as they meet: いっ+つう, さん+ぼん, よ+にん."""
    *head, last = parts
    reading = counter.reading
    if last == "よん":
        last = counter.four
    if counter.sound and last in SMALL_TSU and (counter.sound in "kh" or last != "ろく"):
        last = SMALL_TSU[last]
        reading = reading.translate(HALF_VOICED) if counter.sound == "h" else reading
    elif counter.sound == "h" and last == "さん":
        reading = reading.translate(VOICED if counter.reading in ("ほん", "はい") else HALF_VOICED)
    elif counter.sound == "h" and last == "よん" and counter.reading == "ふん":
        reading = reading.translate(HALF_VOICED)
    return "".join(head) + last + reading


def day_reading(n: int, counter: str, date_context: bool) -> str:
    """日 (and 日間, 日目): 3日 みっか, 20日 はつか, 1日 ついたち on a date and いちにち as a length."""
    suffix = DAY_SUFFIX[counter]
    if n == 1 and not (date_context and counter == "日"):
        return "いちにち" + suffix
    if n in DAYS:
        return DAYS[n] + suffix
    parts = number_parts(n)
    last = {"よん": "よっか", "なな": "しち", "きゅう": "く"}.get(parts[-1], parts[-1])
    return "".join(parts[:-1]) + last + ("" if last == "よっか" else "にち") + suffix


def counted_reading(n: int, counter: str, date_context: bool = False) -> str | None:
    """How `n` + `counter` is read, or None when `counter` is not a counter madoguchi knows."""
    if counter in DAY_SUFFIX:
        return day_reading(n, counter, date_context)
    known = COUNTERS.get(counter)
    if known is None:
        return None
    special = dict(known.special)
    if n in special:
        return special[n]
    return _sound_change(number_parts(n), known)
