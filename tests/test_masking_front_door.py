"""Personal data typed the way residents really type it never reaches storage, the desk, Slack or logs.

Each message goes through `POST /api/v1/ask`, followed by a request for a person, so it lands in the
desk queue, its escalation page and the desk's Slack notification as well as in the stored turns.
"""

from __future__ import annotations

import json
import logging
import re
import time
import unicodedata
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from channels.server import create_app
from knowledge.core.settings import Settings
from testing.database import store_url  # noqa: F401 (fixture: an SQLite file, then a PostgreSQL schema)
from testing.desk import add_user, sign_in, visitor
from testing.recorder import Recorder

pytestmark = pytest.mark.integration

# (what the resident typed, the parts that must never be seen again)
SECRETS = [
    ("折り返しは０９０ー１２３４ー５６７８に", ["1234", "5678"]),
    ("携帯は090ー1234ー5678です", ["1234", "5678"]),
    ("電話は(03)1234-5678", ["1234-5678", "5678"]),
    ("電話は（０３）１２３４－５６７８です", ["1234", "5678"]),
    ("番号は090−1234−5678", ["1234", "5678"]),
    ("番号は090‐1234‐5678", ["1234", "5678"]),
    ("番号は090–1234–5678", ["1234", "5678"]),
    ("番号は090.1234.5678", ["1234", "5678"]),
    ("自宅 03 1234 5678 までお願いします", ["1234", "5678"]),
    ("+81-90-1234-5678 に電話ください", ["1234", "5678"]),
    ("ケータイ09012345678", ["09012345678", "5678"]),
    ("マイナンバーは1234ー5678ー9012", ["9012", "5678"]),
    ("マイナンバーは１２３４－５６７８－９０１２", ["9012", "5678"]),
    ("個人番号 1234.5678.9012 です", ["9012", "5678"]),
    ("個人番号は123456789012", ["123456789012", "9012"]),
    ("カード 3782-822463-10005", ["822463", "10005"]),
    ("カード番号は378282246310005です", ["378282246310005", "10005"]),
    ("カード 4111 1111 1111 1111 で払いたい", ["1111"]),
    ("カード４１１１ー１１１１ー１１１１ー１１１１", ["1111"]),
    ("郵便番号は〒105-0011です", ["105", "0011"]),
    ("〒１０５ー００１１に送ってください", ["105", "0011"]),
    ("郵便番号：１０５－００１１です", ["105", "0011"]),
    ("〒：105-0011", ["105", "0011"]),
    ("郵便番号1050011に送って", ["1050011", "0011"]),
    ("住所はみなと市本町一丁目2番3号", ["本町", "丁目2番3号", "2番3"]),
    ("東京都港区芝公園4丁目2番8号に住んでいます", ["芝公園", "2番8", "4丁目"]),
    ("住所は3丁目5-12 コーポ山田201号室", ["5-12", "コーポ山田", "201"]),
    ("北浜町二丁目十番五号です", ["北浜町", "10番", "二丁目"]),
    ("中央町1ー2ー3に住んでいます", ["1-2-3", "中央町"]),
    ("メールは taro.yamada@example.com", ["taro", "yamada", "example", "ヤマダ", "エグザンプル"]),
    ("連絡先 hanako_minato@mail.example.jp まで", ["hanako", "minato@", "mail.example"]),
    ("メールは ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ", ["taro", "example"]),
    ("電話 0120-123-456 か 090-9876-5432", ["9876", "5432", "123-456"]),
    ("港区芝公園4-2-8、電話03-3333-4444", ["4-2-8", "3333", "4444", "芝公園"]),
]
ORDINARY = ["住民票は1通300円", "平日8:30〜17:15", "令和6年4月1日", "粗大ごみの手数料は200円ですか",
            "第2・第4土曜は9:00〜12:00", "2026年4月1日から"]
HAND_OVER = "担当者と話したい"


@pytest.fixture(scope="module")
def app(sample_index_dir: Path, store_url: str, model_cache: Path, recorder: Recorder) -> Iterator[object]:
    settings = Settings(data_dir=model_cache, index_dir=sample_index_dir, database_url=store_url,
                        index_poll_seconds=0, rate_per_session=1000, rate_per_address=10_000,
                        slack_bot_token="xoxb-test", slack_mode="socket",
                        slack_api_base=f"{recorder.url}/api/", desk_slack_channel="CDESK")
    application = create_app(settings)
    with TestClient(application):
        add_user(store_url, model_cache, "masker", "agent")
        yield application


@pytest.fixture(scope="module")
def asked(app: object, recorder: Recorder) -> dict[str, str]:
    """Every message asked once, as a hand-over; the escalation id of each."""
    api, found = TestClient(app), {}  # type: ignore[arg-type]
    for said, _ in SECRETS:
        session = uuid.uuid4().hex
        for message in (said, HAND_OVER):
            reply = api.post("/api/v1/ask", json={"text": message, "session_id": session}).json()
        found[said] = reply["escalation"]["id"]
    return found


def stored_rows(store_url: str) -> str:
    engine = create_engine(store_url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT question, normalised FROM turns")).all()
    engine.dispose()
    return "\n".join(f"{q}\t{n}" for q, n in rows)


# ids, tokens and the test server's address; also an escalation's short id (its first 8 hex digits, in the
# page title), which is random and once held the 105 of a masked postal code
NOT_SAID = re.compile(r"[A-Za-z0-9_-]{20,}|127\.0\.0\.1:\d+|"
                      r"(?<![0-9A-Za-z])(?=[0-9a-f]{0,7}[a-f])[0-9a-f]{8}(?![0-9A-Za-z])")


def leaks(seen: str, said: str, parts: list[str]) -> list[str]:
    """The parts of `said` still readable in `seen` (ids, tokens and addresses of the test server aside)."""
    seen = NOT_SAID.sub(" ", unicodedata.normalize("NFKC", seen))  # not "": the text around would join
    return [p for p in parts if p in seen or p.lower() in seen.lower()]


def slack_notices(recorder: Recorder, expected: int) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        notices = [r.body
                   for r in recorder.requests if "chat.postMessage" in r.path and "CDESK" in str(r.body)]
        if len(notices) >= expected:
            break
        time.sleep(0.2)
    return json.dumps(notices, ensure_ascii=False)


@pytest.mark.parametrize(("said", "parts"), SECRETS, ids=[s for s, _ in SECRETS])
def test_personal_data_is_masked_in_the_stored_question_and_normalised_terms(
        asked: dict[str, str], store_url: str, said: str, parts: list[str]) -> None:
    rows = [line for line in stored_rows(store_url).splitlines() if line]
    assert not [p for line in rows for p in leaks(line, said, parts)], said


def test_the_desk_queue_and_escalation_pages_show_only_masked_text(app: object,
                                                                   asked: dict[str, str]) -> None:
    agent = visitor(app)
    assert sign_in(agent, "masker").status_code == 303
    queue = agent.get("/desk", params={"status": "new"}).text
    assert not {said: leaks(queue, said, parts) for said, parts in SECRETS if leaks(queue, said, parts)}
    for said, parts in SECRETS:
        page = agent.get(f"/desk/escalations/{asked[said]}").text
        assert not leaks(page, said, parts), said


def test_the_desk_notification_on_slack_shows_only_masked_text(asked: dict[str, str],
                                                               recorder: Recorder) -> None:
    notices = slack_notices(recorder, len(SECRETS))
    assert "[電話番号]" in notices or "電話番号" in notices
    assert not {said: leaks(notices, said, parts) for said, parts in SECRETS if leaks(notices, said, parts)}


def test_nothing_personal_is_logged(app: object, caplog: pytest.LogCaptureFixture) -> None:
    api = TestClient(app)  # type: ignore[arg-type]
    with caplog.at_level(logging.DEBUG):
        for said, _ in SECRETS[:10]:
            session = uuid.uuid4().hex
            for message in (said, HAND_OVER):
                api.post("/api/v1/ask", json={"text": message, "session_id": session})
    assert not [said for said, parts in SECRETS[:10] if leaks(caplog.text, said, parts)]


def test_ordinary_questions_stay_readable_when_stored(app: object, store_url: str) -> None:
    api = TestClient(app)  # type: ignore[arg-type]
    for said in ORDINARY:
        api.post("/api/v1/ask", json={"text": said, "session_id": uuid.uuid4().hex})
    rows = stored_rows(store_url)
    assert not [said for said in ORDINARY if unicodedata.normalize("NFKC", said) not in rows]
    assert not re.search(r"\[(電話番号|個人番号|カード番号|住所|郵便番号)\][^\n]*\t", "\n".join(
        line
        for line in rows.splitlines() if any(unicodedata.normalize("NFKC", s) in line for s in ORDINARY)))
