"""Slack: signed events, commands and button clicks in; recorded Web API calls out."""

from __future__ import annotations

import html
import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import pytest
from fastapi.testclient import TestClient

from bot.store.tables import Conversation, Escalation, Turn
from knowledge.core.settings import Settings
from knowledge.records import Audience
from knowledge.sources import load_sources
from testing.database import refuse_questions_containing, rows, store_url  # noqa: F401 (the fixture over SQLite and PostgreSQL)
from testing.recorder import Recorder
from testing.slack import (
    GUEST_USER,
    OTHER_TEAM,
    OTHER_USER,
    SECRET,
    SHARED_CHANNEL,
    STAFF_TEAM,
    STAFF_USER,
    mention,
    post,
    sent_field,
    slack,  # noqa: F401 (fixtures)
    thread_posts,
)

pytestmark = pytest.mark.integration

STAFF = [r for r in load_sources([Path(__file__).parents[1] / "knowledge/samples/minato"]).records
         if r.audience is Audience.STAFF]
STAFF_TEXTS = [r.answer[:25] for r in STAFF] + [f'"value": "{r.id}"' for r in STAFF]


def faq_command(slack: TestClient, recorder: Recorder, channel: str, text: str, user: str = STAFF_USER,
                posts: int = 1) -> list[dict]:
    """`/faq text` typed by `user` in `channel`, signed as Slack sends it; the posts in its thread."""
    seen = len(recorder.requests)
    form = urlencode({"command": "/faq", "text": text, "team_id": STAFF_TEAM, "channel_id": channel,
                      "user_id": user, "user_name": user, "response_url": recorder.url + "/respond",
                      "trigger_id": "1.2.3", "token": "x", "api_app_id": "A1"})
    assert post(slack, form, "application/x-www-form-urlencoded").status_code == 200
    deadline, answers = time.monotonic() + 20, []
    while len(answers) < posts and time.monotonic() < deadline:
        time.sleep(0.1)
        answers = [r.body for r in recorder.requests[seen:] if "chat.postMessage" in r.path
                   and sent_field(r.body, "channel") == channel and sent_field(r.body, "thread_ts")]
    return answers


def test_mention_is_answered_in_its_thread_with_blocks(slack: TestClient, recorder: Recorder) -> None:
    payload, ts = mention("年休の繰越は何日まで？")
    response = post(slack, json.dumps(payload, ensure_ascii=False), "application/json")
    assert response.status_code == 200
    [reply] = thread_posts(recorder, ts)
    assert reply["channel"] == "C0GENERAL" and reply["blocks"]
    assert any(s in json.dumps(reply, ensure_ascii=False)
               for s in STAFF_TEXTS), "staff should get staff rules"


def test_members_of_other_workspaces_are_residents(slack: TestClient, recorder: Recorder) -> None:
    for text in ("年休の繰越は何日まで？", "出張の日当はいくら", "文書の保存年限"):
        payload, ts = mention(text, team=OTHER_TEAM)
        post(slack, json.dumps(payload, ensure_ascii=False), "application/json")
        [reply] = thread_posts(recorder, ts)
        assert not [s for s in STAFF_TEXTS if s in json.dumps(reply, ensure_ascii=False)], text


def test_a_guest_from_another_organisation_in_a_shared_channel_is_a_resident(
        slack: TestClient, recorder: Recorder) -> None:
    for text in ("年休の繰越は何日まで？", "出張の日当はいくら", "文書の保存年限"):
        payload, ts = mention(text, team=STAFF_TEAM, user_team="TEXTERNAL9", shared=True)
        assert post(slack, json.dumps(payload, ensure_ascii=False), "application/json").status_code == 200
        [reply] = thread_posts(recorder, ts)
        assert not [s for s in STAFF_TEXTS if s in json.dumps(reply, ensure_ascii=False)], text


def test_a_staff_member_in_a_channel_another_organisation_reads_is_told_to_ask_in_a_dm(
        slack: TestClient, recorder: Recorder) -> None:
    """The staff member is staff, but the thread is read by the other organisation of a Slack Connect
    channel: the 日当 of the travel rules was posted there for them to read."""
    payload, ts = mention("年休の繰越は何日まで？", team="TEXTERNAL9", user_team=STAFF_TEAM, shared=True)
    post(slack, json.dumps(payload, ensure_ascii=False), "application/json")
    note, reply = thread_posts(recorder, ts, count=2)
    assert "DM" in str(note.get("text")) and reply["blocks"]
    assert not [s for s in STAFF_TEXTS if s in json.dumps(reply, ensure_ascii=False)]


def test_a_click_in_a_channel_another_organisation_reads_hands_over_a_residents_question(
        slack: TestClient, recorder: Recorder, store_url: str) -> None:  # noqa: F811
    """「どれにも当てはまらない」 in a Slack Connect thread filed a staff hand-over: the desk showed staff
    rules beside it and an agent's reply went into the thread the other organisation reads."""
    payload, ts = mention("カードをなくした", team="TEXTERNAL9", user_team=STAFF_TEAM, user=STAFF_USER,
                          shared=True)
    post(slack, json.dumps(payload, ensure_ascii=False), "application/json")
    _, offered = thread_posts(recorder, ts, count=2)
    none = next(b for b in offered["blocks"] if b["type"] == "actions")["elements"][-1]
    clicked = json.loads(parse_qs(click("TEXTERNAL9", ts, none["action_id"], none["value"]))["payload"][0])
    clicked["channel"] = {"id": SHARED_CHANNEL}
    post(slack, urlencode({"payload": json.dumps(clicked, ensure_ascii=False)}),
         "application/x-www-form-urlencoded")
    thread_posts(recorder, ts, count=3)
    [escalation] = wait_for_rows(store_url, Escalation, lambda e: e.conversation_id.endswith(ts))
    assert escalation.audience == "resident"


def test_a_faq_command_in_a_dm_is_answered_for_staff_even_when_slack_will_not_describe_it(
        slack: TestClient, recorder: Recorder) -> None:
    """A DM with the bot is read by the one who asked: no conversations.info is needed (without im:read it
    failed, and the DM was taken for a shared channel)."""
    kept = recorder.overrides["/api/conversations.info"]
    recorder.overrides["/api/conversations.info"] = {"ok": False, "error": "missing_scope",
                                                     "needed": "im:read"}
    try:
        answers = faq_command(slack, recorder, "D0BOTDM", "出張の日当はいくら")
    finally:
        recorder.overrides["/api/conversations.info"] = kept
    assert answers and any(s in json.dumps(answers, ensure_ascii=False) for s in STAFF_TEXTS)


def test_what_slack_sends_escaped_is_stored_as_typed(slack: TestClient, recorder: Recorder,
                                                    store_url: str) -> None:  # noqa: F811
    """Slack sends 「&」 as &amp;: stored as it came, and escaped again when posted (the desk notice, an
    agent's reply quoting it), the desk channel read &amp;amp;."""
    payload, ts = mention("住民票 &amp; 印鑑証明 &lt;至急&gt;")
    post(slack, json.dumps(payload, ensure_ascii=False), "application/json")
    thread_posts(recorder, ts)
    [turn] = wait_for_rows(store_url, Turn, lambda t: "印鑑証明" in t.question and "至急" in t.question)
    assert "住民票 & 印鑑証明 <至急>" in turn.question, turn.question


def test_a_faq_command_in_a_channel_another_organisation_reads_gets_no_staff_rule(
        slack: TestClient, recorder: Recorder) -> None:
    answers = faq_command(slack, recorder, SHARED_CHANNEL, "出張の日当はいくら", posts=2)
    assert len(answers) == 2 and not [s for s in STAFF_TEXTS if s in json.dumps(answers, ensure_ascii=False)]


def test_a_guest_of_the_staff_workspace_is_a_resident_even_when_the_event_names_the_staff_team(
        slack: TestClient, recorder: Recorder) -> None:
    """A guest's events carry the city's own team as `user_team`: only Slack's directory tells them apart."""
    payload, ts = mention("年休の繰越は何日まで？", team=STAFF_TEAM, user_team=STAFF_TEAM, user=GUEST_USER)
    post(slack, json.dumps(payload, ensure_ascii=False), "application/json")
    [reply] = thread_posts(recorder, ts)
    assert not [s for s in STAFF_TEXTS if s in json.dumps(reply, ensure_ascii=False)]


def test_a_staff_member_is_looked_up_in_slack_once_not_for_every_message(
        slack: TestClient, recorder: Recorder) -> None:
    seen = len(recorder.requests)
    for text in ("年休の繰越は何日まで？", "出張の日当はいくら"):
        payload, ts = mention(text, team=STAFF_TEAM, user_team=STAFF_TEAM, user="U0STAFF2")
        post(slack, json.dumps(payload, ensure_ascii=False), "application/json")
        [reply] = thread_posts(recorder, ts)
        assert any(s in json.dumps(reply, ensure_ascii=False) for s in STAFF_TEXTS), text
    lookups = [r for r in recorder.requests[seen:]
               if r.path == "/api/users.info" and "U0STAFF2" in str(r.body)]
    assert len(lookups) == 1


@pytest.mark.parametrize("user", [OTHER_USER, GUEST_USER, "U0NOBODY"])
def test_without_user_team_slack_is_asked_and_guests_and_strangers_are_residents(
        slack: TestClient, recorder: Recorder, user: str) -> None:
    payload, ts = mention("年休の繰越は何日まで？", team=STAFF_TEAM, user=user)
    post(slack, json.dumps(payload, ensure_ascii=False), "application/json")
    [reply] = thread_posts(recorder, ts)
    assert not [s for s in STAFF_TEXTS if s in json.dumps(reply, ensure_ascii=False)]
    assert any(r.path == "/api/users.info" and user in str(r.body) for r in recorder.requests)


def test_a_faq_command_from_a_guest_of_the_staff_workspace_gets_a_resident_answer(
        slack: TestClient, recorder: Recorder) -> None:
    answers = faq_command(slack, recorder, "C0GUESTS", "年休の繰越は何日まで？", user=GUEST_USER)
    assert answers and not [s for s in STAFF_TEXTS if s in json.dumps(answers, ensure_ascii=False)]


@pytest.mark.parametrize(("secret", "age"), [("wrong-secret", 0), (SECRET, 6 * 60)])
def test_forged_and_stale_requests_are_rejected(slack: TestClient, recorder: Recorder, secret: str,
                                                age: int) -> None:
    payload, ts = mention("住民票の写し")
    response = post(slack, json.dumps(payload, ensure_ascii=False), "application/json", secret=secret,
                    age=age)
    assert response.status_code == 401
    time.sleep(0.5)
    assert not [r for r in recorder.requests if sent_field(r.body, "thread_ts") == ts]


def test_retried_event_is_answered_once(slack: TestClient, recorder: Recorder) -> None:
    payload, ts = mention("ソファを捨てたい", event_id="EvRETRY0001")
    body = json.dumps(payload, ensure_ascii=False)
    assert post(slack, body, "application/json").status_code == 200
    assert post(slack, body, "application/json", retry=True).status_code == 200
    thread_posts(recorder, ts)
    time.sleep(1.0)
    assert len(thread_posts(recorder, ts)) == 1


def test_faq_command_acks_and_answers_in_a_thread(slack: TestClient, recorder: Recorder) -> None:
    form = urlencode({"command": "/faq", "text": "夏季休暇はいつ取れる？", "team_id": STAFF_TEAM,
                      "channel_id": "C0GENERAL",
                      "user_id": "U123", "user_name": "minato", "response_url": recorder.url + "/respond",
                      "trigger_id": "1.2.3", "token": "x", "api_app_id": "A1"})
    response = post(slack, form, "application/x-www-form-urlencoded")
    assert response.status_code == 200 and "確認しています" in response.text
    question = wait_for_post(recorder, "夏季休暇はいつ取れる")
    assert "thread_ts" not in question
    assert thread_posts(recorder, question_ts(recorder, question))


def wait_for_post(recorder: Recorder, fragment: str) -> dict:
    """The first chat.postMessage whose body mentions `fragment`, waiting for the lazy listener."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = [r.body for r in recorder.requests
                 if "chat.postMessage" in r.path and fragment in json.dumps(r.body, ensure_ascii=False)]
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"nothing posted about {fragment!r}")


def question_ts(recorder: Recorder, question: dict) -> str:
    """The ts the recorder gave the question's own post (the thread every answer must go to)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        threaded = [r.body for r in recorder.requests if "chat.postMessage" in r.path
                    and sent_field(r.body, "thread_ts")
                    and "夏季休暇" in json.dumps(r.body, ensure_ascii=False)]
        if threaded:
            return str(threaded[-1]["thread_ts"])
        time.sleep(0.05)
    raise AssertionError("no threaded answer to the /faq question")


def test_choice_button_answers_in_the_same_thread(slack: TestClient, recorder: Recorder) -> None:
    payload, ts = mention("カードをなくした", team=OTHER_TEAM)
    post(slack, json.dumps(payload, ensure_ascii=False), "application/json")
    [clarify] = thread_posts(recorder, ts)
    actions = next(b for b in clarify["blocks"] if b["type"] == "actions")["elements"]
    assert actions[-1]["value"] == "none" and len(actions) >= 3
    click = {"type": "block_actions", "team": {"id": OTHER_TEAM}, "user": {"id": OTHER_USER},
             "api_app_id": "A1", "token": "x", "trigger_id": "1.2", "channel": {"id": "C0GENERAL"},
             "message": {"ts": "999.000", "thread_ts": ts, "text": "", "type": "message"},
             "actions": [{"type": "button", "action_id": actions[0]["action_id"],
                          "value": actions[0]["value"], "block_id": "b", "action_ts": "1"}]}
    response = post(slack, urlencode({"payload": json.dumps(click, ensure_ascii=False)}),
                    "application/x-www-form-urlencoded")
    assert response.status_code == 200
    answers = thread_posts(recorder, ts, count=2)
    assert len(answers) == 2 and any(b["type"] == "context" for b in answers[-1]["blocks"])


def click(team: str, ts: str, action_id: str, value: str, user: str = STAFF_USER) -> str:
    """A signed-form body of `user`'s button click in the thread `ts`."""
    payload = {"type": "block_actions", "team": {"id": team}, "user": {"id": user}, "api_app_id": "A1",
               "token": "x", "trigger_id": "1.2", "channel": {"id": "C0GENERAL"},
               "message": {"ts": "999.002", "thread_ts": ts, "text": "", "type": "message"},
               "actions": [{"type": "button", "action_id": action_id, "value": value, "block_id": "b",
                            "action_ts": "1"}]}
    return urlencode({"payload": json.dumps(payload, ensure_ascii=False)})


def wait_for_rows(store_url: str, model: type, found: object, count: int = 1) -> list:  # noqa: F811
    """Rows of `model` for which `found(row)` holds, waiting for the lazy listener to store them."""
    deadline = time.monotonic() + 20
    while len(matching := [r for r in rows(store_url, model)
                           if found(r)]) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return matching


def test_mention_clarify_click_and_escalation_are_all_stored(slack: TestClient, recorder: Recorder,
                                                              store_url: str) -> None:  # noqa: F811
    payload, ts = mention("カードをなくした", team=OTHER_TEAM)
    assert post(slack, json.dumps(payload, ensure_ascii=False), "application/json").status_code == 200
    [clarify] = thread_posts(recorder, ts)
    buttons = next(b for b in clarify["blocks"] if b["type"] == "actions")["elements"]
    post(slack, click(OTHER_TEAM, ts, buttons[0]["action_id"], buttons[0]["value"], OTHER_USER),
         "application/x-www-form-urlencoded")
    assert len(thread_posts(recorder, ts, count=2)) == 2
    [conversation] = wait_for_rows(store_url, Conversation,
                                   lambda c: c.id.startswith("slack:") and c.id.endswith(ts))
    assert len(wait_for_rows(store_url, Turn, lambda t: t.conversation_id == conversation.id, 2)) == 2
    handover, handover_ts = mention("担当者と話したい")
    post(slack, json.dumps(handover, ensure_ascii=False), "application/json")
    assert "担当者" in thread_posts(recorder, handover_ts)[0]["text"]
    assert wait_for_rows(store_url, Escalation,
                         lambda e: e.channel == "slack" and e.conversation_id.endswith(handover_ts))
    assert slack.get("/healthz").json()["set_aside"] == 0


def test_a_staff_hand_over_shows_staff_rules_only_to_the_desk_roles_that_may_read_them(
        slack: TestClient, recorder: Recorder, store_url: str, model_cache: Path) -> None:  # noqa: F811
    """A contracted call center's agent (a role outside MADOGUCHI_DESK_STAFF_ROLES) searches as residents do;
    a staff member's hand-over must not show them the staff-only rules the bot considered either."""
    from testing.desk import add_user, csrf_of, signed_in

    payload, ts = mention("職員の保養所の予約方法は？")
    post(slack, json.dumps(payload, ensure_ascii=False), "application/json")
    [escalation] = wait_for_rows(store_url, Escalation, lambda e: e.conversation_id.endswith(ts))
    staff_only = {r.id: html.escape(r.question, quote=False) for r in STAFF}
    considered = [c["id"] for t in rows(store_url, Turn) if t.id == escalation.turn_id
                  for c in t.candidates if c["id"] in staff_only]
    assert considered, "the bot considered staff-only entries"
    for name, role in (("agent-keiyaku", "agent"), ("editor-jinji", "editor")):
        add_user(store_url, model_cache, name, role)
    page = f"/desk/escalations/{escalation.id}"
    agent_sees = signed_in(slack.app, "agent-keiyaku").get(page).text
    assert not [staff_only[i] for i in considered if staff_only[i] in agent_sees]
    assert "職員向け。この画面では示しません" in agent_sees
    editor_sees = signed_in(slack.app, "editor-jinji").get(page).text
    assert all(staff_only[i] in editor_sees for i in considered)
    assert "<h2>職員の質問</h2>" in editor_sees and "住民の質問" not in editor_sees  # a staff member asked
    # answered, 「FAQにする」 would make a staff-only draft the agent cannot open: refused before it is made
    editor, agent = signed_in(slack.app, "editor-jinji"), signed_in(slack.app, "agent-keiyaku")
    editor.post(f"{page}/claim", data={"csrf": csrf_of(editor, page)})
    editor.post(f"{page}/reply", data={"csrf": csrf_of(editor, page), "text": "職員ポータルから予約します。"})
    refused = agent.post(f"{page}/promote", data={"csrf": csrf_of(agent, page)}, follow_redirects=False)
    assert refused.status_code == 403 and "職員向けの FAQ を読める役割" in refused.text
    made = editor.post(f"{page}/promote", data={"csrf": csrf_of(editor, page)}, follow_redirects=False)
    assert made.status_code == 303 and editor.get(made.headers["location"]).status_code == 200, made.text


def test_a_message_the_database_refuses_is_answered_as_not_accepted(slack: TestClient, recorder: Recorder,
                                                                    store_url: str) -> None:  # noqa: F811
    refuse_questions_containing(store_url, "受け付けられない質問")
    before = slack.get("/healthz").json()
    payload, ts = mention("担当者と話したい 受け付けられない質問")
    post(slack, json.dumps(payload, ensure_ascii=False), "application/json")
    [reply] = thread_posts(recorder, ts)
    assert "受け付けられませんでした" in reply["text"] and "おつなぎします" not in reply["text"]
    after = slack.get("/healthz").json()
    assert (after["spooled"], after["set_aside"]) == (before["spooled"], before["set_aside"])


def test_nul_bytes_in_a_mention_are_stripped_and_the_turn_stored(slack: TestClient, recorder: Recorder,
                                                                 store_url: str) -> None:  # noqa: F811
    payload, ts = mention("担当者と話したい ab\x00cd\udc80")
    post(slack, json.dumps(payload), "application/json")  # NUL travels as \u0000, the surrogate as \udc80
    assert thread_posts(recorder, ts)
    assert wait_for_rows(store_url, Escalation, lambda e: e.conversation_id.endswith(ts))


def test_overlong_workspace_and_thread_ids_still_fit_the_store(slack: TestClient, recorder: Recorder,
                                                                store_url: str) -> None:  # noqa: F811
    payload, _ = mention("担当者と話したい", team="E" + "0" * 120)
    ts = payload["event"]["ts"] = payload["event"]["event_ts"] = f"{time.time():.6f}" + "1" * 90
    post(slack, json.dumps(payload), "application/json")
    assert "担当者" in thread_posts(recorder, ts)[0]["text"]
    [escalation] = wait_for_rows(store_url, Escalation, lambda e: e.conversation_id.startswith("slack:h"))
    assert len(escalation.conversation_id) <= 255


def test_direct_message_is_answered_and_bot_echoes_are_ignored(slack: TestClient, recorder: Recorder) -> None:
    ts = f"{time.time():.6f}"
    dm = {"token": "x", "team_id": STAFF_TEAM, "api_app_id": "A1", "type": "event_callback",
          "event_id": f"Ev{uuid.uuid4().hex[:10]}", "event_time": int(time.time()),
          "event": {"type": "message", "channel_type": "im", "user": "U123", "text": "旅費の精算期限は？",
                    "ts": ts, "channel": "D0DM"}}
    assert post(slack, json.dumps(dm, ensure_ascii=False), "application/json").status_code == 200
    assert thread_posts(recorder, ts)
    echo_ts = f"{time.time():.6f}"
    echo = {**dm, "event_id": f"Ev{uuid.uuid4().hex[:10]}",
            "event": {**dm["event"], "ts": echo_ts, "bot_id": "B0BOT", "subtype": "bot_message"}}
    assert post(slack, json.dumps(echo, ensure_ascii=False), "application/json").status_code == 200
    time.sleep(0.5)
    assert not [r for r in recorder.requests if sent_field(r.body, "thread_ts") == echo_ts]


def mention_in_thread(text: str, thread_ts: str) -> dict:
    """The same person mentioning the bot again in the answer's thread."""
    payload, _ = mention(text, team=OTHER_TEAM)
    payload["event"]["thread_ts"] = thread_ts
    return payload


def test_thumbs_down_button_is_stored_and_acknowledged(slack: TestClient, recorder: Recorder) -> None:
    payload, ts = mention("児童手当はいつ振り込まれる？", team=OTHER_TEAM)
    post(slack, json.dumps(payload, ensure_ascii=False), "application/json")
    [answer] = thread_posts(recorder, ts)
    votes = next(b for b in answer["blocks"] if b["type"] == "actions")["elements"]
    down = next(v for v in votes if v["action_id"] == "feedback_down")
    click = {"type": "block_actions", "team": {"id": OTHER_TEAM}, "user": {"id": OTHER_USER},
             "api_app_id": "A1", "token": "x", "trigger_id": "1.2", "channel": {"id": "C0GENERAL"},
             "message": {"ts": "999.001", "thread_ts": ts, "text": "", "type": "message"},
             "actions": [{"type": "button", "action_id": "feedback_down", "value": down["value"],
                          "block_id": "b", "action_ts": "1"}]}
    assert post(slack, urlencode({"payload": json.dumps(click)}),
                "application/x-www-form-urlencoded").status_code == 200
    replies = thread_posts(recorder, ts, count=2)
    assert "担当者と話したい" in replies[-1]["text"], "after 👎, the way on to a person (as on LINE)"
    person = mention_in_thread("担当者と話したい", ts)
    post(slack, json.dumps(person, ensure_ascii=False), "application/json")
    assert "担当者" in thread_posts(recorder, ts, count=3)[-1]["text"]


@contextmanager
def socket_mode_slack(envelope: dict, index_dir: Path,
                      tmp_path: Path) -> Iterator[tuple[Settings, Recorder, list[str]]]:
    """A Socket Mode connection that delivers one envelope; yields the settings of a city connecting to it,
    the recorder its Web API calls go to, and the acknowledgements received."""
    import threading

    from websockets.sync.server import serve

    acks: list[str] = []

    def session(websocket) -> None:  # type: ignore[no-untyped-def]
        websocket.send(json.dumps({"type": "hello", "num_connections": 1}))
        websocket.send(json.dumps(envelope, ensure_ascii=False))
        for message in websocket:
            acks.append(message if isinstance(message, str) else message.decode())

    with serve(session, "127.0.0.1", 0) as socket_server:
        threading.Thread(target=socket_server.serve_forever, daemon=True).start()
        port = socket_server.socket.getsockname()[1]
        recorder = Recorder().start()
        recorder.overrides["/api/apps.connections.open"] = {"ok": True, "url": f"ws://127.0.0.1:{port}/"}
        settings = Settings(index_dir=index_dir, slack_bot_token="xoxb-test", slack_app_token="xapp-test",
                            slack_mode="socket", slack_api_base=recorder.url + "/api/",
                            slack_staff_teams=[STAFF_TEAM],
                            database_url=f"sqlite:///{tmp_path / 'store.db'}", data_dir=tmp_path / "data")
        try:
            yield settings, recorder, acks
        finally:
            recorder.stop()


def envelope_of(payload: dict) -> dict:
    return {"envelope_id": "env-1", "type": "events_api", "accepts_response_payload": False,
            "payload": payload}


def test_socket_mode_receives_events_over_a_websocket_and_answers(
        sample_index_dir: Path, tmp_path: Path) -> None:
    from channels.cli.chat import socket_mode_handler
    from channels.server.city import build_city

    payload, ts = mention("ごみの分け方", team=STAFF_TEAM)
    with socket_mode_slack(envelope_of(payload), sample_index_dir, tmp_path) as (settings, recorder, acks):
        handler = socket_mode_handler(build_city(settings))
        handler.connect()
        try:
            assert thread_posts(recorder, ts), "no answer posted in the thread"
            assert any(json.loads(a).get("envelope_id") == "env-1" for a in acks)
        finally:
            handler.close()


def test_socket_mode_delivers_an_agents_reply_into_the_staff_members_thread(
        sample_index_dir: Path, tmp_path: Path) -> None:
    from bot.store.escalations import EscalationStore
    from channels.cli.chat import socket_mode

    payload, ts = mention("担当者と話したい", team=STAFF_TEAM)
    with socket_mode_slack(envelope_of(payload), sample_index_dir, tmp_path) as (settings, recorder, _):
        handler, city = socket_mode(settings)
        handler.connect()
        try:
            assert thread_posts(recorder, ts), "no answer posted in the thread"
            desk = EscalationStore(city.store)
            escalation = desk.queue()[0]
            desk.claim(escalation.id, "agent")
            assert desk.reply(escalation.id, "agent", "窓口担当からお電話します。") == "pending"
            city.wake_outbox()
            posts = thread_posts(recorder, ts, count=2)
            said = [json.dumps(post, ensure_ascii=False) for post in posts]
            [reply] = [text for text in said if "窓口担当からお電話します。" in text]
            assert "担当者からの回答】" in reply, "a person's reply says so"
        finally:
            city.stop()
            handler.close()


def test_socket_mode_answers_from_a_version_published_while_it_runs(tmp_path: Path) -> None:
    import queue
    import threading

    from websockets.exceptions import ConnectionClosed
    from websockets.sync.server import serve

    from bot.service.publishing import build_from_settings
    from channels.cli.chat import socket_mode
    from testing.live_index import BASE, DRONE, DRONE_QUESTION

    outgoing: queue.Queue[dict] = queue.Queue()

    def session(websocket) -> None:  # type: ignore[no-untyped-def]
        websocket.send(json.dumps({"type": "hello", "num_connections": 1}))
        while True:
            try:
                websocket.send(json.dumps(outgoing.get(timeout=0.1), ensure_ascii=False))
            except queue.Empty:
                try:
                    websocket.recv(timeout=0)  # acknowledgements
                except TimeoutError:
                    pass
                except ConnectionClosed:
                    return

    def ask(text: str) -> str:
        payload, ts = mention(text, team=STAFF_TEAM)
        outgoing.put({"envelope_id": f"env-{ts}", "type": "events_api", "accepts_response_payload": False,
                      "payload": payload})
        posts = thread_posts(recorder, ts)
        assert posts, "no answer posted in the thread"
        return json.dumps(posts[-1], ensure_ascii=False)

    (tmp_path / "drone.csv").write_text(DRONE, encoding="utf-8")
    settings = Settings(index_dir=tmp_path / "index", sources=[BASE], index_poll_seconds=0.2,
                        slack_bot_token="xoxb-test", slack_app_token="xapp-test", slack_mode="socket",
                        slack_staff_teams=[STAFF_TEAM], database_url=f"sqlite:///{tmp_path / 'store.db'}")
    build_from_settings(settings)
    with serve(session, "127.0.0.1", 0) as socket_server:
        threading.Thread(target=socket_server.serve_forever, daemon=True).start()
        recorder = Recorder().start()
        recorder.overrides["/api/apps.connections.open"] = {
            "ok": True, "url": f"ws://127.0.0.1:{socket_server.socket.getsockname()[1]}/"}
        handler, city = socket_mode(settings.model_copy(update={"slack_api_base": recorder.url + "/api/"}))
        handler.connect()
        try:
            assert "禁止しています" not in ask(DRONE_QUESTION)
            build_from_settings(settings, sources=[BASE, tmp_path / "drone.csv"])
            deadline = time.monotonic() + 30
            while "禁止しています" not in (reply := ask(DRONE_QUESTION)) and time.monotonic() < deadline:
                time.sleep(0.5)
            assert "禁止しています" in reply
        finally:
            city.stop()
            handler.close()
            recorder.stop()


GARBAGE = [("{not json", "application/json"), ("null", "application/json"), ("[1]", "application/json"),
           ("[" * 5000 + "]" * 5000, "application/json"),
           ("payload=%7Bbad", "application/x-www-form-urlencoded"),
           ("payload=null", "application/x-www-form-urlencoded"), ("\xff\xfe", "application/json")]


def post_unsigned(client: TestClient, body: str, content_type: str):  # type: ignore[no-untyped-def]
    return client.post("/slack/events", content=body.encode("utf-8", "surrogateescape"),
                       headers={"Content-Type": content_type})


@pytest.mark.parametrize(("body", "content_type"), GARBAGE)
def test_unsigned_garbage_is_refused_before_it_is_read(slack: TestClient, body: str, content_type: str,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    response = post_unsigned(slack, body, content_type)
    assert response.status_code == 401 and response.json()["error"]
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize(("body", "content_type"), GARBAGE)
def test_signed_garbage_gets_a_clear_400(slack: TestClient, body: str, content_type: str,
                                         caplog: pytest.LogCaptureFixture) -> None:
    response = post(slack, body, content_type)
    assert response.status_code == 400 and response.json()["error"]
    assert "Traceback" not in caplog.text


def test_unsigned_requests_count_toward_the_address_limit_and_signed_ones_do_not(
        sample_index_dir: Path, recorder: Recorder, tmp_path: Path) -> None:
    """Garbage cannot be sent without end; Slack's own signed deliveries, from its few addresses, are never
    throttled by it."""
    from channels.server import create_app

    settings = Settings(index_dir=sample_index_dir, slack_bot_token="xoxb-test", slack_signing_secret=SECRET,
                        slack_api_base=recorder.url + "/api/", slack_staff_teams=[STAFF_TEAM],
                        database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", data_dir=tmp_path,
                        rate_per_address=3)
    with TestClient(create_app(settings)) as limited:
        codes = [post_unsigned(limited, "{not json", "application/json").status_code for _ in range(5)]
        payload, ts = mention("住民票の写し")
        signed = post(limited, json.dumps(payload, ensure_ascii=False), "application/json")
    assert codes == [401, 401, 401, 429, 429]
    assert signed.status_code == 200
