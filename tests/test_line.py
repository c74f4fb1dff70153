"""LINE: signed webhooks in, recorded Messaging API calls out. Nothing of madoguchi is patched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bot.store.tables import Conversation, Escalation, Turn
from channels.line.languages import ASK_AWAY
from channels.server import create_app
from knowledge.core.settings import Settings
from knowledge.records import Audience
from knowledge.sources import load_sources
from testing.database import refuse_questions_containing, rows, store_url  # noqa: F401 (the fixture over SQLite and PostgreSQL)
from testing.line import (
    SECRET,
    USER,
    event,
    line,  # noqa: F401 (fixtures)
    replies_to,
    signed,
    text_event,
    webhook,
)
from testing.recorder import Recorder

pytestmark = pytest.mark.integration


def test_forged_or_unsigned_webhooks_are_refused_and_nothing_is_stored(line, recorder: Recorder) -> None:  # type: ignore[no-untyped-def]
    client, url = line
    before = len(recorder.requests)
    payload = webhook(text_event("住民票がほしい"))
    assert signed(client, payload, secret="someone-else").status_code == 400
    assert signed(client, payload, signature="").status_code == 400
    assert len(recorder.requests) == before
    engine = create_engine(url)
    with Session(engine) as session:
        assert not [t for t in session.scalars(select(Turn)) if "住民票がほしい" in t.question]


def test_two_long_messages_in_one_webhook_are_accepted_and_an_oversized_body_is_not(line) -> None:  # type: ignore[no-untyped-def]
    """LINE puts several messages of up to 5,000 characters in one request; a 413 lost them all (the web
    API's 16 KB limit applied)."""
    client, _ = line
    long_text = "粗大ごみの出し方について教えてください。" * 140  # 2,800 characters
    batched = signed(client, webhook(text_event(long_text), text_event(long_text)))
    assert batched.status_code == 200, batched.text
    flood = signed(client, webhook(*(text_event(long_text) for _ in range(40))))
    assert flood.status_code == 413


def test_text_message_gets_loading_animation_then_a_reply(line, recorder: Recorder, caplog) -> None:  # type: ignore[no-untyped-def]
    client, _ = line
    question, seen = text_event("児童手当はいつ振り込まれる？"), len(recorder.requests)
    assert signed(client, webhook(question)).status_code == 200
    [reply] = replies_to(recorder, question["replyToken"])
    loading = [i for i, r in enumerate(recorder.requests) if r.path == "/v2/bot/chat/loading/start"]
    sent = next(i for i, r in enumerate(recorder.requests) if r.body == reply)
    assert loading and loading[-1] < sent
    assert reply["messages"][0]["type"] == "flex"
    bubble = json.dumps(reply["messages"][0], ensure_ascii=False)
    assert "偶数月" in bubble and "くわしく見る" in bubble and "feedback=up" in bubble
    assert not [r for r in recorder.requests[seen:] if r.path == "/v2/bot/message/push"]
    assert not [r for r in caplog.records if r.name == "madoguchi.line"]


def test_a_failed_loading_animation_or_reply_still_gets_the_answer_to_the_resident(  # type: ignore[no-untyped-def]
        line, recorder: Recorder) -> None:
    """LINE answering 500 to the loading animation lost the answer (not even the turn was stored); a failed
    reply lost it too: the loading animation is skipped and the answer is pushed instead."""
    client, _ = line
    recorder.failures["/v2/bot/chat/loading/start"] = 1
    first = text_event("児童手当はいつ振り込まれる？")
    assert signed(client, webhook(first)).status_code == 200
    assert replies_to(recorder, first["replyToken"]), "answered although the loading animation failed"
    recorder.failures["/v2/bot/message/reply"] = 1
    second = text_event("粗大ごみの出し方は？")
    seen = len(recorder.requests)
    assert signed(client, webhook(second)).status_code == 200
    [pushed] = recorder.wait_for("/v2/bot/message/push", count=1)[-1:]
    assert recorder.requests.index(pushed) >= seen and pushed.body["to"] == USER
    assert pushed.headers.get("X-Line-Retry-Key")


def test_redelivered_event_is_not_answered_twice(line, recorder: Recorder) -> None:  # type: ignore[no-untyped-def]
    client, _ = line
    first = text_event("ソファを捨てたい", event_id="01JREDELIVERY00000000000001")
    again = {**first, "deliveryContext": {"isRedelivery": True}}
    assert signed(client, webhook(first)).status_code == 200
    assert signed(client, webhook(again)).status_code == 200
    assert len(replies_to(recorder, first["replyToken"])) == 1


def test_choices_are_quick_replies_and_a_choice_is_answered(line, recorder: Recorder) -> None:  # type: ignore[no-untyped-def]
    client, _ = line
    question = text_event("カードをなくした")
    signed(client, webhook(question))
    [reply] = replies_to(recorder, question["replyToken"])
    items = reply["messages"][0]["quickReply"]["items"]
    assert 3 <= len(items) <= 13 and items[-1]["action"]["data"] == "choice=none"
    pick = event("postback", postback={"data": items[0]["action"]["data"]})
    signed(client, webhook(pick))
    [answer] = replies_to(recorder, pick["replyToken"])
    assert answer["messages"][0]["type"] == "flex"


SAMPLE_ANSWERS = {r.id: r.answer
                  for r in load_sources([Path(__file__).parents[1] / "knowledge/samples/minato"]).records}


def test_a_typed_number_picks_a_choice_on_line_as_on_the_web(line, recorder: Recorder) -> None:  # type: ignore[no-untyped-def]
    client, _ = line
    question = text_event("カードをなくした")
    signed(client, webhook(question))
    [offer] = replies_to(recorder, question["replyToken"])
    second = offer["messages"][0]["quickReply"]["items"][1]["action"]["data"].removeprefix("choice=")
    typed = text_event("２番")
    signed(client, webhook(typed))
    [answer] = replies_to(recorder, typed["replyToken"])
    assert answer["messages"][0]["type"] == "flex", answer
    assert SAMPLE_ANSWERS[second][:30] in json.dumps(answer, ensure_ascii=False)


def test_stickers_and_images_get_a_polite_text(line, recorder: Recorder) -> None:  # type: ignore[no-untyped-def]
    client, _ = line
    sticker = event(message={"type": "sticker", "id": "2", "packageId": "1", "stickerId": "1",
                             "stickerResourceType": "STATIC", "quoteToken": "q"})
    assert signed(client, webhook(sticker)).status_code == 200
    [reply] = replies_to(recorder, sticker["replyToken"])
    assert reply["messages"][0]["type"] == "text" and "文字" in reply["messages"][0]["text"]


def test_escalation_offers_a_person_and_hands_over(line, recorder: Recorder) -> None:  # type: ignore[no-untyped-def]
    client, _ = line
    question = text_event("人と話したい")
    signed(client, webhook(question))
    [reply] = replies_to(recorder, question["replyToken"])
    message = reply["messages"][0]
    assert "受付時間" in message["text"] and message["quickReply"]["items"][0]["action"][
        "label"] == "担当者につなぐ"
    handoff = event("postback", postback={"data": message["quickReply"]["items"][0]["action"]["data"]})
    signed(client, webhook(handoff))
    assert "担当者におつなぎしました" in replies_to(recorder, handoff["replyToken"])[0]["messages"][0]["text"]


def test_line_user_never_sees_staff_rules(line, recorder: Recorder) -> None:  # type: ignore[no-untyped-def]
    client, _ = line
    staff = [r.answer[:25]
             for r in load_sources([Path(__file__).parents[1] / "knowledge/samples/minato"]).records
             if r.audience is Audience.STAFF]
    for text in ("年休は何日ある？", "出張の日当はいくら", "文書の保存年限", "職員 勤務時間 休暇"):
        question = text_event(text)
        signed(client, webhook(question))
        sent = json.dumps(replies_to(recorder, question["replyToken"]), ensure_ascii=False)
        assert not [s for s in staff if s in sent], text


def test_user_ids_are_stored_only_as_a_keyed_hash(line) -> None:  # type: ignore[no-untyped-def]
    client, url = line
    signed(client, webhook(text_event("ごみの分け方")))
    engine = create_engine(url)
    with Session(engine) as session:
        ids = [c.id for c in session.scalars(select(Conversation))]
    assert ids and all(USER not in i for i in ids) and any(i.startswith("line:") for i in ids)


def test_signed_garbage_is_a_400_not_a_500(line) -> None:  # type: ignore[no-untyped-def]
    client, _ = line
    assert signed(client, "not json at all").status_code == 400
    assert signed(client, json.dumps({"events": "nope"})).status_code == 400


def test_signed_deeply_nested_json_is_a_400_not_a_500(line) -> None:  # type: ignore[no-untyped-def]
    client, _ = line
    assert signed(client, '{"events": ' + "[" * 3000 + "]" * 3000 + "}").status_code == 400


def test_group_and_room_members_without_a_user_id_do_not_share_a_conversation(  # type: ignore[no-untyped-def]
        line, recorder: Recorder) -> None:
    client, url = line
    question = "住民票の写しがほしい"
    before = {t.conversation_id for t in rows(url, Turn) if t.question == question}
    for source in ({"type": "group", "groupId": "Cgroup0001"}, {"type": "room", "roomId": "Rroom0001"},
                   {"type": "group", "groupId": "Cgroup0002"}):
        asked = {**to_the_bot(question), "source": source}
        assert signed(client, webhook(asked)).status_code == 200
        assert replies_to(recorder, asked["replyToken"])
    added = {t.conversation_id for t in rows(url, Turn) if t.question == question} - before
    assert len(added) == 3
    assert not [c for c in rows(url, Conversation) if "Cgroup" in c.id or "Rroom" in c.id]


def to_the_bot(question: str) -> dict:
    """A text that mentions the bot (「@みなと市 」 first), as LINE sends it from a group or room."""
    said = text_event(f"@みなと市 {question}")
    said["message"]["mention"] = {"mentionees": [{"index": 0, "length": 5, "type": "user", "userId": "Ubot",
                                                  "isSelf": True}]}
    return said


def test_the_bots_name_alone_is_asked_for_a_question_not_answered(line, recorder: Recorder) -> None:  # type: ignore[no-untyped-def]
    """「@みなと市」 alone was searched as a question: the group got an answer about ふるさと納税."""
    client, url = line
    named = {**to_the_bot(""), "source": {"type": "group", "groupId": "Cgroup-name", "userId": "Unamer0001"}}
    named["message"]["text"] = "@みなと市"
    assert signed(client, webhook(named)).status_code == 200
    [reply] = replies_to(recorder, named["replyToken"])
    assert reply["messages"] == [{"type": "text", "text": ASK_AWAY["ja"]}]
    assert not [t for t in rows(url, Turn) if "みなと市" in t.question]


def test_a_private_message_never_joins_a_group_hand_over(line, recorder: Recorder) -> None:  # type: ignore[no-untyped-def]
    """A member who asked for a person in a group and later wrote privately (借金, 生活保護) joined the
    group's hand-over: the agent's reply to it was pushed to the group."""
    client, url = line
    member = "Uprivate000000000000000000000001"
    in_group = {**to_the_bot("担当者と話したい"), "source": {"type": "group", "groupId": "Cgroup-private",
                                                           "userId": member}}
    alone = {**text_event("借金があって生活が苦しい。担当者と話したい"),
             "source": {"type": "user", "userId": member}}
    before = {e.id for e in rows(url, Escalation)}
    for said in (in_group, alone):
        assert signed(client, webhook(said)).status_code == 200
        assert replies_to(recorder, said["replyToken"])
    assert len({e.id for e in rows(url, Escalation)} - before) == 2


def test_in_a_group_only_what_mentions_the_bot_is_answered(line, recorder: Recorder) -> None:  # type: ignore[no-untyped-def]
    """Members of a group talk to each other: chatter, stickers and a mention of someone else get nothing
    (no reply posted to the group, nothing stored, no hand-over); a message that mentions the bot is
    answered, its @name left out of the question."""
    client, url = line
    group = {"type": "group", "groupId": "Cgroup-chatter", "userId": "Uchatty0001"}
    chatter = [{**text_event("今日の飲み会何時からだっけ？"), "source": group},
               {**event(message={"type": "sticker", "id": "2", "packageId": "1", "stickerId": "1"}),
                "source": group}]
    other = {**text_event("@田中 住民票とってきて"), "source": group}
    other["message"]["mention"] = {"mentionees": [{"index": 0, "length": 3, "type": "user",
                                                   "userId": "Utanaka", "isSelf": False}]}
    turns = len(rows(url, Turn))
    for said in (*chatter, other):
        assert signed(client, webhook(said)).status_code == 200
    asked = {**to_the_bot("住民票の写しがほしい"), "source": group}
    assert signed(client, webhook(asked)).status_code == 200
    assert replies_to(recorder, asked["replyToken"])
    assert not any(replies_to(recorder, said["replyToken"]) for said in (*chatter, other))
    assert [t.question for t in rows(url, Turn)[turns:]] == ["住民票の写しがほしい"]


def test_a_line_message_with_nul_bytes_escalates_and_is_stored(line, recorder: Recorder) -> None:  # type: ignore[no-untyped-def]
    client, url = line
    question = text_event("担当者と話したい ab\x00cd\ud800")
    assert signed(client, json.dumps(webhook(question))).status_code == 200
    message = replies_to(recorder, question["replyToken"])[0]["messages"][0]
    handoff_data = message["quickReply"]["items"][0]["action"]["data"]
    escalation_id = handoff_data.split("=", 1)[1]
    assert escalation_id in {e.id for e in rows(url, Escalation)}
    [turn] = [t for t in rows(url, Turn) if "ab" in t.question and "cd" in t.question
              and "担当者と話したい" in t.question]
    assert "\x00" not in turn.question and "abcd" in turn.question


def test_a_message_the_database_refuses_is_answered_as_not_accepted(line, recorder: Recorder) -> None:  # type: ignore[no-untyped-def]
    client, url = line
    refuse_questions_containing(url, "受け付けられない質問")
    before = client.get("/healthz").json()
    question = text_event("担当者と話したい 受け付けられない質問")
    assert signed(client, webhook(question)).status_code == 200
    [reply] = replies_to(recorder, question["replyToken"])
    assert "受け付けられませんでした" in reply["messages"][0]["text"]
    assert "quickReply" not in reply["messages"][0]
    after = client.get("/healthz").json()
    assert (after["spooled"], after["set_aside"]) == (before["spooled"], before["set_aside"])


def test_channel_test_command_sends_a_signed_event_to_a_running_server(
        sample_index_dir: Path, recorder: Recorder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading
    import time

    import uvicorn
    from typer.testing import CliRunner

    from channels.cli.app import app
    from testing.recorder import free_port

    settings = Settings(index_dir=sample_index_dir, database_url=f"sqlite:///{tmp_path / 'store.db'}",
                        line_channel_secret=SECRET, line_channel_access_token="t", line_api_base=recorder.url)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                           log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    seen = len(recorder.requests)
    monkeypatch.setenv("MADOGUCHI_LINE_CHANNEL_SECRET", SECRET)
    result = CliRunner().invoke(app, ["channel-test", "line", "--url", f"http://127.0.0.1:{port}", "--text",
                                      "ごみの分け方"])
    assert result.exit_code == 0, result.output
    assert "MADOGUCHI_LINE_API_BASE of the server" in result.output.replace("\n", " ")
    assert recorder.wait_for("/v2/bot/message/reply", count=len([r for r in recorder.requests[:seen]
                                                                 if "/reply" in r.path]) + 1)
    monkeypatch.setenv("MADOGUCHI_LINE_CHANNEL_SECRET", "not-the-secret")
    assert CliRunner().invoke(app, ["channel-test", "line", "--url",
                                    f"http://127.0.0.1:{port}"]).exit_code == 1
    server.should_exit = True


def test_badly_signed_webhooks_count_toward_the_address_limit_and_signed_ones_do_not(
        sample_index_dir: Path, recorder: Recorder, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    settings = Settings(index_dir=sample_index_dir, database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
                        line_channel_secret=SECRET, line_channel_access_token="line-token",
                        line_api_base=recorder.url, data_dir=tmp_path, rate_per_address=3)
    with TestClient(create_app(settings)) as limited:
        forged = [signed(limited, webhook(text_event("住民票")), signature="bm90IGEgc2lnbmF0dXJl").status_code
                  for _ in range(5)]
        good = signed(limited, webhook(text_event("住民票の写し"))).status_code
    assert forged == [400, 400, 400, 429, 429]
    assert good == 200


def test_an_entry_whose_link_is_a_mail_address_is_answered_without_a_link_button_line_would_refuse() -> None:
    """LINE takes only http(s), tel and line links in a button; one mailto: made it refuse the whole reply."""
    from dataclasses import replace

    from bot.answer import Answer, Decision
    from bot.intents import Intent
    from channels.line.messages import to_line

    record = next(r for r in load_sources([Path(__file__).parents[1] / "knowledge/samples/minato"]).records
                  if r.url)
    for url, shown in (("mailto:kosodate@city.minato.example.jp", False), ("tel:0123-45-6789", True)):
        answer = Answer(Decision.ANSWER, Intent.QUESTION, 0.99, record.answer, replace(record, url=url))
        [bubble] = to_line(answer, 1, None)
        footer = bubble.contents.footer.contents  # type: ignore[union-attr]
        assert (url in [getattr(b.action, "uri", None) for b in footer]) is shown, url
        contact = bubble.contents.body.contents[1].text  # type: ignore[union-attr]
        assert ("kosodate@city.minato.example.jp" in contact) is not shown, contact


def test_a_passage_choice_keeps_its_last_headings_within_line_s_20_characters() -> None:
    from channels.line.messages import choice_labels

    labels = choice_labels(["粗大ごみの出し方ガイド > 出せないもの > その他",
                            "どれにも当てはまらない（担当者につなぐ）"])
    assert labels[0] == "1. …出せないもの > その他" and all(len(label) <= 20 for label in labels)
