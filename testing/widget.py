"""The resident's widget and the agent's desk in a real browser, and the widget's API as a browser calls
it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from knowledge.core.settings import Settings
from testing.browser import served
from testing.desk import PASSWORD


def open_and_ask(page, text: str) -> None:  # type: ignore[no-untyped-def]
    if page.locator(".mg-panel").is_hidden():
        page.get_by_role("button", name="お問い合わせチャット").click()
    page.get_by_label("質問を入力").fill(text)
    page.keyboard.press("Enter")


def last_bot(page):  # type: ignore[no-untyped-def]
    page.wait_for_function("() => !document.querySelector('.mg-typing')")
    return page.locator(".mg-bot").last


def agent_page(browser, server: str, name: str):  # type: ignore[no-untyped-def]
    """A separate browser context (its own cookies) signed in as `name` through the login form."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    page = context.new_page()
    page.goto(server + "/desk")
    assert "/desk/login?next=%2Fdesk" in page.url
    page.get_by_label("ユーザー名").fill(name)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(server + "/desk")
    return page


def resident_asks(server: str, *texts: str) -> str:
    """The widget's API, as a resident's browser calls it, one session; returns the escalation id."""
    session = uuid.uuid4().hex
    for text in texts:
        reply = httpx.post(server + "/api/v1/ask", json={"text": text,
                                                         "session_id": session}, timeout=60).json()
    assert reply["decision"] == "escalate", reply
    return reply["escalation"]["id"]


@contextmanager
def widget_city(index_dir: Path, model_cache: Path, folder: Path, **overrides: Any) -> Iterator[str]:
    """The sample city served for a widget test from its own folder (store, spool, key), with limits no
    test's residents reach; `overrides` are further settings. Yields the base URL."""
    settings = Settings(data_dir=model_cache, index_dir=index_dir, city_dir=folder,
                        database_url=f"sqlite:///{folder / 'store.db'}", rate_per_session=1000,
                        rate_per_address=10_000, **overrides)
    with served(settings) as base:
        yield base
