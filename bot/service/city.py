"""The city as every channel and the desk see it: one object holding the bot, the store and the limits.

Built once per worker (per city on a server of many) by `channels.server.app.build_city`; adapters receive it
and translate their input into calls on it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot import Bot
from bot.service.desk import DeskServices
from bot.service.followups import RecentOffers
from bot.store import ConversationStore
from bot.store.preferences import ReadingPreferences
from bot.store.spool import Spool
from knowledge.core.settings import Settings

if TYPE_CHECKING:
    from channels.delivery import Dispatcher
    from channels.web.limits import Limiter


@dataclass(slots=True)
class City:
    """What the routes share: the bot (one at a time: Sudachi is not thread-safe), the store, the limits."""

    settings: Settings
    bot: Bot
    store: ConversationStore
    per_session: Limiter
    per_address: Limiter
    lock: threading.Lock
    per_chat_user: Limiter
    dispatcher: Dispatcher | None = None
    spool: Spool | None = None
    offers: RecentOffers = field(default_factory=RecentOffers)
    readings: ReadingPreferences = field(default_factory=ReadingPreferences)
    desk: DeskServices = field(init=False)

    def __post_init__(self) -> None:
        """The desk's services over this city's store, built once with the city."""
        self.desk = DeskServices.of(self.store, self.settings)

    def wake_outbox(self) -> None:
        """Deliver newly committed replies now instead of at the dispatcher's next tick."""
        if self.dispatcher is not None:
            self.dispatcher.wake()
