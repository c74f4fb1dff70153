"""The desk in real headless Chromium against a real madoguchi server on loopback: sign in, claim, reply,
two agents racing for one escalation, a form without its CSRF token, an agent at an admin page."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge.core.settings import Settings
from testing.browser import DOCS, needs_chromium, served
from testing.desk import add_user
from testing.desk_city import stored
from testing.widget import agent_page, resident_asks

SHOTS = Path(os.environ.get("DESK_SHOTS", str(DOCS)))

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('desk-browser') / 'store.db'}"


@pytest.fixture(scope="module")
def server(sample_index_dir: Path, store_url: str, model_cache: Path) -> Iterator[str]:
    """The sample city served by uvicorn in a thread, with three desk users made through the CLI."""
    for name, role in (("sato", "agent"), ("suzuki", "agent"), ("tanaka", "admin")):
        add_user(store_url, model_cache, name, role)
    settings = Settings(data_dir=model_cache, index_dir=sample_index_dir, database_url=store_url,
                        index_poll_seconds=0)
    with served(settings) as base:
        yield base


def test_an_agent_signs_in_claims_and_replies(browser, server: str, store_url: str) -> None:  # type: ignore[no-untyped-def]
    escalation_id = resident_asks(server, "転入届に必要なものは？", "担当者と話したい")
    page = agent_page(browser, server, "sato")
    # the question, not 「担当者と話したい」
    page.get_by_role("link", name="転入届に必要なもの").first.wait_for()
    page.locator(f'a[href="/desk/escalations/{escalation_id}"]').click()
    assert "転入届に必要なもの" in page.locator(".turns").inner_text()
    assert page.locator("table").filter(has_text="スコア").locator("tbody tr").count() >= 1
    page.get_by_role("button", name="担当する").click()
    assert "担当にしました" in page.get_by_role("status").inner_text()
    page.get_by_label("返信（ウェブで届けます）").fill("転入届は市民課の窓口で受け付けています。")
    page.get_by_role("button", name="返信する").click()
    assert page.locator("#delivery").inner_text() == "次にチャットを開いたときに表示"
    escalation = stored(store_url, escalation_id)
    assert (escalation.status, escalation.delivery, escalation.claimed_by) == ("answered", "waiting", "sato")
    assert escalation.reply_text == "転入届は市民課の窓口で受け付けています。"
    if os.environ.get("UPDATE_SCREENSHOTS"):
        page.screenshot(path=str(SHOTS / "desk-escalation.png"), full_page=True)
        page.goto(server + "/desk?status=all")
        page.screenshot(path=str(SHOTS / "desk-queue.png"))
    page.context.close()


def test_two_agents_racing_for_one_escalation_exactly_one_wins(browser, server: str, store_url: str) -> None:  # type: ignore[no-untyped-def]
    escalation_id = resident_asks(server, "人と話したい")
    first, second = agent_page(browser, server, "sato"), agent_page(browser, server, "suzuki")
    for page in (first, second):
        page.goto(f"{server}/desk/escalations/{escalation_id}")
    first.get_by_role("button", name="担当する").click(no_wait_after=True)
    second.get_by_role("button", name="担当する").click(no_wait_after=True)
    for page in (first, second):
        page.wait_for_load_state()
        page.locator("#status").wait_for()
    owner = stored(store_url, escalation_id).claimed_by
    assert owner in ("sato", "suzuki")
    winner, loser = (first, second) if owner == "sato" else (second, first)
    assert winner.locator("#alert").count() == 0
    assert loser.get_by_role("alert").inner_text() == f"既に{owner}さんが対応中です。"
    assert loser.get_by_role("button", name="返信する").count() == 0
    for page in (first, second):
        page.context.close()


def test_a_form_without_its_csrf_token_is_refused(browser, server: str, store_url: str) -> None:  # type: ignore[no-untyped-def]
    escalation_id = resident_asks(server, "担当者につないでください")
    page = agent_page(browser, server, "sato")
    page.goto(f"{server}/desk/escalations/{escalation_id}")
    page.locator('form[action$="/claim"] input[name="csrf"]').evaluate("input => input.remove()")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="担当する").click()
    assert navigation.value.status == 403
    assert page.get_by_role("heading", level=1).inner_text() == "この操作はできません"
    assert stored(store_url, escalation_id).status == "new"
    page.context.close()


def test_an_agent_cannot_reach_admin_pages(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    page = agent_page(browser, server, "suzuki")
    assert page.get_by_role("navigation").get_by_role("link", name="管理").count() == 0
    response = page.goto(server + "/desk/admin/users")
    assert response.status == 403 and "この画面は「管理者」以上の役割が必要です" in page.get_by_role(
        "alert").inner_text()
    page.context.close()
    admin = agent_page(browser, server, "tanaka")
    admin.get_by_role("navigation").get_by_role("link", name="管理").click()
    assert admin.get_by_role("heading", level=1).inner_text() == "窓口のアカウント"
    admin.context.close()


def test_a_link_from_another_site_opens_the_escalation_without_signing_in_again(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    """SameSite=Strict cookies are not sent when arriving from another site (a Slack notice): the login
    page hops once within the site, and the signed-in agent lands on the escalation."""
    escalation_id = resident_asks(server, "担当者と話したい")
    page = agent_page(browser, server, "sato")
    other_site = server.replace("127.0.0.1", "localhost")
    page.goto(other_site + "/")
    target = f"{server}/desk/escalations/{escalation_id}"
    page.evaluate("href => { const a = document.createElement('a'); a.href = href; a.id = 'slack-link';"
                  " a.textContent = 'open'; document.body.prepend(a); }", target)
    page.locator("#slack-link").click()
    page.wait_for_url(target)
    assert page.get_by_role("button", name="担当する").is_visible()
    page.context.close()
