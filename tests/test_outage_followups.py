"""While the conversation store is down, what a resident sends after a turn is kept too: a choice click,
contact details, 👍/👎 and reply polling all work, and everything lands in the store once it is back."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select

from bench.fault_proxy import FaultProxy
from bot.answer import NONE_OF_THESE
from bot.store.spool import SPOOL_FILE
from bot.store.tables import Escalation, Feedback, Turn
from channels.server import create_app
from knowledge.core.settings import Settings
from testing.database import STORES, postgres_schema_url
from testing.live_index import wait_for
from testing.services import REDIS
from testing.store_outage import unreachable

pytestmark = pytest.mark.integration


@pytest.fixture(params=STORES)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
    else:
        yield from postgres_schema_url()


@pytest.fixture()
def client(sample_index_dir: Path, store_url: str, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(index_dir=sample_index_dir, database_url=store_url, city_dir=tmp_path / "city",
                        rate_per_session=1000, rate_per_address=10_000, outbox_lease_seconds=2)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def ask(client: TestClient, session: str, **body: str) -> dict:
    response = client.post("/api/v1/ask", json={"session_id": session, **body})
    assert response.status_code == 200, response.text
    return response.json()


def rows(url: str, table: type) -> list:
    engine = create_engine(url)
    with engine.connect() as connection:
        found = list(connection.execute(select(table)))
    engine.dispose()
    return found


def spooled(client: TestClient) -> int:
    return int(client.get("/healthz").json()["spooled"])


def test_choices_contact_feedback_and_polling_work_while_the_store_is_down(
        client: TestClient, store_url: str) -> None:
    answered = ask(client, "before-outage-01", text="児童手当はいつ振り込まれる？")
    before = ask(client, "before-outage-01", text="カードをなくした")
    with unreachable(store_url):
        # offered before the outage
        picked = ask(client, "before-outage-01", choice_id=before["choices"][0]["id"])
        offered = ask(client, "during-outage-1", text="カードをなくした")
        assert offered["decision"] == "clarify" and offered["turn_id"] < 0
        during = ask(client, "during-outage-1", choice_id=offered["choices"][0]["id"])  # offered while down
        escalated = ask(client, "during-outage-1", text="担当者と話したい")
        contact = client.post(f"/api/v1/escalations/{escalated['escalation']['id']}/contact",
                              json={"session_id": "during-outage-1", "phone": "090-2222-3333",
                                    "preferred": "phone"})
        votes = [client.post("/api/v1/feedback",
                             json={"session_id": session, "turn_id": turn, "helpful": False,
                                   "comment": "outage-vote"})
                 for session, turn in (("during-outage-1", during["turn_id"]),
                                       ("before-outage-01", answered["turn_id"]))]
        polled = client.get("/api/v1/replies", params={"session_id": "during-outage-1"})
        assert spooled(client) == 7  # four turns, the contact details, two votes
    assert picked["answer"]["id"] == before["choices"][0]["id"] and during["answer"]["id"] == offered[
        "choices"][0]["id"]
    assert (contact.status_code,
            [v.status_code for v in votes]) == (204, [204, 204]), (contact.text, votes[0].text)
    assert polled.status_code == 200 and polled.json() == {"replies": []}
    wait_for(lambda: spooled(client) == 0, 30)
    assert client.get("/healthz").json()["set_aside"] == 0
    [escalation] = [e for e in rows(store_url, Escalation) if e.id == escalated["escalation"]["id"]]
    assert (escalation.contact_phone, escalation.preferred_reply) == ("090-2222-3333", "phone")
    stored_turns = {t.id: t for t in rows(store_url, Turn)}
    votes_on = sorted(stored_turns[f.turn_id].conversation_id for f in rows(store_url, Feedback))
    assert votes_on == ["web:before-outage-01", "web:during-outage-1"]


def test_contact_for_an_escalation_still_in_the_spool_is_accepted_after_the_store_is_back(
        client: TestClient, store_url: str, tmp_path: Path) -> None:
    with unreachable(store_url):
        escalated = ask(client, "just-recovered-1", text="担当者と話したい")
    spool = sqlite3.connect(tmp_path / "city" / SPOOL_FILE)  # another worker is busy replaying the spool
    spool.execute("UPDATE spool SET leased_until = ?", (time.time() + 3600,))
    spool.commit()
    contact = client.post(f"/api/v1/escalations/{escalated['escalation']['id']}/contact",
                          json={"session_id": "just-recovered-1", "email": "taro@example.jp",
                                "preferred": "email"})
    assert contact.status_code == 204, contact.text
    spool.execute("UPDATE spool SET leased_until = 0")  # that worker is gone: its lease is given up
    spool.commit()
    spool.close()
    wait_for(lambda: spooled(client) == 0, 30)
    [escalation] = [e for e in rows(store_url, Escalation) if e.id == escalated["escalation"]["id"]]
    assert escalation.contact_email == "taro@example.jp"


def test_a_choice_offered_by_one_worker_is_accepted_by_another_while_the_store_is_down(
        sample_index_dir: Path, tmp_path: Path, prefix: str) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    shared = Settings(index_dir=sample_index_dir, database_url=url, city_dir=tmp_path / "city",
                      redis_url=REDIS, redis_prefix=prefix, index_poll_seconds=0)
    with TestClient(create_app(shared)) as first, TestClient(create_app(shared)) as second:
        offered = ask(first, "two-workers-0001", text="カードをなくした")
        with unreachable(url):
            picked = ask(second, "two-workers-0001", choice_id=offered["choices"][0]["id"])
    assert offered["decision"] == "clarify"
    assert picked["answer"]["id"] == offered["choices"][0]["id"]


def test_a_click_after_redis_and_the_store_were_both_down_picks_from_the_worker_s_newer_offer(
        sample_index_dir: Path, tmp_path: Path, prefix: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """An offer made while Redis was down lives only in the worker; once Redis is back it still holds the
    offer that one replaced, and a click on the new choices must not be read against the old ones."""
    monkeypatch.setattr("bot.service.shared_redis.RETRY_SECONDS", 0.2)  # Redis is asked again soon after
    proxy = FaultProxy(urlsplit(REDIS).port or 6379)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    settings = Settings(index_dir=sample_index_dir, database_url=url, city_dir=tmp_path / "city",
                        redis_url=proxy.url_for(REDIS), redis_prefix=prefix, index_poll_seconds=0)
    try:
        with TestClient(create_app(settings)) as worker:
            first = ask(worker, "redis-back-0001", text="カードをなくした")
            proxy.refusing()
            newer = ask(worker, "redis-back-0001", text="ごみを出したい")
            proxy.passing()
            time.sleep(0.5)
            with unreachable(url):
                picked = ask(worker, "redis-back-0001", choice_id=newer["choices"][0]["id"])
    finally:
        proxy.close()
    assert first["decision"] == newer["decision"] == "clarify"
    assert {c["id"] for c in first["choices"]} & {c["id"] for c in newer["choices"]} == {NONE_OF_THESE}
    assert picked["answer"]["id"] == newer["choices"][0]["id"]


def test_a_number_typed_after_english_choices_offered_while_the_store_is_down_is_answered_in_english(
        client: TestClient, store_url: str) -> None:
    with unreachable(store_url):
        offered = ask(client, "outage-english-1", text="Where do I get sandbags for a flood?")
        assert (offered["decision"], offered["language"]) == ("clarify", "en") and offered["turn_id"] < 0
        picked = ask(client, "outage-english-1", text="1")  # the offer is read from the spool
    assert picked["decision"] == "answer" and picked["answer"]["id"] == offered["choices"][0]["id"]
    assert picked["language"] == "en"
    assert picked["answer"]["notice"].startswith("This answer is only available")
