"""The desk on a phone (390 px) in real headless Chromium: no page scrolls sideways, focus rings stand out
against the desk's backgrounds, and axe-core finds nothing on any page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge.core.settings import Settings
from testing.a11y import axe_violations, contrast, focus_ring_colour
from testing.browser import needs_chromium, served
from testing.desk import PASSWORD, add_user
from testing.widget import resident_asks

pytestmark = needs_chromium
PAGES = ("/desk", "/desk/entries", "/desk/review", "/desk/stats", "/desk/health", "/desk/search?q=粗大ごみ")


@pytest.fixture(scope="module")
def server(sample_index_dir: Path, tmp_path_factory: pytest.TempPathFactory,
           model_cache: Path) -> Iterator[str]:
    """The sample city with an editor, one escalated question and some questions to review."""
    store_url = f"sqlite:///{tmp_path_factory.mktemp('desk-narrow') / 'store.db'}"
    add_user(store_url, model_cache, "tanaka", "admin")
    settings = Settings(data_dir=model_cache, index_dir=sample_index_dir, database_url=store_url,
                        index_poll_seconds=0)
    with served(settings) as base:
        resident_asks(base, "転入届に必要なものは？", "担当者と話したい")
        resident_asks(base, "市営プールの更衣室にロッカーはある？", "担当者と話したい")
        yield base


@pytest.fixture(scope="module")
def phone(browser, server: str):  # type: ignore[no-untyped-def]
    """An editor signed in on a 390 × 844 screen."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="ja-JP")
    page = context.new_page()
    page.goto(server + "/desk/login")
    page.get_by_label("ユーザー名").fill("tanaka")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(server + "/desk")
    yield page
    context.close()


def wider_than_screen(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Elements whose right edge passes the viewport: what makes the page scroll sideways."""
    return page.evaluate("""() => [...document.querySelectorAll('main *')]
        .filter(n => n.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
        .slice(0, 5).map(n => n.tagName + (n.id ? '#' + n.id : '') + '.' + n.className)""")


@pytest.mark.parametrize("path", PAGES)
def test_desk_pages_do_not_scroll_sideways_at_390_px(phone, server: str, path: str) -> None:  # type: ignore[no-untyped-def]
    phone.goto(server + path)
    width = phone.evaluate("() => [document.documentElement.scrollWidth, "
                           "document.documentElement.clientWidth]")
    assert width[0] <= width[1], (f"{path} scrolls sideways ({width[0]} > {width[1]}): "
                                  f"{wider_than_screen(phone)}")


@pytest.mark.parametrize("path", PAGES)
def test_desk_pages_have_no_axe_violations_at_390_px(phone, server: str, path: str) -> None:  # type: ignore[no-untyped-def]
    phone.goto(server + path)
    assert axe_violations(phone) == []


def test_desk_focus_ring_reaches_3_to_1_on_every_desk_background(phone, server: str) -> None:  # type: ignore[no-untyped-def]
    phone.goto(server + "/desk")
    phone.keyboard.press("Tab")  # the skip link, then the first link of the blue bar
    phone.keyboard.press("Tab")
    ring = focus_ring_colour(phone)
    for background in ("#ffffff", "#f3f3f3", "#f6f7f9"):
        assert contrast(ring, background) >= 3, (ring, background)
