"""A resident's data on request (export, delete) and the retention period, through the CLI."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from bot.store.facts import TurnFacts
from bot.store.spool import Spool
from channels.cli.app import app
from channels.server import create_app
from knowledge.core.settings import Settings
from testing.live_index import wait_for
from testing.store_outage import unreachable

pytestmark = pytest.mark.integration


@pytest.fixture()
def store_url(sample_index_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("MADOGUCHI_DATABASE_URL", url)
    with TestClient(create_app(Settings(index_dir=sample_index_dir, database_url=url))) as client:
        for session, question in (("keep-session-01", "ごみの分け方"),
                                  ("gone-session-01", "住民票は090-1111-2222に連絡を"),
                                  ("gone-session-01", "人と話したい")):
            assert client.post("/api/v1/ask", json={"text": question,
                                                    "session_id": session}).status_code == 200
    return url


def test_export_shows_one_sessions_data_masked(cli: CliRunner, store_url: str) -> None:
    result = cli.invoke(app, ["data", "export", "--session", "gone-session-01"])
    assert result.exit_code == 0, result.output
    [conversation] = json.loads(result.output)
    assert [t["question"] for t in conversation["turns"]] == ["住民票は[電話番号]に連絡を", "人と話したい"]
    # 「人と話したい」 joined the hand-over its first question opened: one escalation
    assert [e["reason"] for e in conversation["escalations"]] == ["no entry matched with enough confidence"]
    assert "ごみ" not in result.output


def test_delete_removes_one_session_and_nothing_else(cli: CliRunner, store_url: str) -> None:
    assert cli.invoke(app, ["data", "delete", "--session", "gone-session-01"]).exit_code == 0
    assert cli.invoke(app, ["data", "export", "--session", "gone-session-01"]).exit_code == 1
    assert cli.invoke(app, ["data", "export", "--session", "keep-session-01"]).exit_code == 0


def make_old(store_url: str, session: str, escalation_status: str | None = None) -> None:
    """The conversation (and its hand-overs) untouched since 2020; the hand-overs put in a status."""
    engine = create_engine(store_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE conversations SET updated_at = '2020-01-01 00:00:00' WHERE id = :id"),
                           {"id": f"web:{session}"})
        connection.execute(text("UPDATE escalations SET updated_at = '2020-01-01 00:00:00', status = "
                                "COALESCE(:status, status) WHERE conversation_id = :id"),
                           {"id": f"web:{session}", "status": escalation_status})
    engine.dispose()


def test_purge_deletes_what_is_older_than_the_retention_period(cli: CliRunner, store_url: str) -> None:
    make_old(store_url, "gone-session-01", "closed")
    result = cli.invoke(app, ["data", "purge", "--days", "30"])
    assert result.exit_code == 0 and "deleted 1" in result.output
    assert cli.invoke(app, ["data", "export", "--session", "gone-session-01"]).exit_code == 1
    assert cli.invoke(app, ["data", "export", "--session", "keep-session-01"]).exit_code == 0


def test_purge_keeps_a_resident_still_waiting_for_a_person(cli: CliRunner, store_url: str) -> None:
    """`data purge --days 1` must not empty the desk's queue: a hand-over no agent has finished, or one an
    agent worked on within the retention period, keeps its conversation until it is closed or dropped."""
    make_old(store_url, "gone-session-01")  # its hand-over is still new
    result = cli.invoke(app, ["data", "purge", "--days", "30"])
    assert result.exit_code == 0 and "deleted 0" in result.output, result.output
    assert "kept 1 older conversation" in " ".join(result.output.split())
    assert cli.invoke(app, ["data", "export", "--session", "gone-session-01"]).exit_code == 0
    make_old(store_url, "gone-session-01", "dropped")
    assert "deleted 1" in cli.invoke(app, ["data", "purge", "--days", "30"]).output


def test_spooled_rows_are_in_export_delete_and_purge_and_kept_masked_once_set_aside(
        cli: CliRunner, sample_index_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url, city = f"sqlite:///{tmp_path / 'store.db'}", tmp_path / "city"
    monkeypatch.setenv("MADOGUCHI_DATABASE_URL", url)
    monkeypatch.setenv("MADOGUCHI_CITY_DIR", str(city))
    settings = Settings(index_dir=sample_index_dir, database_url=url, city_dir=city)
    # the server stops while the store is down
    with TestClient(create_app(settings)) as client, unreachable(url):
        assert client.post("/api/v1/ask", json={"text": "住民票は090-1111-2222に連絡を",
                                                "session_id": "waiting-session-1"}).status_code == 200
        contact = {"session_id": "aside-session-01", "name": "港 太郎", "phone": "080-5555-6666",
                   "preferred": "phone"}
        assert client.post(f"/api/v1/escalations/{'0' * 32}/contact", json=contact).status_code == 204
    waiting = cli.invoke(app, ["data", "export", "--session", "waiting-session-1"])
    assert waiting.exit_code == 0, waiting.output
    [conversation] = json.loads(waiting.output)
    assert conversation["spooled"][0]["data"]["question"] == "住民票は[電話番号]に連絡を"
    assert "1 spooled row" in cli.invoke(app, ["data", "delete", "--session", "waiting-session-1"]).output
    assert cli.invoke(app, ["data", "export", "--session", "waiting-session-1"]).exit_code == 1
    # back: the contact details name no escalation, set aside
    with TestClient(create_app(settings)) as client:
        wait_for(lambda: client.get("/healthz").json()["set_aside"] == 1)
    kept = (city / "spool.db").read_bytes().decode("utf-8", "replace") + "".join(
        path.read_text("utf-8", "replace") for path in city.glob("spool.db-*"))
    assert "5555" not in kept and "港 太郎" not in kept
    aside = json.loads(cli.invoke(app, ["data", "export", "--session", "aside-session-01"]).output)
    assert aside[0]["spooled"][0]["data"]["phone"] == "[電話番号]" and aside[0]["spooled"][0]["set_aside"]
    with sqlite3.connect(city / "spool.db") as spool:
        spool.execute("UPDATE spool SET kept_at = 1e9")  # kept in 2001
    assert "1 spooled row" in cli.invoke(app, ["data", "purge", "--days", "30"]).output
    assert cli.invoke(app, ["data", "export", "--session", "aside-session-01"]).exit_code == 1


def test_a_citys_spooled_rows_are_found_by_naming_its_folder(cli: CliRunner, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MADOGUCHI_DATABASE_URL", f"sqlite:///{tmp_path / 'asahi.db'}")
    monkeypatch.setenv("MADOGUCHI_CITY_DIR", str(tmp_path / "cities" / "asahi"))
    Spool(tmp_path / "cities" / "asahi" / "spool.db", "asahi").keep(
        TurnFacts("web:asahi-person-01", "web", "resident", "粗大ごみ", "粗大ごみ", "question", "answer",
                  0.9))
    result = cli.invoke(app, ["data", "export", "--session", "asahi-person-01"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[0]["spooled"][0]["data"]["question"] == "粗大ごみ"
    assert "1 spooled row" in cli.invoke(app, ["data", "delete", "--session", "asahi-person-01"]).output
