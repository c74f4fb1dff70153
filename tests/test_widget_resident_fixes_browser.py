"""Three things a tester acting as residents found in the widget, in real headless Chromium: a long paste is
not cut silently (the server's own limit is shown, and the text is kept to shorten), the contact form says
which field is wrong and why, and a reading aid does not make a screen reader read the conversation again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from testing.a11y import axe_violations
from testing.browser import needs_chromium
from testing.keyboard import ANSWERED, CLARIFIED, ask, opened
from testing.widget import widget_city

pytestmark = needs_chromium
LIMIT = 200  # not the default 500 the widget assumes: the widget must take the server's word for it
ASKED = "手数料はいくら？"
PASTED = ("住民票の写しについて、事情を説明します。" * 200)[:2000 - len(ASKED)] + ASKED
STATUS = ".mg-bar-note [role=status]"


@pytest.fixture(scope="module")
def server(sample_index_dir: Path, tmp_path_factory: pytest.TempPathFactory,
           model_cache: Path) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("widget-resident-fixes")
    with widget_city(sample_index_dir, model_cache, folder, max_text_chars=LIMIT) as base:
        yield base


@pytest.fixture()
def page(browser, server: str):  # type: ignore[no-untyped-def]
    page = opened(browser, server)
    yield page
    page.context.close()


def paste(page, text: str) -> None:  # type: ignore[no-untyped-def]
    """Into the question field through the clipboard and Ctrl+V, as a resident pastes."""
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.evaluate("t => navigator.clipboard.writeText(t)", text)
    page.get_by_label("質問を入力").focus()
    page.keyboard.press("Control+V")


def described(page, label: str) -> str:  # type: ignore[no-untyped-def]
    """What a screen reader reads after a field's name: its aria-describedby texts."""
    return str(page.get_by_label(label).last.evaluate(
        "n => (n.getAttribute('aria-describedby') || '').split(' ').filter(Boolean)"
        ".map(id => document.getElementById(id).textContent).join(' ')"))


def test_a_long_paste_is_kept_whole_and_the_servers_limit_is_told(page) -> None:  # type: ignore[no-untyped-def]
    paste(page, PASTED)
    field = page.get_by_label("質問を入力")
    page.wait_for_function(f"() => document.querySelector('{STATUS}').textContent.includes('{LIMIT}')")
    assert field.input_value() == PASTED  # nothing cut: the question at the end is still there
    status = page.locator(STATUS)
    assert status.is_visible() and status.get_attribute("aria-live") == "polite"
    told = status.inner_text()
    assert "長すぎ" in told and f"{LIMIT}文字" in told and "短く" in told, told
    assert f"2000 / {LIMIT}" in page.locator(".mg-bar-note").inner_text()  # the counter
    assert field.get_attribute("aria-invalid") == "true" and f"{LIMIT}文字" in described(page, "質問を入力")
    assert axe_violations(page) == []
    page.keyboard.press("Enter")  # not sent: it would be refused, and the resident would lose the text
    assert page.locator(".mg-user").count() == 0 and field.input_value() == PASTED
    field.fill("住民票の写しの" + ASKED)
    assert status.inner_text() == "" and field.get_attribute("aria-invalid") != "true"
    ask(page, "")
    assert page.locator(".mg-user").last.inner_text().endswith("住民票の写しの" + ASKED)


def test_a_text_the_server_refuses_as_too_long_comes_back_to_the_field(page) -> None:  # type: ignore[no-untyped-def]
    text = "転入届の手続きについて教えてください。" * 13  # 247 characters: over the server's 200
    paste(page, text)
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => document.querySelector('{STATUS}').textContent.includes('{LIMIT}')")
    page.wait_for_function("() => !document.querySelector('.mg-typing')")
    assert page.get_by_label("質問を入力").input_value() == text
    assert page.locator(".mg-user").count() == 0  # nothing was received: no question in the log
    assert "入力内容をご確認ください" not in page.locator(".mg-log").inner_text()


def test_the_contact_form_says_which_field_is_wrong_and_why(page) -> None:  # type: ignore[no-untyped-def]
    ask(page, "担当者と話したい")
    form = page.locator(".mg-form")
    problems = form.locator("[role=status]")
    form.get_by_role("button", name="送信する").click()
    page.wait_for_function("() => document.querySelector('.mg-form [role=status]').textContent !== ''")
    assert "メールアドレスか電話番号" in problems.inner_text()
    assert form.get_by_label("メールアドレス").get_attribute("aria-invalid") == "true"
    assert "メールアドレスか電話番号" in described(page, "メールアドレス")
    assert axe_violations(page) == []

    form.get_by_label("メールアドレス").fill("yamada.taro@example")
    form.get_by_role("button", name="送信する").click()
    page.wait_for_function("() => document.querySelector('.mg-form [role=status]').textContent"
                           ".includes('形式')")
    told = problems.inner_text()
    assert "メールアドレス" in told and "入力内容をご確認ください" not in told
    assert form.get_by_label("メールアドレス").get_attribute("aria-invalid") == "true"
    assert form.get_by_label("電話番号").get_attribute("aria-invalid") != "true"
    assert "メールアドレスの形式" in described(page, "メールアドレス")
    assert page.locator(".mg-bot").last.locator("form").count() == 1  # no error bubble under the form

    form.get_by_label("メールアドレス").fill("yamada.taro@example.jp")
    form.get_by_role("button", name="送信する").click()
    page.wait_for_function("() => document.querySelector('.mg-form') === null")
    assert "連絡先を受け付けました" in page.locator(".mg-bot").last.inner_text()


WATCH = """() => {
  const log = document.querySelector('.mg-log');
  window.heard = [];
  new MutationObserver(records => {
    let live = log.getAttribute('aria-live');  // walked back: the value when each record happened
    const at = records.map(() => null);
    for (let i = records.length - 1; i >= 0; i--) {
      if (records[i].type === 'attributes') live = records[i].oldValue; else at[i] = live;
    }
    records.forEach((r, i) => {
      if (r.type !== 'childList' || at[i] === 'off') return;
      r.addedNodes.forEach(n => {
        if (n.nodeType === 1 || n.textContent.trim()) window.heard.push(n.textContent);
      });
    });
  }).observe(log, {childList: true, subtree: true, attributes: true, attributeFilter: ['aria-live'],
                   attributeOldValue: true});
}"""
SETTLED = "() => document.querySelector('.mg-log').getAttribute('aria-live') === 'polite'"


def test_a_reading_aid_does_not_announce_the_conversation_again(page) -> None:  # type: ignore[no-untyped-def]
    ask(page, ANSWERED)
    ask(page, CLARIFIED)
    page.evaluate(WATCH)
    aids = page.get_by_role("group", name="読みやすくする")
    aids.get_by_role("button", name="ふりがな").click()
    page.wait_for_function("() => document.querySelectorAll('.mg-log ruby').length > 10")  # readings came
    page.wait_for_timeout(300)
    page.wait_for_function(SETTLED)
    for name in ("やさしい日本語", "大きな文字"):
        aids.get_by_role("button", name=name).click()
        page.wait_for_timeout(300)
        page.wait_for_function(SETTLED)
    assert page.evaluate("window.heard") == []  # nothing said again
    assert page.locator(".mg-log ruby").count() > 10 and page.locator(".mg-msg").count() == 5

    ask(page, "ごみの分け方を知りたい")
    page.wait_for_function(SETTLED)
    heard = page.evaluate("window.heard")
    assert page.locator(".mg-bot").last.evaluate("n => n.textContent") in heard  # the new reply is
    assert page.locator(".mg-user").last.evaluate("n => n.textContent") in heard
    assert not [text for text in heard if "児童手当" in text]  # and no earlier message with it


def test_every_language_has_the_new_words(page) -> None:  # type: ignore[no-untyped-def]
    missing = page.evaluate("""() => { const t = window.madoguchiWidgetTexts, keys = Object.keys(t.en);
        return Object.keys(t).flatMap(l => keys.filter(k => !(k in t[l])).map(k => l + ':' + k)); }""")
    assert missing == []
    assert {"count", "tooLong", "tooLongBytes", "reachable", "emailBad", "phoneBad", "fieldTooLong", "check",
            "nameField", "phoneField"} <= set(page.evaluate("Object.keys(window.madoguchiWidgetTexts.en)"))
