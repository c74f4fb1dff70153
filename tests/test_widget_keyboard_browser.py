"""The widget with a keyboard only, in real headless Chromium: focus lands on what answers a button, Escape
closes the panel from anywhere, the open panel is modal on a phone, focus rings and the close button are
big and dark enough, urgent situations come first, axe-core finds nothing, and Japanese is drawn."""

from __future__ import annotations

import pytest

from testing.a11y import axe_violations, contrast, focus_ring_colour
from testing.browser import needs_chromium
from testing.keyboard import ANSWERED, CLARIFIED, ask, opened, server  # noqa: F401 (fixtures)

pytestmark = needs_chromium


@pytest.fixture()
def page(browser, server: str):  # type: ignore[no-untyped-def]
    page = opened(browser, server)
    yield page
    page.context.close()


FOCUSED_MESSAGE = ("() => { const a = document.activeElement; return a.classList.contains('mg-msg') ? "
                   "a.innerText : null; }")


def press_on(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Focus a button by its name and press Enter on it, as a keyboard user does after tabbing there."""
    page.get_by_role("button", name=name).last.focus()
    page.keyboard.press("Enter")


def test_after_choosing_a_choice_focus_lands_on_the_answer(page) -> None:  # type: ignore[no-untyped-def]
    ask(page, CLARIFIED)
    page.locator(".mg-offer button").first.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(FOCUSED_MESSAGE)
    assert "解決しましたか" in page.evaluate(FOCUSED_MESSAGE)  # the answer with its 👍/👎, not the page
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('.mg-panel') !== null")


def test_after_a_vote_focus_lands_on_the_reply_and_then_on_its_button(page) -> None:  # type: ignore[no-untyped-def]
    ask(page, ANSWERED)
    press_on(page, "👎 いいえ")
    page.wait_for_function(FOCUSED_MESSAGE)
    assert "担当者につなぐこともできます" in page.evaluate(FOCUSED_MESSAGE)
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.innerText") == "担当者につなぐ"


def test_after_sending_the_contact_form_focus_lands_on_its_confirmation(page) -> None:  # type: ignore[no-untyped-def]
    ask(page, "担当者と話したい")
    page.get_by_label("メールアドレス").focus()
    page.keyboard.type("resident@example.jp")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('.mg-form') === null")
    assert page.evaluate("() => document.activeElement.closest('.mg-msg') && "
                         "document.activeElement.innerText") \
        == "連絡先を受け付けました。担当者から連絡します。"  # not the page (the form's field is gone)


def test_escape_closes_the_panel_even_when_focus_is_on_the_page(page) -> None:  # type: ignore[no-untyped-def]
    page.locator("nav a").first.focus()
    page.keyboard.press("Escape")
    assert page.locator(".mg-panel").is_hidden()
    assert page.evaluate("() => document.activeElement.className") == "mg-launch"


def test_at_phone_width_the_open_panel_is_modal(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    page = opened(browser, server, 390, 844)
    ask(page, ANSWERED)
    assert page.locator(".mg-panel").get_attribute("aria-modal") == "true"
    for step in range(25):
        page.keyboard.press("Shift+Tab" if step % 7 == 6 else "Tab")
        assert page.evaluate("() => document.activeElement.closest('.mg-panel') !== null"), step
    page.locator("nav a").first.focus()  # a click or a screen reader's jump onto the page beneath
    assert page.evaluate("() => document.activeElement.getAttribute('aria-label')") == "質問を入力"
    page.context.close()


def test_focus_rings_reach_3_to_1_and_the_close_button_is_at_least_24_px(page) -> None:  # type: ignore[no-untyped-def]
    ask(page, CLARIFIED)
    page.keyboard.press("Shift+Tab")  # from the input back to a choice button on the grey bubble
    rings = [focus_ring_colour(page)]
    page.get_by_role("button", name="チャットを閉じる").focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # focus by keyboard, so :focus-visible applies
    rings.append(focus_ring_colour(page))
    for ring in rings:
        for background in ("#ffffff", "#f3f3f3", "#f6f7f9"):
            assert contrast(ring, background) >= 3, (ring, background)
    box = page.get_by_role("button", name="チャットを閉じる").bounding_box()
    assert box["width"] >= 24 and box["height"] >= 24, box


def test_an_urgent_situation_is_shown_first_with_its_lines(page) -> None:  # type: ignore[no-untyped-def]
    ask(page, "子どもが熱を出した。夜間にやってる病院は？")
    urgent = page.locator(".mg-urgent").last
    assert "#8000" in urgent.inner_text() and "解決しましたか" in urgent.inner_text()
    assert page.locator(".mg-offer").count() == 0


@pytest.mark.parametrize("width", [390, 1280])
def test_every_widget_state_has_no_axe_violations(browser, server: str, width: int) -> None:  # type: ignore[no-untyped-def]
    page = opened(browser, server, width, 844)
    found = {"greeting": axe_violations(page)}
    for text in (CLARIFIED, ANSWERED, "担当者と話したい", "死にたい"):
        ask(page, text)
        found[text] = axe_violations(page)
    press_on(page, "👎 いいえ")
    page.wait_for_function(FOCUSED_MESSAGE)
    found["after 👎"] = axe_violations(page)
    page.keyboard.press("Escape")
    found["closed"] = axe_violations(page)
    assert {state: rules for state, rules in found.items() if rules} == {}
    page.context.close()


def test_chromium_draws_japanese_with_a_real_font_not_empty_boxes(page) -> None:  # type: ignore[no-untyped-def]
    """A Japanese word and a code point no font has are drawn alike only when no Japanese font is installed
    (`make browser` installs fonts-noto-cjk)."""
    same = page.evaluate("""() => { const draw = t => { const c = document.createElement('canvas');
        c.width = 64; c.height = 32; const g = c.getContext('2d'); g.font = '24px sans-serif';
        g.fillText(t, 0, 24); return c.toDataURL(); };
        return draw('窓口') === draw('\\u{10FFFD}\\u{10FFFD}'); }""")
    assert not same, "Japanese is drawn as empty boxes: install fonts-noto-cjk (make browser does, as root)"
