"""Three more things a tester acting as residents found in the widget, in real headless Chromium: at 200 %
zoom the conversation still has room (and nothing scrolls sideways at 320 px), a person's reply that comes
while the chat is closed shows on the launcher, and a 👎 can carry a short comment, stored masked."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.store import ConversationStore
from bot.store.escalations import EscalationStore
from bot.store.tables import Feedback
from testing.a11y import axe_violations
from testing.browser import needs_chromium
from testing.keyboard import ANSWERED, CLARIFIED, ask, opened
from testing.widget import widget_city

pytestmark = needs_chromium
UNREAD = re.compile("担当者からの返信 1 件")
OVERFLOW = """() => [document.documentElement, ...document.querySelectorAll('.mg-root *')]
    .filter(n => n.scrollWidth > n.clientWidth + 1 && getComputedStyle(n).overflowX !== 'hidden'
                 && n.clientWidth > 0)
    .map(n => n.className || n.tagName)"""
PAST_EDGE = """() => [...document.querySelectorAll('.mg-panel *')].filter(n => {
    const r = n.getBoundingClientRect(); return r.width && (r.left < -1 || r.right > innerWidth + 1); })
    .map(n => n.className || n.tagName)"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("widget-more-fixes")


@pytest.fixture(scope="module")
def server(sample_index_dir: Path, folder: Path, model_cache: Path) -> Iterator[str]:
    with widget_city(sample_index_dir, model_cache, folder) as base:
        yield base


def store(folder: Path) -> ConversationStore:
    return ConversationStore(f"sqlite:///{folder / 'store.db'}")


def box(page, selector: str) -> dict:  # type: ignore[no-untyped-def]
    found = page.locator(selector).bounding_box()
    assert found is not None, selector
    return found  # type: ignore[no-any-return]


def test_at_200_percent_zoom_the_conversation_has_room(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    page = opened(browser, server, 640, 360)  # a 1280×720 screen at 200 %
    ask(page, CLARIFIED)  # a reply with choices under it
    log, field, send = box(page, ".mg-log"), box(page, ".mg-bar input"), box(page, ".mg-bar button")
    assert log["height"] >= 0.5 * 360, log  # not one line: over half the screen
    for shown in (field, send):  # the input and its button whole on the screen, under the log
        assert shown["y"] >= log["y"] + log["height"] - 1 and shown["y"] + shown["height"] <= 360, shown
    assert page.get_by_label("質問を入力").is_visible()
    assert page.get_by_role("button", name="送信").is_visible()
    aids = page.get_by_role("group", name="読みやすくする")
    aids.get_by_role("button", name="大きな文字").click()  # still room with the larger text
    assert box(page, ".mg-log")["height"] >= 0.4 * 360
    assert box(page, ".mg-bar input")["y"] + box(page, ".mg-bar input")["height"] <= 360
    aids.get_by_role("button", name="大きな文字").click()
    assert page.locator(".mg-panel").get_attribute("aria-modal") == "true"  # it covers the page
    for step in range(12):
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.closest('.mg-panel') !== null"), step
    assert axe_violations(page) == []
    page.keyboard.press("Escape")
    assert page.locator(".mg-panel").is_hidden()
    assert page.evaluate("() => document.activeElement.className") == "mg-launch"
    assert page.locator(".mg-launch").is_visible()
    page.context.close()


def test_at_320_px_nothing_scrolls_sideways(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    page = opened(browser, server, 320, 640)
    ask(page, CLARIFIED)
    ask(page, ANSWERED)
    page.locator(".mg-bot").last.get_by_role("button", name="👎 いいえ").click()
    page.locator(".mg-bot").last.locator("form").wait_for()  # the comment field
    page.get_by_label("質問を入力").focus()
    ask(page, "担当者と話したい")  # the contact form too
    page.get_by_role("group", name="読みやすくする").get_by_role("button", name="大きな文字").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert page.evaluate(OVERFLOW) == []
    assert page.evaluate(PAST_EDGE) == []
    assert page.get_by_label("質問を入力").is_visible()
    page.context.close()


def test_a_reply_that_comes_while_the_chat_is_closed_shows_on_the_launcher(browser, server: str,  # type: ignore[no-untyped-def]
                                                                           folder: Path) -> None:
    page = opened(browser, server)
    ask(page, "担当者と話したい")
    page.locator(".mg-bot .mg-form").wait_for()
    page.get_by_role("button", name="チャットを閉じる").click()
    assert page.locator(".mg-panel").is_hidden()
    agents = EscalationStore(store(folder))
    escalation = agents.queue(channel="web")[-1].id
    agents.claim(escalation, "agent-sato")
    agents.reply(escalation, "agent-sato", "転入届は市民課の窓口で受け付けています。")
    launcher = page.get_by_role("button", name=UNREAD)
    launcher.wait_for(timeout=25_000)  # the widget's next poll, with the panel closed
    assert launcher.get_attribute("aria-expanded") == "false"
    assert "お問い合わせチャット" in launcher.evaluate("n => n.innerText")  # the visible label is in the name
    badge = page.locator(".mg-launch .mg-badge")
    assert badge.is_visible() and badge.inner_text().strip() == "1"
    assert "担当者" in page.locator(".mg-root > [role=status]").text_content()  # said to screen readers too
    assert axe_violations(page) == []
    page.reload()  # still there after a reload: it has not been read
    page.get_by_role("button", name=UNREAD).wait_for()

    page.get_by_role("button", name=UNREAD).click()
    page.get_by_text("転入届は市民課の窓口で受け付けています。").wait_for()
    assert page.get_by_text("転入届は市民課の窓口で受け付けています。").is_visible()
    assert page.get_by_role("button", name=UNREAD).count() == 0
    page.get_by_role("button", name="チャットを閉じる").click()
    assert page.locator(".mg-launch .mg-badge").is_hidden()
    assert page.get_by_role("button", name=UNREAD).count() == 0
    assert page.locator(".mg-root > [role=status]").text_content() == ""
    page.context.close()


def test_a_thumbs_down_can_carry_a_comment_which_is_stored_masked(browser, server: str,  # type: ignore[no-untyped-def]
                                                                  folder: Path) -> None:
    page = opened(browser, server)
    ask(page, ANSWERED)
    page.locator(".mg-bot").last.get_by_role("button", name="👎 いいえ").click()
    sorry = page.locator(".mg-bot").last
    field = sorry.get_by_label("よろしければ、どこが分からなかったか教えてください（任意）")
    field.wait_for()
    assert sorry.get_by_role("button", name="担当者につなぐ", exact=True).is_enabled()  # still offered
    assert axe_violations(page) == []
    field.fill("振込日が分かりにくいです。折り返しは090-1234-5678へ")
    sorry.get_by_role("button", name="コメントを送信").click()
    page.get_by_text("ご意見ありがとうございます").wait_for()
    assert sorry.locator("form").count() == 0
    assert sorry.get_by_role("button", name="担当者につなぐ", exact=True).is_enabled()
    with store(folder).session() as session:
        stored = session.scalars(select(Feedback).where(Feedback.comment != "")).all()
    assert len(stored) == 1 and stored[0].helpful is False
    assert "[電話番号]" in stored[0].comment and "090" not in stored[0].comment
    assert stored[0].comment.startswith("振込日が分かりにくいです。")
    with store(folder).session() as session:  # the comment replaced the 👎 without it: one row for the turn
        assert len(session.scalars(select(Feedback).where(Feedback.turn_id == stored[0].turn_id)).all()) == 1
    page.reload()
    page.get_by_text("ご意見ありがとうございます").wait_for()  # a reload does not offer the form again
    assert page.locator(".mg-bot").last.locator("form").count() == 0
    page.context.close()


def test_the_comment_field_speaks_the_residents_language(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    page = context.new_page()
    page.goto(server + "/")
    page.locator(".mg-launch").click()
    page.get_by_label("Type your question").fill("When is the city office open?")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="👎 No").last.click()
    form = page.locator(".mg-bot").last.locator("form")
    form.wait_for()
    assert form.get_by_role("textbox").evaluate("n => n.labels[0].innerText").startswith("If you")
    assert form.get_by_role("button").inner_text() == "Send comment"
    missing = page.evaluate("""() => { const t = window.madoguchiWidgetTexts, keys = Object.keys(t.en);
        return Object.keys(t).flatMap(l => keys.filter(k => !(k in t[l])).map(k => l + ':' + k)); }""")
    assert missing == []
    context.close()
