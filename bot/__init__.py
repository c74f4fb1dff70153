"""madoguchi's answering engine. The city (`bot.service.city.City`) calls `Bot.answer()` for every channel.

    from bot import Bot
    bot = Bot.from_settings(get_settings())
    reply = bot.answer("転入届に必要なものは？", Audience.RESIDENT, channel="web", session=Session())

The names load on first use, so that a command which needs only the store (`madoguchi desk user list`) or
nothing at all (`madoguchi --help`) does not load the engine and its index libraries.
"""

from importlib import import_module
from typing import Any

_HOMES = {"Answer": "bot.answer", "Choice": "bot.answer", "Decision": "bot.answer", "Session": "bot.answer",
          "Bot": "bot.engine"}

__all__ = ["Answer", "Bot", "Choice", "Decision", "Session"]


def __getattr__(name: str) -> Any:
    """`from bot import Bot` imports bot.engine then, and only then."""
    if name not in _HOMES:
        raise AttributeError(f"module 'bot' has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)
