"""Nothing is lost when the server dies: a real `madoguchi serve` process is killed with SIGKILL.

The resident has been told the escalation was received; the desk notification is in flight (the
city's webhook is slow) when the process dies. After a restart the escalation is in the queue exactly
once and the notification is sent again.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.store import ConversationStore
from bot.store.escalations import EscalationStore
from bot.store.outbox import Outbox
from testing.recorder import Recorder, free_port
from testing.servers import start_server

pytestmark = pytest.mark.system  # starts madoguchi and kills it with SIGKILL

HOOK = "/hooks/desk"


@pytest.fixture()
def slow_city_webhook() -> Iterator[Recorder]:
    server = Recorder(delays={HOOK: 60.0}).start()
    yield server
    server.stop()


def hooks_for(recorder: Recorder, escalation_id: str) -> list:
    return [r for r in recorder.requests if r.path == HOOK and r.body.get("id") == escalation_id]


def wait_for(check, seconds: float = 30.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not check():
        time.sleep(0.1)
    return check()


def test_sigkill_between_received_and_notified_loses_nothing(sample_index_dir: Path, model_cache: Path,
                                                             tmp_path: Path,
                                                             slow_city_webhook: Recorder) -> None:
    database = f"sqlite:///{tmp_path / 'store.db'}"
    env = {**os.environ, "MADOGUCHI_INDEX_DIR": str(sample_index_dir), "MADOGUCHI_DATA_DIR": str(model_cache),
           "MADOGUCHI_DATABASE_URL": database, "MADOGUCHI_DESK_WEBHOOK_URL": slow_city_webhook.url + HOOK,
           "MADOGUCHI_OUTBOX_LEASE_SECONDS": "2", "MADOGUCHI_INDEX_POLL_SECONDS": "0"}
    port = free_port()
    server = start_server(env, port)
    try:
        reply = httpx.post(f"http://127.0.0.1:{port}/api/v1/ask", timeout=30,
                           json={"session_id": "crash-session-01", "text": "担当者と話したい"}).json()
        escalation_id = reply["escalation"]["id"]
        assert wait_for(lambda: hooks_for(slow_city_webhook, escalation_id)), "the notification never started"
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
    finally:
        server.kill()
    slow_city_webhook.delays.clear()
    server = start_server(env, port)
    try:
        assert wait_for(lambda: len(hooks_for(slow_city_webhook,
                                              escalation_id)) >= 2), "not retried after restart"
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
    store = ConversationStore(database)
    assert [e.id for e in EscalationStore(store).queue()] == [escalation_id]
    assert Outbox(store).counts() == {"done": 2}
