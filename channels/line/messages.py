"""Answers as LINE messages: a Flex bubble for an answer, quick replies for choices and hand-over."""

from __future__ import annotations

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

from bot import Answer, Decision
from bot.service.readings import ASK, ASK_OFF
from channels.line.languages import answer_body, labels
from knowledge.core.settings import Settings

MAX_QUICK_REPLIES = 13
NOT_TEXT = "ごめんなさい、スタンプや画像などにはお答えできません。ご質問を文字で送ってください。"


def postback(label: str, **data: str | int) -> PostbackAction:
    """A button that comes back to madoguchi as a postback event (labels are capped at 20 characters)."""
    return PostbackAction(label=label[:20], data=urlencode(data), display_text=label[:300])


def spoken(reply: Answer) -> dict[str, str]:
    """`lang` for a button's postback, so the next reply keeps a foreign resident's language (none for
    Japanese)."""
    return {"lang": reply.language} if reply.language != "ja" else {}


def answer_bubble(reply: Answer, turn_id: int, say: Callable[[str], str] = str) -> FlexMessage:
    """The answer in the resident's language (channels/line/languages.py) as `say` writes it (with readings
    when asked), department and contact, a source link, 👍/👎, and a quick reply that switches furigana."""
    record = reply.record
    assert record is not None
    words = labels(reply.language)
    text = say(answer_body(reply))
    body = [FlexText(text=text[:2000], wrap=True, size="md"),
            FlexText(text=f"{words['contact']}: {record.contact or record.department}", wrap=True, size="sm",
                     color="#555555")]
    buttons = [FlexButton(action=URIAction(label=words["more"], uri=record.url),
                          style="link")] if record.url else []
    buttons += [FlexButton(action=postback(words["helpful"], feedback="up", turn=turn_id, **spoken(reply)),
                           style="secondary"),
                FlexButton(action=postback(words["unhelpful"], feedback="down", turn=turn_id,
                                           **spoken(reply)),
                           style="secondary")]
    bubble = FlexBubble(body=FlexBox(layout="vertical", spacing="md", contents=body),
                        footer=FlexBox(layout="vertical", spacing="sm", contents=buttons))
    furigana = ASK_OFF if say is not str else ASK
    switch = QuickReply(items=[QuickReplyItem(action=MessageAction(label=furigana, text=furigana))])
    return FlexMessage(alt_text=text[:400], contents=bubble, quick_reply=switch)


def to_line(reply: Answer, turn_id: int, escalation_id: str | None,
            say: Callable[[str], str] = str) -> list[Message]:
    """One reply's messages; `say` writes the texts (with readings in parentheses when furigana was asked)."""
    if reply.decision is Decision.ANSWER and reply.record is not None:
        first = [TextMessage(text=say(reply.urgent.text))] if reply.urgent else []  # the line to call first
        return [*first, answer_bubble(reply, turn_id, say)]
    if reply.decision is Decision.CLARIFY:
        items = [QuickReplyItem(action=postback(c.label, choice=c.id, **spoken(reply)))
                 for c in reply.choices][:MAX_QUICK_REPLIES]
        return [TextMessage(text=say(reply.message), quick_reply=QuickReply(items=items))]
    if reply.decision is Decision.ESCALATE and escalation_id:
        item = QuickReplyItem(action=postback(labels(reply.language)["handoff"], handoff=escalation_id,
                                              **spoken(reply)))
        return [TextMessage(text=say(reply.message), quick_reply=QuickReply(items=[item]))]
    return [TextMessage(text=say(reply.message))]


def handed_over(settings: Settings, language: str = "ja") -> TextMessage:
    """Confirmation that a person will answer in this chat."""
    if language != "ja":
        return TextMessage(text=labels(language)["handed_over"].format(hours=settings.call_center_hours))
    return TextMessage(text="担当者におつなぎしました。回答はこのトークでお送りします（受付時間: "
                            f"{settings.call_center_hours}）。")
