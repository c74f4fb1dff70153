"""Delivering what the desk produces: notifications of new escalations and agents' replies."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.store.outbox import Outbox
from bot.store.spool import SPOOL_FILE, Spool
from channels.delivery.dispatcher import Dispatcher
from knowledge.settings import Settings

if TYPE_CHECKING:
    from channels.web.api import WebContext

log = logging.getLogger("madoguchi.delivery")


def start_background_work(ctx: "WebContext") -> None:
    """One worker per city per server process: replay what the city spooled while its store was down (from
    the city's own spool file), then the outbox."""
    settings = ctx.settings
    outbox = Outbox(ctx.store, settings.outbox_max_attempts, settings.outbox_lease_seconds,
                    settings.outbox_first_delay_seconds)
    ctx.spool = Spool(settings.resolved_city_dir / SPOOL_FILE, settings.index_name, settings.outbox_lease_seconds)
    ctx.dispatcher = Dispatcher(settings, outbox, spool=ctx.spool).start()


def warn_of_shared_spool(server: Settings) -> None:
    """Versions before per-city spools had every city of a server write DATA_DIR/spool.db: its rows name no
    city, so no city replays them; say so, rather than leave them unnoticed."""
    path = server.data_dir / SPOOL_FILE
    if path.exists() and (waiting := Spool(path, "").pending()):
        log.warning("%s holds %d row(s) kept before each city had its own spool; no city replays them", path, waiting)


__all__ = ["Dispatcher", "start_background_work", "warn_of_shared_spool"]
