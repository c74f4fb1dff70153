"""The live index version kept in PostgreSQL: builds and rollbacks name it there, with their history, and a
machine serving its own copy of the index follows it as soon as the copy holds the named version."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text
from typer.testing import CliRunner

from bot.store.index_versions import BUILD_LOCK
from bot.store.tables import IndexActivation
from channels.cli.app import app as cli_app
from channels.server import create_app
from knowledge.core.errors import IndexStoreError, PointerUnavailableError
from knowledge.core.settings import Settings
from testing.database import postgres_schema_url
from testing.live_index import BASE, DRONE, DRONE_QUESTION, ask, version, wait_for

pytestmark = pytest.mark.system  # builds in other processes against PostgreSQL


@pytest.fixture()
def database() -> Iterator[str]:
    yield from postgres_schema_url()


def madoguchi(*args: str, database: str, model_cache: Path, origin: Path | None = None,
              production: Path | None = None) -> str:
    """One command as the city's IT staff would type it, with the production database configured (and the
    production index folder, when given)."""
    env = {"MADOGUCHI_DATABASE_URL": database, "MADOGUCHI_DATA_DIR": str(model_cache),
           **({"MADOGUCHI_INDEX_ORIGIN": str(origin)} if origin else {}),
           **({"MADOGUCHI_INDEX_DIR": str(production)} if production else {})}
    result = CliRunner().invoke(cli_app, list(args), env=env)
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result.output


def activations(database: str) -> list[tuple[str, str, str]]:
    engine = create_engine(database)
    with engine.connect() as connection:
        rows = connection.execute(select(IndexActivation.index_name, IndexActivation.version,
                                         IndexActivation.note)
                                  .order_by(IndexActivation.id)).all()
    engine.dispose()
    return [tuple(row) for row in rows]


def test_builds_and_rollbacks_name_the_live_version_in_the_database(tmp_path: Path, database: str,
                                                                     model_cache: Path) -> None:
    index, drone = tmp_path / "index", tmp_path / "drone.csv"
    drone.write_text(DRONE, encoding="utf-8")
    madoguchi("index", "build", str(BASE), "--index-dir", str(index), database=database,
              model_cache=model_cache)
    madoguchi("index", "build", str(BASE), str(drone), "--index-dir", str(index), database=database,
              model_cache=model_cache)
    (first, _, _), (second, _, _) = [(v, n, k) for n, v, k in activations(database)]
    madoguchi("index", "use", first, "--index-dir", str(index), database=database, model_cache=model_cache)
    info = json.loads(madoguchi("index", "info", "--index-dir", str(index), database=database,
                                model_cache=model_cache))
    history = [json.loads(line) for line in madoguchi("index", "history", "--index-dir", str(index), "--json",
                                                       database=database,
                                                      model_cache=model_cache).splitlines()]
    assert activations(database) == [("main", first, "built"), ("main", second, "built"),
                                     ("main", first, "made live again")]
    assert not (index / "CURRENT").exists(), "the directory must not hold a second pointer"
    assert info["version"] == first and "database" in info["pointer"] and sorted(info["versions"]) == [
        first, second]
    assert [(h["version"], h["note"], h["on_this_machine"]) for h in history] == [
        (first, "made live again", True), (second, "built", True), (first, "built", True)]


def test_a_trial_build_in_another_folder_leaves_the_servers_live_version_alone(tmp_path: Path, database: str,
                                                                               model_cache: Path) -> None:
    production, trial, origin, drone = (tmp_path / "index", tmp_path / "trial", tmp_path / "origin",
                                        tmp_path / "drone.csv")
    drone.write_text(DRONE, encoding="utf-8")

    def city(*args: str) -> str:
        return madoguchi(*args, database=database, model_cache=model_cache, origin=origin,
                         production=production)

    city("index", "build", str(BASE))
    published = activations(database)
    said = city("index", "build", str(BASE), str(drone), "--index-dir", str(trial))
    assert activations(database) == published, "a trial build must not go live on the servers"
    first, tried = published[0][1], (trial / "CURRENT").read_text(encoding="utf-8").strip()
    assert json.loads(city("index", "info"))["version"] == first
    assert tried != first and "not MADOGUCHI_INDEX_DIR" in said
    assert [p.name for p in (origin / "main" / "versions").iterdir()] == [first]


def test_a_machine_with_its_own_copy_follows_the_database_once_the_copy_arrives(tmp_path: Path, database: str,
                                                                                 model_cache: Path) -> None:
    builder, worker, drone = tmp_path / "builder", tmp_path / "worker", tmp_path / "drone.csv"
    drone.write_text(DRONE, encoding="utf-8")
    madoguchi("index", "build", str(BASE), "--index-dir", str(builder), database=database,
              model_cache=model_cache)
    shutil.copytree(builder, worker)
    settings = Settings(index_dir=worker, database_url=database, data_dir=model_cache, index_poll_seconds=0.1,
                        rate_per_session=100_000, rate_per_address=100_000)
    with TestClient(create_app(settings)) as client:
        first = version(client)
        madoguchi("index", "build", str(BASE), str(drone), "--index-dir", str(builder), database=database,
                  model_cache=model_cache)
        second = activations(database)[-1][1]
        time.sleep(1)  # ten polls that find the new version named but not on this machine
        assert version(client) == first and ask(client, DRONE_QUESTION).get("answer", {}).get("id") != "N001"
        shutil.copytree(builder / "versions" / second, worker / "versions" / f".incoming-{second}")
        os.replace(worker / "versions" / f".incoming-{second}", worker / "versions" / second)
        wait_for(lambda: version(client) == second)
        answered = ask(client, DRONE_QUESTION)
        madoguchi("index", "use", first, "--index-dir", str(builder), database=database,
                  model_cache=model_cache)
        wait_for(lambda: version(client) == first)
    assert answered["decision"] == "answer" and answered["answer"]["id"] == "N001"


def test_a_server_with_an_empty_index_directory_fetches_every_live_version_from_the_origin(
        tmp_path: Path, database: str, model_cache: Path) -> None:
    origin, builder, worker, drone = (tmp_path / "origin", tmp_path / "builder", tmp_path / "worker",
                                      tmp_path / "d.csv")
    drone.write_text(DRONE, encoding="utf-8")
    publish = ("index", "build", str(BASE), "--index-dir", str(builder))
    madoguchi(*publish, database=database, model_cache=model_cache, origin=origin)
    settings = Settings(index_dir=worker, index_origin=origin, database_url=database, data_dir=model_cache,
                        index_poll_seconds=0.1, rate_per_session=100_000, rate_per_address=100_000)
    with TestClient(create_app(settings)) as client:
        first = version(client)
        madoguchi(*publish, str(drone), database=database, model_cache=model_cache, origin=origin)
        second = activations(database)[-1][1]
        wait_for(lambda: version(client) == second)
        answered = ask(client, DRONE_QUESTION)
    assert sorted(p.name for p in (origin / "main" / "versions").iterdir()) == [first, second]
    assert sorted(p.name for p in (worker / "versions").iterdir()) == [first, second], "no half copies left"
    assert answered["decision"] == "answer" and answered["answer"]["id"] == "N001"


def test_an_unreachable_pointer_database_is_named_not_guessed(tmp_path: Path, sample_index_dir: Path) -> None:
    unreachable = "postgresql+psycopg://postgres@127.0.0.1:9/test?connect_timeout=2"
    result = CliRunner().invoke(cli_app, ["index", "info", "--index-dir", str(sample_index_dir)],
                                env={"MADOGUCHI_DATABASE_URL": unreachable})
    assert isinstance(result.exception, PointerUnavailableError)
    assert "live index version" in str(result.exception)


def test_a_build_waits_while_another_servers_build_holds_the_lock(tmp_path: Path, database: str,
                                                                 model_cache: Path) -> None:
    name = f"lock-{uuid.uuid4().hex[:8]}"  # its own lock, whatever else runs on this PostgreSQL
    key = {"kind": BUILD_LOCK, "name": zlib.crc32(name.encode()) - 2**31}
    waiting = text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                   "AND classid = :kind AND objid = :objid")
    mine = {"kind": BUILD_LOCK, "objid": key["name"] % 2**32}
    env = {**os.environ, "MADOGUCHI_DATABASE_URL": database, "MADOGUCHI_DATA_DIR": str(model_cache),
           "MADOGUCHI_INDEX_NAME": name}
    engine = create_engine(database)
    with engine.connect() as other_server, engine.connect() as observer:
        other_server.execute(text("SELECT pg_advisory_lock(:kind, :name)"), key)
        other_server.commit()
        build = subprocess.Popen([sys.executable, "-m", "channels.cli", "index", "build", str(BASE),
                                  "--index-dir",
                                  str(tmp_path / "index")], env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE)
        wait_for(lambda: observer.execute(waiting, mine).scalar_one() == 1, seconds=120)
        observer.commit()
        held_back = activations(database)
        other_server.execute(text("SELECT pg_advisory_unlock(:kind, :name)"), key)
        other_server.commit()
        finished = build.wait(timeout=300)
    engine.dispose()
    assert held_back == [] and finished == 0, build.stderr.read().decode()[-2000:]  # type: ignore[union-attr]
    assert [(index, note) for index, _, note in activations(database)] == [(name, "built")]


def test_a_build_that_cannot_reach_the_origin_is_not_made_live(tmp_path: Path, model_cache: Path) -> None:
    blocked = tmp_path / "origin"
    blocked.write_text("a file where the shared folder should be", encoding="utf-8")
    env = {"MADOGUCHI_INDEX_ORIGIN": str(blocked), "MADOGUCHI_DATA_DIR": str(model_cache)}
    result = CliRunner().invoke(cli_app, ["index", "build", str(BASE), "--index-dir",
                                          str(tmp_path / "index")], env=env)
    assert isinstance(result.exception, IndexStoreError) and "it is not live" in str(result.exception)
    assert not (tmp_path / "index" / "CURRENT").exists()
