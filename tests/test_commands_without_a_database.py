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


def run(*args: str, database: str, model_cache: Path, folder: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MADOGUCHI_DATABASE_URL": database, "MADOGUCHI_DATA_DIR": str(model_cache),
           "MADOGUCHI_INDEX_DIR": str(folder / "index"), "COLUMNS": "200"}
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
