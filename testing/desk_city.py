"""The sample city served with its desk on an SQLite store of the module's own, and residents asking on the
widget's API so that the desk has escalations to work on."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from bot.store.tables import Escalation
from channels.server import create_app
from knowledge.core.settings import Settings
from testing.desk import add_user
from testing.recorder import Recorder

LINE_SECRET = "line-secret-for-desk-tests"


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('desk-queue') / 'store.db'}"


@pytest.fixture(scope="module")
def app(sample_index_dir: Path, store_url: str, model_cache: Path, recorder: Recorder) -> Iterator[object]:
    settings = Settings(data_dir=model_cache, index_dir=sample_index_dir, database_url=store_url,
                        index_poll_seconds=0, line_channel_secret=LINE_SECRET,
                        line_channel_access_token="token",
                        line_api_base=recorder.url, rate_per_session=1000, rate_per_address=10_000)
    application = create_app(settings)
    with TestClient(application):
        for name, role in (("agent1", "agent"), ("agent2", "agent"), ("boss", "admin")):
            add_user(store_url, model_cache, name, role)
        yield application


def ask(app: object, *texts: str) -> str:
    """A resident's conversation on the web widget's API; returns the escalation id of the last turn."""
    api, session = TestClient(app), uuid.uuid4().hex  # type: ignore[arg-type]
    for text in texts:
        body = api.post("/api/v1/ask", json={"text": text, "session_id": session}).json()
    return body["escalation"]["id"]


def stored(store_url: str, escalation_id: str) -> Escalation:
    engine = create_engine(store_url)
    with Session(engine) as session:
        found = session.get(Escalation, escalation_id)
    engine.dispose()
    assert found is not None
    return found
