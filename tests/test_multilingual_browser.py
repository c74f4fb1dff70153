"""The widget in real headless Chromium: a resident who writes English, Chinese or Vietnamese reads the answer
and the widget's own words (greeting, buttons, input) in that language."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge.core.settings import Settings
from testing.browser import needs_chromium, served

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def server(sample_index_dir: Path, model_cache: Path,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("multilingual-browser")
    settings = Settings(data_dir=model_cache, index_dir=sample_index_dir,
                        database_url=f"sqlite:///{folder / 'store.db'}")
    with served(settings) as base:
        yield base


def opened(browser, server: str, locale: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale=locale)
    page = context.new_page()
    page.goto(server + "/")
    page.locator(".mg-launch").click()
    return page


def ask(page, text: str):  # type: ignore[no-untyped-def]
    page.locator(".mg-bar input").fill(text)
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelectorAll('.mg-user').length && "
                           "!document.querySelector('.mg-typing')")
    return page.locator(".mg-bot").last


def test_an_english_resident_is_greeted_and_answered_in_english(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    page = opened(browser, server, "en-US")
    page.get_by_text("This is the", exact=False).first.wait_for()
    card = ask(page, "When is the city office open?")
    assert "Monday to Friday" in card.inner_text() and card.get_attribute("lang") == "en"
    assert card.get_by_role("button", name="👍 Yes").is_visible()
    assert card.get_by_role("link", name="Details (city page)").get_attribute("href").startswith("https://")
    assert page.get_by_label("Type your question").is_visible()
    assert page.locator(".mg-root").get_attribute("lang") == "en"
    aids = page.get_by_role("group", name="Easier reading")  # one who reads no Japanese finds large text
    assert aids.get_by_role("button", name="Large text").is_visible()
    assert page.get_by_role("heading", name="Ask the city (chat)", exact=False).is_visible()


def test_a_chinese_question_is_answered_in_chinese(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    page = opened(browser, server, "zh-CN")
    card = ask(page, "市政府的办公时间是几点？")
    assert "周一至周五" in card.inner_text() and card.get_by_role("button", name="👍 是").is_visible()
    assert page.locator(".mg-bar button").inner_text() == "发送"


def test_a_vietnamese_question_switches_a_japanese_widget_to_vietnamese(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    page = opened(browser, server, "ja-JP")
    assert page.locator(".mg-bar button").inner_text() == "送信"
    card = ask(page, "Tôi bị mất thẻ My Number")
    assert "tạm dừng chức năng thẻ" in card.inner_text() and card.get_by_role(
        "button", name="👍 Rồi").is_visible()
    assert page.locator(".mg-bar button").inner_text() == "Gửi"
    card.get_by_role("button", name="👎 Chưa").click()
    page.get_by_role("button", name="Nói chuyện với nhân viên").click()
    handed = page.locator(".mg-bot").last
    handed.get_by_role("button", name="Gửi").wait_for()
    assert "nhân viên" in handed.inner_text() and handed.get_by_label("Địa chỉ e-mail").is_visible()


def test_an_answer_only_in_japanese_says_so_in_english(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    page = opened(browser, server, "en-US")
    offer = ask(page, "Where do I get sandbags for a flood?")
    offer.locator(".mg-choices button").first.click()
    page.wait_for_function("() => !document.querySelector('.mg-typing') && "
                           "document.querySelectorAll('.mg-notice').length")
    card = page.locator(".mg-bot").last
    # Japanese comes with readings
    assert card.get_attribute("lang") == "ja" and card.locator("ruby").count() > 0
    base = card.evaluate("c => { const k = c.cloneNode(true); k.querySelectorAll('rt').forEach(r => "
                         "r.remove()); return k.textContent; }")
    assert "土のう" in base
    # a screen reader reads the word once, not the word and then its reading
    assert card.evaluate("c => [...c.querySelectorAll('rt')].every(r => r.ariaHidden === 'true')")
    assert card.locator(".mg-notice").inner_text().startswith("This answer is only available in Japanese")
