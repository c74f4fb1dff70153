"""Who a conversation is with, as the store keys it: every conversation id is built and matched here.

`web:<session>` for the widget, `line:<user hash>` for a LINE person (or group, or room), and
`slack:<team>:<user hash>:<thread>` for one Slack thread. A chat platform's user id is only ever kept as a
keyed hash (`user_hash`), so the ids are stable for one city and useless to anyone without its key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.store.states import Channel
from bot.store.values import bounded_id
from knowledge.core.errors import RequestError
from knowledge.core.settings import Settings

WEB, LINE, SLACK = Channel.WEB, Channel.LINE, Channel.SLACK


def secret_key(settings: Settings) -> bytes:
    """The configured key, or one generated once and kept (owner-readable only) in the city's own folder:
    cities of one server never share a key unless each is given the same `secret_key`."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode()
    return _stored_key(str(settings.resolved_city_dir))


@lru_cache(maxsize=8)
def _stored_key(data_dir: str) -> bytes:
    """Created complete or not at all (link of a finished temp file), so workers starting together agree."""
    path = Path(data_dir) / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".secret.key.{os.getpid()}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another worker won; use its key
        finally:
            draft.unlink()
    return path.read_text(encoding="utf-8").strip().encode()


def user_hash(settings: Settings, channel: str, user_id: str) -> str:
    """A keyed hash of a channel's user id: stable for one city, useless to anyone without the key."""
    return hmac.new(secret_key(settings), f"{channel}:{user_id}".encode(), hashlib.sha256).hexdigest()[:40]


@dataclass(frozen=True, slots=True)
class Conversation:
    """Where a message's turn is stored (`id`), and whom per-person limits and reading preferences follow
    (`person`: on Slack the person across all their threads, elsewhere the conversation itself)."""

    id: str
    person: str


@dataclass(frozen=True, slots=True)
class ConversationIds:
    """The city's conversation ids, keyed with its secret."""

    settings: Settings

    def web(self, session_id: str) -> Conversation:
        """One widget session."""
        key = bounded_id(WEB, session_id)
        return Conversation(key, key)

    def line(self, speaker: str, place: str | None = None) -> Conversation:
        """One LINE person, group or room (`speaker` as `channels.line` names it); a person speaking in a
        group or room (`place`) has a conversation there of their own, apart from their 1:1 chat: a private
        question was quoted to the group above an agent's reply to the group's hand-over."""
        hashed = user_hash(self.settings, LINE, speaker)
        person = bounded_id(LINE, hashed)
        if place is None:
            return Conversation(person, person)
        return Conversation(bounded_id(LINE, hashed, user_hash(self.settings, LINE, place)), person)

    def slack(self, team: str | None, user: str, thread_ts: str) -> Conversation:
        """One Slack thread of one person of one workspace."""
        workspace, hashed = team or "-", user_hash(self.settings, SLACK, user)
        thread = bounded_id(SLACK, workspace, hashed, thread_ts)
        return Conversation(thread, bounded_id(SLACK, workspace, hashed))

    def of_person(self, session: str | None, line_user: str | None,
                  slack_user: str | None) -> tuple[str, Callable[[str], bool]]:
        """For residents' data requests: the id prefix to look under, and the test a stored conversation id
        passes when it is this one person's (exactly one of the three must be given)."""
        if len([x for x in (session, line_user, slack_user) if x]) != 1:
            raise RequestError("give exactly one of --session, --line-user, --slack-user")
        if session:
            key = self.web(str(session)).id
            return key, lambda conversation: conversation == key
        if line_user:  # the 1:1 chat, and what they said in groups and rooms (line:<user>:<group>)
            key = self.line(str(line_user)).id
            return key, lambda conversation: conversation == key or conversation.startswith(f"{key}:")
        marker = f":{user_hash(self.settings, SLACK, str(slack_user))}:"  # slack:<team>:<user hash>:<thread>
        return f"{SLACK}:", lambda conversation: marker in conversation
