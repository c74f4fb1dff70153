"""What a LINE or Slack resident asked for in their conversation: furigana (readings in parentheses).

Kept on the conversation row, so every worker and server agrees and a resident's data export and deletion
include it; while the database is down the choice lives in this process only.
"""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock

from sqlalchemy import select, update

from bot.store.repository import ConversationStore
from bot.store.tables import Conversation
from knowledge.core.errors import StoreUnavailableError


class ReadingPreferences:
    """Whether a conversation asked for furigana; the store's answer, else what this process remembers."""

    def __init__(self, size: int = 10_000) -> None:
        self._memory: OrderedDict[str, bool] = OrderedDict()
        self._size, self._lock = size, Lock()

    def furigana(self, store: ConversationStore, conversation: str) -> bool:
        """False until the resident asks; the process's memory while the store cannot answer."""
        try:
            with store.guard(), store.session() as session:
                found = session.scalars(
                    select(Conversation.furigana).where(Conversation.id == conversation)).first()
            return bool(found)
        except StoreUnavailableError:
            with self._lock:
                return self._memory.get(conversation, False)

    def set_furigana(self, store: ConversationStore, conversation: str, channel: str, audience: str,
                     on: bool) -> None:
        """Remember the choice (in the store when it answers, always in this process)."""
        with self._lock:
            self._memory[conversation] = on
            self._memory.move_to_end(conversation)
            while len(self._memory) > self._size:
                self._memory.popitem(last=False)
        try:
            with store.guard(), store.session() as session, session.begin():
                store.ensure_conversation(session, conversation, channel, audience)
                session.execute(
                    update(Conversation).where(Conversation.id == conversation).values(furigana=on))
        except StoreUnavailableError:
            pass  # remembered in this process until the store is back
