"""The outage spool: a turn the database refuses, or cannot be read back, never holds back the rest."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from bot.store import ConversationStore
from bot.store.facts import TurnFacts
from bot.store.spool import Spool
from testing.database import STORES, postgres_schema_url


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ConversationStore]:
    urls = (postgres_schema_url() if request.param == "postgresql"
            else iter([f"sqlite:///{tmp_path / 'm.db'}"]))
    for url in urls:
        yield ConversationStore(url).migrate()


def turn(conversation: str, channel: str = "web") -> TurnFacts:
    return TurnFacts(conversation_id=conversation, channel=channel, audience="resident",
                     question="粗大ごみの出し方",
                     normalised="粗大ごみ 出す", intent="question", decision="answer", confidence=0.9)


def test_a_refused_or_unreadable_turn_is_set_aside_and_the_rest_replayed(store: ConversationStore,
                                                                        tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.sqlite3")
    spool.keep(turn("spool-first"))
    with sqlite3.connect(tmp_path / "spool.sqlite3") as raw:  # a row written by some other version
        raw.execute("INSERT INTO spool (facts) VALUES (?)", (json.dumps({"conversation": "?"}),))
    refused = dataclasses.replace(turn("spool-refused"), conversation_id="x" * 300)  # longer than the column
    for facts in (refused, turn("spool-last")):
        spool.keep(facts)
    replayed = spool.replay(store)
    assert spool.pending() == 0 and replayed == 2 + (store.engine.dialect.name == "sqlite")
    reasons = [reason for _, reason in spool.set_aside()]
    assert reasons[0].startswith("unreadable turn")
    if store.engine.dialect.name == "postgresql":
        assert "refused" in reasons[1] and len(reasons) == 2
    stored = store.export(["spool-first", "spool-last"])
    assert [len(conversation["turns"]) for conversation in stored] == [1, 1]


def test_a_turn_replayed_again_after_a_crash_before_its_row_was_deleted_is_stored_once(
        store: ConversationStore, tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.sqlite3")
    spool.keep(turn("spool-crash"))  # no escalation: no escalation id to recognise it by
    before_replay = sqlite3.connect(":memory:")
    with closing(sqlite3.connect(tmp_path / "spool.sqlite3")) as live:
        live.backup(before_replay)
    assert spool.replay(store) == 1
    # as if killed between commit and delete
    with closing(sqlite3.connect(tmp_path / "spool.sqlite3")) as live:
        before_replay.backup(live)
    assert spool.pending() == 1
    spool.replay(store)
    assert spool.pending() == 0 and len(store.export(["spool-crash"])[0]["turns"]) == 1


def test_rows_of_another_city_in_the_same_file_are_left_to_that_city(store: ConversationStore,
                                                                     tmp_path: Path) -> None:
    alpha, beta = Spool(tmp_path / "shared.sqlite3", "alpha"), Spool(tmp_path / "shared.sqlite3", "beta")
    alpha.keep(turn("spool-alpha"))
    assert beta.replay(store) == 0 and alpha.pending() == 1 and beta.pending() == 0
    assert store.conversation_ids("spool-alpha") == []
