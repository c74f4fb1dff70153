"""A command run while the city's database cannot be reached says so in one line, with the driver's reason,
and exits 1: no traceback for the IT staff to read through, and no password from MADOGUCHI_DATABASE_URL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from testing.recorder import free_port

pytestmark = pytest.mark.system  # runs madoguchi as a process, as the IT staff type it

PASSWORD = "pw-never-printed-7q"


def run(*args: str, database: str, model_cache: Path, folder: Path,
        name: str = "main") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MADOGUCHI_DATABASE_URL": database, "MADOGUCHI_DATA_DIR": str(model_cache),
           "MADOGUCHI_INDEX_DIR": str(folder / "index"), "MADOGUCHI_INDEX_NAME": name, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "channels.cli", *args], env=env, cwd=folder,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("command", [["desk", "user", "list"], ["data", "purge"], ["index", "history"],
                                     ["kb", "export", "--format", "csv", "--out", "faq.csv"],
                                     ["serve", "--port", "0"]])
def test_a_command_names_the_database_it_cannot_reach_instead_of_a_traceback(
        command: list[str], model_cache: Path, tmp_path: Path) -> None:
    database = f"postgresql+psycopg://madoguchi:{PASSWORD}@127.0.0.1:{free_port()}/city"
    result = run(*command, database=database, model_cache=model_cache, folder=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: ")
    assert "Connection refused" in line
    assert PASSWORD not in result.stdout + result.stderr
    assert not (tmp_path / "faq.csv").exists()


@pytest.mark.parametrize("command", [["desk", "user", "list"], ["index", "build"]])
def test_a_postgresql_schema_that_does_not_exist_is_named_with_how_to_create_it(
        command: list[str], model_cache: Path, tmp_path: Path, postgresql_service: str) -> None:
    """The README's `?options=-csearch_path%3D<schema>` form for a city of a shared server: a schema nobody
    created gave a traceback (InvalidSchemaName) or just 「ProgrammingError」."""
    database = f"{postgresql_service}?options=-csearch_path%3Dnot_created_{tmp_path.name[-8:].lower()}"
    result = run(*command, database=database, model_cache=model_cache, folder=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "CREATE SCHEMA" in result.stderr and "search_path" in result.stderr


def test_a_city_of_a_shared_server_without_its_index_name_is_told_to_set_it(
        model_cache: Path, tmp_path: Path, postgresql_service: str) -> None:
    """The live version of a city of a multi-city server is recorded under the city's id: a command run with
    the default name was told to build an index that exists."""
    from sqlalchemy import create_engine, text

    schema = f"named_{tmp_path.name[-8:].lower()}"
    engine = create_engine(postgresql_service)
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        database = f"{postgresql_service}?options=-csearch_path%3D{schema}"
        built = run("index", "build", database=database, model_cache=model_cache, folder=tmp_path,
                    name="sakura")
        assert built.returncode == 0, built.stderr
        result = run("index", "info", database=database, model_cache=model_cache, folder=tmp_path)
        assert result.returncode == 1 and "MADOGUCHI_INDEX_NAME" in result.stderr, result.stderr
        assert "madoguchi index build" not in result.stderr
    finally:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()
