"""What every chat channel does with a message: answer it and keep the turn before replying."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING

from bot import Answer, Session
from bot.answer import Candidate, Decision
from bot.compose import joined_text
from bot.multilingual import texts
from bot.routing import suggest_department
from bot.service.followups import follow_up
from bot.store import StoredTurn
from bot.store.facts import TurnFacts
from bot.store.masking import mask_personal_data
from bot.store.routes import ReplyRoute
from bot.store.states import Reason
from knowledge.core.errors import StoreUnavailableError

if TYPE_CHECKING:
    from bot.service.city import City, Message

log = logging.getLogger("madoguchi.store")
# the store refused the turn
NOT_ACCEPTED = ("申し訳ありません。このメッセージは受け付けられませんでした。"
                "お手数ですが、内容を短くするなどして、もう一度お送りください。")


@dataclass(frozen=True, slots=True)
class Composed:
    """A reply and the facts of its turn, not yet kept."""

    reply: Answer
    facts: TurnFacts


def converse(city: City, message: Message) -> tuple[Answer, StoredTurn]:
    """Answer a message and store (or spool) the turn before replying."""
    composed = compose(city, message)
    return kept(city, composed, keep_turn(city, composed.facts))


def kept(city: City, composed: Composed, stored: StoredTurn) -> tuple[Answer, StoredTurn]:
    """The reply of a kept turn; its offer is remembered for clicks while the store is down."""
    facts = composed.facts
    city.offers.remember(facts.conversation_id, tuple(facts.choices), facts.language)
    return composed.reply, stored


def compose(city: City, message: Message) -> Composed:
    """Answer a message (or a choice from the last turn's offer) and write down the turn's facts.

    The route is kept (sealed) only when the turn escalates. A typed number (「3」「３番」) picks that
    choice, on every channel alike, and is answered in the language the choices were offered in. The
    normalised terms are made from the masked text, so no personal data survives tokenisation into the
    stored terms.
    """
    conversation = message.conversation.id
    offer, choice_id, text = follow_up(city, conversation, message.text, message.choice)
    session = Session(conversation, offer.choices, message.language or offer.language)
    reply = city.bot.answer(choice_id or text, message.audience, message.channel, session)
    normalised = " ".join(city.bot.runtime.normaliser.run(mask_personal_data(text)).terms) if text else ""
    joins = open_handover(city, conversation, reply, message.route)
    if joins:
        reply = replace(reply, message=joined_text(city.settings) if reply.language == "ja"
                        else texts.joined_text(reply.language, city.settings))
    facts = turn_facts(conversation, message.channel, message.audience.value, text or choice_id or "",
                       normalised, reply, city.store.seal(message.route),
                       handed_department(city, conversation, reply), joins)
    return Composed(reply, facts)


def open_handover(city: City, conversation: str, reply: Answer,
                  route: ReplyRoute | None = None) -> str | None:
    """For a turn that escalates, the conversation's hand-over still waiting for an agent: the turn joins it
    (the agent sees it under 引き継ぎの後のやりとり) instead of opening a second, unlinked queue item. None
    while the store is down: the turn then opens its own, as nothing may wait for the store. Nor does a turn
    join a hand-over whose reply goes elsewhere: a LINE member's private message joined the hand-over they
    opened in a group, and the agent's reply to it was pushed to the group."""
    if reply.decision != Decision.ESCALATE or city.outage.down:
        return None
    try:
        waiting = city.store.open_handover(conversation)
        if waiting is None or route is None or city.desk.escalations.route(waiting) in (None, route):
            return waiting
        return None
    except StoreUnavailableError:
        return None


def handed_department(city: City, conversation: str, reply: Answer) -> str | None:
    """For a hand-over asked for in words (「担当者と話したい」, 「どれにも当てはまらない」), which searches
    nothing, the department the conversation's last search suggests: the desk's queue filters and statistics
    count by it. None when the reply's own candidates decide; "" while the store is down (the hand-over must
    not wait for it)."""
    if reply.decision != Decision.ESCALATE or reply.candidates:
        return None
    if city.outage.down:
        return ""
    try:
        earlier = city.store.last_candidates(conversation)
    except StoreUnavailableError:
        return ""
    records = city.bot.runtime.index.by_id
    return suggest_department([Candidate(records[c["id"]], float(c["score"]), {})
                               for c in earlier if c.get("id") in records])


def turn_facts(conversation_id: str, channel: str, audience: str, question: str, normalised: str,
               reply: Answer, sealed_route: str = "", department: str | None = None,
               joins: str | None = None) -> TurnFacts:
    """The facts of a bot reply, as the store writes them; personal data is masked here, before anything is
    written anywhere, and an escalation gets its id (or the open hand-over's it `joins`) and suggested
    department now."""
    escalated = reply.decision == Decision.ESCALATE
    return TurnFacts(conversation_id, channel, audience, mask_personal_data(question),
                     mask_personal_data(normalised), reply.intent.value, reply.decision.value,
                     reply.confidence,
                     reply.record.id if reply.record else None,
                     list(reply.offered),
                     [{"id": c.record.id, "score": round(c.score, 4)} for c in reply.candidates[:5]],
                     (joins or uuid.uuid4().hex) if escalated else None,
                     (reply.reason or Reason.NO_MATCH) if escalated else "",
                     (suggest_department(reply.candidates) if department is None else department)
                     if escalated else "",
                     sealed_route if escalated else "", bool(joins) and escalated, reply.language)


def keep_turn(city: City, facts: TurnFacts) -> StoredTurn:
    """Into the store, or into the local spool while the store is down (the bot keeps answering), at once
    when it must wait there (`_behind`). A write the store refused (StoreRefusedError) is not an outage: it
    is raised, never spooled as received."""
    return city.outage.store_or_spool(city.spool, partial(city.store.record, facts),
                                      lambda spool: spool.keep(facts), _behind(city, facts))


def keep_turns(city: City, many: list[TurnFacts]) -> list[StoredTurn | BaseException]:
    """`keep_turn` for the turns of one transaction (the city's turn writer): each is stored or refused
    alone, or spooled: all of them while the store is down, and those that must wait behind others."""
    behind, spool = [_behind(city, facts) for facts in many], city.spool
    if spool is None or not any(behind):
        return _store_many(city, many)
    stored = iter(_store_many(city, [facts for facts, wait in zip(many, behind, strict=True) if not wait]))
    return [spool.keep(facts) if wait else next(stored)
            for facts, wait in zip(many, behind, strict=True)]


def _behind(city: City, facts: TurnFacts) -> bool:
    """Whether the turn goes to the spool without trying the store: an earlier turn just found the store down
    (`bot.service.outage`), or turns of its conversation still wait there to be replayed, and stored now it
    would come before them."""
    spool = city.spool
    return spool is not None and (city.outage.down or spool.holds_turns_of(facts.conversation_id))


def _store_many(city: City, many: list[TurnFacts]) -> list[StoredTurn | BaseException]:
    if not many:
        return []
    try:
        return city.outage.store_or_spool(city.spool, partial(city.store.record_many, many),
                                          lambda spool: [spool.keep(facts) for facts in many])
    except StoreUnavailableError as down:  # no spool: every turn of the batch is told
        return [down] * len(many)


def keep_late(city: City, facts: TurnFacts) -> StoredTurn:
    """Into the spool, for a turn the store did not take in time (the writer is held up)."""
    if city.spool is None:
        raise StoreUnavailableError("the conversation store did not take the turn in time")
    log.warning("conversation store held up: turn kept in the local spool")
    return city.spool.keep(facts)
