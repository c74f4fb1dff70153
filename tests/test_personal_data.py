"""A resident's data on request (export, delete) and the retention period, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from channels.cli import app
from channels.web import create_app
from knowledge.settings import Settings


@pytest.fixture()
def store_url(sample_index_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("MADOGUCHI_DATABASE_URL", url)
    with TestClient(create_app(Settings(index_dir=sample_index_dir, database_url=url))) as client:
        for session, question in (("keep-session-01", "ごみの分け方"), ("gone-session-01", "住民票は090-1111-2222に連絡を"),
                                  ("gone-session-01", "人と話したい")):
            assert client.post("/api/v1/ask", json={"text": question, "session_id": session}).status_code == 200
    return url


def test_export_shows_one_sessions_data_masked(cli: CliRunner, store_url: str) -> None:
    result = cli.invoke(app, ["data", "export", "--session", "gone-session-01"])
    assert result.exit_code == 0, result.output
    [conversation] = json.loads(result.output)
    assert [t["question"] for t in conversation["turns"]] == ["住民票は[電話番号]に連絡を", "人と話したい"]
    assert "asked for a person" in {e["reason"] for e in conversation["escalations"]} and "ごみ" not in result.output


def test_delete_removes_one_session_and_nothing_else(cli: CliRunner, store_url: str) -> None:
    assert cli.invoke(app, ["data", "delete", "--session", "gone-session-01"]).exit_code == 0
    assert cli.invoke(app, ["data", "export", "--session", "gone-session-01"]).exit_code == 1
    assert cli.invoke(app, ["data", "export", "--session", "keep-session-01"]).exit_code == 0


def test_purge_deletes_what_is_older_than_the_retention_period(cli: CliRunner, store_url: str) -> None:
    engine = create_engine(store_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE conversations SET updated_at = '2020-01-01 00:00:00' WHERE id = 'web:gone-session-01'"))
    engine.dispose()
    result = cli.invoke(app, ["data", "purge", "--days", "30"])
    assert result.exit_code == 0 and "deleted 1" in result.output
    assert cli.invoke(app, ["data", "export", "--session", "gone-session-01"]).exit_code == 1
    assert cli.invoke(app, ["data", "export", "--session", "keep-session-01"]).exit_code == 0
