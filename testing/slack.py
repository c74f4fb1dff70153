"""Slack's Events API as Slack sends it: app mentions from the city hall's team and others, requests signed
with the signing secret and a timestamp, and the thread posts the recording server received."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import pytest
from fastapi.testclient import TestClient

from channels.cli.chat import signed_slack
from channels.server import create_app
from knowledge.core.settings import Settings
from testing.recorder import Recorder

if TYPE_CHECKING:  # what Starlette's TestClient returns (httpx2, a test dependency)
    import httpx2

SECRET = "slack-signing-secret-for-tests"


STAFF_TEAM, OTHER_TEAM = "T0CITYHALL", "T0ELSEWHERE"


STAFF_USER, OTHER_USER, GUEST_USER = "U123", "U0OTHER", "U0GUEST"


DIRECTORY: dict[str, dict[str, str | bool]] = {
    STAFF_USER: {"team_id": STAFF_TEAM}, "U0STAFF2": {"team_id": STAFF_TEAM},
    OTHER_USER: {"team_id": OTHER_TEAM}, GUEST_USER: {"team_id": STAFF_TEAM, "is_restricted": True}}


SHARED_CHANNEL = "C0CONNECT"  # a Slack Connect channel: another organisation reads it


def conversations_info(body: object) -> dict[str, Any]:
    """Slack's conversations.info as the recorder answers it: every channel the city's own but one."""
    channel = parse_qs(body)["channel"][0] if isinstance(body, str) else sent_field(body, "channel")
    return {"ok": True, "channel": {"id": channel, "is_ext_shared": channel == SHARED_CHANNEL}}


def users_info(body: object) -> dict[str, Any]:
    """Slack's users.info as the recorder answers it: from DIRECTORY, by the `user` the request names."""
    user = parse_qs(body)["user"][0] if isinstance(body, str) else sent_field(body, "user")
    if user not in DIRECTORY:
        return {"ok": False, "error": "user_not_found"}
    return {"ok": True, "user": {"id": user, **DIRECTORY[str(user)]}}


@pytest.fixture(scope="module")
def slack(sample_index_dir: Path, recorder: Recorder, store_url: str,  # noqa: F811
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(index_dir=sample_index_dir, slack_bot_token="xoxb-test", slack_signing_secret=SECRET,
                        slack_api_base=recorder.url + "/api/", slack_staff_teams=[STAFF_TEAM],
                        database_url=store_url, data_dir=tmp_path_factory.mktemp("slack"))
    recorder.overrides["/api/users.info"] = users_info
    recorder.overrides["/api/conversations.info"] = conversations_info
    with TestClient(create_app(settings)) as client:
        yield client


def post(client: TestClient, body: str, content_type: str, secret: str = SECRET, age: int = 0,
         retry: bool = False) -> httpx2.Response:
    """An Events API request signed as Slack signs it (`age` seconds old, a retry if asked)."""
    headers = {"Content-Type": content_type, **signed_slack(body, secret, age)}
    if retry:
        headers["X-Slack-Retry-Num"] = "1"
    return client.post("/slack/events", content=body.encode(), headers=headers)


def mention(text: str, team: str = STAFF_TEAM, event_id: str | None = None,
            user_team: str | None = None, user: str | None = None,
            shared: bool = False) -> tuple[dict[str, Any], str]:
    """An app_mention event callback as Slack posts it, and its `ts` (the thread the answer goes to)."""
    ts = f"{time.time():.6f}"
    event = {"type": "app_mention", "user": user or (STAFF_USER if team == STAFF_TEAM else OTHER_USER),
             "text": f"<@B0BOT> {text}", "ts": ts, "channel": "C0GENERAL", "event_ts": ts}
    if user_team:  # the speaker's own team, which Slack adds in a channel shared between organisations
        event.update(user_team=user_team, source_team=user_team)
    if shared:  # a Slack Connect channel: another organisation reads it
        event.update(channel=SHARED_CHANNEL)
    payload = {"token": "x", "team_id": team, "api_app_id": "A1", "type": "event_callback",
               "event_id": event_id or f"Ev{uuid.uuid4().hex[:10]}", "event_time": int(time.time()),
               "event": event, "is_ext_shared_channel": shared}
    return payload, ts


def thread_posts(recorder: Recorder, ts: str, count: int = 1) -> list[dict]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = [r.body for r in recorder.requests if "chat.postMessage" in r.path
                 and sent_field(r.body, "thread_ts") == ts]
        if len(found) >= count:
            return found
        time.sleep(0.05)
    return [r.body for r in recorder.requests if "chat.postMessage" in r.path
            and sent_field(r.body, "thread_ts") == ts]


def sent_field(body: object, name: str) -> object:
    """One field of a request madoguchi sent to Slack: JSON bodies carry them, form bodies give None."""
    return body.get(name) if isinstance(body, dict) else None
