"""The conversation store: every turn, feedback and escalation, in SQLite by default or PostgreSQL.

Personal data typed into the chat is masked before anything is written. The schema is managed by
Alembic migrations shipped in `migrations/`, applied at startup. The names below load on first use, so a
command that only reads the index pointer (`madoguchi ask`, `search`) does not load SQLAlchemy's ORM.
"""

from importlib import import_module
from typing import Any

__all__ = ["ConversationStore", "StoredTurn"]


def __getattr__(name: str) -> Any:
    """`from bot.store import ConversationStore` imports bot.store.repository then, and only then."""
    if name not in __all__:
        raise AttributeError(f"module 'bot.store' has no attribute {name!r}")
    return getattr(import_module("bot.store.repository"), name)
