"""The calls that leave madoguchi: LINE push, Slack post, a signed webhook. Each raises on failure.

Base URLs come from the settings, so a closed city network can point them at its own gateway. The LINE and
Slack SDKs load with the first message sent through them: a city without LINE never holds line-bot-sdk's 60
MB.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Callable

import httpx

from knowledge.core.errors import ConfigurationError
from knowledge.core.settings import Settings

LINE_TEXT_LIMIT = 5000
LINE_TIMEOUT = (3.05, 10.0)  # connect, read: a hung LINE call must not hold the outbox (or a reply token)
SLACK_TEXT_LIMIT = 3000


def push_line(settings: Settings, user_id: str, text: str, retry_key: str) -> None:
    """Push a text to a LINE user; the retry key makes a repeated push after a timeout a no-op at LINE."""
    from linebot.v3.messaging import ApiClient, Configuration, MessagingApi, PushMessageRequest, TextMessage

    token = settings.line_channel_access_token
    if token is None:
        raise ConfigurationError("MADOGUCHI_LINE_CHANNEL_ACCESS_TOKEN is not set")
    configuration = Configuration(host=settings.line_api_base, access_token=token.get_secret_value())
    with ApiClient(configuration) as client:
        MessagingApi(client).push_message(
            PushMessageRequest(to=user_id, messages=[TextMessage(text=part) for part in line_texts(text)]),
            x_line_retry_key=str(uuid.uuid5(uuid.NAMESPACE_URL, retry_key)), _request_timeout=LINE_TIMEOUT)


def line_texts(text: str, limit: int = LINE_TEXT_LIMIT) -> list[str]:
    """The text as LINE text messages, never cut: LINE counts UTF-16 code units (an emoji or a rare kanji is
    two) up to `limit` a message, so a long reply goes as several (a 4,999-character reply lost its end under
    the heading; an emoji-heavy one was refused eight times)."""
    return in_parts(text, lambda rest: _fitting(rest, limit))


def in_parts(text: str, fitting: Callable[[str], int]) -> list[str]:
    """`text` in parts, each the start `fitting` says fits (all of it when it does), split at a line break
    where one is near."""
    parts, rest = [], text
    while (cut := fitting(rest)) < len(rest):
        if (newline := rest.rfind("\n", 0, cut)) > cut // 2:
            cut = newline + 1
        parts.append(rest[:cut])
        rest = rest[cut:]
    return [*parts, rest]


def _fitting(text: str, limit: int) -> int:
    """How many characters from the start fit in `limit` UTF-16 code units."""
    used = 0
    for at, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return at
    return len(text)


def post_slack(settings: Settings, channel: str, text: str, thread_ts: str | None = None) -> None:
    """Post to a Slack channel or thread; slack_sdk raises SlackApiError when Slack says no."""
    from slack_sdk import WebClient

    token = settings.slack_bot_token
    if token is None:
        raise ConfigurationError("MADOGUCHI_SLACK_BOT_TOKEN is not set")
    client = WebClient(token=token.get_secret_value(), base_url=settings.slack_api_base, timeout=10)
    for part in slack_parts(text):  # a long reply goes as several posts, never cut
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=part)


def slack_parts(text: str, limit: int = SLACK_TEXT_LIMIT) -> list[str]:
    """The text escaped (`slack_plain`) in posts of at most `limit` characters, never cut inside an escape:
    the desk takes 5,000 characters, Slack's post here 3,000."""
    return in_parts(slack_plain(text), lambda rest: _before_escape(rest, limit))


def _before_escape(text: str, limit: int) -> int:
    """How many characters from the start fit in `limit` without ending inside &amp; &lt; &gt;."""
    if len(text) <= limit:
        return len(text)
    amp = text.rfind("&", limit - 5, limit)
    return amp if amp != -1 and ";" not in text[amp:limit] else limit


def slack_plain(text: str) -> str:
    """Text as Slack shows it, not as it reads it: a resident's <!channel> or <url|label> in a quoted question
    (or an agent's reply) would ping everyone or disguise a link under the bot's name."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def post_webhook(settings: Settings, event: dict) -> None:
    """POST the event as JSON, signed with HMAC-SHA256 of the body when a secret is configured."""
    if not settings.desk_webhook_url:
        raise ConfigurationError("MADOGUCHI_DESK_WEBHOOK_URL is not set")
    body = json.dumps(event, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json"}
    if settings.desk_webhook_secret is not None:
        digest = hmac.new(settings.desk_webhook_secret.get_secret_value().encode(), body,
                          hashlib.sha256).hexdigest()
        headers["X-Madoguchi-Signature"] = f"sha256={digest}"
    httpx.post(settings.desk_webhook_url, content=body, headers=headers, timeout=10).raise_for_status()
