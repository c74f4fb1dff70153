"""What a resident sends after a turn (a choice, contact details, 👍/👎), also while the store is down.

These are resident messages too: when the database is unreachable they are kept in the city's spool and
replayed after the turn they refer to, and a turn or escalation still waiting in the spool is a valid
target (not a 404), so nothing the resident was told was received is lost.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from bot.answer import NONE_OF_THESE
from bot.intents import NUMBER_PICK
from bot.store.facts import LatestOffer
from indexer.normalise import normalise_width
from knowledge.core.errors import ConflictError, StoreUnavailableError
from knowledge.languages import JAPANESE

if TYPE_CHECKING:
    from bot.service.city import City


def latest_offer(ctx: City, conversation: str) -> LatestOffer:
    """The latest offer and its language: a turn waiting in the spool is the newest; else the store's; else,
    while the store is down, what the city remembers offering (bot/service/offers.py; still 503 when nobody
    knows)."""
    if ctx.spool is not None and (waiting := ctx.spool.last_offer(conversation)) is not None:
        return waiting
    try:
        return ctx.store.last_offer(conversation)
    except StoreUnavailableError:
        remembered = ctx.offers.get(conversation)
        if remembered is None:
            raise
        return remembered


def spoken_last(ctx: City, conversation: str) -> str:
    """The language of the conversation's latest turn, for what madoguchi says to a message with no words to
    tell it by (a sticker, its name alone); Japanese for a new conversation or while nobody knows."""
    try:
        return latest_offer(ctx, conversation).language
    except StoreUnavailableError:
        return JAPANESE


def picks_a_choice(text: str, choice_id: str | None) -> bool:
    """A clicked choice, or text that may pick one by its number: answering it reads the last offer."""
    return choice_id is not None or NUMBER_PICK.match(normalise_width(text)) is not None


def follow_up(ctx: City, conversation: str, text: str,
              choice_id: str | None) -> tuple[LatestOffer, str | None, str]:
    """(offer, choice, text) for the bot. A clicked choice must be in the last offer; a typed number (「3」
    「３」「3番」) picks that choice, 「どれにも当てはまらない」 counting last, and a number past the end is
    passed on alone so the bot offers the choices again instead of searching for it. The offer comes with
    the language it was made in, which a number does not tell."""
    if choice_id:
        offer = latest_offer(ctx, conversation)
        if choice_id not in (*offer.choices, NONE_OF_THESE) or not offer.choices:  # no 「どれにも…」 alone
            raise ConflictError("choice_id was not offered in this conversation's last turn")
        return offer, choice_id, text
    number = NUMBER_PICK.match(normalise_width(text))
    offer = _known_offer(ctx, conversation) if number else LatestOffer()
    if number is None or not offer.choices:
        return LatestOffer(), None, text
    picks, position = (*offer.choices, NONE_OF_THESE), int(number.group(1))
    return (offer, picks[position - 1], "") if 1 <= position <= len(picks) else (offer, None, str(position))


def _known_offer(ctx: City, conversation: str) -> LatestOffer:
    try:
        return latest_offer(ctx, conversation)
    except StoreUnavailableError:
        return LatestOffer()  # nobody knows the offer now: answered as a question


def leave_contact(ctx: City, conversation: str, escalation_id: str, details: dict[str, str]) -> None:
    """Stored now; or spooled behind its escalation while that waits in the spool, or while the store is down
    (at once while it is known to be, `bot.service.outage`; checked against the escalation when replayed)."""
    store = partial(ctx.store.add_contact, conversation, escalation_id, details["name"], details["email"],
                    details["phone"], details["preferred"])
    behind = ctx.spool is not None and ctx.spool.holds_escalation(conversation, escalation_id)
    ctx.outage.store_or_spool(ctx.spool, store,
                              lambda spool: spool.keep_contact(conversation, escalation_id, details), behind)


def leave_feedback(ctx: City, conversation: str, turn_id: int, helpful: bool, comment: str) -> None:
    """👍/👎 on a stored turn, or on one still in the spool (negative id); spooled while the store is down (at
    once while it is known to be)."""
    if turn_id < 0 and ctx.spool is not None:
        stored = ctx.spool.turn(conversation, turn_id)  # NotFoundError: not a turn of this conversation
        if stored is None:
            ctx.spool.keep_feedback(conversation, turn_id, helpful, comment)
            return
        turn_id = stored
    store = partial(ctx.store.add_feedback, conversation, turn_id, helpful, comment)
    ctx.outage.store_or_spool(ctx.spool, store,
                              lambda spool: spool.keep_feedback(conversation, turn_id, helpful, comment))
