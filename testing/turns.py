"""A bot reply stored as a turn without a channel, for tests that need a conversation in the store: the same
facts `City.handle` writes (`bot.service.conversation.turn_facts`)."""

from __future__ import annotations

from bot import Answer
from bot.service.conversation import turn_facts
from bot.store import ConversationStore, StoredTurn
from bot.store.routes import ReplyRoute


def record_turn(store: ConversationStore, conversation_id: str, channel: str, audience: str, question: str,
                normalised: str, reply: Answer, route: ReplyRoute | None = None) -> StoredTurn:
    """Store the turn (and its escalation) in one transaction, as a channel's message would be."""
    return store.record(turn_facts(conversation_id, channel, audience, question, normalised, reply,
                                   store.seal(route)))
