"""Messages answered without the index: greetings, thanks, and asking for a person."""

from __future__ import annotations

import re
from enum import StrEnum

from indexer.normalise import normalise_width


class Intent(StrEnum):
    """What a message is, before any search."""

    GREETING = "greeting"
    THANKS = "thanks"
    HUMAN = "human"
    QUESTION = "question"


_GREETING = re.compile(r"(こんにちは|こんにちわ|こんばんは|こんばんわ|おはよう(ございます)?|はじめまして|"
                       r"よろしく(お願いします)?|もしもし|hello|hi|hey|やあ|どうも)")
_THANKS = re.compile(r"(ありがとう(ございます|ございました)?|ありがと|助かりました|たすかりました|thanks?( "
                     r"you)?|thx|了解(です|しました)?|わかりました|分かりました|OK|ok)")
_HUMAN = re.compile(r"((人|ひと|人間|担当者?|職員|係の人|オペレーター|スタッフ)(と|に|へ)?(話|はな|相談|つな|"
                    r"繋|代わ|かわ|電話)|有人|人に聞きたい|電話で(話|相談)したい|talk to (a )?(person|human|"
                    r"staff)|human please)")
_LEFTOVER = re.compile(r"[\s、。!?!?…〜~ー・,.]+")


def recognise(text: str) -> Intent:
    """GREETING or THANKS only when nothing but the courtesy is said; HUMAN wherever it is asked for."""
    clean = normalise_width(text)
    if _HUMAN.search(clean):
        return Intent.HUMAN
    for intent, pattern in ((Intent.THANKS, _THANKS), (Intent.GREETING, _GREETING)):
        if clean and not _LEFTOVER.sub("", pattern.sub("", clean)):
            return intent
    return Intent.QUESTION
