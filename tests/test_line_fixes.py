"""What a tester found on LINE and the web: an old choice button answered with silence, English choice buttons
that read alike after LINE's 20 characters, and thanks in other languages handed to a person. Signed
webhooks in, the recorded Messaging API calls out; the web through POST /api/v1/ask."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.store.tables import Escalation, Turn
from channels.server import create_app
from knowledge.core.settings import Settings
from testing.database import rows, store_url  # noqa: F401 (the fixture over SQLite and PostgreSQL)
from testing.line import (
    event,
    line,  # noqa: F401 (fixtures)
    replies_to,
    signed,
    text_event,
    webhook,
)
from testing.recorder import Recorder

pytestmark = pytest.mark.integration


def said(client: TestClient, recorder: Recorder, sent: dict) -> dict:
    """The one message LINE was asked to reply to `sent` with."""
    assert signed(client, webhook(sent)).status_code == 200
    [reply] = replies_to(recorder, sent["replyToken"])
    [message] = reply["messages"]
    return message


def tap(data: str) -> dict:
    return event("postback", postback={"data": data})


def choices_of(message: dict) -> list[str]:
    return [item["action"]["data"] for item in message["quickReply"]["items"]]


def test_a_choice_of_an_earlier_turn_is_told_so_and_the_choices_of_now_are_offered_again(  # type: ignore[no-untyped-def]
        line, recorder: Recorder) -> None:
    client, url = line
    earlier = said(client, recorder, text_event("カードをなくした"))
    now = said(client, recorder, text_event("ごみの出し方"))
    old = next(d for d in choices_of(earlier) if d not in choices_of(now))
    turns = len(rows(url, Turn))
    again = said(client, recorder, tap(old))
    assert "この選択肢は選べなくなりました" in again["text"]
    assert choices_of(again) == choices_of(now)  # LINE shows buttons under the latest message only
    assert again["text"].split("\n")[1:] == now["text"].split("\n")[1:]  # the same numbered list
    assert len(rows(url, Turn)) == turns  # nothing was asked: no turn
    picked = said(client, recorder, tap(choices_of(again)[0]))
    assert picked["type"] == "flex"


def test_a_double_tap_is_answered_once_and_then_told_so(line, recorder: Recorder) -> None:  # type: ignore[no-untyped-def]
    client, _ = line
    offer = said(client, recorder, text_event("ごみの出し方"))
    first = choices_of(offer)[0]
    assert said(client, recorder, tap(first))["type"] == "flex"
    second = said(client, recorder, tap(first))
    assert second["text"] == "この選択肢は選べなくなりました。もう一度ご質問ください。"


def test_an_old_english_choice_is_told_so_in_english(line, recorder: Recorder) -> None:  # type: ignore[no-untyped-def]
    client, _ = line
    offer = said(client, recorder, text_event("How do I throw away things?"))
    first = choices_of(offer)[0]
    assert "lang=en" in first
    said(client, recorder, tap(first))
    again = said(client, recorder, tap(first))
    assert again["text"] == "This choice is no longer available. Please ask your question again."


def test_long_english_choices_get_numbered_labels_that_differ_within_line_s_20_characters(  # type: ignore[no-untyped-def]
        line, recorder: Recorder) -> None:
    client, _ = line
    offer = said(client, recorder, text_event("How do I throw away things?"))
    listed = offer["text"].split("\n")[1:]
    labels = [item["action"]["label"] for item in offer["quickReply"]["items"]]
    assert len(labels) >= 3 and len({label.split(" ", 1)[1] for label in labels}) == len(labels), labels
    assert sum(row.startswith(f"{n}. How do I throw away") for n, row in enumerate(listed, start=1)) >= 2
    for n, (label, row) in enumerate(zip(labels, listed, strict=True), start=1):
        assert len(label) <= 20 and label.startswith(f"{n}. ") and row.startswith(f"{n}. "), label
        assert label.removeprefix(f"{n}. ").strip("…") in row, (label, row)
    shown = [item["action"]["displayText"] for item in offer["quickReply"]["items"]]
    assert [f"{n}. {s}" for n, s in enumerate(shown, start=1)] == listed  # the chat shows the whole label


@pytest.fixture(scope="module")
def web(sample_index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str]]:
    folder = tmp_path_factory.mktemp("thanks")
    url = f"sqlite:///{folder / 'store.db'}"
    with TestClient(create_app(Settings(index_dir=sample_index_dir, database_url=url,
                                        data_dir=folder))) as client:
        yield client, url


# Chinese (谢 is Chinese: Japanese writes 謝), Japanese with an emoji or 「どうも」, and the other languages
# in more words than one fixed phrase
THANKS = ["谢谢", "谢谢！", "多谢", "谢谢你", "谢谢😊", "ありがとう😊", "どうもありがとうございます",
          "thank you", "감사합니다", "obrigado", "cảm ơn", "cám ơn", "cảm ơn bạn", "Thank you very much!",
          "Thanks a lot", "고마워요", "muito obrigado", "Muito obrigada!"]


@pytest.mark.parametrize("text", THANKS)
def test_thanks_in_any_language_is_a_courtesy_and_no_hand_over(web: tuple[TestClient, str],
                                                               text: str) -> None:
    client, url = web
    escalations = len(rows(url, Escalation))
    response = client.post("/api/v1/ask", json={"session_id": "thanks-1", "text": text})
    assert response.status_code == 200, response.text
    reply = response.json()
    assert reply["decision"] == "smalltalk" and reply.get("escalation") is None, reply
    assert len(rows(url, Escalation)) == escalations
    assert max(rows(url, Turn), key=lambda t: t.id).decision == "smalltalk"


@pytest.mark.parametrize("text", ["thank you, and how do I register my address?", "谢谢，怎么办理住民票",
                                  "ありがとう、住民票はどこで取れますか"])
def test_thanks_with_a_question_is_answered_as_a_question(web: tuple[TestClient, str], text: str) -> None:
    reply = web[0].post("/api/v1/ask", json={"session_id": "thanks-and-a-question", "text": text}).json()
    assert reply["decision"] != "smalltalk", reply


def test_thanks_in_chinese_on_line_is_a_courtesy_and_no_hand_over(line, recorder: Recorder) -> None:  # type: ignore[no-untyped-def]
    client, url = line
    escalations = len(rows(url, Escalation))
    reply = said(client, recorder, text_event("谢谢"))
    assert "quickReply" not in reply and "担当者" not in reply["text"], reply
    assert len(rows(url, Escalation)) == escalations
