"""The desk's deliveries: new escalations notify the desk, agents' replies reach residents on their channel.

LINE and Slack are the recording server; the webhook is checked for its signature; failures of the
far side are retried with backoff and end as `undelivered` where the desk shows it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.store.escalations import EscalationStore
from bot.store.outbox import Outbox
from channels.server import create_app
from knowledge.core.settings import Settings
from testing.database import STORES, postgres_schema_url
from testing.desk import add_user, csrf_of, sign_in, visitor
from testing.line import USER, replies_to, signed, text_event, webhook
from testing.live_index import wait_until
from testing.recorder import Recorder

pytestmark = pytest.mark.integration

WEBHOOK_SECRET = "desk-webhook-secret"
PUSH = "/v2/bot/message/push"


@pytest.fixture(scope="module", params=STORES)
def app(request: pytest.FixtureRequest, sample_index_dir: Path, recorder: Recorder,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    urls = postgres_schema_url() if request.param == "postgresql" else iter(
        [f"sqlite:///{tmp_path_factory.mktemp('delivery') / 'store.db'}"])
    url = next(urls)
    settings = Settings(index_dir=sample_index_dir, database_url=url,
                        line_channel_secret="line-channel-secret-for-tests",
                        line_channel_access_token="line-token", line_api_base=recorder.url,
                        slack_bot_token="xoxb-test", slack_signing_secret="slack-secret",
                        slack_api_base=f"{recorder.url}/api/", desk_slack_channel="CDESK",
                        desk_webhook_url=f"{recorder.url}/hooks/desk", desk_webhook_secret=WEBHOOK_SECRET,
                        desk_base_url="https://desk.city.example", outbox_max_attempts=3,
                        outbox_first_delay_seconds=0.05, rate_per_session=1000, rate_per_address=10_000)
    with TestClient(create_app(settings)) as client:
        yield client
    next(urls, None)


def desk_of(client: TestClient) -> EscalationStore:
    return EscalationStore(client.app.state.madoguchi.store)


def line_escalation(client: TestClient, recorder: Recorder) -> str:
    """A LINE user asks for a person; returns the escalation id the store holds."""
    question = text_event("人と話したい")
    signed(client, webhook(question))
    assert wait_until(lambda: replies_to(recorder, question["replyToken"]))
    escalations = desk_of(client).queue(channel="line", status="new")
    return escalations[-1].id


def answer(client: TestClient, escalation_id: str, text: str) -> str:
    desk = desk_of(client)
    desk.claim(escalation_id, "agent-sato")
    delivery = desk.reply(escalation_id, "agent-sato", text)
    client.app.state.madoguchi.wake_outbox()
    return delivery


def pushes_with(recorder: Recorder, text: str) -> list:
    return [r for r in recorder.requests if r.path == PUSH and text in r.body["messages"][0]["text"]]


def test_agent_replies_in_the_desk_and_the_line_push_carries_the_reply(app: TestClient, recorder: Recorder,
                                                                        model_cache: Path) -> None:
    escalation_id = line_escalation(app, recorder)
    stored = desk_of(app).get(escalation_id)
    assert stored.route and USER not in stored.route, "the LINE user id is kept only sealed"
    add_user(str(app.app.state.madoguchi.settings.resolved_database_url), model_cache, "agent-line", "agent")
    agent = visitor(app.app)
    assert sign_in(agent, "agent-line").status_code == 303
    page = f"/desk/escalations/{escalation_id}"
    agent.post(f"{page}/claim", data={"csrf": csrf_of(agent, page)})
    agent.post(f"{page}/reply",
               data={"csrf": csrf_of(agent, page), "text": f"収集は毎月第2水曜日です（{escalation_id}）。"})
    [push] = wait_until(lambda: pushes_with(recorder, escalation_id))
    assert push.body["to"] == USER and push.headers.get("X-Line-Retry-Key")
    assert wait_until(lambda: desk_of(app).get(escalation_id).delivery == "delivered")


def test_a_long_or_emoji_heavy_reply_reaches_line_whole_in_several_messages(app: TestClient,
                                                                            recorder: Recorder) -> None:
    """LINE counts UTF-16 units up to 5000 a message: a 4,999-character reply lost its end under the heading
    while the desk said 送信済み, and a reply full of emoji was refused until it was marked undelivered."""
    for body in ("長" * 4990 + "。以上、必ずお読みください。", "よろしくお願いします😀" * 700):
        escalation_id = line_escalation(app, recorder)
        seen = len(recorder.requests)
        answer(app, escalation_id, body)
        [push] = wait_until(lambda: [r for r in recorder.requests[seen:] if r.path == PUSH])  # noqa: B023
        texts = [m["text"] for m in push.body["messages"]]
        assert body in "".join(texts) and all(len(t.encode("utf-16-le")) // 2 <= 5000 for t in texts)
        assert wait_until(lambda: desk_of(app).get(escalation_id).delivery == "delivered")  # noqa: B023


def test_a_members_private_question_is_never_quoted_to_their_group(app: TestClient,
                                                                    recorder: Recorder) -> None:
    """A member asked privately about 生活保護 and 借金, then asked for a person in a group: the agent's reply
    to the group quoted the private question. A member's words in a group are a conversation of their own."""
    member, group = "U0member00000000000000000000001", "Cgroup-family"
    private = {**text_event("生活保護を受けたいのですが、借金があっても申請できますか"),
               "source": {"type": "user", "userId": member}}
    in_group = text_event("@みなと市 担当者と話したい")
    in_group["source"] = {"type": "group", "groupId": group, "userId": member}
    in_group["message"]["mention"] = {"mentionees": [{"index": 0, "length": 5, "type": "user",
                                                      "userId": "Ubot", "isSelf": True}]}
    for said in (private, in_group):
        signed(app, webhook(said))
        assert wait_until(lambda: replies_to(recorder, said["replyToken"]))  # noqa: B023
    [handed] = [e for e in desk_of(app).queue(channel="line", status="new")
                if desk_of(app).route(e.id).address["user_id"] == group]  # type: ignore[union-attr]
    seen = len(recorder.requests)
    answer(app, handed.id, "窓口でご相談ください。")
    [push] = wait_until(lambda: [r for r in recorder.requests[seen:] if r.path == PUSH])
    assert push.body["to"] == group and "生活保護" not in json.dumps(push.body, ensure_ascii=False)


def test_new_escalation_notifies_the_desk_channel_and_a_signed_webhook(app: TestClient,
                                                                       recorder: Recorder) -> None:
    reply = app.post("/api/v1/ask", json={"session_id": "notify-session-01",
                                          "text": "担当者と話したい"}).json()
    escalation_id = reply["escalation"]["id"]
    link = f"https://desk.city.example/desk/escalations/{escalation_id}"
    notices = wait_until(lambda: [r for r in recorder.requests if r.path == "/api/chat.postMessage"
                                  and link in str(r.body)])
    assert notices and "CDESK" in str(notices[0].body)
    assert "（ウェブ・" in str(notices[0].body) and "担当者と話したいとのことです" in str(notices[0].body)
    [hook] = wait_until(lambda: [r for r in recorder.requests if r.path == "/hooks/desk"
                                 and r.body["id"] == escalation_id])
    raw = hook.body if isinstance(hook.body, str) else None
    assert hook.body["url"] == link and hook.body["channel"] == "web"
    assert verify_signature(hook) and raw is None


def test_a_residents_words_cannot_ping_the_desk_channel_or_disguise_a_link(app: TestClient,
                                                                          recorder: Recorder) -> None:
    """Slack reads <!channel> and <url|label> in a message's text: a resident's question quoted as it was
    typed pinged every agent and showed a disguised link under the bot's name."""
    said = "<!channel> 至急 <https://evil.example/login|職員ポータル> 担当者と話したい"
    reply = app.post("/api/v1/ask", json={"session_id": "notify-session-02", "text": said}).json()
    link = f"https://desk.city.example/desk/escalations/{reply['escalation']['id']}"
    [notice] = wait_until(lambda: [r for r in recorder.requests if r.path == "/api/chat.postMessage"
                                   and link in str(r.body)])
    text = notice.body["text"]
    assert "<" not in text and ">" not in text, text
    assert "&lt;!channel&gt;" in text and "職員ポータル" in text


def verify_signature(hook) -> bool:  # type: ignore[no-untyped-def]
    import json

    body = json.dumps(hook.body, ensure_ascii=False).encode()
    expected = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(hook.headers.get("X-Madoguchi-Signature", ""), expected)


def test_line_outage_is_retried_with_the_same_retry_key_then_delivered(app: TestClient,
                                                                       recorder: Recorder) -> None:
    escalation_id = line_escalation(app, recorder)
    recorder.failures[PUSH] = 1
    answer(app, escalation_id, f"一時的な障害のあとに届く回答です（{escalation_id}）。")
    assert wait_until(lambda: desk_of(app).get(escalation_id).delivery == "delivered")
    tries = pushes_with(recorder, escalation_id)
    assert len(tries) == 2 and len({t.headers["X-Line-Retry-Key"] for t in tries}) == 1


def test_a_reply_line_keeps_refusing_ends_undelivered_in_the_desk(app: TestClient,
                                                                  recorder: Recorder) -> None:
    escalation_id = line_escalation(app, recorder)
    recorder.failures[PUSH] = 100
    try:
        answer(app, escalation_id, f"届かない回答です（{escalation_id}）。")
        assert wait_until(lambda: desk_of(app).get(escalation_id).delivery == "undelivered", seconds=30)
    finally:
        recorder.failures[PUSH] = 0
    assert len(pushes_with(recorder, escalation_id)) == 3
    assert Outbox(desk_of(app).store).counts().get("failed", 0) >= 1


def test_web_resident_sees_the_agents_reply_when_the_widget_polls(app: TestClient) -> None:
    session = "web-poll-session-01"
    escalation_id = app.post("/api/v1/ask", json={"session_id": session,
                                                  "text": "担当者と話したい"}).json()["escalation"]["id"]
    assert app.get("/api/v1/replies", params={"session_id": session}).json() == {"replies": []}
    assert answer(app, escalation_id, "窓口は3番です。") == "waiting"
    replies = app.get("/api/v1/replies", params={"session_id": session}).json()["replies"]
    assert [r["text"] for r in replies] == ["窓口は3番です。"]
    assert desk_of(app).get(escalation_id).delivery == "delivered"
    assert app.get("/api/v1/replies", params={"session_id": "someone-else-01"}).json() == {"replies": []}


def test_replies_poll_refuses_a_malformed_session(app: TestClient) -> None:
    response = app.get("/api/v1/replies", params={"session_id": "../../etc"})
    assert response.status_code == 422 and response.json()["ok"] is False


def test_a_reply_pushed_to_line_says_which_question_it_answers(app: TestClient, recorder: Recorder) -> None:
    question = text_event("火星への移住手続きはどこでできますか")
    signed(app, webhook(question))
    assert wait_until(lambda: replies_to(recorder, question["replyToken"]))
    escalation_id = desk_of(app).queue(channel="line", status="new")[-1].id
    answer(app, escalation_id, f"市ではお受けしていません（{escalation_id}）。")
    [push] = wait_until(lambda: pushes_with(recorder, escalation_id))
    assert "ご質問「火星への移住手続きはどこでできますか」について" in push.body["messages"][0]["text"]


def test_a_long_slack_reply_is_posted_whole_in_parts_never_cut_inside_an_escape() -> None:
    """The desk takes 5,000 characters and Slack's post here 3,000: the rest was cut, and a cut could fall
    inside &amp;."""
    from channels.delivery.senders import slack_parts

    reply = "あ" * 2998 + "&" + "い" * 2000
    parts = slack_parts(reply)
    assert len(parts) == 2 and all(len(p) <= 3000 for p in parts)
    assert "".join(parts) == reply.replace("&", "&amp;") and parts[1].startswith("&amp;")
