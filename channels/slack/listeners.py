"""Slack listeners: mentions, direct messages, `/faq`, buttons. Ack first; answer in a lazy listener.

Members of the allow-listed workspaces are staff (judged by their own team: `channels.slack.audience`);
anyone else is answered as a resident.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot.service.city import City, Message
from bot.service.contracts import ReplyRoute, storable
from bot.service.conversation import NOT_ACCEPTED
from bot.service.identity import SLACK
from channels.slack.audience import Speakers
from channels.slack.blocks import to_blocks
from knowledge.core.errors import (
    ConfigurationError,
    ConflictError,
    NotFoundError,
    RateLimitedError,
    StoreRefusedError,
)
from knowledge.records import Audience

CHANNEL = SLACK
log = logging.getLogger("madoguchi.slack")
_MENTION = re.compile(r"<@[A-Z0-9]+>")
STALE_CHOICE = ("この選択肢は選べなくなりました。スレッドのいちばん新しい選択肢から選ぶか、"
                "もう一度ご質問ください。")
NOT_YOURS = "この回答は、ほかの方の質問への回答なので評価できません。"
UNHELPFUL = ("お役に立てずすみません。このスレッドで「担当者と話したい」と送ると、"  # the way on, as on LINE
             "担当者におつなぎします。")
SHARED_ROOM = ("ほかの組織の方も読めるチャンネル（Slack Connect）なので、職員向けの規程は出さず、"
               "住民向けの情報でお答えします。職員向けの規程は、ボットとの DM でお尋ねください。")


def reply_in_thread(ctx: City, client: WebClient, channel: str, thread_ts: str, team: str | None, user: str,
                    text: str, choice: str | None = None, audience: Audience = Audience.RESIDENT) -> None:
    """Answer and post in the question's thread; `audience` is the speaker's, `team` the workspace's; what was
    typed is cleaned for the store first. Furigana is the person's choice, across their threads."""
    conversation = ctx.ids.slack(team, user, thread_ts)
    try:
        ctx.admit(CHANNEL, conversation.person)
    except RateLimitedError as refused:  # a friendly sentence, not an error
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=str(refused))
        return
    message = Message(CHANNEL, conversation, audience, storable(as_typed(text)),
                      storable(choice) if choice else None,
                      ReplyRoute(CHANNEL, {"channel": channel, "thread_ts": thread_ts}))
    if switched := ctx.furigana_asked(message):
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=switched)
        return
    try:
        handled = ctx.handle(message)
    except StoreRefusedError:  # not an outage, and nothing was received: say so
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=NOT_ACCEPTED)
        raise
    except ConflictError:  # a button of an earlier list: Slack shows no error of a lazy listener
        if choice is None:
            raise
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=STALE_CHOICE)
        return
    say = ctx.writer(conversation.person, handled.answer)
    client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=say(handled.answer.message)[:3000],
                            blocks=to_blocks(handled.answer, handled.turn.turn_id, say))


def as_typed(text: str) -> str:
    """Slack's text as the person typed it: Slack sends & < > escaped, and what madoguchi posts is escaped
    once (channels/delivery/senders.py), so a stored 「住民票 &amp; 印鑑」 reached the desk as &amp;amp;."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def in_room(client: WebClient, audience: Audience, shared: bool, channel: str, thread_ts: str) -> Audience:
    """Staff rules are never posted where another organisation reads (a Slack Connect channel): the staff
    member is answered as a resident there, and told where to ask."""
    if audience is not Audience.STAFF or not shared:
        return audience
    client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=SHARED_ROOM)
    return Audience.RESIDENT


def shared_channel(client: WebClient, channel: str) -> bool:
    """Whether another organisation reads the channel (`conversations.info`; a command's payload does not
    say). A DM with the bot (D…) is read by the one who asked; for another channel Slack cannot tell about
    (a private one without the groups:read scope) it is taken as shared: staff rules wait for a DM."""
    if channel.startswith("D"):
        return False
    try:
        found = client.conversations_info(channel=channel).get("channel")
    except SlackClientError as failed:
        needed = getattr(getattr(failed, "response", None), "get", lambda *_: None)("needed")
        log.warning("Slack conversations.info failed (%s%s), answering as in a shared channel",
                    type(failed).__name__, f"; the app needs the scope {needed}" if needed else "")
        return True
    if not isinstance(found, dict):
        return True
    return bool(found.get("is_ext_shared") or found.get("is_pending_ext_shared"))


def build_slack_app(ctx: City) -> App:
    """A bolt App whose Web API calls go to the configured base URL."""
    settings = ctx.settings
    if settings.slack_bot_token is None:
        raise ConfigurationError("MADOGUCHI_SLACK_BOT_TOKEN is not set")
    if settings.slack_mode == "http" and settings.slack_signing_secret is None:
        raise ConfigurationError("MADOGUCHI_SLACK_SIGNING_SECRET is needed in HTTP mode")
    client = WebClient(token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_base)
    app = App(client=client, signing_secret=(settings.slack_signing_secret.get_secret_value()
                                              if settings.slack_signing_secret else None),
              token_verification_enabled=False, process_before_response=True,
              request_verification_enabled=settings.slack_mode == "http")
    register(app, ctx)
    return app


def register(app: App, ctx: City) -> None:
    """All listeners: each acks at once and answers lazily."""

    speakers = Speakers(ctx)

    def speaker_of(event: dict[str, Any], client: WebClient, shared: bool) -> Audience:
        audience = speakers.audience(client, event.get("user", ""), event.get("user_team"))
        return in_room(client, audience, shared, event["channel"], event.get("thread_ts") or event["ts"])

    def mention(event: dict[str, Any], client: WebClient, body: dict[str, Any]) -> None:
        if not ctx.record_event_once(CHANNEL, body.get("event_id", event["ts"])):
            return  # Slack retried an event we already answered
        text = _MENTION.sub("", event.get("text", "")).strip()
        reply_in_thread(ctx, client, event["channel"], event.get("thread_ts") or event["ts"],
                        body.get("team_id"), event.get("user", ""), text,
                        audience=speaker_of(event, client, bool(body.get("is_ext_shared_channel"))))

    def direct(event: dict[str, Any], client: WebClient, body: dict[str, Any]) -> None:
        if event.get("channel_type") != "im" or event.get("bot_id") or event.get("subtype"):
            return
        if ctx.record_event_once(CHANNEL, body.get("event_id", event["ts"])):
            reply_in_thread(ctx, client, event["channel"], event.get("thread_ts") or event["ts"],
                            body.get("team_id"), event.get("user", ""), event.get("text", ""),
                            audience=speaker_of(event, client, bool(body.get("is_ext_shared_channel"))))

    def slash(body: dict[str, Any], client: WebClient) -> None:
        posted = client.chat_postMessage(channel=body["channel_id"],
                                         text=f"<@{body['user_id']}> の質問: {body.get('text', '')}")
        audience = in_room(client, speakers.audience(client, body["user_id"], None),
                           shared_channel(client, body["channel_id"]), body["channel_id"], posted["ts"])
        reply_in_thread(ctx, client, body["channel_id"], posted["ts"], body.get("team_id"), body["user_id"],
                        body.get("text", ""), audience=audience)

    def choice(body: dict[str, Any], client: WebClient, action: dict[str, Any]) -> None:
        message, channel = body.get("message", {}), body["channel"]["id"]
        audience = speakers.audience(client, body["user"]["id"], body["user"].get("team_id"))
        if audience is Audience.STAFF and shared_channel(client, channel):
            audience = Audience.RESIDENT  # 「どれにも当てはまらない」 there hands over a resident's question
        reply_in_thread(ctx, client, channel, message.get("thread_ts") or message["ts"],
                        body.get("team", {}).get("id"), body["user"]["id"], "", action["value"], audience)

    def feedback(body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        message = body.get("message", {})
        conversation = ctx.ids.slack(body.get("team", {}).get("id"), body["user"]["id"],
                                     message.get("thread_ts") or message["ts"])
        try:
            helpful = action["action_id"] == "feedback_up"
            ctx.feedback(conversation.id, int(action["value"]), helpful)
            said = "評価ありがとうございます。" if helpful else UNHELPFUL
        except NotFoundError:  # another person's answer in a shared thread: theirs to rate
            said = NOT_YOURS
        client.chat_postMessage(channel=body["channel"]["id"],
                                thread_ts=message.get("thread_ts") or message["ts"], text=said)

    def ack_only(ack: Ack) -> None:
        ack()

    app.event("app_mention")(ack=ack_only, lazy=[mention])
    app.event("message")(ack=ack_only, lazy=[direct])
    app.command("/faq")(ack=lambda ack: ack("確認しています…"), lazy=[slash])
    app.action(re.compile(r"^choice_\d+$"))(ack=ack_only, lazy=[choice])
    app.action(re.compile(r"^feedback_(up|down)$"))(ack=ack_only, lazy=[feedback])
