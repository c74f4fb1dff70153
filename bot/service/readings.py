"""「ふりがな」 on LINE and Slack, which cannot show ruby: readings in parentheses after difficult words.

A resident asks by sending 「ふりがな」 (it toggles), or 「ふりがな つけて」/「ふりがな なし」 to choose;
LINE also offers it as a quick reply under each answer. The choice belongs to the conversation (on Slack: to
the person, since every message starts a new thread) and stays until changed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.furigana import furigana_for

if TYPE_CHECKING:
    from bot.answer import Answer
    from bot.service.city import City

ASK = "ふりがな"
ASK_OFF = "ふりがな なし"
_TOGGLE = re.compile(r"^(?:ふりがな|フリガナ|振り仮名|振仮名|よみがな|読み仮名)\s*(?:を|が)?\s*"
                     r"(?P<how>つけて|付けて|ください|ほしい|欲しい|オン|on|あり|有り|"
                     r"なし|無し|けして|消して|とって|取って|オフ|off|いらない|要らない|やめて|止めて)?"
                     r"\s*(?:ください|下さい)?[。.!！]?$", re.IGNORECASE)
_OFF = {"なし", "無し", "けして", "消して", "とって", "取って", "オフ", "off", "いらない", "要らない",
        "やめて", "止めて"}
TURNED_ON = ("ふりがなを つけます。むずかしい 言葉の あとに（よみかた）を 書きます。"
             "やめるときは「ふりがな なし」と 送ってください。")
TURNED_OFF = "ふりがなを やめました。また つけるときは「ふりがな」と 送ってください。"


def asked_for(text: str) -> str | None:
    """What a message asks of furigana: "on", "off", "switch" (「ふりがな」 alone), or None if nothing."""
    match = _TOGGLE.match(unicodedata.normalize("NFKC", text).strip().lower())
    if match is None:
        return None
    how = match.group("how")
    return "switch" if how is None else ("off" if how in _OFF else "on")


def toggle(ctx: City, key: str, channel: str, audience: str, text: str) -> str | None:
    """If the message asks for furigana on or off: remember it and return the confirmation to send."""
    asked = asked_for(text)
    if asked is None:
        return None
    wanted = (not ctx.readings.furigana(ctx.store, key)) if asked == "switch" else asked == "on"
    ctx.readings.set_furigana(ctx.store, key, channel, audience, wanted)
    return furigana_for(ctx.settings).parenthesised(TURNED_ON) if wanted else TURNED_OFF


def writer_for(ctx: City, key: str, reply: Answer | None = None) -> Callable[[str], str]:
    """How this conversation's texts are written: with readings in parentheses (asked for, or an answer only
    in Japanese under a question in another language), or as they are (a reply in another language)."""
    if reply is not None and reply.answer_language != "ja":
        return str  # readings of Japanese words put into Chinese text garbled it: 的（てき）复印件（けん）
    if not (reply is not None
            and japanese_for_a_foreign_reader(reply)) and not ctx.readings.furigana(ctx.store, key):
        return str
    return furigana_for(ctx.settings).parenthesised


def japanese_for_a_foreign_reader(reply: Answer) -> bool:
    """An entry nobody translated, answered in Japanese to a question in another language: readings always
    help."""
    return reply.language != "ja" and reply.answer_language == "ja" and reply.record is not None
