"""The database goes down and comes back: the bot keeps answering and nothing is lost.

A private, real PostgreSQL server is started for this module (initdb into a temporary folder), so it
can be stopped and started without disturbing anything else on the machine.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.store import ConversationStore
from bot.store.escalations import EscalationStore
from channels.server import create_app
from knowledge.core.settings import Settings
from testing.recorder import free_port

pytestmark = pytest.mark.system  # runs a private PostgreSQL server

BINARIES = sorted(glob.glob("/usr/lib/postgresql/*/bin"))


class PrivatePostgres:
    """initdb + pg_ctl as the `postgres` system user, on a free loopback port."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, free_port()
        self.bin = Path(BINARIES[-1])

    def _as_postgres(self, *command: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *command], check=True, capture_output=True,
                       timeout=120)

    def init(self) -> PrivatePostgres:
        self.folder.mkdir(parents=True)
        shutil.chown(self.folder, "postgres")
        self._as_postgres(str(self.bin / "initdb"), "-D", str(self.folder / "data"), "-A", "trust", "-U",
                          "postgres")
        return self

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-l",
                          str(self.folder / "log"), "-o", options, "-w", "start")

    def stop(self) -> None:
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "fast", "-w",
                          "stop")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture(scope="module")
def postgres() -> Iterator[PrivatePostgres]:
    if os.geteuid() != 0 or not BINARIES or not shutil.which("runuser"):
        pytest.skip("needs root and PostgreSQL's server binaries (apt-get install postgresql) to run a "
                    "private server")
    top = Path(tempfile.mkdtemp(prefix="madoguchi-pg-"))  # pytest's tmp is root-only; postgres must enter
    top.chmod(0o755)
    server = PrivatePostgres(top / "pg").init()
    server.start()
    yield server
    subprocess.run(["runuser", "-u", "postgres", "--", str(server.bin / "pg_ctl"), "-D",
                    str(top / "pg" / "data"), "-m", "immediate", "stop"], capture_output=True)
    shutil.rmtree(top, ignore_errors=True)


def ask(client: TestClient, text: str, session: str = "outage-session-01") -> dict:
    response = client.post("/api/v1/ask", json={"session_id": session, "text": text})
    assert response.status_code == 200, response.text
    return response.json()


def wait_until(check, seconds: float = 30.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not check():
        time.sleep(0.1)
    return check()


def test_database_down_spools_turns_and_escalations_and_replays_them_once(
        postgres: PrivatePostgres, sample_index_dir: Path, tmp_path: Path) -> None:
    settings = Settings(index_dir=sample_index_dir, data_dir=tmp_path, database_url=postgres.url,
                        rate_per_session=1000, rate_per_address=10_000, outbox_lease_seconds=2)
    with TestClient(create_app(settings)) as client:
        ask(client, "粗大ごみの出し方")
        postgres.stop()
        try:
            assert client.get("/healthz").json()["store"] == "unreachable"
            assert ask(client, "粗大ごみの出し方")["decision"] in {"answer",
                                                                   "clarify"}, "the bot still answers"
            escalation_id = ask(client, "担当者と話したい")["escalation"]["id"]
            assert client.get("/healthz").json()["spooled"] == 2
        finally:
            postgres.start()
        assert wait_until(lambda: client.get("/healthz").json()["spooled"] == 0), "spool not replayed"
        assert client.get("/healthz").json()["set_aside"] == 0
    store = ConversationStore(postgres.url)
    assert [e.id for e in EscalationStore(store).queue()] == [escalation_id]
    assert len(EscalationStore(store).transcript(escalation_id)) == 3


def test_contact_details_and_feedback_sent_while_postgresql_is_stopped_reach_it_once_it_is_back(
        postgres: PrivatePostgres, sample_index_dir: Path, tmp_path: Path) -> None:
    settings = Settings(index_dir=sample_index_dir, city_dir=tmp_path, database_url=postgres.url,
                        rate_per_session=1000, rate_per_address=10_000, outbox_lease_seconds=2)
    session = "outage-contact-01"
    with TestClient(create_app(settings)) as client:
        postgres.stop()
        try:
            answered = ask(client, "児童手当はいつ振り込まれる？", session)
            escalation_id = ask(client, "担当者と話したい", session)["escalation"]["id"]
            sent = [client.post(f"/api/v1/escalations/{escalation_id}/contact",
                                json={"session_id": session, "phone": "090-7777-8888", "preferred": "phone"}),
                    client.post("/api/v1/feedback",
                                json={"session_id": session, "turn_id": answered["turn_id"],
                                      "helpful": True}),
                    client.get("/api/v1/replies", params={"session_id": session})]
        finally:
            postgres.start()
        assert [r.status_code for r in sent] == [204, 204, 200], [r.text for r in sent]
        assert wait_until(lambda: client.get("/healthz").json()["spooled"] == 0), "spool not replayed"
        assert client.get("/healthz").json()["set_aside"] == 0
    desk = EscalationStore(ConversationStore(postgres.url))
    assert desk.get(escalation_id).contact_phone == "090-7777-8888"
    [conversation] = ConversationStore(postgres.url).export([f"web:{session}"])
    assert conversation["feedback"] == [{"turn": conversation["feedback"][0]["turn"], "helpful": True,
                                         "comment": ""}]


def test_a_restarted_database_is_reconnected_and_the_next_turn_stored_not_spooled(
        postgres: PrivatePostgres, sample_index_dir: Path, tmp_path: Path) -> None:
    """The pooled connection a restart closed fails its check at once: it is replaced, no outage begins."""
    settings = Settings(index_dir=sample_index_dir, data_dir=tmp_path, database_url=postgres.url,
                        rate_per_session=1000, rate_per_address=10_000)
    with TestClient(create_app(settings)) as client:
        assert ask(client, "粗大ごみの出し方", "restart-session-01")["turn_id"] > 0
        postgres.stop()
        postgres.start()
        after = ask(client, "住民票の写しを取りたい", "restart-session-01")
        assert after["turn_id"] > 0, after  # stored, not spooled
        assert not client.app.state.madoguchi.outage.down
        assert client.get("/healthz").json()["spooled"] == 0
