"""One resident waiting for a person is one item in the desk's queue: what they write while their hand-over
waits (new or claimed) joins it, and the agent sees it there. Once an agent has answered, a new hand-over
opens a new item. On SQLite and the real PostgreSQL, through the web API."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.store import ConversationStore
from bot.store.escalations import EscalationStore
from bot.store.tables import Escalation
from channels.server import create_app
from knowledge.core.settings import Settings
from testing.database import rows, store_url  # noqa: F401 (the fixture)

pytestmark = pytest.mark.integration
UNKNOWN = "火星への移住手続きはどこでできますか"  # nothing in the sample city answers it


@pytest.fixture(scope="module")
def api(sample_index_dir: Path, store_url: str, model_cache: Path,  # noqa: F811
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(data_dir=model_cache, index_dir=sample_index_dir, database_url=store_url,
                        city_dir=tmp_path_factory.mktemp("city"), index_poll_seconds=0,
                        rate_per_session=1000, rate_per_address=10_000)
    with TestClient(create_app(settings)) as client:
        yield client


class Resident:
    def __init__(self, api: TestClient) -> None:
        self.api, self.session = api, uuid.uuid4().hex

    def hands_over(self, text: str) -> str:
        return self.said(text)["escalation"]["id"]

    def said(self, text: str) -> dict:
        reply = self.api.post("/api/v1/ask", json={"session_id": self.session, "text": text})
        assert reply.status_code == 200 and reply.json()["decision"] == "escalate", reply.text
        return reply.json()


def desk(url: str) -> EscalationStore:
    return EscalationStore(ConversationStore(url))


def items_of(url: str, escalation_id: str) -> list[str]:
    conversation = desk(url).get(escalation_id).conversation_id
    return [e.id for e in rows(url, Escalation) if e.conversation_id == conversation]


def test_what_a_waiting_resident_writes_joins_their_hand_over(api: TestClient, store_url: str) -> None:  # noqa: F811
    resident = Resident(api)
    waiting = resident.hands_over("担当者と話したい")
    joined = resident.said(UNKNOWN)
    assert joined["escalation"]["id"] == waiting and "お問い合わせに加えました" in joined["message"]
    assert "おつなぎします" not in joined["message"], "not told again as if nothing had been passed on"
    assert items_of(store_url, waiting) == [waiting]
    assert [t.question for t in desk(store_url).later(waiting)] == [UNKNOWN]


def test_a_claimed_hand_over_is_joined_too(api: TestClient, store_url: str) -> None:  # noqa: F811
    resident = Resident(api)
    claimed = resident.hands_over("担当者と話したい")
    desk(store_url).claim(claimed, "agent1")
    assert resident.hands_over(UNKNOWN) == claimed
    assert desk(store_url).get(claimed).status == "claimed"


def test_a_hand_over_after_the_agent_answered_is_a_new_item(api: TestClient, store_url: str) -> None:  # noqa: F811
    resident, escalations = Resident(api), desk(store_url)
    first = resident.hands_over("担当者と話したい")
    escalations.claim(first, "agent1")
    escalations.reply(first, "agent1", "お問い合わせありがとうございます。")
    second = resident.hands_over(UNKNOWN)
    assert second != first
    assert sorted(items_of(store_url, first)) == sorted([first, second])
    assert escalations.resident_question(second) == UNKNOWN


def test_a_resident_writing_in_english_is_told_in_english(api: TestClient, store_url: str) -> None:  # noqa: F811
    resident = Resident(api)
    waiting = resident.hands_over("I want to talk to a person")
    joined = resident.said("I want to talk to a person")  # asked again while waiting
    assert joined["escalation"]["id"] == waiting
    assert joined["message"].startswith("We have added this to the question you already passed to a person")
