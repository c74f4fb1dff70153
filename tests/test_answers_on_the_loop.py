"""Where a web question is answered, and who writes its turn.

A typed question whose limits are counted in the worker is answered on the event loop, and one writer thread
per city keeps all such turns (`bot.service.turn_queue`): the worker does not hop to a thread per request.
Anything that must wait for another server before answering (the last offer read from the store for a
picked choice, a rate limit counted in Redis) runs on an answering thread, never on the loop, where one slow
store or Redis would hold up every resident of the worker."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot import Bot
from bot.store import ConversationStore
from channels.server import create_app
from knowledge.core.settings import Settings
from testing.services import REDIS, redis_service  # noqa: F401 (fixture)

QUESTIONS = ["粗大ごみの出し方", "住民票の写しを取りたい", "担当者と話したい", "保育園に入りたい"]


@pytest.fixture()
def threads(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """The names of the threads that answered, wrote turns together, and wrote a turn alone."""
    seen: dict[str, list[str]] = {"answer": [], "record_many": [], "record": []}

    def spy(owner: type, name: str, key: str) -> None:
        original: Callable[..., Any] = getattr(owner, name)

        def noted(*args: Any, **kwargs: Any) -> Any:
            seen[key].append(threading.current_thread().name)
            return original(*args, **kwargs)

        monkeypatch.setattr(owner, name, noted)

    spy(Bot, "answer", "answer")
    spy(ConversationStore, "record_many", "record_many")
    spy(ConversationStore, "record", "record")
    return seen


def serving(index: Path, data: Path, **overrides: object) -> TestClient:
    return TestClient(create_app(Settings(index_dir=index, data_dir=data, index_poll_seconds=0,
                                          database_url=f"sqlite:///{data / 'madoguchi.db'}",
                                          rate_per_session=1000, rate_per_address=100_000,
                                          **overrides)))  # type: ignore[arg-type]


def ask(client: TestClient, session: str, **body: object) -> dict:
    response = client.post("/api/v1/ask", json={"session_id": session, **body})
    assert response.status_code == 200, response.text
    return response.json()


def test_typed_questions_are_answered_on_the_loop_and_kept_by_one_writer_thread(
        sample_index_dir: Path, tmp_path: Path, threads: dict[str, list[str]]) -> None:
    with serving(sample_index_dir, tmp_path) as client:
        def converse(resident: int) -> list[int]:
            session = f"loop-resident-{resident:02d}"
            return [ask(client, session, text=QUESTIONS[(resident + i) % 4])["turn_id"] for i in range(5)]

        with ThreadPoolExecutor(6) as pool:
            turn_ids = [turn for turns in pool.map(converse, range(6)) for turn in turns]
    assert min(turn_ids) > 0 and len(set(turn_ids)) == 30, "a turn was spooled or lost"
    assert len(set(threads["answer"])) == 1 and not threads["answer"][0].startswith("madoguchi-ask")
    assert set(threads["record_many"]) == {"madoguchi-turns"} and threads["record"] == []
    store = ConversationStore(f"sqlite:///{tmp_path / 'madoguchi.db'}")
    assert sum(len(c["turns"]) for c in store.export([f"web:loop-resident-{r:02d}" for r in range(6)])) == 30
    store.engine.dispose()


def test_a_picked_choice_is_answered_off_the_loop(sample_index_dir: Path, tmp_path: Path,
                                                   threads: dict[str, list[str]]) -> None:
    with serving(sample_index_dir, tmp_path) as client:
        offered = ask(client, "clicking-resident-01", text="カードをなくした")
        assert offered["decision"] == "clarify"
        loop = threads["answer"][-1]
        clicked = ask(client, "clicking-resident-01", choice_id=offered["choices"][0]["id"])
        ask(client, "typing-resident-01", text="カードをなくした")
        typed = ask(client, "typing-resident-01", text="１番")
    assert clicked["answer"]["id"] == typed["answer"]["id"] == offered["choices"][0]["id"]
    picks = [threads["answer"][1], threads["answer"][3]]
    assert all(name.startswith("madoguchi-ask") for name in picks) and threads["answer"][2] == loop
    assert len(threads["record"]) == 2 and "madoguchi-turns" not in threads["record"]


def test_limits_counted_in_redis_are_never_checked_on_the_loop(sample_index_dir: Path, tmp_path: Path,
                                                               redis_service: str,  # noqa: F811
                                                               threads: dict[str, list[str]]) -> None:
    prefix = f"loop-{uuid.uuid4().hex}:"
    with serving(sample_index_dir, tmp_path, redis_url=REDIS, redis_prefix=prefix) as client:
        for question in QUESTIONS:
            ask(client, "redis-limited-01", text=question)
    assert all(name.startswith("madoguchi-ask") for name in threads["answer"]), threads["answer"]
    assert threads["record_many"] == [] and len(threads["record"]) == len(QUESTIONS)
