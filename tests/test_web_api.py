"""The resident web API through TestClient, against SQLite and the real PostgreSQL."""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.store.tables import Escalation, Feedback, Turn
from channels.server import create_app
from knowledge.core.settings import Settings
from testing.database import (
    rows,
    store_url,  # noqa: F401 (fixtures)
)
from testing.turns import record_turn

pytestmark = pytest.mark.integration

SESSION = "resident-session-0001"


@pytest.fixture(scope="module")
def client(sample_index_dir: Path, store_url: str) -> Iterator[TestClient]:
    settings = Settings(index_dir=sample_index_dir, database_url=store_url, rate_per_session=1000,
                        rate_per_address=10_000)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def ask(client: TestClient, text: str = "", session: str = SESSION, **extra: object) -> dict:
    body = {"session_id": session, **({"text": text} if text else {}), **extra}
    response = client.post("/api/v1/ask", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def test_ask_answers_and_stores_the_turn(client: TestClient, store_url: str) -> None:
    reply = ask(client, "児童手当はいつ振り込まれる？")
    assert reply["decision"] == "answer" and reply["session_id"] == SESSION
    assert reply["answer"]["department"] and reply["answer"]["contact"] and reply["answer"]["url"].startswith("https://")
    stored = [t for t in rows(store_url, Turn) if t.id == reply["turn_id"]]
    assert stored and stored[0].decision == "answer" and stored[0].shown_entry_id == reply["answer"]["id"]


def test_personal_data_is_masked_before_storage(client: TestClient, store_url: str) -> None:
    reply = ask(client, "住民票のことで090-1234-5678に折り返してほしい。メールはtaro@example.jp")
    [turn] = [t for t in rows(store_url, Turn) if t.id == reply["turn_id"]]
    assert "090" not in turn.question and "taro@" not in turn.question
    assert "[電話番号]" in turn.question and "[メール]" in turn.question


def test_new_visitor_gets_a_session_id(client: TestClient) -> None:
    reply = client.post("/api/v1/ask", json={"text": "ごみの分け方"}).json()
    assert len(reply["session_id"]) >= 16


def test_choice_answers_the_clarify_turn(client: TestClient) -> None:
    session = "clarify-session-01"
    reply = ask(client, "カードをなくした", session)
    assert reply["decision"] == "clarify" and reply["choices"][-1]["id"] == "none"
    picked = ask(client, session=session, choice_id=reply["choices"][0]["id"])
    assert picked["decision"] == "answer" and picked["answer"]["id"] == reply["choices"][0]["id"]


def test_choice_ids_not_offered_are_refused(client: TestClient) -> None:
    response = client.post("/api/v1/ask", json={"session_id": "replay-session-01", "choice_id": "S001"})
    assert response.status_code == 409 and "not offered" in response.json()["error"]


def test_escalation_is_stored_and_takes_contact_details(client: TestClient, store_url: str) -> None:
    session = "escalate-session-1"
    reply = ask(client, "人と話したい", session)
    escalation = reply["escalation"]
    assert reply["decision"] == "escalate" and escalation["hours"] and escalation["contact"]
    assert escalation["id"] in {e.id for e in rows(store_url, Escalation)}
    url = f"/api/v1/escalations/{escalation['id']}/contact"
    sent = client.post(url, json={"session_id": session, "name": "港 太郎", "email": "taro@example.jp",
                                  "preferred": "email"})
    assert sent.status_code == 204
    [stored] = [e for e in rows(store_url, Escalation) if e.id == escalation["id"]]
    assert (stored.contact_email, stored.preferred_reply) == ("taro@example.jp", "email")
    assert client.post(url, json={"session_id": "someone-else-01", "email": "a@b.jp",
                                  "preferred": "email"}).status_code == 404
    assert client.post(url, json={"session_id": session, "preferred": "phone"}).status_code == 422


def test_feedback_is_stored_for_the_sessions_turn(client: TestClient, store_url: str) -> None:
    reply = ask(client, "粗大ごみの出し方")
    sent = client.post("/api/v1/feedback",
                       json={"session_id": SESSION, "turn_id": reply["turn_id"], "helpful": False,
                             "comment": "電話は090-0000-1111です"})
    assert sent.status_code == 204
    [stored] = [f for f in rows(store_url, Feedback) if f.turn_id == reply["turn_id"]]
    assert stored.helpful is False and "090" not in stored.comment
    other = client.post("/api/v1/feedback",
                        json={"session_id": "another-session", "turn_id": reply["turn_id"],
                              "helpful": True})
    assert other.status_code == 404


@pytest.mark.parametrize(("body", "status"), [
    (b"not json", 422), (b'{"text": 5}', 422), (b'{"text": "a", "surprise": 1}', 422), (b'[]', 422),
    (b'{"text": "   "}', 422), ('{"text": "' + "あ" * 600 + '"}', 422), (b"{}", 422),
    (b'{"text": "a", "session_id": "../x"}', 422),
    (b'{"text": "\\ud800"}', 422), ('{"text": "' + "x" * 20_000 + '"}', 413),
    (b"[" * 5000 + b"]" * 5000, 400), (b'{"text": ' + b"[" * 5000 + b"]" * 5000 + b"}", 400),
])
def test_malformed_requests_get_a_4xx_in_one_shape(client: TestClient, body: bytes | str,
                                                   status: int) -> None:
    response = client.post("/api/v1/ask", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == status, response.text
    payload = response.json()
    assert set(payload) == {"ok", "status", "error", "detail"} and payload["ok"] is False and payload["error"]


def test_none_of_these_is_refused_where_nothing_was_offered(client: TestClient) -> None:
    """A stale 「どれにも当てはまらない」 (an old log in the widget) in a conversation offered nothing was
    answered with an English 「Is this what you are looking for?」 and an unrelated entry."""
    fresh = client.post("/api/v1/ask", json={"choice_id": "none", "session_id": "nothing-offered-01"})
    assert fresh.status_code == 409 and "not offered" in fresh.text
    answered = ask(client, "児童手当はいつ振り込まれる？", session="nothing-offered-02")
    assert answered["decision"] == "answer"
    late = client.post("/api/v1/ask", json={"choice_id": "none", "session_id": "nothing-offered-02"})
    assert late.status_code == 409


def test_a_number_where_nothing_was_offered_asks_for_words_and_opens_no_hand_over(client: TestClient,
                                                                                store_url: str) -> None:
    """「2」 in a conversation that was offered nothing (a new Slack DM message, choices long gone) was
    searched for, found nothing and opened a hand-over an agent had to close."""
    before = len(rows(store_url, Escalation))
    replies = [ask(client, text, session="number-alone-01") for text in ("2", "３番")]
    assert [r["decision"] for r in replies] == ["smalltalk"] * 2 and "escalation" not in replies[0]
    assert "番号だけでは" in replies[0]["message"] and len(rows(store_url, Escalation)) == before
    offered = ask(client, "カードをなくした", session="number-alone-02")
    picked = ask(client, "1", session="number-alone-02")
    assert offered["decision"] == "clarify" and picked["decision"] == "answer"


def test_a_question_and_a_choice_in_one_request_are_refused_with_the_reason(client: TestClient) -> None:
    """The stored question must be what was answered: a typed text beside a picked choice would be kept as
    the question of an answer to something else (and could teach the bot a wrong paraphrase)."""
    response = client.post("/api/v1/ask", json={"text": "犬の登録", "choice_id": "R101",
                                                "session_id": "both-at-once-01"})
    assert response.status_code == 422 and "either text" in response.text


@pytest.mark.parametrize("question", ["児童手当はいつ振り込まれる？", "ソファを捨てたい", "人と話したい",
                                      "こんにちは"])
def test_a_reply_is_the_same_bytes_whichever_json_content_type_carries_the_question(client: TestClient,
                                                                                    question: str) -> None:
    """`application/json` is answered before FastAPI's route (channels/web/ask_path.py), a `+json` type by the
    route itself: the same headers and the same bytes either way, but for the turn's own ids."""
    replies = [client.post("/api/v1/ask", headers={"Content-Type": content_type}, content=json.dumps(
        {"text": question, "session_id": f"same-bytes-{n}-{uuid.uuid4().hex[:8]}"}, ensure_ascii=False))
        for n, content_type in enumerate(("application/json", "application/vnd.madoguchi+json"))]
    own_ids = re.compile(r'"(turn_id|session_id|id)":("[^"]*"|\d+)')
    texts = [own_ids.sub(r'"\1":…', reply.text) for reply in replies]
    headers = [{k: v for k, v in reply.headers.items() if k != "content-length"} for reply in replies]
    assert [reply.status_code for reply in replies] == [200, 200]
    assert texts[0] == texts[1] and headers[0] == headers[1]


def test_a_streamed_body_over_the_limit_is_refused_with_413_and_no_error_logged(
        client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    chunks = iter([b'{"text": "' + b"x" * 10_000, b"x" * 10_000 + b'"}'])
    with caplog.at_level(logging.ERROR):
        response = client.post("/api/v1/ask", content=chunks, headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and response.json()["status"] == 413
    assert not [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]


def test_rate_limit_per_session_answers_429(sample_index_dir: Path, tmp_path: Path) -> None:
    settings = Settings(index_dir=sample_index_dir, database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
                        rate_per_session=2)
    with TestClient(create_app(settings)) as limited:
        codes = [limited.post("/api/v1/ask", json={"text": "ごみ",
                                                   "session_id": "busy-session-1"}).status_code
                 for _ in range(3)]
    assert codes == [200, 200, 429]


def test_health_openapi_widget_and_demo_page(client: TestClient) -> None:
    health = client.get("/healthz").json()
    assert health["ok"] and health["store"] == "ok" and health["index_version"]
    schema = client.get("/openapi.json").json()
    assert {"/api/v1/ask", "/api/v1/feedback", "/healthz"} <= set(schema["paths"])
    widget = client.get("/widget.js")
    assert widget.status_code == 200 and "javascript" in widget.headers["content-type"]
    assert "innerHTML" not in widget.text
    assert '<script src="/widget.js"' in client.get("/").text


def test_two_first_messages_of_one_session_arriving_together_are_both_stored(store_url: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from bot.answer import Answer, Decision
    from bot.intents import Intent
    from bot.store import ConversationStore

    store = ConversationStore(store_url).migrate()
    reply = Answer(Decision.SMALLTALK, Intent.GREETING, 1.0, "こんにちは")
    conversation = f"web:{uuid.uuid4().hex}"
    with ThreadPoolExecutor(8) as pool:
        turns = list(pool.map(
            lambda _: record_turn(store, conversation, "web", "resident", "やあ", "", reply), range(8)))
    assert len({t.turn_id for t in turns}) == 8
    assert len([t for t in rows(store_url, Turn) if t.conversation_id == conversation]) == 8
    store.engine.dispose()
