"""Rate limits shared through the real Redis at 127.0.0.1:6379, counted per worker while it is down, and
per-user limits on LINE and Slack answered with a friendly sentence."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import uuid
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient

from channels.server import create_app
from knowledge.core.settings import Settings
from testing.desk import sign_in
from testing.recorder import Recorder, free_port
from testing.services import REDIS

pytestmark = pytest.mark.integration

LINE_SECRET, SLACK_SECRET = "line-secret-for-limit-tests", "slack-secret-for-limit-tests"


def settings(index_dir: Path, tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {"index_dir": index_dir, "database_url": f"sqlite:///{tmp_path / 'store.db'}",
                                 "index_poll_seconds": 0}
    return Settings(**{**values, **overrides})  # type: ignore[arg-type]


def ask(client: TestClient, session: str):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/ask", json={"text": "ごみの出し方", "session_id": session})


def test_two_workers_share_one_limit_through_redis(sample_index_dir: Path, tmp_path: Path,
                                                   prefix: str) -> None:
    shared = settings(sample_index_dir, tmp_path, redis_url=REDIS, redis_prefix=prefix, rate_per_session=3)
    with TestClient(create_app(shared)) as first, TestClient(create_app(shared)) as second:
        codes = [ask(worker, "shared-session-01").status_code
                 for worker in (first, second, first, second, first)]
        refused = ask(second, "shared-session-01")
        other_session = ask(first, "shared-session-02")
    assert codes == [200, 200, 200, 429, 429]
    body = refused.json()
    assert refused.status_code == 429 and set(body) == {"ok", "status", "error", "detail"}
    assert 1 <= int(refused.headers["retry-after"]) <= 60, "clients are told when to try again"
    assert body["ok"] is False and body["status"] == 429 and "お待ちください" in body["error"]
    assert other_session.status_code == 200
    keys = [k.decode() for k in redis.Redis.from_url(REDIS).scan_iter(match=f"{prefix}*")]
    assert keys and all(k.startswith((f"{prefix}rate:", f"{prefix}offers:")) for k in keys)
    assert not [k
                for k in keys if "shared-session" in k or "testclient" in k], "raw ids must not be Redis keys"


def test_in_memory_limits_are_per_worker_without_redis(sample_index_dir: Path, tmp_path: Path) -> None:
    alone = settings(sample_index_dir, tmp_path, rate_per_session=1)
    with TestClient(create_app(alone)) as first, TestClient(create_app(alone)) as second:
        replies = [ask(first, "solo-session"), ask(second, "solo-session"), ask(first, "solo-session")]
    assert [r.status_code for r in replies] == [200, 200, 429]
    assert 55 <= int(replies[-1].headers["retry-after"]) <= 60


def test_redis_down_still_serves_counts_per_worker_and_warns_once(sample_index_dir: Path, tmp_path: Path,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    down = settings(sample_index_dir, tmp_path, redis_url=f"redis://127.0.0.1:{free_port()}/0",
                    rate_per_session=2, desk_login_rate_per_address=2)
    with caplog.at_level(logging.WARNING, logger="madoguchi.limits"), TestClient(create_app(down)) as client:
        codes = [ask(client, "session-while-redis-is-down").status_code for _ in range(4)]
        other = ask(client, "another-session-while-redis-is-down").status_code
        sign_ins = [sign_in(client, "nobody", "wrong-password!").status_code for _ in range(3)]
    assert codes == [200, 200, 429, 429] and other == 200, "the bot answers, and the limits still hold"
    assert sign_ins == [401, 401, 429], "guessing desk passwords is still limited per address"
    said = [r.getMessage() for r in caplog.records]
    warnings = sorted(message.split(":")[0] for message in said if "Redis unreachable" in message)
    # one warning per user of Redis (session, address and sign-in limits, the audited sign-in refusals,
    # offers), not one per request
    assert warnings == ["offers", "rate limits", "rate limits", "rate limits", "rate limits"]


def test_a_bad_redis_url_stops_startup_with_a_message(sample_index_dir: Path, tmp_path: Path) -> None:
    """Refused as the settings are read, before any worker starts (it failed in each worker at startup)."""
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="MADOGUCHI_REDIS_URL must start with redis://"):
        settings(sample_index_dir, tmp_path, redis_url="http://127.0.0.1:6379")


def line_event(text: str) -> dict:
    return {"type": "message", "mode": "active", "timestamp": 1764000000000,
            "webhookEventId": uuid.uuid4().hex,
            "deliveryContext": {"isRedelivery": False},
            "source": {"type": "user", "userId": "U0busyresident"},
            "replyToken": f"reply-{uuid.uuid4().hex}", "message": {"type": "text", "id": "1", "text": text,
                      "quoteToken": "q"}}


def post_line(client: TestClient, event: dict):  # type: ignore[no-untyped-def]
    body = json.dumps({"destination": "Ubot", "events": [event]}, ensure_ascii=False)
    mac = base64.b64encode(hmac.new(LINE_SECRET.encode(), body.encode(), hashlib.sha256).digest()).decode()
    return client.post("/callback/line", content=body.encode(),
                       headers={"Content-Type": "application/json", "X-Line-Signature": mac})


def test_line_user_over_the_limit_gets_a_friendly_sentence(sample_index_dir: Path, tmp_path: Path,
                                                           prefix: str,
                                                          recorder: Recorder) -> None:
    line = settings(sample_index_dir, tmp_path, redis_url=REDIS, redis_prefix=prefix, rate_per_chat_user=2,
                    line_channel_secret=LINE_SECRET, line_channel_access_token="t",
                    line_api_base=recorder.url)
    events = [line_event("児童手当はいつ振り込まれる？") for _ in range(3)]
    with TestClient(create_app(line)) as client:
        assert [post_line(client, e).status_code for e in events] == [200, 200, 200]
    replies = {r.body["replyToken"]: r.body["messages"]
               for r in recorder.requests if r.path == "/v2/bot/message/reply"}
    assert all("1分ほどたってから" not in json.dumps(replies[e["replyToken"]], ensure_ascii=False)
               for e in events[:2])
    [limited] = replies[events[2]["replyToken"]]
    assert limited == {"type": "text", "text": limited["text"]} and "1分ほどたってから" in limited["text"]
    assert "429" not in limited["text"] and "too many" not in limited["text"]


def post_slack(client: TestClient, payload: dict):  # type: ignore[no-untyped-def]
    body, stamp = json.dumps(payload, ensure_ascii=False), str(int(time.time()))
    signature = "v0=" + hmac.new(SLACK_SECRET.encode(), f"v0:{stamp}:{body}".encode(),
                                 hashlib.sha256).hexdigest()
    return client.post("/slack/events", content=body.encode(), headers={
        "Content-Type": "application/json", "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature})


def mention(ts: str) -> dict:
    return {"token": "x", "team_id": "T0CITY", "api_app_id": "A1", "type": "event_callback",
            "event_id": f"Ev{uuid.uuid4().hex[:10]}", "event_time": int(time.time()),
            "event": {"type": "app_mention", "user": "U0BUSY", "text": "<@B0BOT> 年休の繰越は？", "ts": ts,
                      "channel": "C0LIMITS", "event_ts": ts}}


def test_slack_user_over_the_limit_gets_a_friendly_sentence(sample_index_dir: Path, tmp_path: Path,
                                                           recorder: Recorder) -> None:
    slack = settings(sample_index_dir, tmp_path, rate_per_chat_user=1, slack_bot_token="xoxb-t",
                     slack_signing_secret=SLACK_SECRET, slack_api_base=recorder.url + "/api/")
    first, second = f"{time.time():.6f}", f"{time.time() + 1:.6f}"
    with TestClient(create_app(slack)) as client:
        assert post_slack(client, mention(first)).status_code == 200
        answered = thread_post(recorder, first)
        assert post_slack(client, mention(second)).status_code == 200
        limited = thread_post(recorder, second)
    assert answered.get("blocks") and "1分ほどたってから" not in answered["text"]
    assert "1分ほどたってから" in limited["text"] and not limited.get("blocks")


def thread_post(recorder: Recorder, ts: str) -> dict:
    """The post in a thread, once the lazy listener has made it."""
    for _ in range(400):
        found = [r.body
                 for r in recorder.requests if "chat.postMessage" in r.path and r.body.get("thread_ts") == ts]
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"nothing was posted in thread {ts}")
