"""The files where a city keeps residents' questions, contact details and desk password hashes are readable by
their owner only, whatever the server's umask: another account on the same machine must not read them."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from channels.server import create_app
from knowledge.core.settings import Settings

pytestmark = pytest.mark.integration


def test_a_new_store_and_its_outage_spool_are_readable_by_their_owner_only(sample_index_dir: Path,
                                                                           tmp_path: Path) -> None:
    store = tmp_path / "city" / "store.db"
    settings = Settings(index_dir=sample_index_dir, database_url=f"sqlite:///{store}",
                        city_dir=tmp_path / "own")
    with TestClient(create_app(settings)) as client:
        asked = client.post("/api/v1/ask", json={"session_id": "private-files-1", "text": "担当者と話したい"})
        assert asked.status_code == 200
        written = [store, *store.parent.glob("store.db-*"), *(tmp_path / "own").rglob("*.db*")]
        modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in written}
    assert "store.db" in modes and any(name.startswith("spool") for name in modes), modes
    assert {name: mode & 0o077 for name, mode in modes.items()} == dict.fromkeys(modes, 0)
