"""A database that accepts connections but never answers is an outage, not a freeze: the first resident is
answered within a few seconds (the turn spooled), the questions and 👍/👎 after it at once, /healthz answers
within its store check's second whatever the store's own timeouts, and when the database answers again
everything spooled is stored and new turns are stored again.

Connecting may take 4 s here, so a /healthz that waited for the store would take at least that long; the
3 s bound leaves room for a busy shared machine (a CI run once took 2.35 s where alone it takes 1.02 s)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bench.fault_proxy import FaultProxy
from bot.store import ConversationStore
from bot.store.escalations import EscalationStore
from channels.server import create_app
from knowledge.core.settings import Settings
from testing.database import postgres_schema_url

pytestmark = pytest.mark.system  # a database that stops answering, through a fault proxy

QUESTIONS = ["粗大ごみの出し方", "住民票の写しを取りたい", "担当者と話したい"]
OTHER = {"session_id": "silent-database-02"}  # handed to a person before the database fell silent


@pytest.fixture()
def database() -> Iterator[tuple[str, FaultProxy]]:
    for url in postgres_schema_url():
        ConversationStore(url).migrate().engine.dispose()
        proxy = FaultProxy(5432, hold_seconds=30)
        yield url, proxy
        proxy.close()


def timed(call):  # type: ignore[no-untyped-def]
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def wait_until(check, seconds: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not check():
        time.sleep(0.2)
    return bool(check())


def test_a_silent_database_spools_asks_quickly_keeps_healthz_fast_and_loses_nothing(
        database: tuple[str, FaultProxy], sample_index_dir: Path, tmp_path: Path) -> None:
    url, proxy = database
    settings = Settings(index_dir=sample_index_dir, data_dir=tmp_path, database_url=proxy.url_for(url),
                        database_statement_timeout_seconds=1, database_connect_timeout_seconds=4,
                        database_pool_timeout_seconds=1, rate_per_session=1000, rate_per_address=10_000)
    session = {"session_id": "silent-database-01"}
    with TestClient(create_app(settings)) as client:
        greeted = client.post("/api/v1/ask", json={**session, "text": "こんにちは"}).json()
        handed = client.post("/api/v1/ask", json={**OTHER, "text": "担当者と話したい"}).json()
        assert greeted["turn_id"] > 0 and handed["turn_id"] > 0, (greeted, handed)
        proxy.silent()
        replies, waits = [], []
        for question in QUESTIONS:
            reply, seconds = timed(partial(client.post, "/api/v1/ask", json={**session, "text": question}))
            assert reply.status_code == 200, reply.text
            replies.append(reply.json())
            waits.append(seconds)
        assert waits[0] < 6.5 and max(waits[1:]) < 2, waits  # the first finds the outage: one 4 s wait
        thumb, seconds = timed(partial(client.post, "/api/v1/feedback",
                                       json={**session, "turn_id": greeted["turn_id"], "helpful": True}))
        assert thumb.status_code == 204 and seconds < 2, (thumb.text, seconds)  # 👍 on a turn stored before
        contact_path = f"/api/v1/escalations/{handed['escalation']['id']}/contact"
        contact, seconds = timed(partial(client.post, contact_path,
                                         json={**OTHER, "phone": "090-7777-8888", "preferred": "phone"}))
        assert contact.status_code == 204 and seconds < 2, (contact.text, seconds)
        health, seconds = timed(lambda: client.get("/healthz"))
        assert seconds < 3 and health.json()["store"] == "unreachable", (seconds, health.json())
        assert health.json()["spooled"] == len(QUESTIONS) + 2
        proxy.passing()
        assert wait_until(lambda: client.get("/healthz").json()["spooled"] == 0), "spooled turns not replayed"
        assert wait_until(lambda: client.get("/healthz").json()["store"] == "ok"), "checked every 2 s at most"
        assert client.get("/healthz").json()["set_aside"] == 0
        assert wait_until(lambda: not client.app.state.madoguchi.outage.down), "the outage never ended"
        after = client.post("/api/v1/ask", json={**session, "text": "ありがとう"}).json()
        assert after["turn_id"] > 0, after  # stored, not spooled
    escalation_id = replies[-1]["escalation"]["id"]
    store = ConversationStore(url)
    desk = EscalationStore(store)
    assert {e.id for e in desk.queue()} == {escalation_id, handed["escalation"]["id"]}
    assert desk.get(handed["escalation"]["id"]).contact_phone == "090-7777-8888"
    [conversation] = store.export(["web:silent-database-01"])
    assert [t["question"] for t in conversation["turns"]] == ["こんにちは", *QUESTIONS, "ありがとう"]
    assert [f["helpful"] for f in conversation["feedback"]] == [True]
    store.engine.dispose()


def test_a_locked_sqlite_store_spools_asks_within_the_statement_timeout(sample_index_dir: Path,
                                                                         tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'madoguchi.db'}"
    settings = Settings(index_dir=sample_index_dir, data_dir=tmp_path, database_url=url,
                        database_statement_timeout_seconds=1, rate_per_session=1000, rate_per_address=10_000)
    session = {"session_id": "locked-sqlite-01"}
    with TestClient(create_app(settings)) as client:
        holder = sqlite3.connect(tmp_path / "madoguchi.db", isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")  # another process writing for a long time
        try:
            reply, seconds = timed(lambda: client.post("/api/v1/ask",
                                                       json={**session, "text": "担当者と話したい"}))
            assert reply.status_code == 200 and seconds < 4, (reply.status_code, seconds)
            assert reply.json()["turn_id"] < 0, "kept in the spool"
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert wait_until(lambda: client.get("/healthz").json()["spooled"] == 0), "spooled turn not replayed"
    store = ConversationStore(url)
    assert [e.id for e in EscalationStore(store).queue()] == [reply.json()["escalation"]["id"]]
