"""`madoguchi data backup` while the server runs: the copy holds every stored conversation (a plain copy of
a running SQLite store's file can be empty), the key and the live index, and a server started on the copy
knows the residents' hand-overs."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select
from typer.testing import CliRunner

from bot.store.tables import Conversation, Escalation
from channels.cli.app import app
from channels.server import create_app
from indexer.store import IndexStore
from knowledge.core.settings import Settings
from testing.database import postgres_schema_url
from testing.live_index import copy_index

pytestmark = pytest.mark.integration


def count(url: str, table: type) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        found = connection.execute(select(func.count()).select_from(table)).scalar_one()
    engine.dispose()
    return int(found)


def test_a_backup_of_a_running_city_restores_its_hand_overs(sample_index_dir: Path, tmp_path: Path,
                                                           model_cache: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    city, out = tmp_path / "city", tmp_path / "backup"
    url = f"sqlite:///{city / 'madoguchi.db'}"
    index_dir = copy_index(sample_index_dir, tmp_path / "index")
    IndexStore(index_dir).activate(IndexStore(index_dir).current_version(), "made live for the backup test")
    for name, value in (("DATA_DIR", model_cache), ("CITY_DIR", city), ("DATABASE_URL", url),
                        ("INDEX_DIR", index_dir)):
        monkeypatch.setenv(f"MADOGUCHI_{name}", str(value))
    with TestClient(create_app(Settings())) as running:
        handed = running.post("/api/v1/ask", json={"session_id": uuid.uuid4().hex,
                                                   "text": "担当者と話したい"})
        escalation = handed.json()["escalation"]["id"]
        result = CliRunner().invoke(app, ["data", "backup", "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert CliRunner().invoke(app, ["data", "backup", "--out", str(out)]).exit_code != 0, "not empty"
    assert count(f"sqlite:///{out / 'madoguchi.db'}", Conversation) == count(url, Conversation) >= 1
    assert (out / "secret.key").read_bytes() == (city / "secret.key").read_bytes()
    assert os.stat(out / "madoguchi.db").st_mode & 0o077 == 0 and os.stat(out).st_mode & 0o077 == 0
    assert IndexStore(out / "index").current_version() == IndexStore(index_dir).current_version()
    assert "made live for the backup test" in CliRunner().invoke(
        app, ["index", "history", "--index-dir", str(out / "index")]).output, "who put what live, and why"
    restored = Settings(data_dir=model_cache, city_dir=out, database_url=f"sqlite:///{out / 'madoguchi.db'}",
                        index_dir=out / "index")
    with TestClient(create_app(restored)) as again:
        assert again.get("/healthz").status_code == 200
    assert escalation in {row.id for row in _escalations(f"sqlite:///{out / 'madoguchi.db'}")}


def _escalations(url: str) -> list[Escalation]:
    engine = create_engine(url)
    with engine.connect() as connection:
        found = list(connection.execute(select(Escalation.id)))
    engine.dispose()
    return found  # type: ignore[return-value]


@pytest.fixture()
def postgresql_url() -> Iterator[str]:
    yield from postgres_schema_url()


@pytest.mark.system
def test_a_postgresql_store_is_left_to_pg_dump_and_its_password_is_not_printed(
        sample_index_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgresql_url: str) -> None:
    with_password = postgresql_url.replace("://postgres@", "://postgres:hunter2@")
    assert "hunter2" in with_password  # trust auth: the password is not checked, only never printed
    index_dir = copy_index(sample_index_dir, tmp_path / "index")
    for name, value in (("DATABASE_URL", with_password), ("INDEX_DIR", index_dir), ("CITY_DIR", tmp_path)):
        monkeypatch.setenv(f"MADOGUCHI_{name}", str(value))
    result = CliRunner().invoke(app, ["data", "backup", "--out", str(tmp_path / "backup")])
    assert result.exit_code == 0, result.output
    assert "pg_dump" in result.output and "hunter2" not in result.output
    assert (tmp_path / "backup" / "index" / "CURRENT").is_file()


def test_a_city_of_a_server_of_several_is_not_backed_up_with_the_servers_key(
        sample_index_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each city keeps its key in DATA_DIR/cities/<id>: without MADOGUCHI_CITY_DIR the backup copied the
    server's key, which no city uses, and a restored city could not read its reply routes."""
    (tmp_path / "cities" / "t1").mkdir(parents=True)
    (tmp_path / "secret.key").write_bytes(b"the server's")
    (tmp_path / "cities" / "t1" / "secret.key").write_bytes(b"the city's")
    index_dir = copy_index(sample_index_dir, tmp_path / "index")
    for name, value in (("DATABASE_URL", f"sqlite:///{tmp_path / 'cities' / 't1' / 'store.db'}"),
                        ("INDEX_DIR", index_dir), ("DATA_DIR", tmp_path)):
        monkeypatch.setenv(f"MADOGUCHI_{name}", str(value))
    (tmp_path / "cities" / "t1" / "store.db").touch()
    refused = CliRunner().invoke(app, ["data", "backup", "--out", str(tmp_path / "backup")])
    assert refused.exit_code != 0 and "MADOGUCHI_CITY_DIR" in str(refused.exception) + refused.output
    monkeypatch.setenv("MADOGUCHI_CITY_DIR", str(tmp_path / "cities" / "t1"))
    done = CliRunner().invoke(app, ["data", "backup", "--out", str(tmp_path / "backup2")])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "backup2" / "secret.key").read_bytes() == b"the city's"
