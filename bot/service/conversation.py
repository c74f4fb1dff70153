"""What every chat channel does with a message: answer it, store the turn, and identify users safely."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from bot import Answer, Session
from bot.store import StoredTurn
from bot.store.facts import TurnFacts
from bot.store.masking import mask_personal_data
from bot.store.routes import ReplyRoute
from bot.service.followups import follow_up
from knowledge.core.errors import StoreUnavailableError
from knowledge.records import Audience
from knowledge.core.settings import Settings

if TYPE_CHECKING:
    from bot.service.city import City

log = logging.getLogger("madoguchi.store")
NOT_ACCEPTED = ("申し訳ありません。このメッセージは受け付けられませんでした。"
                "お手数ですが、内容を短くするなどして、もう一度お送りください。")  # the store refused the turn


def converse(ctx: "City", conversation: str, channel: str, audience: Audience, text: str,
             choice_id: str | None = None, route: ReplyRoute | None = None,
             language: str | None = None) -> tuple[Answer, StoredTurn]:
    """Answer a message (or a choice from the last turn's offer) and store the turn before replying.

    `route` is how an agent's reply can reach this person later; it is stored (sealed) only when the
    turn escalates. A typed number (「3」「３番」) picks that choice, on every channel alike. The normalised
    terms are made from the masked text, so no personal data survives tokenisation into the stored terms.
    `language` is the resident's language as the channel last saw it, for a pick that carries no text.
    """
    offered, choice_id, text = follow_up(ctx, conversation, text, choice_id)
    with ctx.lock:
        reply = ctx.bot.answer(choice_id or text, audience, channel, Session(conversation, offered, language or "ja"))
        normalised = " ".join(ctx.bot.runtime.normaliser.run(mask_personal_data(text)).terms) if text else ""
    facts = TurnFacts.of(conversation, channel, audience.value, text or choice_id or "", normalised, reply,
                         ctx.store.seal(route))
    stored = keep_turn(ctx, facts)
    ctx.offers.remember(conversation, tuple(facts.choices))
    return reply, stored


def keep_turn(ctx: "City", facts: TurnFacts) -> StoredTurn:
    """Into the store, or into the local spool while the store is down (the bot keeps answering). A write
    the store refused (StoreRefusedError) is not an outage: it is raised, never spooled as received."""
    try:
        return ctx.store.record(facts)
    except StoreUnavailableError:
        if ctx.spool is None:
            raise
        log.warning("conversation store unavailable: turn kept in the local spool")
        return ctx.spool.keep(facts)


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
