"""Four things testers acting as residents found in the widget's reading aids and errors, in real headless
Chromium: choice buttons get furigana (their names stay the plain labels), an answer without an easy version
says so when やさしい日本語 is on, the widget's own error messages are in the resident's language, and a
reading aid does not wipe what was typed into the contact form (nor the errors shown in it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from testing.a11y import axe_violations
from testing.browser import needs_chromium
from testing.keyboard import ANSWERED, CLARIFIED, opened
from testing.keyboard import ask as typed
from testing.widget import widget_city

pytestmark = needs_chromium
NO_EASY = "市役所の開庁時間を教えてください。"  # R178: the sample city wrote no easy answer for it
NOTE = "この回答には、やさしい日本語の版がありません。"
SETTLED = "() => document.querySelector('.mg-log').getAttribute('aria-live') === 'polite'"


@pytest.fixture(scope="module")
def server(sample_index_dir: Path, tmp_path_factory: pytest.TempPathFactory,
           model_cache: Path) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("widget-reading-fixes")
    with widget_city(sample_index_dir, model_cache, folder) as base:
        yield base


@pytest.fixture()
def page(browser, server: str):  # type: ignore[no-untyped-def]
    page = opened(browser, server)
    yield page
    page.context.close()


def ask(page, text: str) -> None:  # type: ignore[no-untyped-def]
    """Typed into the question field and sent with Enter (focus may be on a reading aid's switch)."""
    page.locator(".mg-bar input").focus()
    typed(page, text)


def switch(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """A reading aid pressed, and the log redrawn and speaking again."""
    page.get_by_role("group", name="読みやすくする").get_by_role("button", name=name).click()
    page.wait_for_timeout(300)
    page.wait_for_function(SETTLED)


def button_names(page) -> list[str]:  # type: ignore[no-untyped-def]
    """The names Chromium itself gives the buttons, as a screen reader gets them."""
    cdp = page.context.new_cdp_session(page)
    nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    return [n["name"]["value"] for n in nodes if n.get("role", {}).get("value") == "button" and "name" in n]


def asked_with_choices(page) -> list[tuple[str, bool]]:  # type: ignore[no-untyped-def]
    """The choice buttons' plain names, as the API gives them, and whether they have readings (kanji)."""
    with page.expect_response(lambda r: r.url.endswith("/api/v1/ask")) as told:
        ask(page, CLARIFIED)
    reply = told.value.json()
    assert reply["decision"] == "clarify" and all(c["label_ruby"] for c in reply["choices"]), reply
    return [(f"{i + 1}. {c['label']}", "<ruby>" in c["label_ruby"]) for i, c in enumerate(reply["choices"])]


def failing(status: int):  # type: ignore[no-untyped-def]
    """A route handler: the API answers `status`."""
    return lambda route: route.fulfill(status=status, content_type="application/json", body='{"detail": []}')


def test_choice_buttons_get_furigana_and_keep_their_plain_names(page) -> None:  # type: ignore[no-untyped-def]
    switch(page, "ふりがな")
    choices = asked_with_choices(page)
    names = [name for name, _ in choices]
    buttons = page.locator(".mg-offer button")
    assert buttons.count() == len(names) and sum(kanji for _, kanji in choices) >= 2
    for i, (name, kanji) in enumerate(choices):
        button = buttons.nth(i)
        assert (button.locator("ruby").count() > 0 and button.locator("rt").count() > 0) == kanji, name
        assert page.locator(".mg-offer").get_by_role("button", name=name, exact=True).count() == 1
    assert set(names) <= set(button_names(page))  # no readings in Chromium's names either
    assert axe_violations(page) == []
    buttons.first.click()  # still a choice: the plain label is what the resident said
    page.wait_for_function("() => !document.querySelector('.mg-typing')")
    assert page.locator(".mg-user").last.inner_text().endswith(names[0].split(". ", 1)[1])
    assert page.locator(".mg-user").last.locator("ruby").count() == 0


def test_choices_shown_before_furigana_get_it_afterwards(page) -> None:  # type: ignore[no-untyped-def]
    ask(page, CLARIFIED)
    buttons = page.locator(".mg-offer button")
    names = [buttons.nth(i).inner_text() for i in range(buttons.count())]
    assert page.locator(".mg-offer ruby").count() == 0
    switch(page, "ふりがな")
    page.wait_for_function("() => [...document.querySelectorAll('.mg-offer button')]"
                           ".filter(b => b.querySelector('ruby')).length >= 2")
    assert set(names) <= set(button_names(page))
    assert page.locator(".mg-offer button:enabled").count() == len(names)
    page.reload()  # remembered with the conversation
    page.get_by_role("button", name="チャットを閉じる").wait_for()
    assert page.locator(".mg-offer button ruby").count() > 0
    switch(page, "ふりがな")
    assert page.locator(".mg-offer ruby").count() == 0
    assert [buttons.nth(i).inner_text() for i in range(buttons.count())] == names


def test_an_answer_without_an_easy_version_says_so(page) -> None:  # type: ignore[no-untyped-def]
    ask(page, NO_EASY)
    plain = page.locator(".mg-bot").last
    assert "開庁" in plain.inner_text() and NOTE not in plain.inner_text()  # the aid is off: no note
    switch(page, "やさしい日本語")
    plain = page.locator(".mg-bot").last
    assert NOTE in plain.inner_text() and "開庁" in plain.inner_text()
    note = plain.get_by_text(NOTE)
    assert note.is_visible() and note.get_attribute("lang") == "ja"
    ask(page, ANSWERED)  # an entry with an easy answer: shown, no note
    easy = page.locator(".mg-bot").last
    assert "1年に6回" in easy.inner_text() and NOTE not in easy.inner_text()
    ask(page, NO_EASY)  # asked with the aid on: the note comes with the answer
    assert NOTE in page.locator(".mg-bot").last.inner_text()
    assert page.locator(".mg-log").get_by_text(NOTE).count() == 2
    assert axe_violations(page) == []
    switch(page, "やさしい日本語")
    assert page.locator(".mg-log").get_by_text(NOTE).count() == 0


def test_the_widgets_own_errors_are_in_the_residents_language(page) -> None:  # type: ignore[no-untyped-def]
    ask(page, "When is the city office open?")
    page.get_by_label("Type your question").wait_for()  # the widget speaks English now
    page.route("**/api/v1/ask", lambda route: route.abort())
    ask(page, "How do I register my move?")
    assert page.locator(".mg-bot").last.inner_text().endswith(
        "Could not connect. Check your connection and try again.")
    page.unroute("**/api/v1/ask")
    for status, said in ((503, "The service is busy. Please try again later."),
                         (429, "You are sending too quickly. Please wait a moment and try again."),
                         (418, "Could not send. Please try again.")):
        page.route("**/api/v1/ask", failing(status))
        ask(page, "How do I register my move?")
        assert page.locator(".mg-bot").last.inner_text().endswith(said), status
        page.unroute("**/api/v1/ask")
    assert "お試しください" not in page.locator(".mg-log").inner_text()


def test_a_reading_aid_keeps_what_was_typed_into_the_forms(page) -> None:  # type: ignore[no-untyped-def]
    ask(page, ANSWERED)
    page.locator(".mg-bot").last.get_by_role("button", name="👎 いいえ").click()
    comment = page.get_by_label("よろしければ、どこが分からなかったか教えてください（任意）")
    comment.fill("振込日が分かりにくいです")
    page.get_by_label("質問を入力").focus()
    ask(page, "担当者と話したい")
    form = page.locator(".mg-bot").last.locator(".mg-form")
    form.get_by_label("お名前（任意）").fill("山田 太郎")
    form.get_by_label("メールアドレス").fill("yamada.taro@example")
    form.get_by_role("button", name="送信する").click()
    page.wait_for_function("() => document.querySelector('.mg-bot:last-child .mg-problems').textContent"
                           ".includes('形式')")
    form.get_by_label("電話番号（折り返し希望の場合）").fill("090-1234")

    switch(page, "ふりがな")
    page.wait_for_function("() => document.querySelectorAll('.mg-log ruby').length > 10")  # readings came
    page.wait_for_timeout(300)
    page.wait_for_function(SETTLED)
    switch(page, "やさしい日本語")
    form = page.locator(".mg-bot").last.locator(".mg-form")
    assert form.get_by_label("お名前（任意）").input_value() == "山田 太郎"
    assert form.get_by_label("メールアドレス").input_value() == "yamada.taro@example"
    assert form.get_by_label("電話番号（折り返し希望の場合）").input_value() == "090-1234"
    assert "メールアドレスの形式" in form.locator(".mg-problems").inner_text()  # the error still shown
    assert form.get_by_label("メールアドレス").get_attribute("aria-invalid") == "true"
    assert comment.input_value() == "振込日が分かりにくいです"
    assert axe_violations(page) == []

    form.get_by_label("メールアドレス").fill("yamada.taro@example.jp")  # the form still sends
    form.get_by_role("button", name="送信する").click()
    page.get_by_text("連絡先を受け付けました").wait_for()
    page.locator(".mg-log").get_by_role("button", name="コメントを送信").click()
    page.get_by_text("ご意見ありがとうございます").wait_for()
