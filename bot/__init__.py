"""madoguchi's answering engine. Channels call `Bot.answer()` and nothing else.

    from bot import Bot
    bot = Bot.from_settings(get_settings())
    reply = bot.answer("転入届に必要なものは？", Audience.RESIDENT, channel="web", session=Session())
"""

from bot.answer import Answer, Choice, Decision, Session
from bot.engine import Bot

__all__ = ["Answer", "Bot", "Choice", "Decision", "Session"]
