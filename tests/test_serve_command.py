"""`madoguchi serve` as a city's IT staff start it: the server uses the options given on the command line."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from indexer.store import IndexStore
from testing.recorder import free_port
from testing.servers import start_server

pytestmark = pytest.mark.system  # starts madoguchi as a process


def test_serve_answers_from_the_index_dir_named_on_the_command_line(sample_index_dir: Path, model_cache: Path,
                                                                   tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != "MADOGUCHI_INDEX_DIR"}
    env |= {"MADOGUCHI_DATA_DIR": str(model_cache), "MADOGUCHI_WORKERS": "1",
            "MADOGUCHI_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}"}
    port = free_port()
    server = start_server(env, port, "--index-dir", str(sample_index_dir))
    try:
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).json()
        reply = httpx.post(f"http://127.0.0.1:{port}/api/v1/ask", timeout=30,
                           json={"session_id": "serve-index-dir-01", "text": "住民票の写しがほしい"}).json()
    finally:
        server.kill()
    assert health["index_version"] == IndexStore(sample_index_dir).current_version()
    assert reply["decision"] in ("answer", "clarify")
