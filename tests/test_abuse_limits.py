"""What a client cannot pump or spoof: one 👍/👎 per turn, invalid requests count toward the address
limit, X-Forwarded-For is believed only from a configured proxy, and redirects never echo the Host header."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from bot.store.tables import Feedback
from channels.server import create_app
from knowledge.core.settings import Settings
from testing.database import STORES, postgres_schema_url, rows
from testing.recorder import free_port
from testing.servers import start_server

pytestmark = pytest.mark.system  # starts madoguchi in a subprocess

LOOPBACK = ("127.0.0.1", 50000)


@pytest.fixture(params=STORES)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'madoguchi.db'}"
    else:
        yield from postgres_schema_url()


def settings(index_dir: Path, data_dir: Path, **overrides: object) -> Settings:
    return Settings(**{"index_dir": index_dir, "data_dir": data_dir, "rate_per_session": 1000,
                       "rate_per_address": 10_000, **overrides})


def ask(client: TestClient, session: str, **headers: str) -> httpx.Response:
    return client.post("/api/v1/ask", json={"text": "ごみの出し方", "session_id": session}, headers=headers)


def test_a_later_feedback_on_the_same_turn_replaces_the_earlier_one(sample_index_dir: Path, tmp_path: Path,
                                                                   store_url: str) -> None:
    with TestClient(create_app(settings(sample_index_dir, tmp_path, database_url=store_url))) as client:
        turn = ask(client, "feedback-session-01").json()["turn_id"]
        votes = [(True, ""), (True, ""), (True, ""), (False, "手数料の説明がなかった")]
        codes = [client.post("/api/v1/feedback", json={"session_id": "feedback-session-01", "turn_id": turn,
                                                       "helpful": helpful, "comment": comment}).status_code
                 for helpful, comment in votes]
    assert codes == [204] * 4, "changing one's mind is allowed"
    stored = [(f.helpful, f.comment) for f in rows(store_url, Feedback) if f.turn_id == turn]
    assert stored == [(False, "手数料の説明がなかった")]


def test_requests_that_fail_validation_count_toward_the_address_limit(sample_index_dir: Path,
                                                                     tmp_path: Path) -> None:
    with TestClient(create_app(settings(sample_index_dir, tmp_path, rate_per_address=5))) as client:
        invalid = {"text": 12, "session_id": "x"}
        codes = [client.post("/api/v1/ask", json=invalid).status_code for _ in range(6)]
        valid = ask(client, "invalid-then-valid-01")
    assert codes == [422] * 5 + [429]
    assert valid.status_code == 429 and valid.headers["retry-after"]


def test_forwarded_for_is_honoured_from_a_configured_proxy(sample_index_dir: Path, tmp_path: Path) -> None:
    trusted = settings(sample_index_dir, tmp_path, rate_per_address=3, trusted_proxies=["127.0.0.1"])
    with TestClient(create_app(trusted), client=LOOPBACK) as client:
        codes = [ask(client, f"xff-session-{n:04d}", **{"X-Forwarded-For": f"203.0.113.{n}"}).status_code
                 for n in range(6)]
    assert codes == [200] * 6, "behind the city's proxy each resident has their own limit"


def test_rotating_forwarded_for_from_loopback_does_not_escape_the_address_limit(
        sample_index_dir: Path, model_cache: Path, tmp_path: Path) -> None:
    env = {**os.environ, "MADOGUCHI_INDEX_DIR": str(sample_index_dir), "MADOGUCHI_DATA_DIR": str(model_cache),
           "MADOGUCHI_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}", "MADOGUCHI_RATE_PER_ADDRESS": "3",
           "MADOGUCHI_INDEX_POLL_SECONDS": "0"}
    env.pop("FORWARDED_ALLOW_IPS", None)
    port = free_port()
    server = start_server(env, port)
    try:
        codes = [httpx.post(f"http://127.0.0.1:{port}/api/v1/ask", timeout=30,
                            json={"text": "ごみの出し方", "session_id": uuid.uuid4().hex},
                            headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code for n in range(5)]
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert codes == [200, 200, 200, 429, 429]


def test_redirects_are_relative_whatever_the_host_header_says(sample_index_dir: Path, tmp_path: Path) -> None:
    with TestClient(create_app(settings(sample_index_dir, tmp_path))) as client:
        slash = client.get("/desk/", headers={"Host": "evil.example"}, follow_redirects=False)
        login = client.get("/desk", headers={"Host": "evil.example"}, follow_redirects=False)
    assert slash.status_code in {307, 308} and slash.headers["location"] == "/desk"
    assert login.status_code == 303 and login.headers["location"].startswith("/desk/login")


def test_a_burst_of_health_checks_pings_the_store_once(sample_index_dir: Path, tmp_path: Path,
                                                       store_url: str) -> None:
    """/healthz is open to anyone; 150 calls in a row must not be 150 database round trips."""
    import time

    from sqlalchemy import event

    from channels.web.pulse import FRESH_SECONDS

    with TestClient(create_app(settings(sample_index_dir, tmp_path, database_url=store_url))) as client:
        statements: list[str] = []
        engine = client.app.state.madoguchi.store.engine  # type: ignore[attr-defined]
        event.listen(engine, "before_cursor_execute",  # the outbox's own polling runs beside, on its clock
                     lambda *args: "outbox" in args[2] or statements.append(args[2]))
        started = time.monotonic()
        answers = [client.get("/healthz") for _ in range(150)]
        windows = (time.monotonic() - started) / FRESH_SECONDS + 1
    assert {a.status_code for a in answers} == {200} and {a.json()["store"] for a in answers} == {"ok"}
    assert 1 <= len(statements) <= 2 * windows, (len(statements), windows)
