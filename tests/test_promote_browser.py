"""Promote → edit → approve → the bot answers, in real headless Chromium against a real server on loopback.

A resident asks something the sample city cannot answer, an agent replies in the desk and promotes the
reply, an editor edits and approves the draft, and within a bounded wait the same question gets the
new entry through `POST /api/v1/ask` — published by the desk's background rebuild and picked up by the
index watcher, without a restart. Rolling back to an earlier version changes the live answer again.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from knowledge.core.settings import Settings
from testing.browser import DOCS, needs_chromium, served
from testing.desk import add_user
from testing.live_index import copy_index
from testing.widget import agent_page

QUESTION = "公園でドローンを飛ばしてもいいですか"
FIRST_REPLY = ("市の公園では、ドローンの飛行を原則として禁止しています。"
               "撮影などで必要なときは公園緑地課にご相談ください。")
SECOND_REPLY = "市の公園ではドローンを飛ばせません。ほかの場所は国土交通省のルールをご確認ください。"
LIVE_WAIT_SECONDS = 60
SHOTS = Path(os.environ.get("DESK_SHOTS", str(DOCS)))

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def server(sample_index_dir: Path, tmp_path_factory: pytest.TempPathFactory,
           model_cache: Path) -> Iterator[str]:
    """The sample city (its own copy of the index, so publishing touches no other test) with an agent and an
    editor, served by uvicorn in a thread; hot reload polls at the default interval."""
    folder = tmp_path_factory.mktemp("promote-browser")
    url = f"sqlite:///{folder / 'store.db'}"
    copy_index(sample_index_dir, folder / "index")
    for name, role in (("sato", "agent"), ("yamada", "editor")):
        add_user(url, model_cache, name, role)
    settings = Settings(data_dir=model_cache, index_dir=folder / "index", database_url=url)
    with served(settings) as base:
        yield base


def ask(server: str, text: str) -> dict:
    reply = httpx.post(server + "/api/v1/ask", json={"text": text}, timeout=60)
    assert reply.status_code == 200, reply.text
    return reply.json()


def answer_becomes(server: str, text: str) -> dict:
    """Ask again until the bot answers with `text` (bounded: the watcher polls every 2 s)."""
    deadline = time.monotonic() + LIVE_WAIT_SECONDS
    reply = ask(server, QUESTION)
    while time.monotonic() < deadline and (reply.get("answer") or {}).get("text") != text:
        time.sleep(0.5)
        reply = ask(server, QUESTION)
    return reply


def wait_until_published(page) -> str:  # type: ignore[no-untyped-def]
    """The entry page refreshes itself while 「公開中…」; returns the index version it then names."""
    from playwright.sync_api import expect

    expect(page.locator("#publication")).to_have_attribute("data-state", re.compile("live|failed"),
                                                           timeout=LIVE_WAIT_SECONDS * 1000)
    assert page.locator("#publication").get_attribute("data-state") == "live", page.locator(
        "#publication").inner_text()
    return page.locator("#index-version").inner_text()


def test_a_promoted_reply_is_answered_by_the_bot_and_rollback_changes_the_answer(
        browser, server: str) -> None:  # type: ignore[no-untyped-def]
    first = ask(server, QUESTION)
    assert first["decision"] == "escalate", first
    agent = agent_page(browser, server, "sato")
    agent.goto(f"{server}/desk/escalations/{first['escalation']['id']}")
    agent.get_by_role("button", name="担当する").click()
    agent.get_by_label("返信（ウェブで届けます）").fill(FIRST_REPLY)
    agent.get_by_role("button", name="返信する").click()
    agent.get_by_role("button", name="FAQにする").click()
    agent.wait_for_url(re.compile(r"/desk/entries/D\d{4}\?done=promoted$"))
    entry_url = agent.url.split("?")[0]
    entry_id = entry_url.rsplit("/", 1)[1]
    assert agent.get_by_label("質問", exact=True).input_value() == QUESTION
    assert agent.get_by_label("回答").input_value() == FIRST_REPLY
    assert agent.get_by_role("button", name="承認して公開").count() == 0, "agents promote; editors approve"
    agent.context.close()

    editor = agent_page(browser, server, "yamada")
    editor.goto(server + "/desk/entries")
    editor.get_by_role("link", name=entry_id, exact=True).click()
    editor.get_by_label("質問", exact=True).fill("市の公園でドローンを飛ばしてもよいですか。")
    editor.get_by_role("button", name="下書きを保存").click()
    assert "下書きを保存しました" in editor.get_by_role("status").first.inner_text()
    assert editor.locator(".diff ins").first.inner_text() != ""
    editor.get_by_role("button", name="承認して公開").click()
    version = wait_until_published(editor)
    assert httpx.get(server + "/healthz").json()["index_version"] == version
    if os.environ.get("UPDATE_SCREENSHOTS"):
        editor.screenshot(path=str(SHOTS / "desk-entry.png"), full_page=True)

    live = answer_becomes(server, FIRST_REPLY)
    assert live["decision"] == "answer" and live["answer"]["id"] == entry_id, live

    editor.get_by_label("回答").fill(SECOND_REPLY)
    editor.get_by_role("button", name="下書きを保存").click()
    assert editor.locator(".diff del").first.inner_text() != "", "the change against the live answer is shown"
    if os.environ.get("UPDATE_SCREENSHOTS"):
        editor.screenshot(path=str(SHOTS / "desk-entry-diff.png"), full_page=True)
    editor.get_by_role("button", name="承認して公開").click()
    wait_until_published(editor)
    assert answer_becomes(server, SECOND_REPLY)["answer"]["text"] == SECOND_REPLY

    editor.get_by_role("button", name="版 1 に戻す").click()
    assert FIRST_REPLY in editor.locator("#after-heading + dl").inner_text(), "asks first, showing version 1"
    editor.get_by_role("button", name="版 1 に戻す").click()
    wait_until_published(editor)
    rolled = answer_becomes(server, FIRST_REPLY)
    assert rolled["decision"] == "answer" and rolled["answer"]["text"] == FIRST_REPLY, rolled
    history = editor.locator("table.history tbody tr")
    assert history.count() == 3 and "公開中" in history.first.inner_text()
    editor.context.close()
