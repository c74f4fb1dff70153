"""The outage spool: a turn the database refuses, or cannot be read back, never holds back the rest."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store import ConversationStore
from bot.store.facts import TurnFacts
from bot.store.spool import Spool
from tests.test_web_api import postgres_schema_url


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ConversationStore]:
    urls = postgres_schema_url() if request.param == "postgresql" else iter([f"sqlite:///{tmp_path / 'm.db'}"])
    for url in urls:
        yield ConversationStore(url).migrate()


def turn(conversation: str, channel: str = "web") -> TurnFacts:
    return TurnFacts(conversation_id=conversation, channel=channel, audience="resident", question="粗大ごみの出し方",
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
