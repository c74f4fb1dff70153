"""The chat widget in real headless Chromium against a real madoguchi server on loopback."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.service.publishing import build_from_settings
from bot.store import ConversationStore
from bot.store.escalations import EscalationStore
from knowledge.core.settings import SAMPLE_CITY, Settings
from testing.browser import DOCS, needs_chromium, served
from testing.widget import last_bot, open_and_ask

PLANTED = ("id,question,answer,department,contact\nXSS1,テスト用の危険な回答の確"
           "認,<script>window.__planted=1</script><b>太字</b> https://example.jp/a?b=1,検証課,内線 0000\n")

pytestmark = needs_chromium


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The served city's files, index and store."""
    return tmp_path_factory.mktemp("browser")


@pytest.fixture(scope="module")
def server(folder: Path, model_cache: Path) -> Iterator[str]:
    """The sample city plus one planted hostile FAQ entry, served by uvicorn in a thread."""
    (folder / "planted.csv").write_text(PLANTED, encoding="utf-8")
    settings = Settings(data_dir=model_cache, index_dir=folder / "index",
                        sources=[SAMPLE_CITY, folder / "planted.csv"],
                        database_url=f"sqlite:///{folder / 'store.db'}")
    build_from_settings(settings)
    with served(settings) as base:
        yield base


@pytest.fixture()
def page(browser, server: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="ja-JP")
    page = context.new_page()
    page.goto(server + "/")
    yield page
    context.close()


def test_resident_asks_and_sees_the_answer_card(page) -> None:  # type: ignore[no-untyped-def]
    open_and_ask(page, "児童手当はいつ振り込まれる？")
    card = last_bot(page)
    assert "偶数月" in card.inner_text() and "担当" in card.inner_text()
    assert card.get_by_role("link", name="くわしくはこちら（市のページ）").get_attribute("href").startswith("https://")
    assert card.get_by_role("button", name="👍 はい").is_visible()


def test_choosing_a_candidate_answers_it(page) -> None:  # type: ignore[no-untyped-def]
    open_and_ask(page, "カードをなくした")
    choices = last_bot(page).locator(".mg-choices button")
    assert choices.last.inner_text().endswith("どれにも当てはまらない（担当者につなぐ）")
    choices.first.click()
    answer = last_bot(page)
    assert "担当" in answer.inner_text() and answer.get_by_role("button", name="👍 はい").is_visible()


def test_thumbs_down_offers_a_person_who_gets_the_question(page, folder: Path) -> None:  # type: ignore[no-untyped-def]
    open_and_ask(page, "児童手当はいつ振り込まれる？")
    last_bot(page).get_by_role("button", name="👎 いいえ").click()
    page.get_by_role("button", name="担当者につなぐ").click()
    card = last_bot(page)
    card.get_by_label("メールアドレス").wait_for()
    assert "受付時間" in card.inner_text()
    desk = EscalationStore(ConversationStore(f"sqlite:///{folder / 'store.db'}"))
    escalation = desk.queue(status="new", channel="web")[-1]
    assert "児童手当" in desk.questions([escalation])[escalation.turn_id]


def test_escalation_tells_what_happens_and_takes_a_contact(page) -> None:  # type: ignore[no-untyped-def]
    open_and_ask(page, "人と話したい")
    card = last_bot(page)
    assert "受付時間" in card.inner_text()
    card.get_by_label("メールアドレス").fill("taro@example.jp")
    card.get_by_role("button", name="送信する").click()
    page.get_by_text("連絡先を受け付けました").wait_for()


def test_agents_reply_appears_in_the_widget_when_the_resident_comes_back(  # type: ignore[no-untyped-def]
        page, folder: Path, server: str) -> None:
    open_and_ask(page, "担当者と話したい")
    assert "受付時間" in last_bot(page).inner_text()
    desk = EscalationStore(ConversationStore(f"sqlite:///{folder / 'store.db'}"))
    escalation = desk.queue(status="new", channel="web")[-1]
    desk.claim(escalation.id, "agent-sato")
    desk.reply(escalation.id, "agent-sato", "転入届は本人確認書類をお持ちください。")
    page.goto(server + "/")
    page.get_by_text("転入届は本人確認書類をお持ちください。").wait_for()
    assert "担当者からの回答" in page.locator(".mg-log").inner_text()
    page.goto(server + "/")
    assert page.locator(".mg-log").inner_text().count("本人確認書類をお持ちください") == 1


def test_keyboard_only_resident(page) -> None:  # type: ignore[no-untyped-def]
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('mg-launch')"):
            break
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "質問を入力"
    page.keyboard.type("ソファを捨てたい")
    page.keyboard.press("Enter")
    last_bot(page)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.tagName") in ("BUTTON", "A")
    page.keyboard.press("Escape")
    assert page.locator(".mg-panel").is_hidden()
    assert page.evaluate("document.activeElement.classList.contains('mg-launch')")


def test_typed_and_planted_markup_render_as_text(page) -> None:  # type: ignore[no-untyped-def]
    payload = "<img src=x onerror=\"window.__typed=1\">住民票"
    open_and_ask(page, payload)
    last_bot(page)
    assert payload in page.locator(".mg-user").last.inner_text()
    open_and_ask(page, "テスト用の危険な回答の確認")
    text = last_bot(page).inner_text()
    assert "<script>window.__planted=1</script><b>太字</b>" in text
    assert page.locator(".mg-log img, .mg-log script, .mg-log b").count() == 0
    assert page.evaluate("window.__typed === undefined && window.__planted === undefined")


def test_conversation_survives_page_navigation(page, server: str) -> None:  # type: ignore[no-untyped-def]
    open_and_ask(page, "ごみの分け方を知りたい")
    last_bot(page)
    page.goto(server + "/")
    assert "ごみの分け方を知りたい" in page.locator(".mg-log").inner_text()


def _contrast(page, selector: str) -> float:  # type: ignore[no-untyped-def]
    return page.evaluate("""(sel) => {
      const lum = (c) => { const v = c.match(/\\d+/g).slice(0, 3).map(Number).map(x => x / 255)
        .map(x => x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4));
        return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
      const el = document.querySelector(sel); const s = getComputedStyle(el);
      let bg = s.backgroundColor, node = el;
      while (bg === 'rgba(0, 0, 0, 0)' && node.parentElement) { node = node.parentElement; bg = getComputedStyle(node).backgroundColor; }
      if (bg === 'rgba(0, 0, 0, 0)') bg = 'rgb(255, 255, 255)';
      const [a, b] = [lum(s.color), lum(bg)].sort((x, y) => y - x); return (a + 0.05) / (b + 0.05); }""", selector)  # noqa: E501 (a script kept as it runs)


def test_contrast_meets_wcag_aa(page) -> None:  # type: ignore[no-untyped-def]
    open_and_ask(page, "児童手当はいつ振り込まれる？")
    last_bot(page)
    for selector in (".mg-launch", ".mg-head h2", ".mg-bot .mg-text", ".mg-meta", ".mg-msg a",
                     ".mg-bar button"):
        assert _contrast(page, selector) >= 4.5, selector


def test_phone_width_and_200_percent_text(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="ja-JP")
    phone = context.new_page()
    phone.goto(server + "/")
    open_and_ask(phone, "転入届に必要なものは？")
    last_bot(phone)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    box = phone.locator(".mg-panel").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    if os.environ.get("UPDATE_SCREENSHOTS"):
        phone.screenshot(path=str(DOCS / "widget-phone.png"))
    # CSSOM: our CSP refuses inline <style>
    phone.evaluate("document.documentElement.style.fontSize = '200%'")
    assert phone.get_by_label("質問を入力").is_visible() and phone.get_by_role(
        "button", name="送信").is_visible()
    box = phone.locator(".mg-panel").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    context.close()


def test_desktop_screenshot(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    open_and_ask(page, "転入届に必要なものは？")
    last_bot(page)
    target = DOCS / "widget-desktop.png" if os.environ.get("UPDATE_SCREENSHOTS") else tmp_path / "w.png"
    page.screenshot(path=str(target))
    assert target.stat().st_size > 10_000


def test_messages_are_announced_and_theme_comes_from_the_script_tag(page) -> None:  # type: ignore[no-untyped-def]
    log = page.locator(".mg-log")
    assert (log.get_attribute("role"), log.get_attribute("aria-live")) == ("log", "polite")
    assert page.locator(".mg-root").evaluate(
        "e => getComputedStyle(e).getPropertyValue('--mg').trim()") == "#0b4ea2"
    assert page.get_by_role("button", name="お問い合わせチャット").get_attribute("aria-expanded") == "false"


def test_an_error_from_the_server_is_told_in_japanese_never_as_its_own_text(browser, folder: Path,  # type: ignore[no-untyped-def]
                                                                             server: str,
                                                                            model_cache: Path) -> None:
    settings = Settings(data_dir=model_cache, index_dir=folder / "index",
                        database_url=f"sqlite:///{folder / 'limited.db'}",
                        city_dir=folder / "limited", rate_per_session=1)
    with served(settings) as base:
        context = browser.new_context(locale="ja-JP")
        page = context.new_page()
        page.goto(base + "/")
        open_and_ask(page, "人と話したい")
        form = page.locator(".mg-form")
        form.wait_for()
        open_and_ask(page, "児童手当はいつ振り込まれる？")
        limited = last_bot(page).inner_text()
        shown = page.locator(".mg-bot").count()
        form.get_by_label("メールアドレス").fill("taro@example.jp")
        form.get_by_role("button", name="送信する").click()
        page.wait_for_function(f"() => document.querySelectorAll('.mg-bot').length > {shown}")
        refused = last_bot(page).inner_text()
        context.close()
    assert "しばらく待って" in limited and "しばらく待って" in refused
    assert not [text for text in (limited, refused) if "too many" in text or "requests" in text]
