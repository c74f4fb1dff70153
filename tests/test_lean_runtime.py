"""A lean runtime: commands import what they use. Each check runs the real command in a fresh interpreter and
reads that interpreter's sys.modules, because an import made by any earlier test in this process would hide
one.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from testing.fresh import COMMANDS, HEAVY, loaded, run_fresh
from testing.live_index import copy_index

pytestmark = pytest.mark.system  # starts fresh interpreters


SERVE = """
import json, os, sys, threading, time, urllib.request
port = int(sys.argv[1])

def ask_then_report():
    for _ in range(600):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    body = json.dumps({"text": "住民票の写しがほしい"}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/ask", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as reply:
        print("DECISION " + json.loads(reply.read())["decision"])
    print("MODULES " + json.dumps(sorted(sys.modules)), flush=True)
    os._exit(0)

threading.Thread(target=ask_then_report, daemon=True).start()
sys.argv = ["madoguchi", "serve", "--port", str(port), "--workers", "1", "--host", "127.0.0.1"]
from channels.cli.app import main
main()
"""  # noqa: E501 (a script kept as it runs)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_help_imports_no_web_framework_database_or_sudachi() -> None:
    modules, printed = run_fresh(COMMANDS, json.dumps([["--help"]]))
    assert "index" in printed and "serve" in printed
    assert loaded(modules, "fastapi", "starlette", "sqlalchemy", "sudachipy", "sudachidict_core",
                  *HEAVY) == []


def test_ask_and_search_with_the_default_model_never_import_torch(sample_index_dir: Path,
                                                                  tmp_path: Path) -> None:
    index_dir = str(copy_index(sample_index_dir, tmp_path / "index"))
    commands = [["ask", "住民票の写しがほしい", "--index-dir", index_dir],
                ["search", "住民票の写しがほしい", "--index-dir", index_dir, "--json"]]
    modules, printed = run_fresh(COMMANDS, json.dumps(commands))
    assert "住民票" in printed and '"score"' in printed  # both commands really answered
    assert "indexer.static" in modules
    assert loaded(modules, *HEAVY) == []


def test_serve_with_the_default_model_answers_without_torch(sample_index_dir: Path, tmp_path: Path) -> None:
    env = {"MADOGUCHI_INDEX_DIR": str(copy_index(sample_index_dir, tmp_path / "index")),
           "MADOGUCHI_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
           "MADOGUCHI_CITY_DIR": str(tmp_path), "MADOGUCHI_INDEX_POLL_SECONDS": "0"}
    modules, printed = run_fresh(SERVE, str(free_port()), env=env)
    assert "DECISION " in printed
    assert "indexer.static" in modules and "fastapi" in modules
    assert loaded(modules, *HEAVY) == []


def test_a_server_that_builds_its_first_index_keeps_none_of_the_build_or_desk_only_libraries(
        tmp_path: Path) -> None:
    """With one worker the server answers in the process `madoguchi serve` started: a first build and the
    first migration of the store run in child processes, and what only builds, drafts or clusters the review
    queue is imported when used."""
    env = {"MADOGUCHI_INDEX_DIR": str(tmp_path / "index"),
           "MADOGUCHI_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
           "MADOGUCHI_CITY_DIR": str(tmp_path), "MADOGUCHI_INDEX_POLL_SECONDS": "0"}
    modules, printed = run_fresh(SERVE, str(free_port()), env=env)
    assert "building it" in printed and "DECISION " in printed
    assert loaded(modules, "scipy", "langchain_core", "langsmith", "bs4", "markdown_it", "alembic",
                  *HEAVY) == []
