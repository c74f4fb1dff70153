"""Messages answered without the index: greetings, thanks, and asking for a person.

Greetings and thanks are recognised in Japanese and in the languages the bot answers (English, Chinese,
Korean, Vietnamese, Portuguese): 「谢谢」 is all kanji, so it is read as Japanese, and must not be
searched for and handed to a person."""

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


# matched on normalise_width's text (NFKC, lower case, one space between words), one line a language
_GREETING = re.compile("(" + "|".join([
    r"こんにちは|こんにちわ|こんばんは|こんばんわ|おはよう(ございます)?|はじめまして|よろしく(お願いします)?",
    r"もしもし|やあ|どうも",
    r"hello|hi|hey|good (morning|afternoon|evening)",
    r"你好|您好",
    r"안녕하세요|안녕하십니까|안녕",
    r"xin ch[aà]o|ch[aà]o b[aạ]n",
    r"ol[aá]|oi|bom dia|boa (tarde|noite)",
]) + ")")
_THANKS = re.compile("(" + "|".join([
    r"ありがとう(ございます|ございました)?|ありがと|助かりました|たすかりました",
    r"了解(です|しました)?|わかりました|分かりました|ok",
    r"(many )?thanks?( you| u)?( (very|so) much| a lot)?( for (your|the|all the) help)?|thx",
    r"(非常)?(谢谢|感谢)(你|您)?|多谢",  # 谢 is Chinese: Japanese writes 謝
    r"감사합니다|감사해요|고맙습니다|고마워요|고마워",
    r"(xin )?c[aảá]m ?[oơ]n( (b[aạ]n|anh|ch[iị]|em|nhi[eề]u|r[aấ]t nhi[eề]u))*",
    r"(muito )?obrigad[oa]( pela ajuda)?|valeu",
]) + ")")
_HUMAN = re.compile(r"((人|ひと|人間|担当者?|職員|係の人|オペレーター|スタッフ)(と|に|へ)?(話|はな|相談|つな|"
                    r"繋|代わ|かわ|電話)|有人|人に聞きたい|電話で(話|相談)したい|talk to (a )?(person|human|"
                    r"staff)|human please)")
_LEFTOVER = re.compile(r"[\s、。!?!?…〜~ー・,.]+")
# what follows a courtesy in a chat: 😊 🙏 🙇‍♀️ ♪ ^^
_EMOJI = re.compile(r"[\U0001f000-\U0001faff\u2600-\u27bf\u200d\ufe0f\u3030\u2b50^]+")


# a choice picked by its number: 「2」「２番」「3つ目でお願いします」 (after NFKC: ３番 → 3番)
NUMBER_PICK = re.compile(r"^(?:no\.?\s*)?(\d{1,2})\s*(?:番目?|つ目|つめ)?\s*"
                         r"(?:です|で|を?(?:お願いします|おねがいします))?[.。!！]?$")


def a_number_alone(text: str) -> bool:
    """「2」 said where no choices were offered (a new Slack DM message, choices forgotten): there is
    nothing to search for and nothing for an agent to answer."""
    return NUMBER_PICK.match(normalise_width(text)) is not None


def recognise(text: str) -> Intent:
    """GREETING or THANKS only when nothing but the courtesy (with punctuation, or emoji after it) is said;
    HUMAN wherever it is asked for; emoji alone are answered as a greeting (which asks for the question in
    words), not handed over to a person."""
    clean = normalise_width(text)
    if _HUMAN.search(clean):
        return Intent.HUMAN
    rest = _GREETING.sub("", _THANKS.sub("", clean))  # 「どうもありがとう」 is both
    bare = _LEFTOVER.sub("", rest)
    if clean and (not bare or (rest != clean and not _EMOJI.sub("", bare))):
        return Intent.GREETING if _GREETING.search(clean) and not _THANKS.search(clean) else Intent.THANKS
    if bare and not _EMOJI.sub("", bare):  # 😀🙏 alone: nothing to search, nothing for an agent
        return Intent.GREETING
    return Intent.QUESTION


_REQUEST = re.compile(_HUMAN.pattern + r"[^、。!?！？\s]*")  # the request to the end of its clause
MIN_ASKED_CHARS = 6  # 「担当者と話したい ab」 asks for a person only


def asked_with_a_person(text: str) -> str:
    """What a message that asks for a person also asks (「兼業許可の申請書はどこで？担当の人に聞きたい」),
    with the request taken out; "" when the request is all it says. The desk needs that question, its
    department and the entries it is about."""
    rest = _REQUEST.sub(" ", normalise_width(text))
    return rest.strip() if len(_LEFTOVER.sub("", _EMOJI.sub("", rest))) >= MIN_ASKED_CHARS else ""
