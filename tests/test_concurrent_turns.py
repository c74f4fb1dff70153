"""Residents asking at the same moment on one SQLite worker: every turn is stored, none spooled, none lost.

The worker has one SQLite writer (bot/store/database.py `one_writer`), and turns that arrive while it commits
go in together with its next commit (bot/store/group_commit.py). A writer that never let go, or that let two
threads meet in SQLite's busy handler past the statement timeout, would send turns to the spool (a negative
turn id) or lose them; a shared commit that answered before it was on disk, or that let one refused turn
take the others down with it, would report as received what was never stored."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import event

from bot.store import ConversationStore
from channels.server import create_app
from knowledge.core.settings import Settings
from testing.database import refuse_questions_containing
from testing.live_index import wait_for

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


def serving(index: Path, data: Path, timeout: float) -> TestClient:
    return TestClient(create_app(Settings(
        index_dir=index, data_dir=data, database_url=f"sqlite:///{data / 'madoguchi.db'}",
        database_statement_timeout_seconds=timeout, rate_per_session=1000, rate_per_address=100_000)))


@pytest.fixture()
def client(sample_index_dir: Path, tmp_path: Path) -> Iterator[TestClient]:
    with serving(sample_index_dir, tmp_path, 10) as test_client:
        yield test_client


class HeldCommit:
    """Holds the store's first commit of turns until let go, so the turns asked meanwhile wait for the
    writer; counts the commits that stored turns (the outbox's own are not counted)."""

    def __init__(self, client: TestClient) -> None:
        self.engine = client.app.state.madoguchi.store.engine  # type: ignore[attr-defined]
        self.holding, self.let_go, self.commits = threading.Event(), threading.Event(), 0
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "commit", self._commit)

    @staticmethod
    def _statement(connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("INSERT INTO turns"):
            connection.info["wrote turns"] = True

    def _commit(self, connection: Any) -> None:
        if not connection.info.pop("wrote turns", False):
            return
        self.commits += 1
        if not self.holding.is_set():
            self.holding.set()
            assert self.let_go.wait(10)

    def asked_while_held(self, first: Callable[[], Response], others: list[Callable[[], Response]],
                         hold: float = 1.0) -> list[Response]:
        """The first ask's commit is held while the others are asked (and wait), then let go."""
        with ThreadPoolExecutor(len(others) + 1) as pool:
            held = pool.submit(first)
            assert self.holding.wait(30), "the first turn never reached its commit"
            rest = [pool.submit(ask) for ask in others]
            self.let_go.wait(hold)  # time for the others to answer and queue behind the held commit
            self.let_go.set()
            return [held.result(), *(future.result() for future in rest)]


def stored_now(database: Path, table: str, key: str, value: object) -> bool:
    """Whether another connection sees the row now: committed, not merely written in a transaction."""
    with sqlite3.connect(database) as connection:
        return connection.execute(f"SELECT 1 FROM {table} WHERE {key} = ?", (value,)).fetchone() is not None


def asking(client: TestClient, database: Path, text: str, session: str) -> Callable[[], Response]:
    """One ask whose reply is checked against the database the moment it arrives."""
    def ask() -> Response:
        reply = client.post("/api/v1/ask", json={"text": text, "session_id": session})
        if reply.status_code == 200 and (body := reply.json())["turn_id"] > 0:  # not spooled
            assert stored_now(database, "turns", "id", body["turn_id"]), "replied before its turn was stored"
            if escalation := body.get("escalation"):
                assert stored_now(database, "escalations", "id", escalation["id"]), "promised before stored"
        return reply
    return ask


def test_turns_asked_while_a_commit_is_on_its_way_share_the_next_commit_and_each_reply_follows_its_own(
        client: TestClient, tmp_path: Path) -> None:
    held = HeldCommit(client)
    database = tmp_path / "madoguchi.db"
    others = [asking(client, database, QUESTIONS[i % len(QUESTIONS)], f"shared-commit-{i:02d}-resident")
              for i in range(RESIDENTS)]
    first = asking(client, database, "粗大ごみの出し方", "shared-commit-first")
    replies = held.asked_while_held(first, others)
    assert [r.status_code for r in replies] == [200] * (RESIDENTS + 1)
    assert any(r.json().get("escalation") for r in replies), "no escalation was asked for"
    assert held.commits < RESIDENTS + 1, f"{held.commits} commits for {RESIDENTS + 1} turns: none shared"


def test_a_turn_the_database_refuses_is_refused_alone_and_the_turns_beside_it_are_stored(
        client: TestClient, tmp_path: Path) -> None:
    database = tmp_path / "madoguchi.db"
    refuse_questions_containing(f"sqlite:///{database}", "拒否される質問")
    held = HeldCommit(client)
    texts = [*QUESTIONS, "担当者と話したい 拒否される質問", *QUESTIONS]
    others = [asking(client, database, text, f"beside-refused-{i:02d}") for i, text in enumerate(texts)]
    first = asking(client, database, "粗大ごみの出し方", "beside-refused-first")
    replies = held.asked_while_held(first, others)
    refused = len(QUESTIONS) + 1
    assert replies[refused].status_code == 500, replies[refused].text
    assert [r.status_code for i, r in enumerate(replies) if i != refused] == [200] * len(texts)
    assert client.get("/healthz").json()["spooled"] == 0
    with sqlite3.connect(database) as connection:
        questions = [q for (q,) in connection.execute("SELECT question FROM turns")]
    assert len(questions) == len(texts) and not [q for q in questions if "拒否される質問" in q]


def test_turns_that_wait_past_the_store_timeout_are_spooled_and_then_stored_once(sample_index_dir: Path,
                                                                                 tmp_path: Path) -> None:
    """A turn no writer took in time is withdrawn from the queue, never written behind the caller's back:
    the resident is answered from the spool, and the replay stores it exactly once."""
    database = tmp_path / "madoguchi.db"
    with serving(sample_index_dir, tmp_path, 1) as client:
        held = HeldCommit(client)
        others = [asking(client, database, QUESTIONS[i % len(QUESTIONS)], f"timed-out-{i:02d}")
                  for i in range(len(QUESTIONS))]
        first = asking(client, database, "粗大ごみの出し方", "timed-out-first")
        replies = held.asked_while_held(first, others, hold=3.0)
        assert [r.status_code for r in replies] == [200] * (len(QUESTIONS) + 1)
        assert replies[0].json()["turn_id"] > 0 and all(r.json()["turn_id"] < 0 for r in replies[1:])
        wait_for(lambda: client.get("/healthz").json()["spooled"] == 0, 30)
    with sqlite3.connect(database) as connection:
        per_conversation = dict(connection.execute(
            "SELECT conversation_id, count(*) FROM turns GROUP BY conversation_id").fetchall())
    assert per_conversation == {f"web:timed-out-{i:02d}": 1 for i in range(len(QUESTIONS))} | {
        "web:timed-out-first": 1}


def test_every_sqlite_commit_waits_for_the_disk(client: TestClient) -> None:
    """WAL with synchronous=FULL: a commit returns once the log is synced, so a reply sent after it (and an
    escalation promised in it) survives a power cut."""
    engine = client.app.state.madoguchi.store.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
