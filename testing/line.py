"""LINE webhooks as LINE sends them: events, an X-Line-Signature over the exact body, and the replies the
recording server received."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from channels.cli.chat import signed_line
from channels.server import create_app
from knowledge.core.settings import Settings
from testing.recorder import Recorder

SECRET = "line-channel-secret-for-tests"


USER = "U4af4980629c0f4f4b8ae7ed2c8a1a2b3"


@pytest.fixture(scope="module")
def line(sample_index_dir: Path, recorder: Recorder, store_url: str,  # noqa: F811
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str]]:
    url = store_url
    settings = Settings(index_dir=sample_index_dir, database_url=url, line_channel_secret=SECRET,
                        line_channel_access_token="line-token", line_api_base=recorder.url,
                        data_dir=tmp_path_factory.mktemp("line"))
    with TestClient(create_app(settings)) as client:
        yield client, url


def signed(client: TestClient, payload: dict | str, secret: str = SECRET, signature: str | None = None):  # type: ignore[no-untyped-def]
    body = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    mac = signed_line(body, secret)["X-Line-Signature"]
    headers = {"Content-Type": "application/json",
               "X-Line-Signature": signature if signature is not None else mac}
    return client.post("/callback/line", content=body.encode(), headers=headers)


def event(kind: str = "message", event_id: str | None = None, **fields: object) -> dict:
    base = {"type": kind, "mode": "active", "timestamp": 1764000000000,
            "webhookEventId": event_id or uuid.uuid4().hex.upper(),
            "deliveryContext": {"isRedelivery": False}, "source": {"type": "user", "userId": USER},
            "replyToken": f"reply-{uuid.uuid4().hex}"}
    return {**base, **fields}


def text_event(text: str, event_id: str | None = None) -> dict:
    return event(message={"type": "text", "id": "1", "text": text, "quoteToken": "q"}, event_id=event_id)


def webhook(*events: dict) -> dict:
    return {"destination": "Ubot", "events": list(events)}


def replies_to(recorder: Recorder, token: str) -> list[dict]:
    return [r.body
            for r in recorder.requests if r.path == "/v2/bot/message/reply" and r.body["replyToken"] == token]
