"""A conversation's turns are stored in the order they were asked, across an outage of the store: while a
turn of a conversation waits in the spool, the conversation's next turns wait behind it, also once the store
answers again; other conversations are stored at once. The spool is replayed by hand here (no dispatcher),
so that what waits where can be looked at between the steps."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.fault_proxy import FaultProxy
from bot.service.city import City, Message
from bot.service.desk import city_spool
from bot.service.identity import WEB
from channels.server.city import build_city
from knowledge.core.settings import Settings
from knowledge.records import Audience
from testing.database import postgres_schema_url
from testing.live_index import wait_until

pytestmark = pytest.mark.system  # the real PostgreSQL, through a fault proxy


@pytest.fixture()
def city_and_proxy(sample_index_dir: Path, tmp_path: Path) -> Iterator[tuple[City, FaultProxy]]:
    for url in postgres_schema_url():
        proxy = FaultProxy(5432)
        settings = Settings(index_dir=sample_index_dir, data_dir=tmp_path, database_url=proxy.url_for(url),
                            database_connect_timeout_seconds=2, database_statement_timeout_seconds=2)
        city = build_city(settings)
        city.spool = city_spool(settings)
        yield city, proxy
        city.stop()
        proxy.close()


def ask(city: City, session: str, text: str) -> int:
    """The turn id the city kept the question under: negative while it waits in the spool."""
    return city.handle(Message(WEB, city.ids.web(session), Audience.RESIDENT, text)).turn.turn_id


def test_a_conversations_next_turns_wait_behind_its_spooled_turn_until_it_is_replayed(
        city_and_proxy: tuple[City, FaultProxy]) -> None:
    city, proxy = city_and_proxy
    assert ask(city, "order-first-01", "住民票の写しがほしい") > 0
    proxy.refusing()
    assert ask(city, "order-first-01", "粗大ごみの出し方") < 0
    assert city.outage.down, "the failed turn marks the store down"
    started = time.monotonic()
    assert ask(city, "order-other-01", "転入届に必要なものは") < 0
    assert time.monotonic() - started < 1.0, "spooled without trying the store again"
    proxy.passing()
    assert wait_until(lambda: not city.outage.down), "the store answers again: the outage ends"
    assert ask(city, "order-first-01", "ありがとう") < 0, "stored now, it would come before 粗大ごみ"
    assert ask(city, "order-third-01", "保育園に入りたい") > 0, "nothing of it spooled: stored"
    assert city.spool is not None and city.spool.replay(city.store) == 3
    assert ask(city, "order-first-01", "印鑑登録をしたい") > 0, "nothing waits any more: stored at once"
    turns = city.store.export([city.ids.web("order-first-01").id])[0]["turns"]
    assert [t["question"] for t in turns] == ["住民票の写しがほしい", "粗大ごみの出し方", "ありがとう",
                                              "印鑑登録をしたい"]


def test_an_unreadable_spool_file_does_not_keep_turns_from_the_store(sample_index_dir: Path,
                                                                     tmp_path: Path) -> None:
    settings = Settings(index_dir=sample_index_dir, data_dir=tmp_path)
    city = build_city(settings)
    city.spool = city_spool(settings)
    try:
        city.spool.path.write_bytes(b"not a database" * 512)
        for name in ("-wal", "-shm"):
            city.spool.path.with_name(city.spool.path.name + name).unlink(missing_ok=True)
        assert ask(city, "unreadable-spool-01", "住民票の写しがほしい") > 0
    finally:
        city.stop()
