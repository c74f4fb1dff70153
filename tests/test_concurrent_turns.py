"""Residents asking at the same moment on one SQLite worker: every turn is stored, none spooled, none lost.

The worker writes its SQLite turns one at a time (bot/store/database.py `one_writer`); a writer that never let
go, or that let two threads meet in SQLite's busy handler past the statement timeout, would send turns to the
spool (a negative turn id) or lose them."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from fastapi.testclient import TestClient

from bot.store import ConversationStore
from channels.server import create_app
from knowledge.core.settings import Settings

QUESTIONS = ["粗大ごみの出し方", "住民票の写しを取りたい", "担当者と話したい", "保育園に入りたい"]
RESIDENTS, EACH = 8, 6


def test_residents_asking_together_on_sqlite_all_have_their_turns_stored(sample_index_dir: Path,
                                                                          tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'madoguchi.db'}"
    settings = Settings(index_dir=sample_index_dir, data_dir=tmp_path, database_url=url,
                        database_statement_timeout_seconds=2, rate_per_session=1000, rate_per_address=100_000)
    with TestClient(create_app(settings)) as client:
        def converse(resident: int) -> list[int]:
            session = {"session_id": f"together-{resident:02d}-resident"}
            replies = [client.post("/api/v1/ask",
                                   json={**session, "text": QUESTIONS[(resident + i) % len(QUESTIONS)]})
                       for i in range(EACH)]
            assert all(r.status_code == 200 for r in replies), [r.status_code for r in replies]
            return [r.json()["turn_id"] for r in replies]

        with ThreadPoolExecutor(RESIDENTS) as pool:
            turn_ids = [turn for turns in pool.map(converse, range(RESIDENTS)) for turn in turns]
        assert client.get("/healthz").json()["spooled"] == 0
    assert min(turn_ids) > 0 and len(set(turn_ids)) == RESIDENTS * EACH, ("a turn went to "
                                                                          "the spool or was lost")
    store = ConversationStore(url)
    exported = store.export([f"web:together-{r:02d}-resident" for r in range(RESIDENTS)])
    assert sum(len(c["turns"]) for c in exported) == RESIDENTS * EACH
    store.engine.dispose()
