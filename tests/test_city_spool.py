"""Cities on one server each have their own outage spool and key: what a resident of one city says while
its database is down is stored in that city's database once it is back, and nowhere else."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bot.store.tables import Escalation, Feedback, Turn
from channels.cli.app import app as cli_app
from channels.server.tenants.server import create_tenants_app
from knowledge.core.settings import Settings
from testing.live_index import wait_for
from testing.store_outage import unreachable
from testing.tenants import HOSTS, count, stores, write_city  # noqa: F401  (stores is a fixture)

pytestmark = pytest.mark.integration

MARK = {"asahi": "ASAHIMARK", "kawase": "KAWASEMARK"}
PHONE = {"asahi": "090-1111-2222", "kawase": "080-3333-4444"}


@pytest.fixture(scope="module")
def data_dir(stores: dict[str, str], tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Path:
    """The server's own data dir (the built model linked in), one per store, so its cities' folders start
    empty: a row the last store's server kept as it stopped is not waiting in the next one's spool."""
    folder = tmp_path_factory.mktemp("server-data")
    (model_cache / "models").mkdir(exist_ok=True)
    os.symlink(model_cache / "models", folder / "models")
    return folder


@pytest.fixture(scope="module")
def server(stores: dict[str, str], data_dir: Path,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    path = write_city(tmp_path_factory.mktemp("tenants"), stores)
    built = CliRunner().invoke(cli_app, ["tenants", "build"],
                               env={"MADOGUCHI_DATA_DIR": str(data_dir), "MADOGUCHI_TENANTS_FILE": str(path)})
    assert built.exit_code == 0, built.output
    settings = Settings(tenants_file=path, data_dir=data_dir, index_poll_seconds=0, rate_per_session=1000,
                        rate_per_address=10_000, outbox_lease_seconds=2)
    application = create_tenants_app(settings)
    with TestClient(application):
        yield application


def city(server: object, key: str) -> TestClient:
    return TestClient(server, base_url=f"http://{HOSTS[key]}")  # type: ignore[arg-type]


def converse(server: object, key: str) -> dict:
    """An answer, a hand-over with a phone number in the question, contact details and 👎 on the answer."""
    session = f"{key}-resident-0001"
    asked = [city(server, key).post("/api/v1/ask", json={"session_id": session, "text": text})
             for text in ("粗大ごみの申し込み方法を教えてください。" + MARK[key],
                          f"担当者と話したい {MARK[key]} 電話{PHONE[key]}")]
    assert [a.status_code for a in asked] == [200, 200], [a.text for a in asked]
    answered, escalated = asked[0].json(), asked[1].json()
    contact = city(server, key).post(f"/api/v1/escalations/{escalated['escalation']['id']}/contact",
                                     json={"session_id": session, "phone": PHONE[key], "preferred": "phone"})
    vote = city(server, key).post("/api/v1/feedback",
                                  json={"session_id": session, "turn_id": answered["turn_id"],
                                        "helpful": False, "comment": MARK[key]})
    assert (contact.status_code, vote.status_code) == (204, 204), (contact.text, vote.text)
    return escalated


def test_a_citys_spooled_turns_replay_into_its_own_database_and_nowhere_else(
        server: object, stores: dict[str, str], data_dir: Path) -> None:
    with unreachable(stores["asahi"]):
        escalated = {key: converse(server, key) for key in ("asahi", "kawase")}
        wait_for(lambda: city(server, "kawase").get("/healthz").json()["spooled"] == 0, 10)
        assert city(server, "asahi").get("/healthz").json()["spooled"] == 4  # two turns, contact, feedback
        assert count(stores["kawase"], Turn.id, Turn.question.like(f"%{MARK['asahi']}%")) == 0
    wait_for(lambda: city(server, "asahi").get("/healthz").json()["spooled"] == 0, 30)
    assert city(server, "asahi").get("/healthz").json()["set_aside"] == 0
    for key, other in (("asahi", "kawase"), ("kawase", "asahi")):
        assert count(stores[key], Turn.id, Turn.question.like(f"%{MARK[key]}%")) == 2
        assert count(stores[key], Turn.id, Turn.question.like(f"%{MARK[other]}%")) == 0
        assert count(stores[key], Escalation.id, Escalation.id == escalated[key]["escalation"]["id"],
                     Escalation.contact_phone == PHONE[key]) == 1
        assert count(stores[key], Escalation.id, Escalation.id == escalated[other]["escalation"]["id"]) == 0
        assert count(stores[key], Feedback.id, Feedback.comment == MARK[key]) == 1
        assert count(stores[key], Feedback.id, Feedback.comment == MARK[other]) == 0


def test_each_city_keeps_its_spool_and_secret_key_in_its_own_folder(server: object, data_dir: Path) -> None:
    city(server, "asahi").post("/api/v1/ask", json={"text": "粗大ごみ"})
    keys = {key: (data_dir / "cities" / key / "secret.key").read_text() for key in HOSTS}
    assert keys["asahi"] != keys["kawase"] and not (data_dir / "secret.key").exists()
    assert all((data_dir / "cities" / key / "spool.db").exists() for key in HOSTS)
    assert not (data_dir / "spool.db").exists()


def test_rows_left_in_the_old_shared_spool_and_the_old_shared_key_are_reported(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write_city(tmp_path, {key: f"sqlite:///{tmp_path / key}.db" for key in HOSTS})
    with sqlite3.connect(tmp_path / "spool.db") as old:  # as written by a version without per-city spools
        old.execute("CREATE TABLE spool (id INTEGER PRIMARY KEY, facts TEXT NOT NULL, leased_until REAL NOT "
                    "NULL DEFAULT 0, set_aside TEXT)")
        old.execute("INSERT INTO spool (facts) VALUES (?)",
                    (json.dumps({"conversation_id": "web:someone-0001"}),))
    (tmp_path / "secret.key").write_text("0" * 64)
    with caplog.at_level(logging.WARNING, logger="madoguchi.delivery"):
        create_tenants_app(Settings(tenants_file=path, data_dir=tmp_path))
    assert "holds 1 row(s) kept before each city had its own spool" in caplog.text
    assert "secret.key is no longer used by the cities" in caplog.text
