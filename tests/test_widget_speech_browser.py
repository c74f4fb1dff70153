"""What the widget tells a screen reader and a resident about each message and control, in real headless
Chromium: who speaks, where a long reply starts, labelled contact fields, links that open a new tab, and a
hand-over button that cannot be pressed twice."""

from __future__ import annotations

import pytest

from testing.browser import needs_chromium
from testing.keyboard import ANSWERED, ask, opened, server  # noqa: F401 (fixture)

pytestmark = needs_chromium
UNANSWERABLE = "市役所の職員食堂は一般の人も使えますか"
HIDDEN = "(n) => { const r = n.getBoundingClientRect(); return r.width <= 1 && r.height <= 1; }"


@pytest.fixture()
def page(browser, server: str):  # type: ignore[no-untyped-def]  # noqa: F811
    page = opened(browser, server, 1280, 520)
    yield page
    page.context.close()


def test_every_message_says_who_speaks_to_screen_readers_only(page) -> None:  # type: ignore[no-untyped-def]
    ask(page, ANSWERED)
    user, bot = page.locator(".mg-user").last, page.locator(".mg-bot").last
    assert (user.locator(".mg-sr").text_content() == "あなた:"
            and bot.locator(".mg-sr").text_content() == "窓口:")
    assert user.locator(".mg-sr").evaluate(HIDDEN) and bot.locator(".mg-sr").evaluate(HIDDEN)
    assert page.locator(".mg-msg").count() == page.locator(".mg-msg > .mg-sr:first-child").count()


def test_a_long_reply_to_a_typed_question_opens_at_its_start(page) -> None:  # type: ignore[no-untyped-def]
    ask(page, ANSWERED)
    where = page.locator(".mg-bot").last.evaluate(
        "(b) => { const l = document.querySelector('.mg-log'); const top = b.getBoundingClientRect().top - "
        "l.getBoundingClientRect().top; return [top, b.offsetHeight, l.clientHeight]; }")
    top, height, shown = where
    assert height > shown, "the reply must be longer than the log shows for this test to mean anything"
    assert 0 <= top <= 16, where


def test_the_contact_fields_have_visible_labels(page) -> None:  # type: ignore[no-untyped-def]
    ask(page, UNANSWERABLE)
    choices = page.get_by_role("button", name="どれにも当てはまらない")
    if choices.count():
        choices.last.click()
    form = page.locator(".mg-bot .mg-form").last
    form.wait_for()
    for name in ("お名前（任意）", "メールアドレス", "電話番号"):
        field = form.get_by_label(name)
        assert field.get_attribute("aria-label") is None
        label = field.evaluate("(f) => { const l = f.labels[0]; const r = l.getBoundingClientRect(); "
                               "return [l.innerText, r.width > 1 && r.height > 1]; }")
        assert label[0].startswith(name) and label[1], label


def test_links_that_open_a_new_tab_say_so(page) -> None:  # type: ignore[no-untyped-def]
    ask(page, ANSWERED)
    links = page.locator(".mg-log a[target=_blank]")
    assert links.count() >= 1
    for n in range(links.count()):
        name = links.nth(n).evaluate("(a) => a.textContent")
        assert "新しいタブで開きます" in name, name
    assert page.get_by_role("link",
                            name="くわしくはこちら（市のページ）（新しいタブで開きます）").is_visible()


def test_a_hand_over_disables_every_hand_over_button(page) -> None:  # type: ignore[no-untyped-def]
    for question in (ANSWERED, "犬の登録はどこでする？"):
        ask(page, question)
        page.locator(".mg-bot").last.get_by_role("button", name="👎 いいえ").click()
        page.locator(".mg-bot").last.get_by_role("button", name="担当者につなぐ", exact=True).wait_for()
    buttons = page.get_by_role("button", name="担当者につなぐ", exact=True)
    assert buttons.count() == 2
    buttons.last.click()
    page.locator(".mg-bot .mg-form").last.wait_for()
    assert buttons.first.is_disabled() and buttons.last.is_disabled()
    page.reload()
    page.get_by_role("button", name="担当者につなぐ", exact=True).first.wait_for()
    assert all(b.is_disabled() for b in page.get_by_role("button", name="担当者につなぐ", exact=True).all())
