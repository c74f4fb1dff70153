"""Answers as LINE messages: a Flex bubble for an answer, quick replies for choices and hand-over."""

from __future__ import annotations

import os
from collections.abc import Callable
from urllib.parse import urlencode

from linebot.v3.messaging import (
    FlexBox,
    FlexBubble,
    FlexButton,
    FlexMessage,
    FlexText,
    Message,
    MessageAction,
    PostbackAction,
    QuickReply,
    QuickReplyItem,
    TextMessage,
    URIAction,
)

from bot import Answer, Decision, compose
from bot.answer import NONE_OF_THESE, Choice
from bot.intents import Intent
from bot.multilingual import texts
from bot.multilingual.answering import label as translated_label
from bot.service.readings import ASK, ASK_OFF
from channels.line.languages import STALE_CHOICE, answer_body, labels
from knowledge.core.settings import Settings
from knowledge.languages import JAPANESE
from knowledge.records import Record

MAX_QUICK_REPLIES = 13
MAX_LABEL = 20  # LINE's limit for a button's label
SHARED_START = 6  # a start two choices share, from this long, is left out where their labels read alike


def postback(label: str, shown: str | None = None, **data: str | int) -> PostbackAction:
    """A button that comes back to madoguchi as a postback event (labels are capped at 20 characters);
    `shown` is what the chat shows the resident said (the label when None)."""
    return PostbackAction(label=label[:MAX_LABEL], data=urlencode(data), display_text=(shown or label)[:300])


def _cut(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[:MAX_LABEL - 1].rstrip() + "…"


def choice_labels(labels: list[str]) -> list[str]:
    """Quick-reply labels for numbered choices: 「1. …」 as the message lists them, cut with 「…」 to LINE's
    20 characters. Where two entries would still read alike after the number (「How do I throw a…」), the
    start they share is left out: 「1. …mobile batterie…」 (not of the last choice, the way to a person)."""
    plain = [_numbered(n, label) for n, label in enumerate(labels, start=1)]
    read = [p.split(" ", 1)[1] for p in plain]
    out = []
    for n, label in enumerate(labels, start=1):
        alike = [other for m, other in enumerate(labels[:-1], start=1)
                 if m != n and read[m - 1] == read[n - 1]]
        shared = max((_shared_start(label, other) for other in alike), key=len, default="")
        if n < len(labels) and len(shared) >= SHARED_START and len(label) > len(shared):
            out.append(_cut(f"{n}. …{label[len(shared):]}"))
        else:
            out.append(plain[n - 1])
    return out


def _numbered(n: int, label: str) -> str:
    """「n. label」 cut to fit; a passage's headings (「粗大ごみの出し方ガイド > 出せないもの > その他」) keep
    their last ones, which say what it is, and lose the first: 「3. …出せないもの > その他」."""
    if len(whole := f"{n}. {label}") <= MAX_LABEL or " > " not in label:
        return _cut(whole)
    *above, tail = label.split(" > ")
    for heading in reversed(above):
        if len(f"{n}. …{heading} > {tail}") > MAX_LABEL:
            break
        tail = f"{heading} > {tail}"
    return _cut(f"{n}. …{tail}")


def _shared_start(one: str, other: str) -> str:
    """The start two labels share; of words, whole ones."""
    shared = os.path.commonprefix([one, other])
    if " " in shared.strip() and not shared.endswith(" "):
        shared = shared[:shared.rfind(" ") + 1]
    return shared


def spoken(reply: Answer) -> dict[str, str]:
    """`lang` for a button's postback, so the next reply keeps a foreign resident's language (none for
    Japanese)."""
    return {"lang": reply.language} if reply.language != "ja" else {}


LINE_URI_SCHEMES = ("http://", "https://", "tel:", "line://")  # LINE refuses a reply with any other link


def opens_on_line(url: str) -> bool:
    """Whether LINE takes the link as a button: a mailto: link (which the FAQ table allows) made LINE refuse
    the whole reply, so the resident got nothing (the contact line still names the department)."""
    return url.lower().startswith(LINE_URI_SCHEMES)


def mail_of(url: str) -> str:
    """A mail address the entry links to, written out, since LINE shows no button for it."""
    return f"（{url[len('mailto:'):]}）" if url.lower().startswith("mailto:") else ""


def answer_bubble(reply: Answer, turn_id: int, say: Callable[[str], str] = str) -> FlexMessage:
    """The answer in the resident's language (channels/line/languages.py) as `say` writes it (with readings
    when asked), department and contact, a source link, 👍/👎, and a quick reply that switches furigana."""
    record = reply.record
    assert record is not None
    words = labels(reply.language)
    text = say(answer_body(reply))
    body = [FlexText(text=text[:2000], wrap=True, size="md"),
            FlexText(text=f"{words['contact']}: {record.contact or record.department}{mail_of(record.url)}",
                     wrap=True, size="sm", color="#555555")]
    buttons = [FlexButton(action=URIAction(label=words["more"], uri=record.url),
                          style="link")] if opens_on_line(record.url) else []
    buttons += [FlexButton(action=postback(words["helpful"], feedback="up", turn=turn_id, **spoken(reply)),
                           style="secondary"),
                FlexButton(action=postback(words["unhelpful"], feedback="down", turn=turn_id,
                                           **spoken(reply)),
                           style="secondary")]
    bubble = FlexBubble(body=FlexBox(layout="vertical", spacing="md", contents=body),
                        footer=FlexBox(layout="vertical", spacing="sm", contents=buttons))
    return FlexMessage(alt_text=text[:400], contents=bubble, quick_reply=furigana_switch(reply, say))


def furigana_switch(reply: Answer, say: Callable[[str], str]) -> QuickReply | None:
    """「ふりがな」 under an answer in Japanese (also one a foreign resident gets where the entry has no
    translation); an answer in English or Chinese has no kanji words to read."""
    if reply.answer_language != JAPANESE:
        return None
    furigana = ASK_OFF if say is not str else ASK
    return QuickReply(items=[QuickReplyItem(action=MessageAction(label=furigana, text=furigana))])


def to_line(reply: Answer, turn_id: int, escalation_id: str | None,
            say: Callable[[str], str] = str) -> list[Message]:
    """One reply's messages; `say` writes the texts (with readings in parentheses when furigana was asked)."""
    if reply.decision is Decision.ANSWER and reply.record is not None:
        first = [TextMessage(text=say(reply.urgent.text))] if reply.urgent else []  # the line to call first
        return [*first, answer_bubble(reply, turn_id, say)]
    if reply.decision is Decision.CLARIFY:
        shown = reply.choices[:MAX_QUICK_REPLIES]
        items = [QuickReplyItem(action=postback(label, c.label, choice=c.id, **spoken(reply)))
                 for c, label in zip(shown, choice_labels([c.label for c in shown]), strict=True)]
        return [TextMessage(text=say(reply.message), quick_reply=QuickReply(items=items))]
    if reply.decision is Decision.ESCALATE and escalation_id:
        item = QuickReplyItem(action=postback(labels(reply.language)["handoff"], handoff=escalation_id,
                                              **spoken(reply)))
        return [TextMessage(text=say(reply.message), quick_reply=QuickReply(items=[item]))]
    return [TextMessage(text=say(reply.message))]


def not_offered_now(records: list[Record], language: str, say: Callable[[str], str] = str) -> list[Message]:
    """A tap on a button the last turn did not offer, as the web widget's 「この選択肢は選べなくなりました」:
    said in the resident's language, with the entries offered now (`records`) as choices again, LINE showing
    buttons under its latest message only; else asking for the question again."""
    nothing_now, choose_now = STALE_CHOICE.get(language, STALE_CHOICE["ja"])
    if not records:
        return [TextMessage(text=say(nothing_now))]
    choices = compose.clarify_choices(records) if language == "ja" else (
        *(Choice(r.id, translated_label(r, language)) for r in records),
        Choice(NONE_OF_THESE, texts.text(language, "none")))
    lines = [choose_now, *(f"{n}. {c.label}" for n, c in enumerate(choices, start=1))]
    again = Answer(Decision.CLARIFY, Intent.QUESTION, 0.0, "\n".join(lines), choices=choices,
                   language=language, answer_language=language)
    return to_line(again, 0, None, say)


def handed_over(settings: Settings, language: str = "ja") -> TextMessage:
    """Confirmation that a person will answer in this chat."""
    if language != "ja":
        return TextMessage(text=labels(language)["handed_over"].format(hours=settings.call_center_hours))
    return TextMessage(text="担当者におつなぎしました。回答はこのトークでお送りします（受付時間: "
                            f"{settings.call_center_hours}）。")
