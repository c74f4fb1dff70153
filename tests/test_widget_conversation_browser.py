"""A resident's whole conversation in real headless Chromium: typed numbers, every agent reply, reloads that
keep the controls, the real question on hand-over, and the contact form asked for once."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.service.publishing import build_from_settings
from bot.store import ConversationStore
from bot.store.escalations import EscalationStore
from knowledge.core.settings import SAMPLE_CITY, Settings
from testing.browser import needs_chromium, served
from testing.widget import last_bot, open_and_ask

LOST = "カードをなくした"  # the sample city answers it with choices (which card?)
pytestmark = needs_chromium


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("conversation-browser")


@pytest.fixture(scope="module")
def server(folder: Path, model_cache: Path) -> Iterator[str]:
    settings = Settings(data_dir=model_cache, index_dir=folder / "index", sources=[SAMPLE_CITY],
                        database_url=f"sqlite:///{folder / 'store.db'}", rate_per_session=1000)
    build_from_settings(settings)
    with served(settings) as base:
        yield base


@pytest.fixture()
def page(browser, server: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="ja-JP")
    page = context.new_page()
    page.goto(server + "/")
    yield page
    context.close()


def desk(folder: Path) -> EscalationStore:
    return EscalationStore(ConversationStore(f"sqlite:///{folder / 'store.db'}"))


def reload(page, server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(server + "/")
    page.locator(".mg-log .mg-msg").last.wait_for()


def newest_escalation(folder: Path) -> str:
    return desk(folder).queue(channel="web")[-1].id


def test_typing_a_number_in_the_widget_picks_that_choice(page) -> None:  # type: ignore[no-untyped-def]
    open_and_ask(page, LOST)
    third = last_bot(page).locator(".mg-choices button").nth(2).inner_text().split(". ", 1)[1]
    open_and_ask(page, "３番")
    answer = last_bot(page)
    assert answer.get_by_role("button", name="👍 はい").is_visible()
    assert "受付時間" not in answer.inner_text() and answer.locator("form").count() == 0
    assert third  # the pick answered instead of handing "３番" to a person


def test_every_agent_reply_reaches_the_widget_saying_which_question(page, folder: Path,  # type: ignore[no-untyped-def]
                                                                   server: str) -> None:
    open_and_ask(page, "担当者と話したい")
    last_bot(page).locator("form").wait_for()
    first, agents = newest_escalation(folder), desk(folder)
    agents.claim(first, "agent-sato")
    agents.reply(first, "agent-sato", "一つ目のご質問への回答です。")
    reload(page, server)
    page.get_by_text("一つ目のご質問への回答です。").wait_for()
    # answered: the next hand-over is a new one (while one waits, what the resident writes joins it)
    open_and_ask(page, LOST)
    last_bot(page).get_by_role("button", name="どれにも当てはまらない").click()
    last_bot(page).locator("form").wait_for()
    second = newest_escalation(folder)
    assert second != first
    agents.claim(second, "agent-sato")
    agents.reply(second, "agent-sato", "マイナンバーカードの再発行は市民課へ。")
    # the widget's next poll
    page.get_by_text("マイナンバーカードの再発行は市民課へ。").wait_for(timeout=25_000)
    answered = page.locator(".mg-bot").filter(has_text="マイナンバーカードの再発行は市民課へ。").inner_text()
    assert LOST in unicodedata.normalize("NFKC", answered) and "担当者からの回答" in answered


def test_a_reload_keeps_what_can_still_be_done_and_opens_at_the_newest(page, server: str) -> None:  # type: ignore[no-untyped-def]
    for question in ("ごみの分け方を知りたい", "児童手当はいつ振り込まれる？", LOST):
        open_and_ask(page, question)
        last_bot(page)
    reload(page, server)
    assert page.evaluate("(() => { const l = document.querySelector('.mg-log');"
                         " return l.scrollTop + l.clientHeight >= l.scrollHeight - 2; })()")
    page.locator(".mg-choices button").last.wait_for()
    assert page.locator(".mg-offer").last.locator("button:enabled").count() >= 3
    page.locator(".mg-offer").last.locator("button").first.click()
    assert last_bot(page).get_by_role("button", name="👎 いいえ").is_visible()
    reload(page, server)
    assert page.locator(".mg-offer").last.locator("button:enabled").count() == 0  # used: shown, not clickable
    page.locator(".mg-bot").last.get_by_role("button", name="👎 いいえ").click()
    page.get_by_role("button", name="担当者につなぐ", exact=True).wait_for()
    reload(page, server)
    page.get_by_role("button", name="担当者につなぐ", exact=True).click()
    last_bot(page).locator("form").wait_for()
    reload(page, server)
    assert page.locator(".mg-bot").last.get_by_label("メールアドレス").is_visible()
    assert page.get_by_role("button", name="担当者につなぐ", exact=True).is_disabled()


def test_a_hand_over_from_the_widget_carries_the_real_question(page, folder: Path) -> None:  # type: ignore[no-untyped-def]
    open_and_ask(page, LOST)
    last_bot(page).get_by_role("button", name="どれにも当てはまらない").click()
    last_bot(page).locator("form").wait_for()
    question = desk(folder).resident_question(newest_escalation(folder))
    assert unicodedata.normalize("NFKC", question) == unicodedata.normalize("NFKC", LOST)


def test_contact_details_are_asked_for_once(page, folder: Path) -> None:  # type: ignore[no-untyped-def]
    open_and_ask(page, "担当者と話したい")
    card = last_bot(page)
    card.get_by_label("メールアドレス").fill("hanako@example.jp")
    card.get_by_role("button", name="送信する").click()
    page.get_by_text("連絡先を受け付けました").wait_for()
    open_and_ask(page, LOST)
    last_bot(page).get_by_role("button", name="どれにも当てはまらない").click()
    later = last_bot(page)
    later.get_by_text("先ほどお預かりした連絡先").wait_for()
    assert later.locator("form").count() == 0
    assert desk(folder).get(newest_escalation(folder)).contact_email == "hanako@example.jp"


def test_the_page_has_an_icon(page, server: str) -> None:  # type: ignore[no-untyped-def]
    loaded = page.evaluate("""() => new Promise((done) => { const i = new Image(); i.onload = () => done(i.width);
        i.onerror = () => done(0); i.src = '/favicon.ico'; })""")  # noqa: E501 (a script kept as it runs)
    assert loaded >= 16


def test_a_reply_that_is_not_json_is_told_in_japanese(page) -> None:  # type: ignore[no-untyped-def]
    page.route("**/api/v1/ask", lambda route: route.fulfill(status=200, content_type="text/html",
                                                            body="<html>Service Temporarily "
                                                                 "Unavailable</html>"))
    open_and_ask(page, "児童手当はいつ振り込まれる？")
    told = last_bot(page).inner_text()
    assert "もう一度お試しください" in told
    assert not [word for word in ("JSON", "Unexpected", "token", "Service") if word in told]
