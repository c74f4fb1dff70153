"""LINE's own words (buttons, labels) in the resident's language; the answer text itself from the bot."""

from __future__ import annotations

from bot import Answer
from bot.multilingual.texts import TEXTS

JAPANESE = {"contact": "担当", "more": "くわしく見る", "helpful": "👍 解決した", "unhelpful": "👎 解決しない",
            "handoff": "担当者につなぐ", "voted_up": "ありがとうございます。",
            "voted_down": "お役に立てずすみません。「担当者と話したい」と送ると、担当者におつなぎします。"}


def labels(language: str) -> dict[str, str]:
    """Button and label texts for a language (Japanese unless the bot has that language)."""
    return TEXTS.get(language, JAPANESE) if language != "ja" else JAPANESE


def answer_body(reply: Answer) -> str:
    """The entry as the resident reads it: the translation, or the Japanese answer under its notice."""
    record = reply.record
    assert record is not None
    translated = record.translated(reply.answer_language) if reply.answer_language != "ja" else None
    if translated is not None:
        return translated[1]
    return f"{reply.notice}\n\n{record.answer}" if reply.notice else record.answer
