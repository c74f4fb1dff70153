"""The phone at the desk in real headless Chromium against a real madoguchi server: an agent searches by
keyboard only, copies an answer, logs a call answered with an entry and one forwarded to a department, and
finds both in the statistics; an agent without staff visibility types the red-team probes and never sees a
staff entry."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bot.store.tables import Call
from knowledge.core.settings import Settings
from testing.browser import needs_chromium, served
from testing.desk import PASSWORD, add_user
from testing.hostile import STAFF, red_team_queries

pytestmark = needs_chromium
PROBES = 16


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('calls-browser') / 'store.db'}"


@pytest.fixture(scope="module")
def server(sample_index_dir: Path, store_url: str, model_cache: Path) -> Iterator[str]:
    """The sample city served by uvicorn, with an agent and an editor made through the CLI."""
    for name, role in (("sato", "agent"), ("tanaka", "editor")):
        add_user(store_url, model_cache, name, role)
    settings = Settings(data_dir=model_cache, index_dir=sample_index_dir, database_url=store_url,
                        index_poll_seconds=0)
    with served(settings) as base:
        yield base


def signed_in(browser, server: str, name: str):  # type: ignore[no-untyped-def]
    """A browser context of its own, signed in through the form, on the search page (clipboard allowed)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    page = context.new_page()
    page.goto(server + "/desk/search")
    page.get_by_label("ユーザー名").fill(name)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(server + "/desk/search")
    return page


def focused(page) -> str:  # type: ignore[no-untyped-def]
    """What has the keyboard: the box's id, a result's entry id, or a button's words."""
    return page.evaluate("""() => { const e = document.activeElement;
        if (e.id) return e.id;
        if (e.tagName === 'SUMMARY') return e.parentElement.dataset.entry;
        return e.textContent.trim(); }""")


def type_question(page, text: str) -> None:  # type: ignore[no-untyped-def]
    """Replace the box's text by typing, and wait for the results of exactly that text."""
    assert focused(page) == "q"
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    page.keyboard.type(text)
    page.wait_for_function("q => document.getElementById('results').dataset.query === q", arg=text.strip())


def tab_to(page, words: str, limit: int = 12) -> None:  # type: ignore[no-untyped-def]
    for _ in range(limit):
        if focused(page) == words:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached 「{words}」 (at {focused(page)!r})")


def calls(store_url: str) -> list[Call]:
    engine = create_engine(store_url)
    with Session(engine) as session:
        found = list(session.scalars(select(Call).order_by(Call.created_at)))
    engine.dispose()
    return found


def test_an_agent_searches_by_keyboard_logs_two_calls_and_sees_them_in_the_statistics(
        browser, server: str, store_url: str) -> None:  # type: ignore[no-untyped-def]
    page = signed_in(browser, server, "sato")
    type_question(page, "転入届に必要なもの")
    page.keyboard.press("ArrowDown")
    assert focused(page) == "R001"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    assert focused(page) == "R001"
    page.keyboard.press("Enter")
    opened = page.locator('details.result[data-entry="R001"]')
    assert opened.get_attribute("open") is not None and "市民課" in opened.inner_text()
    tab_to(page, "回答をコピー")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement.textContent === 'コピーしました'")
    assert page.evaluate("navigator.clipboard.readText()") == opened.locator(".answer").inner_text()
    page.wait_for_timeout(1100)  # the handling-time timer runs from the first keystroke
    tab_to(page, "この回答で対応")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "「この回答で対応」を記録しました" in page.get_by_role("status").first.inner_text()
    type_question(page, "ソファを捨てたい")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    tab_to(page, "担当課へ転送")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "「担当課へ転送」を記録しました" in page.get_by_role("status").first.inner_text()
    answered, forwarded = calls(store_url)[-2:]
    assert (answered.outcome, answered.entry_id, answered.department) == ("answered", "R001", "市民課")
    assert answered.handling_seconds is not None and answered.handling_seconds >= 1
    assert forwarded.outcome == "forwarded" and forwarded.department
    page.goto(server + "/desk/stats")
    phone = page.locator("dl[aria-labelledby='phone-heading']").inner_text()
    assert "電話の件数\n2 件" in phone.replace("\t", "\n") and "知識ベースで答えた電話の割合" in phone
    table = page.get_by_role("table", name="電話（窓口で記録した通話）").inner_text()
    assert "市民課" in table and forwarded.department in table
    page.context.close()


def staff_on(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Staff entries among the results shown, and the staff badge if it is anywhere."""
    shown = page.eval_on_selector_all("details.result", "all => all.map(d => d.dataset.entry)")
    return [r.id
            for r in STAFF if r.id in shown] + (["職員向け"] if page.locator(".badge.staff").count() else [])


def test_an_agent_without_staff_visibility_never_sees_a_staff_entry_while_typing(
        browser, server: str) -> None:  # type: ignore[no-untyped-def]
    agent = signed_in(browser, server, "sato")
    probes = red_team_queries()
    for text in probes[:PROBES // 2] + probes[-PROBES // 2:]:
        type_question(agent, text[:200])
        assert not staff_on(agent), (text, staff_on(agent))
    editor = signed_in(browser, server, "tanaka")
    type_question(editor, "年次有給休暇の残日数はどこで確認できますか")
    assert "S001" in staff_on(editor) and editor.locator(".badge.staff").first.inner_text() == "職員向け"
    for page in (agent, editor):
        page.context.close()
