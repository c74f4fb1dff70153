"""What madoguchi sends to LINE reaches the resident even when LINE stumbles: the loading animation is a
courtesy whose failure must not cost the answer, and an answer whose reply fails (LINE busy, the reply
token spent or expired) is pushed instead, once, with a retry key."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from linebot.v3.messaging import Message as LineMessage
from linebot.v3.messaging import (
    MessagingApi,
    PushMessageRequest,
    ReplyMessageRequest,
    ShowLoadingAnimationRequest,
)
from linebot.v3.messaging.exceptions import OpenApiException
from urllib3.exceptions import HTTPError

log = logging.getLogger("madoguchi.line")
TIMEOUT = (3.05, 10.0)  # connect, read: a reply token lasts about a minute; a hung call must not outlast it
FAILURES = (OpenApiException, HTTPError, OSError)


def show_typing(api: MessagingApi, chat_id: str) -> None:
    """The dots while the answer is made (1:1 chats only)."""
    try:
        api.show_loading_animation(ShowLoadingAnimationRequest(chat_id=chat_id, loading_seconds=10),
                                   _request_timeout=TIMEOUT)
    except FAILURES as failed:
        log.warning("LINE loading animation failed, answering anyway: %s", type(failed).__name__)


def deliver(api: MessagingApi, token: str, messages: Sequence[LineMessage], push_to: str) -> None:
    """Reply with the token; if LINE refuses or does not answer, push the same messages to where the
    question came from (a failed push is raised: the event's log names it). A reply LINE took but did not
    acknowledge in time is then sent twice, and a push counts against the channel's monthly messages: the
    price of never leaving a resident without the answer."""
    try:
        api.reply_message(ReplyMessageRequest(reply_token=token, messages=list(messages)),
                          _request_timeout=TIMEOUT)
        return
    except FAILURES as failed:
        log.warning("LINE reply failed (%s), pushing the answer instead", type(failed).__name__)
    api.push_message(PushMessageRequest(to=push_to, messages=list(messages)),  # one key per event: one push
                     x_line_retry_key=str(uuid.uuid5(uuid.NAMESPACE_URL, f"line-reply:{token}")),
                     _request_timeout=TIMEOUT)
