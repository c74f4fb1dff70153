"""「ふりがな」 on LINE and Slack: signed webhooks in, readings in parentheses in the recorded replies out."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bot.store.tables import Conversation
from testing.database import store_url  # noqa: F401 (the fixture over SQLite and PostgreSQL)
from testing.line import event, line, replies_to, signed, webhook  # noqa: F401 (fixture)
from testing.recorder import Recorder
from testing.slack import OTHER_TEAM, mention, post, slack, thread_posts  # noqa: F401 (fixture)

READER = "U0f00d00000000000000000000000001"
QUESTION = "児童手当はいつ振り込まれる？"


def said(client: TestClient, recorder: Recorder, text: str) -> dict:
    """What LINE was asked to reply to one text message from READER."""
    message = event(message={"type": "text", "id": "1", "text": text, "quoteToken": "q"},
                    source={"type": "user", "userId": READER})
    assert signed(client, webhook(message)).status_code == 200
    [reply] = replies_to(recorder, message["replyToken"])
    return reply["messages"][0]


def stored_choices(url: str) -> list[bool]:
    engine = create_engine(url)
    with Session(engine) as session:
        found = list(session.scalars(select(Conversation.furigana).where(Conversation.channel == "line")))
    engine.dispose()
    return found


def test_line_resident_switches_furigana_on_and_off_by_message(line, recorder: Recorder) -> None:  # type: ignore[no-untyped-def]
    client, url = line
    before = json.dumps(said(client, recorder, QUESTION), ensure_ascii=False)
    assert "（じどうてあて）" not in before and '"text": "ふりがな"' in before  # the quick reply that asks
    confirmation = said(client, recorder, "ふりがな")
    assert confirmation["text"].startswith("ふりがなを つけます") and "言葉（ことば）" in confirmation["text"]
    assert True in stored_choices(url)
    answer = said(client, recorder, QUESTION)
    bubble = json.dumps(answer, ensure_ascii=False)
    assert "児童手当（じどうてあて）" in bubble and "15日（じゅうごにち）" in bubble
    assert answer["altText"].startswith("児童手当（じどうてあて）")
    assert answer["quickReply"]["items"][0]["action"]["text"] == "ふりがな なし"
    assert said(client, recorder, "ふりがな なし")["text"].startswith("ふりがなを やめました")
    assert "（じどうてあて）" not in json.dumps(said(client, recorder, QUESTION), ensure_ascii=False)


def test_an_answer_in_another_language_gets_no_japanese_readings(line, recorder: Recorder) -> None:  # type: ignore[no-untyped-def]
    """With ふりがな on, readings of Japanese words were put into a Chinese answer: 的（てき）."""
    client, _ = line
    said(client, recorder, "ふりがな")
    answer = json.dumps(said(client, recorder, "市政府的办公时间是几点？"), ensure_ascii=False)
    said(client, recorder, "ふりがな なし")
    assert "周一至周五" in answer
    assert not re.search(r"[\u4e00-\u9fff]（[ぁ-ゖ]+）", answer), answer


def test_a_question_about_furigana_is_answered_not_taken_as_the_switch(line, recorder: Recorder) -> None:  # type: ignore[no-untyped-def]
    client, _ = line
    reply = said(client, recorder, "ふりがなの書き方を教えて")
    assert not json.dumps(reply, ensure_ascii=False).count("ふりがなを つけます")


def test_slack_resident_asks_for_furigana_and_later_threads_keep_it(  # type: ignore[no-untyped-def]
        slack: TestClient, recorder: Recorder) -> None:
    payload, ts = mention("ふりがなをつけて", team=OTHER_TEAM)
    assert post(slack, json.dumps(payload, ensure_ascii=False), "application/json").status_code == 200
    [confirmation] = thread_posts(recorder, ts)
    assert confirmation["text"].startswith("ふりがなを つけます")
    payload, ts = mention(QUESTION, team=OTHER_TEAM)
    post(slack, json.dumps(payload, ensure_ascii=False), "application/json")
    [reply] = thread_posts(recorder, ts)
    assert "児童手当（じどうてあて）" in reply["blocks"][0]["text"]["text"]
    payload, ts = mention("市政府的办公时间是几点？", team=OTHER_TEAM)  # an answer in Chinese: no readings
    post(slack, json.dumps(payload, ensure_ascii=False), "application/json")
    chinese = json.dumps(thread_posts(recorder, ts), ensure_ascii=False)
    assert "周一至周五" in chinese and not re.search(r"[\u4e00-\u9fff]（[ぁ-ゖ]+）", chinese), chinese
    payload, ts = mention("ふりがな オフ", team=OTHER_TEAM)
    post(slack, json.dumps(payload, ensure_ascii=False), "application/json")
    assert thread_posts(recorder, ts)[0]["text"].startswith("ふりがなを やめました")
    payload, ts = mention(QUESTION, team=OTHER_TEAM)
    post(slack, json.dumps(payload, ensure_ascii=False), "application/json")
    assert "（じどうてあて）" not in json.dumps(thread_posts(recorder, ts), ensure_ascii=False)
