"""The demo page served for the keyboard and screen-reader tests, opened from the keyboard as a resident
would."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge.core.settings import Settings
from testing.browser import served

CLARIFIED, ANSWERED = "カードをなくした", "児童手当はいつ振り込まれる？"  # choices; an answer


@pytest.fixture(scope="module")
def server(sample_index_dir: Path, tmp_path_factory: pytest.TempPathFactory,
           model_cache: Path) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("widget-keyboard")
    settings = Settings(data_dir=model_cache, index_dir=sample_index_dir, city_dir=folder,
                        database_url=f"sqlite:///{folder / 'store.db'}", rate_per_session=1000,
                        rate_per_address=10_000)
    with served(settings) as base:
        yield base


def opened(browser, server: str, width: int = 1280, height: int = 800):  # type: ignore[no-untyped-def]
    """The demo page with the chat opened from the keyboard (Tab to the launcher, Enter)."""
    page = browser.new_context(viewport={"width": width, "height": height}, locale="ja-JP").new_page()
    page.goto(server + "/")
    page.get_by_role("button", name="お問い合わせチャット").focus()
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.getAttribute('aria-label')") == "質問を入力"
    return page


def ask(page, text: str) -> None:  # type: ignore[no-untyped-def]
    count = page.locator(".mg-bot").count()
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => !document.querySelector('.mg-typing') && "
                           f"document.querySelectorAll('.mg-bot').length > {count}")
