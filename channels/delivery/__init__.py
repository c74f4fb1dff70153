"""Delivering what the desk produces: notifications of new escalations and agents' replies."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.store.outbox import Outbox
from bot.store.spool import Spool
from channels.delivery.dispatcher import Dispatcher

if TYPE_CHECKING:
    from channels.web.api import WebContext

SPOOL_FILE = "spool.db"


def start_background_work(ctx: "WebContext") -> None:
    """One worker per server process: replay turns spooled while the store was down, then the outbox."""
    settings = ctx.settings
    outbox = Outbox(ctx.store, settings.outbox_max_attempts, settings.outbox_lease_seconds,
                    settings.outbox_first_delay_seconds)
    ctx.spool = Spool(settings.data_dir / SPOOL_FILE, settings.outbox_lease_seconds)
    ctx.dispatcher = Dispatcher(settings, outbox, spool=ctx.spool).start()


__all__ = ["Dispatcher", "start_background_work"]
