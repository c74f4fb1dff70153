"""Content health (`/desk/health`) on a tiny city built through the CLI: expired, ownerless and unseen
entries, with department names from data shown escaped."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from typer.testing import CliRunner

from bot.store.tables import Conversation, Turn
from channels.cli.app import app as cli_app
from channels.server import create_app
from knowledge.core.settings import Settings
from testing.desk import add_user, sign_in, visitor
from testing.live_index import version, wait_for

pytestmark = pytest.mark.integration

TINY_FAQ = """id,question,answer,department,owner,valid_from,valid_until,やさしい日本語,answer_en
T1,臨時給付金はどうやって申請しますか。,申請は終了しました。,福祉課,福祉課,,2020-03-31,,
T2,犬の登録はどこでしますか。,犬を飼い始めたら30日以内に環境課で登録してください。,<b>環境課</b>,,,,,
T3,粗大ごみはどうやって出しますか。,電話かインターネットで申し込んでください。,環境課,環境課,,,,
T4,図書館の本は何冊まで借りられますか。,1人10冊まで、2週間借りられます。,図書館,図書館,,,本は1人10冊まで借りられます。,
T5,住民票の写しの手数料はいくらですか。,住民票の写しの手数料は1通300円です。窓口で払ってください。,市民課,市民課,,,,
T6,住民票の写しをとりたい。,本人確認書類を持ってきてください。住民票の写しの手数料は1通350円です。,市民課,市民課,,,,
T7,粗大ごみは何点まで出せますか。,1回に10点までです。,環境課,環境課,,,,Up to 5 items at a time.
"""


def tiny_city(folder: Path, model_cache: Path, faq: str, poll_seconds: float = 0) -> Settings:
    """The FAQ table built into an index through the CLI (again on a second call), and the settings that serve
    it from `folder`."""
    (folder / "faq.csv").write_text(faq, encoding="utf-8")
    command = ["index", "build", str(folder / "faq.csv"), "--index-dir", str(folder / "index")]
    built = CliRunner().invoke(cli_app, command, env={"MADOGUCHI_DATA_DIR": str(model_cache)})
    assert built.exit_code == 0, built.output
    return Settings(data_dir=model_cache, index_dir=folder / "index",
                    database_url=f"sqlite:///{folder / 'store.db'}", index_poll_seconds=poll_seconds,
                    desk_login_rate_per_address=1000)


@pytest.fixture(scope="module")
def tiny(model_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """T1 expired, T2 without an owner (markup in its department) and asked once, T3 never asked, T4 with an
    easy answer, T5 and T6 giving 300円 and 350円 for the same certificate, T7 whose English says 5 items
    where its Japanese says 10."""
    folder = tmp_path_factory.mktemp("tiny-city")
    settings = tiny_city(folder, model_cache, TINY_FAQ)
    store_url = settings.resolved_database_url
    app = create_app(settings)
    with TestClient(app) as client:
        add_user(store_url, model_cache, "editor1", "editor")
        add_user(store_url, model_cache, "agent1", "agent")
        reply = client.post("/api/v1/ask",
                            json={"text": "犬の登録はどこでしますか。", "session_id": "tiny-session-1"})
        assert reply.json()["decision"] == "answer" and reply.json()["answer"]["id"] == "T2"
        reply = client.post("/api/v1/ask", json={"text": "図書館の本は何冊まで借りられますか。",
                                                 "session_id": "tiny-session-2"})
        assert reply.json()["answer"]["id"] == "T4" and reply.json()["answer"]["text_easy"].startswith("本は")
        yield app


def section(text: str, heading: str) -> str:
    found = re.search(rf'<h2 id="{heading}">.*?(?=<h2 |\Z)', text, re.S)
    assert found, heading
    return found.group(0)


def health_page(app: object, user: str) -> str:
    client = visitor(app)
    sign_in(client, user)
    response = client.get("/desk/health")
    assert response.status_code == 200
    return response.text


def test_expired_entries_are_listed_though_the_bot_never_answers_them(tiny: object) -> None:
    expired = section(health_page(tiny, "editor1"), "expired-heading")
    assert ">T1<" in expired and "2020-03-31" in expired
    assert ">T2<" not in expired and ">T3<" not in expired


def test_entries_without_an_owner_are_listed_with_their_department_escaped(tiny: object) -> None:
    text = health_page(tiny, "editor1")
    ownerless = section(text, "ownerless-heading")
    assert ">T2<" in ownerless and ">T1<" not in ownerless and ">T3<" not in ownerless
    assert "&lt;b&gt;環境課&lt;/b&gt;" in ownerless and "<b>環境課" not in text


def test_entries_never_shown_in_90_days_are_counted_only_once_the_bot_has_served_90_days(
        tiny: object) -> None:
    fresh = section(health_page(tiny, "editor1"), "unseen-heading")
    assert "答え始めてから 0 日です" in fresh and ">T3<" not in fresh, "a new server flags nothing as unused"
    store = tiny.state.madoguchi.store  # type: ignore[attr-defined]
    visitor(tiny).post("/api/v1/ask", json={"text": "こんにちは", "session_id": "tiny-first-day"})
    with store.engine.begin() as connection:
        first = connection.execute(select(Turn.id).join(Conversation)
                                   .where(Conversation.id.like("%tiny-first-day%"))).scalar_one()
        connection.execute(update(Turn).where(Turn.id == first)
                           .values(created_at=datetime.now(UTC) - timedelta(days=100)))
    unseen = section(health_page(tiny, "editor1"), "unseen-heading")
    assert ">T3<" in unseen and ">T2<" not in unseen and ">T1<" not in unseen


def test_most_asked_entries_without_an_easy_answer_are_listed_with_how_often(tiny: object) -> None:
    lacking = section(health_page(tiny, "editor1"), "easy-heading")
    assert ">T2<" in lacking and "1 回" in lacking
    assert ">T4<" not in lacking and ">T3<" not in lacking and ">T1<" not in lacking


def test_the_health_page_shows_two_entries_that_give_different_fees(tiny: object) -> None:
    found = section(health_page(tiny, "editor1"), "contradictions-heading")
    assert ">T5<" in found and ">T6<" in found and "300円" in found and "350円" in found
    assert "住民票の写しの手数料は1通350円です。" in found


def test_the_health_page_shows_an_english_answer_with_another_number_than_the_japanese(tiny: object) -> None:
    found = section(health_page(tiny, "editor1"), "mistranslated-heading")
    assert ">T7<" in found and "英語" in found and "<strong>5</strong>" in found
    assert "Up to 5 items" in found and ">T4<" not in found and ">T5<" not in found


def test_kb_health_reports_the_planted_fee_contradiction_and_none_in_the_sample_city(model_cache: Path,
                                                                                   tmp_path: Path) -> None:
    (tmp_path / "faq.csv").write_text(TINY_FAQ, encoding="utf-8")
    env = {"MADOGUCHI_DATA_DIR": str(model_cache)}
    planted = CliRunner().invoke(cli_app, ["kb", "health", str(tmp_path / "faq.csv")], env=env)
    assert planted.exit_code == 1, planted.output
    assert "金額が食い違っています" in planted.output and "T5" in planted.output and "T6" in planted.output
    assert "「住民票の写しの手数料は1通300円です。」" in planted.output and "食い違い 1 件" in planted.output
    assert "T7 の英語の回答に、日本語の回答にない数字があります: 5" in planted.output
    assert "訳の数字の違い 1 件" in planted.output
    sample = CliRunner().invoke(cli_app, ["kb", "health"], env=env)
    assert sample.exit_code == 0 and "食い違い 0 件、訳の数字の違い 0 件" in sample.output, sample.output


def test_kb_health_reads_the_desks_approved_entries_as_the_health_page_does(model_cache: Path,
                                                                            tmp_path: Path) -> None:
    """Most edits are made on the desk: a nightly `kb health` that read only the files missed them."""
    settings = tiny_city(tmp_path, model_cache, TINY_FAQ.split("T6,")[0])  # T5 alone: 300円
    (tmp_path / "desk.csv").write_text(
        "id,question,answer,department\nT6,住民票の写しをとりたい。,住民票の写しの手数料は1通350円です。,市民課\n",
        encoding="utf-8")
    env = {"MADOGUCHI_DATA_DIR": str(model_cache), "MADOGUCHI_DATABASE_URL": settings.resolved_database_url,
           "MADOGUCHI_INDEX_DIR": str(settings.index_dir)}
    imported = CliRunner().invoke(cli_app, ["kb", "import", str(tmp_path / "desk.csv")], env=env)
    assert imported.exit_code == 0 and "1 entries added or changed" in imported.output, imported.output
    checked = CliRunner().invoke(cli_app, ["kb", "health"], env=env)
    assert checked.exit_code == 1 and "金額が食い違っています" in checked.output, checked.output
    assert "T5" in checked.output and "T6" in checked.output


def test_agents_cannot_open_content_health(tiny: object) -> None:
    client = visitor(tiny)
    sign_in(client, "agent1")
    assert client.get("/desk/health").status_code == 403


def test_a_corrected_translation_leaves_the_health_page_once_its_version_is_live(model_cache: Path,
                                                                                 tmp_path: Path) -> None:
    # the page keeps its findings per index version; a new version must be checked afresh
    settings = tiny_city(tmp_path, model_cache, TINY_FAQ, poll_seconds=0.1)
    app = create_app(settings)
    with TestClient(app) as client:
        add_user(settings.resolved_database_url, model_cache, "editor1", "editor")
        assert ">T7<" in section(health_page(app, "editor1"), "mistranslated-heading")
        first = version(client)
        fixed = TINY_FAQ.replace("Up to 5 items at a time.", "Up to 10 items at a time.")
        tiny_city(tmp_path, model_cache, fixed)
        wait_for(lambda: version(client) != first)
        checked = health_page(app, "editor1")
    assert ">T7<" not in section(checked, "mistranslated-heading")
    assert ">T5<" in section(checked, "contradictions-heading")
