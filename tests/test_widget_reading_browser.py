"""The widget's reading aids in real headless Chromium: ふりがな, やさしい日本語 and larger text, switched on
and off."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge.core.settings import Settings
from testing.browser import needs_chromium, served

pytestmark = needs_chromium
QUESTION = "児童手当はいつ振り込まれる？"


@pytest.fixture(scope="module")
def server(sample_index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    store = tmp_path_factory.mktemp("reading-aids") / "store.db"
    settings = Settings(index_dir=sample_index_dir, database_url=f"sqlite:///{store}", index_poll_seconds=0)
    with served(settings) as base:
        yield base


def new_page(browser, server: str, width: int = 1280):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="ja-JP")
    page = context.new_page()
    page.goto(server + "/")
    page.get_by_role("button", name="お問い合わせチャット").click()
    return page


@pytest.fixture()
def page(browser, server: str):  # type: ignore[no-untyped-def]
    page = new_page(browser, server)
    yield page
    page.context.close()


def ask(page, text: str):  # type: ignore[no-untyped-def]
    page.get_by_label("質問を入力").fill(text)
    page.keyboard.press("Enter")
    page.wait_for_function("() => !document.querySelector('.mg-typing')")
    return page.locator(".mg-bot").last


def switch(page, name: str):  # type: ignore[no-untyped-def]
    button = page.get_by_role("group", name="読みやすくする").get_by_role("button", name=name, exact=False)
    before = button.get_attribute("aria-pressed")
    button.click()
    assert button.get_attribute("aria-pressed") != before
    return button


def test_furigana_puts_ruby_over_answers_and_the_greeting_and_comes_off_again(page) -> None:  # type: ignore[no-untyped-def]
    assert switch(page, "ふりがな").get_attribute("aria-pressed") == "true"
    answer = ask(page, QUESTION)
    assert answer.locator("ruby").count() > 10
    assert "じどうてあて" in answer.locator("rt").all_inner_texts()
    greeting = page.locator(".mg-bot").first
    page.wait_for_function("() => document.querySelector('.mg-bot ruby') !== null && "
                           "document.querySelector('.mg-bot').querySelectorAll('ruby').length > 0")
    assert "まどぐち" in " ".join(greeting.locator("rt").all_inner_texts())
    switch(page, "ふりがな")
    assert page.locator(".mg-log ruby").count() == 0
    assert "偶数月" in page.locator(".mg-bot").last.inner_text()


def test_easy_japanese_shows_the_easy_answer_where_there_is_one(page) -> None:  # type: ignore[no-untyped-def]
    assert "偶数月" in ask(page, QUESTION).inner_text()
    switch(page, "やさしい日本語")
    easy = page.locator(".mg-bot").last.inner_text()
    assert "1年に6回" in easy and "偶数月" not in easy
    switch(page, "ふりがな")
    page.wait_for_function("() => [...document.querySelectorAll('.mg-bot rt')].some(r => "
                           "r.textContent === 'いちねん')")
    switch(page, "やさしい日本語")
    assert "偶数月" in page.locator(".mg-bot").last.inner_text()


def test_larger_text_grows_the_log_and_every_choice_is_remembered(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    page = new_page(browser, server)
    size = lambda: page.locator(".mg-log").evaluate("n => parseFloat(getComputedStyle(n).fontSize)")  # noqa: E731
    before = size()
    switch(page, "大きな文字")
    switch(page, "やさしい日本語")
    assert size() >= before * 1.2
    page.reload()
    group = page.get_by_role("group", name="読みやすくする")
    assert group.get_by_role("button", name="大きな文字").get_attribute("aria-pressed") == "true"
    assert group.get_by_role("button", name="やさしい日本語").get_attribute("aria-pressed") == "true"
    assert group.get_by_role("button", name="ふりがな").get_attribute("aria-pressed") == "false"
    assert size() >= before * 1.2
    switch(page, "大きな文字")
    assert size() == before
    page.context.close()


def test_nothing_overflows_sideways_at_360_px_with_every_aid_on(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    page = new_page(browser, server, width=360)
    for name in ("ふりがな", "やさしい日本語", "大きな文字"):
        switch(page, name)
    ask(page, QUESTION)
    ask(page, "カードをなくした")
    page.wait_for_function("() => document.querySelectorAll('.mg-log ruby').length > 20")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    for selector in (".mg-panel", ".mg-aids", ".mg-log"):
        assert page.locator(selector).evaluate("n => n.scrollWidth <= n.clientWidth"), selector
    box = page.locator(".mg-panel").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    page.context.close()
