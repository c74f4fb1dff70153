"""What a resident sends is either stored as told or refused with a reason: never "received" and then lost.

On the real PostgreSQL as well as SQLite (SQLite accepts over-long ids and NUL bytes that PostgreSQL refuses).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bot.store.tables import EntryVersion, Escalation, Feedback, Turn
from channels.cli.app import app as cli_app
from channels.server import create_app
from knowledge.core.settings import Settings
from testing.database import refuse_questions_containing, rows, store_url  # noqa: F401 (the fixture over SQLite and PostgreSQL)
from testing.desk import add_user, csrf_of, sign_in, visitor

pytestmark = pytest.mark.integration

LONGEST_SESSION = "s" * 64
REFUSED_WORD = "拒否される質問"


@pytest.fixture(scope="module")
def client(sample_index_dir: Path, store_url: str,  # noqa: F811
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(index_dir=sample_index_dir, database_url=store_url, rate_per_session=1000,
                        rate_per_address=10_000, data_dir=tmp_path_factory.mktemp("data"))
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def escalate(client: TestClient, body: dict) -> dict:
    response = client.post("/api/v1/ask", content=json.dumps(body),
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    reply = response.json()
    assert reply["decision"] == "escalate" and reply["escalation"]["id"]
    return reply


def test_a_session_id_of_64_characters_is_stored_with_its_escalation(  # noqa: F811
        client: TestClient, store_url: str) -> None:
    reply = escalate(client, {"text": "担当者と話したい", "session_id": LONGEST_SESSION})
    escalation_id = reply["escalation"]["id"]
    assert escalation_id in {e.id for e in rows(store_url, Escalation)}
    contact = client.post(f"/api/v1/escalations/{escalation_id}/contact",
                          json={"session_id": LONGEST_SESSION, "name": "港 花子", "phone": "03-1234-5678",
                                "preferred": "phone"})
    assert contact.status_code == 204, contact.text
    assert client.get("/healthz").json()["set_aside"] == 0


def test_a_session_id_beyond_the_limit_is_refused_with_a_reason(client: TestClient) -> None:
    response = client.post("/api/v1/ask", json={"text": "担当者と話したい", "session_id": "s" * 65})
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "session_id"


def test_nul_and_lone_surrogates_are_stripped_and_the_escalation_is_stored(  # noqa: F811
        client: TestClient, store_url: str) -> None:
    session = "nul-session-0001"
    reply = escalate(client, {"text": "担当者と話したい ab\u0000cd", "session_id": session})
    [stored] = [e for e in rows(store_url, Escalation) if e.id == reply["escalation"]["id"]]
    [turn] = [t for t in rows(store_url, Turn) if t.id == stored.turn_id]
    assert "abcd" in turn.question and "\x00" not in turn.question
    contact = client.post(f"/api/v1/escalations/{stored.id}/contact", content=json.dumps(
        {"session_id": session, "name": "港\u0000花子\udc80", "email": "a\u0000@example.jp",
         "preferred": "email"}),
        headers={"Content-Type": "application/json"})
    assert contact.status_code == 204, contact.text
    [stored] = [e for e in rows(store_url, Escalation) if e.id == stored.id]
    assert (stored.contact_name, stored.contact_email) == ("港花子", "a@example.jp")


def test_nul_in_a_feedback_comment_is_stripped_and_stored(client: TestClient, store_url: str) -> None:  # noqa: F811
    answered = client.post("/api/v1/ask", json={"text": "児童手当はいつ振り込まれる？",
                                                "session_id": "nul-feedback-01"}).json()
    response = client.post("/api/v1/feedback", content=json.dumps(
        {"session_id": "nul-feedback-01", "turn_id": answered["turn_id"], "helpful": False,
         "comment": "わかり\u0000にくい\ud800"}),
        headers={"Content-Type": "application/json"})
    assert response.status_code == 204, response.text
    [stored] = [f for f in rows(store_url, Feedback) if f.turn_id == answered["turn_id"]]
    assert stored.comment == "わかりにくい"


def test_text_that_is_only_a_nul_byte_is_refused_with_a_reason(client: TestClient) -> None:
    response = client.post("/api/v1/ask", content=b'{"text": "\\u0000"}',
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "text"


def test_desk_replies_and_faq_drafts_with_nul_bytes_are_stored_without_them(
        client: TestClient, store_url: str, tmp_path: Path) -> None:  # noqa: F811
    add_user(store_url, tmp_path, "nul-agent", "agent")
    agent = visitor(client.app)
    assert sign_in(agent, "nul-agent").status_code == 303
    escalation_id = escalate(client, {"text": "担当者と話したい",
                                      "session_id": "desk-nul-session"})["escalation"]["id"]
    for path, fields in ((f"/desk/escalations/{escalation_id}/claim", {}),
                         (f"/desk/escalations/{escalation_id}/reply", {"text": "窓口は\x00平日です。"}),
                         ("/desk/entries/new", {"question": "迷子の\x00猫を探したい"})):
        response = agent.post(path, data={"csrf": csrf_of(agent), **fields})
        assert response.status_code == 303, response.text
    [stored] = [e for e in rows(store_url, Escalation) if e.id == escalation_id]
    assert stored.reply_text == "窓口は平日です。"
    assert "迷子の猫を探したい" in {v.question for v in rows(store_url, EntryVersion)}


def test_a_write_the_database_refuses_is_not_reported_as_received(client: TestClient, store_url: str) -> None:  # noqa: F811
    refuse_questions_containing(store_url, REFUSED_WORD)
    before = client.get("/healthz").json()
    response = client.post("/api/v1/ask", json={"text": f"担当者と話したい {REFUSED_WORD}",
                                                "session_id": "refused-session-1"})
    assert response.status_code == 500, response.text
    body = response.json()
    assert set(body) == {"ok", "status", "error", "detail"} and "escalation" not in body
    after = client.get("/healthz").json()
    assert (after["spooled"], after["set_aside"]) == (before["spooled"], before["set_aside"])
    assert not [t for t in rows(store_url, Turn) if REFUSED_WORD in t.question]


def test_a_chunked_body_over_the_limit_is_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(40):
            yield b"x" * 1024
        yield b'"}'

    response = client.post("/api/v1/ask", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and response.json()["status"] == 413


def test_kb_import_of_rows_with_nul_bytes_stores_them_without(cli: CliRunner, store_url: str,  # noqa: F811
                                                              tmp_path: Path) -> None:
    table = tmp_path / "faq.jsonl"
    table.write_text(json.dumps({"id": "NUL-1", "question": "迷子の\u0000猫を探したい",
                                 "answer": "生活環境課へ\ud800どうぞ。",
                                 "department": "生活\u0000環境課"}) + "\n", encoding="utf-8")
    city = tmp_path / "city.jsonl"  # a small city, so that publishing the import stays quick
    city.write_text(json.dumps({"id": "C-1", "question": "住民票の写しがほしい",
                                "answer": "市民課の窓口でどうぞ。"},
                               ensure_ascii=False) + "\n", encoding="utf-8")
    env = {"MADOGUCHI_DATABASE_URL": store_url, "MADOGUCHI_SOURCES": json.dumps([str(city)])}
    result = cli.invoke(cli_app, ["kb", "import", str(table), "--index-dir", str(tmp_path / "index")],
                        env=env)
    assert result.exit_code == 0, result.output
    [stored] = [v for v in rows(store_url, EntryVersion) if v.entry_id == "NUL-1"]
    assert (stored.question, stored.answer, stored.department) == ("迷子の猫を探したい",
                                                                   "生活環境課へどうぞ。", "生活環境課")
