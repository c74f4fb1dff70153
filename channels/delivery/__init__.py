"""Delivering what the desk produces: notifications of new escalations and agents' replies."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.service.desk import city_spool, left_in_shared_spool
from channels.delivery.dispatcher import Dispatcher
from knowledge.core.settings import Settings

if TYPE_CHECKING:
    from bot.service.city import City

log = logging.getLogger("madoguchi.delivery")


def start_background_work(ctx: City) -> None:
    """One worker per city per server process: replay what the city spooled while its store was down (from
    the city's own spool file), then the outbox."""
    ctx.spool = city_spool(ctx.settings)
    ctx.dispatcher = Dispatcher(ctx.settings, ctx.desk, spool=ctx.spool).start()


def warn_of_shared_files(server: Settings) -> None:
    """Before each city had its own folder, every city of a server used DATA_DIR/spool.db and secret.key.
    Rows left in that spool name no city, so no city replays them; and a city without `secret_key` now
    gets a key of its own. Say so at startup rather than leave either unnoticed."""
    (spool, waiting), key = left_in_shared_spool(server), server.data_dir / "secret.key"
    if waiting:
        log.warning("%s holds %d row(s) kept before each city had its own spool; no city replays them", spool,
                    waiting)
    if key.exists():
        log.warning("%s is no longer used by the cities: each city without secret_key has its own key in "
                    "DATA_DIR/cities/<id>; set secret_key to the old key where old reply routes must still "
                    "open", key)


__all__ = ["Dispatcher", "start_background_work", "warn_of_shared_files"]
