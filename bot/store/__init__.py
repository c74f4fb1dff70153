"""The conversation store: every turn, feedback and escalation, in SQLite by default or PostgreSQL.

Personal data typed into the chat is masked before anything is written. The schema is managed by
Alembic migrations shipped in `migrations/`, applied at startup.
"""

from bot.store.repository import ConversationStore, StoredTurn

__all__ = ["ConversationStore", "StoredTurn"]
