"""`POST /callback/line`: verify the signature first, answer 200 at once, handle events in the background.

Events are deduplicated by `webhookEventId` in the store (LINE redelivers), replies use the free reply
token, and the loading animation shows while madoguchi retrieves.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qs

from fastapi import BackgroundTasks, Request
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import (
    ApiClient,
    Configuration,
    MessagingApi,
    ReplyMessageRequest,
    TextMessage,
)
from linebot.v3.messaging import Message as LineMessage
from linebot.v3.webhooks import Event, MessageEvent, PostbackEvent, TextMessageContent

from bot.multilingual import detect_language
from bot.service.city import City, Message
from bot.service.contracts import ReplyRoute, storable
from bot.service.conversation import NOT_ACCEPTED
from bot.service.followups import latest_offer, spoken_last
from bot.service.identity import LINE, Conversation
from channels.line.languages import ASK_AWAY, NOT_TEXT, labels, said_in, too_fast
from channels.line.messages import handed_over, not_offered_now, to_line
from channels.line.sending import deliver, show_typing
from knowledge.core.errors import (
    ConfigurationError,
    ConflictError,
    RateLimitedError,
    RequestError,
    StoreRefusedError,
    StoreUnavailableError,
)
from knowledge.records import Audience

LANGUAGE_CODES = ("ja", "en", "zh-Hans", "ko", "vi", "pt")
CHANNEL = LINE
log = logging.getLogger("madoguchi.line")


def _api(ctx: City) -> MessagingApi:
    token = ctx.settings.line_channel_access_token
    if token is None:
        raise ConfigurationError("MADOGUCHI_LINE_CHANNEL_ACCESS_TOKEN is not set")
    return MessagingApi(ApiClient(Configuration(host=ctx.settings.line_api_base,
                                                access_token=token.get_secret_value())))


async def callback(request: Request, background: BackgroundTasks) -> dict[str, bool]:
    """Reject anything not signed with the channel secret; otherwise acknowledge and work afterwards."""
    ctx: City = request.app.state.madoguchi
    secret = ctx.settings.line_channel_secret
    if secret is None:
        raise RequestError("LINE is not configured on this server")
    body = (await request.body()).decode("utf-8", errors="replace")
    try:
        payload = WebhookParser(secret.get_secret_value()).parse(body,
                                                                 request.headers.get("x-line-signature", ""))
    except InvalidSignatureError:
        raise RequestError("invalid or missing X-Line-Signature") from None
    # the SDK's parser, any of these
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        raise RequestError(f"not a LINE webhook body ({type(exc).__name__})") from exc
    background.add_task(handle_events, ctx, payload)
    return {"ok": True}


def handle_events(ctx: City, events: list[Event]) -> None:
    """Each event once, in order; one failing event does not stop the others."""
    for event in events:
        try:
            if ctx.record_event_once(CHANNEL, event.webhook_event_id):
                handle(ctx, event)
        except Exception:  # a background task has no caller to report to: log and go on
            log.exception("LINE event %s failed", getattr(event, "webhook_event_id", "?"))


def handle(ctx: City, event: Event) -> None:
    """Text and postbacks get answers; other messages a polite note; other events nothing."""
    if not isinstance(event, (MessageEvent, PostbackEvent)) or not getattr(event, "reply_token", None):
        return
    user = speaker(event.source)
    if user is None:
        log.warning("LINE event %s names no user, group or room: not answered", event.webhook_event_id)
        return
    if not addressed_to_the_bot(event):
        return
    conversation = ctx.ids.line(user, place(event.source))
    api = _api(ctx)
    try:
        ctx.admit(CHANNEL, conversation.person)
    except RateLimitedError as refused:  # a friendly sentence, not an error
        api.reply_message(ReplyMessageRequest(reply_token=event.reply_token,
                                              messages=[TextMessage(text=_refusal(event, refused))]))
        return
    if isinstance(event, MessageEvent) and not isinstance(event.message, TextMessageContent):
        note = said_in(NOT_TEXT, spoken_last(ctx, conversation.id))
        api.reply_message(ReplyMessageRequest(reply_token=event.reply_token,
                                              messages=[TextMessage(text=note)]))
        return
    try:
        _reply(ctx, api, event, conversation, user)
    except StoreRefusedError:  # not an outage, and nothing was received: say so
        log.exception("LINE event %s: the store refused the turn", event.webhook_event_id)
        api.reply_message(ReplyMessageRequest(reply_token=event.reply_token,
                                              messages=[TextMessage(text=NOT_ACCEPTED)]))


def _refusal(event: MessageEvent | PostbackEvent, refused: RateLimitedError) -> str:
    """Too many messages, said in the language of the refused one: its own words or its button's `lang`, not
    the store, since a refusal must stay cheap for a resident who floods (a sticker: the city's Japanese)."""
    if isinstance(event, PostbackEvent):
        return too_fast(parse_qs(event.postback.data).get("lang", ["ja"])[0], str(refused))
    return too_fast(detect_language(getattr(event.message, "text", "")), str(refused))


def addressed_to_the_bot(event: MessageEvent | PostbackEvent) -> bool:
    """In a group or room the bot reads everything the members say to each other: it answers a text that
    mentions it and the buttons it sent; the rest (chatter, stickers, photos) is not for it, and answering
    it would post 「担当者におつなぎします」 to the group and fill the desk's queue."""
    if event.source.type == "user" or isinstance(event, PostbackEvent):
        return True
    mention = getattr(event.message, "mention", None)
    return bool(mention and any(getattr(m, "is_self", False) for m in mention.mentionees))


def without_mentions_of_the_bot(message: TextMessageContent) -> str:
    """The text less the bot's own @name, which is no part of the question (empty for the name alone)."""
    text, mentionees = message.text, (message.mention.mentionees if message.mention else [])
    for found in sorted((m for m in mentionees if getattr(m, "is_self", False)), key=lambda m: -m.index):
        text = text[:found.index] + text[found.index + found.length:]
    return text.strip()


def speaker(source: object) -> str | None:
    """Who a conversation is with: the person, else the group or room (LINE leaves the person out where they
    have not agreed to share it), so that groups never share one conversation; None when LINE names nobody."""
    for kind, attribute in (("", "user_id"), ("group:", "group_id"), ("room:", "room_id")):
        if value := getattr(source, attribute, None):
            return kind + value
    return None


def place(source: object) -> str | None:
    """The group or room a named person speaks in (None in a 1:1 chat, or where the group is the speaker)."""
    if not getattr(source, "user_id", None):
        return None
    return next((kind + value for kind, attribute in (("group:", "group_id"), ("room:", "room_id"))
                 if (value := getattr(source, attribute, None))), None)


def _reply(ctx: City, api: MessagingApi, event: MessageEvent | PostbackEvent, conversation: Conversation,
           user: str) -> None:
    if isinstance(event, PostbackEvent):
        _postback(ctx, api, event, conversation)
        return
    asked = storable(without_mentions_of_the_bot(event.message))
    if not asked:  # 「@みなと市」 alone was searched as a question and answered to the whole group
        prompt = said_in(ASK_AWAY, spoken_last(ctx, conversation.id))
        api.reply_message(ReplyMessageRequest(reply_token=event.reply_token,
                                              messages=[TextMessage(text=prompt)]))
        return
    if event.source.type == "user":
        show_typing(api, user)
    _answer(ctx, api, event.reply_token, conversation, asked, None, _push_target(event.source, user))


def _push_target(source: object, user: str) -> str:
    """Where a later push must go: the group or room the question was asked in, else the user."""
    return getattr(source, "group_id", None) or getattr(source, "room_id",
                                                        None) or getattr(source, "user_id", None) or user


def _answer(ctx: City, api: MessagingApi, token: str, conversation: Conversation, text: str,
            choice: str | None, push_to: str, language: str | None = None) -> None:
    route, known = ReplyRoute(CHANNEL, {"user_id": push_to}), language if language in LANGUAGE_CODES else None
    message = Message(CHANNEL, conversation, Audience.RESIDENT, text, choice, route, known)
    if switched := ctx.furigana_asked(message):
        api.reply_message(ReplyMessageRequest(reply_token=token, messages=[TextMessage(text=switched)]))
        return
    try:
        handled = ctx.handle(message)
    except ConflictError:  # a button of an earlier offer: LINE has no error to show, so the reply says it
        if choice is None:
            raise
        api.reply_message(ReplyMessageRequest(reply_token=token,
                                              messages=_not_offered_now(ctx, conversation, known or "ja")))
        return
    reply, stored = handled.answer, handled.turn
    messages = to_line(reply, stored.turn_id, stored.escalation_id, ctx.writer(conversation.person, reply))
    deliver(api, token, messages, push_to)


def _not_offered_now(ctx: City, conversation: Conversation, tapped: str) -> list[LineMessage]:
    """A tap on a choice the last turn did not offer (a double tap, a button of an earlier list) is told so,
    with the choices offered now if there are any, in the language they were offered in (a Japanese button
    tapped after a question in English is told in English; the button's own while nobody knows the offer).
    Nothing is stored."""
    try:
        offer = latest_offer(ctx, conversation.id)
        offered, language = offer.choices, offer.language
    except StoreUnavailableError:
        offered, language = (), tapped
    index = ctx.index
    records = [r for r in map(index.record, offered)
               if r is not None and r.audience.visible_to(Audience.RESIDENT)]
    say = ctx.writer(conversation.person) if language == "ja" else str  # no readings in Chinese text
    return not_offered_now(records, language, say)


def _postback(ctx: City, api: MessagingApi, event: PostbackEvent, conversation: Conversation) -> None:
    data = {k: storable(v[0]) for k, v in parse_qs(event.postback.data).items()}
    if "choice" in data:
        _answer(ctx, api, event.reply_token, conversation, "", data["choice"],
                _push_target(event.source, "unknown"), data.get("lang"))
    elif "feedback" in data and data.get("turn", "").lstrip("-").isdigit():
        ctx.feedback(conversation.id, int(data["turn"]), data["feedback"] == "up")
        text = labels(data.get("lang", "ja"))["voted_up" if data["feedback"] == "up" else "voted_down"]
        api.reply_message(ReplyMessageRequest(reply_token=event.reply_token,
                                              messages=[TextMessage(text=text)]))
    elif "handoff" in data:
        by_line = {"name": "", "email": "", "phone": "", "preferred": "line"}
        ctx.contact(conversation.id, data["handoff"], by_line)
        api.reply_message(ReplyMessageRequest(reply_token=event.reply_token,
                                              messages=[handed_over(ctx.settings, data.get("lang", "ja"))]))

