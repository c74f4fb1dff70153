"""A foreign resident on LINE stays in their language: a choice typed as a number (「2」「２」「2番」), a
sticker, the bot's name alone in a group, a refusal for writing too fast and an old choice button are all
answered in the language of the resident's question, not in Japanese. Signed webhooks in, the recorded
Messaging API calls out."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from channels.server import create_app
from knowledge.core.settings import Settings
from testing.database import store_url  # noqa: F401 (the fixture over SQLite and PostgreSQL)
from testing.line import (
    SECRET,
    event,
    line,  # noqa: F401 (fixtures)
    replies_to,
    signed,
    text_event,
    webhook,
)
from testing.recorder import Recorder

pytestmark = pytest.mark.integration

ENGLISH_QUESTION = "How do I throw away things?"
STICKER = {"type": "sticker", "id": "2", "packageId": "1", "stickerId": "1", "stickerResourceType": "STATIC",
           "quoteToken": "q"}


def from_someone(sent: dict) -> dict:
    """The event from a resident of its own, so that no other test's turns are the conversation's latest."""
    return {**sent, "source": {"type": "user", "userId": f"U{uuid.uuid4().hex}"}}


def said(client: TestClient, recorder: Recorder, sent: dict) -> dict:
    """The one message LINE was asked to reply to `sent` with."""
    assert signed(client, webhook(sent)).status_code == 200
    [reply] = replies_to(recorder, sent["replyToken"])
    [message] = reply["messages"]
    return message


def as_(first: dict, sent: dict) -> dict:
    """`sent` from the resident who sent `first`."""
    return {**sent, "source": first["source"]}


@pytest.mark.parametrize("typed", ["2", "２", "2番"])
def test_a_number_typed_after_english_choices_is_answered_in_english(  # type: ignore[no-untyped-def]
        line, recorder: Recorder, typed: str) -> None:
    client, _ = line
    question = from_someone(text_event(ENGLISH_QUESTION))
    offer = said(client, recorder, question)
    assert offer["text"].startswith("Which of these"), offer
    answer = said(client, recorder, as_(question, text_event(typed)))
    bubble = json.dumps(answer, ensure_ascii=False)
    assert answer["type"] == "flex", answer
    assert "👍 Solved" in bubble and "👍 解決した" not in bubble and "lang=en" in bubble, bubble


def test_a_sticker_after_an_english_question_is_answered_in_english(line, recorder: Recorder) -> None:  # type: ignore[no-untyped-def]
    client, _ = line
    question = from_someone(text_event(ENGLISH_QUESTION))
    said(client, recorder, question)
    note = said(client, recorder, as_(question, event(message=STICKER)))
    assert note["text"] == "Sorry, we cannot answer stickers or images. Please type your question.", note
    assert "文字" in said(client, recorder, from_someone(event(message=STICKER)))["text"]  # a new resident


def in_a_group(text: str, user: str) -> dict:
    """`text` that mentions the bot (its name first), from `user` in a group."""
    mention = {"mentionees": [{"index": 0, "length": 6, "type": "user", "isSelf": True}]}
    message = {"type": "text", "id": "1", "text": f"@みなと市 {text}".strip(), "quoteToken": "q",
               "mention": mention}
    return event(message=message, source={"type": "group", "groupId": "Cgroup-languages", "userId": user})


def test_the_bot_s_name_alone_in_a_group_is_answered_in_the_member_s_language(  # type: ignore[no-untyped-def]
        line, recorder: Recorder) -> None:
    client, _ = line
    member = f"U{uuid.uuid4().hex}"
    said(client, recorder, in_a_group("Como faço para jogar fora o lixo?", member))
    prompt = said(client, recorder, in_a_group("", member))
    assert prompt["text"].startswith("Pode perguntar."), prompt
    assert "ご質問をどうぞ" in said(client, recorder, in_a_group("", f"U{uuid.uuid4().hex}"))["text"]


def test_an_old_japanese_button_is_told_so_in_the_language_of_the_choices_offered_now(  # type: ignore[no-untyped-def]
        line, recorder: Recorder) -> None:
    """The note and the choices listed again are those of the latest offer, which was in English."""
    client, _ = line
    japanese = from_someone(text_event("ごみの出し方"))
    old = said(client, recorder, japanese)["quickReply"]["items"][0]["action"]["data"]
    now = said(client, recorder, as_(japanese, text_event(ENGLISH_QUESTION)))
    again = said(client, recorder, as_(japanese, event("postback", postback={"data": old})))
    assert again["text"].startswith("This choice is no longer available."), again
    assert again["text"].split("\n")[1:] == now["text"].split("\n")[1:]


def test_writing_too_fast_in_english_is_told_so_in_english(
        sample_index_dir: Path, recorder: Recorder, tmp_path: Path) -> None:
    settings = Settings(index_dir=sample_index_dir, database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
                        line_channel_secret=SECRET, line_channel_access_token="line-token",
                        line_api_base=recorder.url, data_dir=tmp_path, rate_per_chat_user=1)
    with TestClient(create_app(settings)) as limited:
        said(limited, recorder, text_event("Where can I get a residence certificate?"))
        refused = said(limited, recorder, text_event("How do I throw away things?"))
    assert refused["text"] == "You are sending too quickly. Please wait a moment and try again.", refused


def test_an_answer_in_english_has_no_furigana_switch_and_one_in_japanese_has(  # type: ignore[no-untyped-def]
        line, recorder: Recorder) -> None:
    client, _ = line
    english = said(client, recorder, from_someone(text_event("When is the city office open?")))
    japanese = said(client, recorder, from_someone(text_event("市役所は何時から開いていますか")))
    assert english["type"] == japanese["type"] == "flex" and "Monday" in json.dumps(english)
    assert not english.get("quickReply")
    assert "ふりがな" in json.dumps(japanese["quickReply"], ensure_ascii=False)
