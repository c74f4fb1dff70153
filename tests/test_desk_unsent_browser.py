"""Text typed at the desk when the session has already ended, in real headless Chromium: the form sent comes
back as the login page (the server keeps nothing), and after signing in again the agent is on the same page
with what they typed put back by /static/desk-forms.js from the tab's sessionStorage, once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge.core.settings import Settings
from testing.a11y import axe_violations
from testing.browser import needs_chromium, served
from testing.desk import PASSWORD, add_user
from testing.desk_city import stored
from testing.widget import resident_asks

pytestmark = needs_chromium
KEY = "madoguchi-desk-unsent"
RESTORED = "ログインの前に書いていた内容を戻しました。確かめてから、もう一度送ってください。"
UNSENT = "送った内容は保存していません"


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('desk-unsent') / 'store.db'}"


@pytest.fixture(scope="module")
def server(sample_index_dir: Path, store_url: str, model_cache: Path) -> Iterator[str]:
    """The sample city with an agent and two editors."""
    for name, role in (("sato", "agent"), ("tanaka", "editor"), ("yamada", "editor")):
        add_user(store_url, model_cache, name, role)
    settings = Settings(data_dir=model_cache, index_dir=sample_index_dir, database_url=store_url,
                        index_poll_seconds=0, desk_login_rate_per_address=1000)
    with served(settings) as base:
        yield base


def sign_in(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Through the login form on the page shown now."""
    page.get_by_label("ユーザー名").fill(name)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_load_state()


def signed_in_page(browser, server: str, name: str, path: str):  # type: ignore[no-untyped-def]
    """A tab of its own (own cookies, own sessionStorage) signed in as `name`, on `path`."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    page = context.new_page()
    page.goto(server + path)
    sign_in(page, name)
    assert page.url == server + path
    return page


def refused_unsaved(page, server: str, path: str) -> None:  # type: ignore[no-untyped-def]
    """The form just sent came back as the login page that says so, and the tab kept it to put back."""
    page.wait_for_url(f"{server}/desk/login?*unsent=1")
    assert UNSENT in page.get_by_role("alert").inner_text()
    kept = page.evaluate(f"() => JSON.parse(sessionStorage.getItem('{KEY}'))")
    assert kept and kept["restore"] is True and kept["page"] == path, kept


def restored(page):  # type: ignore[no-untyped-def]
    return page.get_by_role("status").filter(has_text=RESTORED)


def kept(page) -> object:  # type: ignore[no-untyped-def]
    return page.evaluate(f"() => sessionStorage.getItem('{KEY}')")


def test_a_reply_typed_after_the_session_ended_is_back_after_signing_in(browser, server: str,  # type: ignore[no-untyped-def]
                                                                         store_url: str) -> None:
    escalation_id = resident_asks(server, "転入届に必要なものは？", "担当者と話したい")
    path = f"/desk/escalations/{escalation_id}"
    page = signed_in_page(browser, server, "sato", path)
    if page.get_by_role("button", name="担当する").count():
        page.get_by_role("button", name="担当する").click()
    reply = "転入届は市民課の窓口で受け付けています。\n本人確認書類と、前の住所の転出証明書をお持ちください。"
    page.locator("#reply").fill(reply)
    page.context.clear_cookies()  # the session ended (expired, or signed out elsewhere)
    page.get_by_role("button", name="返信する").click()
    refused_unsaved(page, server, path)
    sign_in(page, "sato")
    assert page.url == server + path
    assert page.locator("#reply").input_value() == reply
    assert restored(page).is_visible()
    assert page.evaluate("() => document.activeElement.id") == "reply"
    assert kept(page) is None
    assert axe_violations(page) == []
    page.get_by_role("button", name="返信する").click()
    page.wait_for_load_state()
    assert page.locator("#reply-text").inner_text() == reply
    escalation = stored(store_url, escalation_id)
    sent = escalation.reply_text.replace("\r\n", "\n")  # a form sends a textarea's line breaks as CRLF
    assert (escalation.status, sent) == ("answered", reply)
    page.goto(server + path)
    assert restored(page).count() == 0
    page.context.close()


def test_an_entry_edit_sent_after_the_session_ended_is_back_after_signing_in(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    path = "/desk/entries/R105"
    page = signed_in_page(browser, server, "tanaka", path)
    question = page.locator("#e-question").input_value()
    answer = page.locator("#e-answer").input_value() + "\n（窓口は平日 8時30分から17時15分まで）"
    page.locator("#e-answer").fill(answer)
    page.locator("#e-department").fill("市民課 住民記録係")
    page.context.clear_cookies()
    page.get_by_role("button", name="下書きを保存").click()
    refused_unsaved(page, server, path)
    sign_in(page, "tanaka")
    assert page.url == server + path
    assert page.locator("#e-answer").input_value() == answer
    assert page.locator("#e-department").input_value() == "市民課 住民記録係"
    assert page.locator("#e-question").input_value() == question
    assert restored(page).is_visible()
    assert page.evaluate("() => document.activeElement.id") == "e-question"
    page.get_by_role("button", name="下書きを保存").click()
    page.wait_for_load_state()
    assert page.locator("#e-answer").input_value() == answer
    assert "下書きあり" in page.get_by_role("heading", level=1).inner_text()
    page.context.close()


def test_a_form_that_was_received_is_not_put_back_later(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    path = "/desk/entries/R106"
    page = signed_in_page(browser, server, "tanaka", path)
    page.locator("#p-text").fill("燃えるごみの日を知りたい")
    page.context.clear_cookies()
    page.get_by_role("button", name="言い換えを加えた下書きを作る").click()
    refused_unsaved(page, server, path)
    sign_in(page, "tanaka")
    assert page.locator("#p-text").input_value() == "燃えるごみの日を知りたい"
    page.get_by_role("button", name="言い換えを加えた下書きを作る").click()  # signed in: received
    page.wait_for_load_state()
    assert "done=paraphrase" in page.url and kept(page) is None
    page.goto(server + path)
    assert restored(page).count() == 0 and page.locator("#p-text").input_value() == ""
    # the session ends again and a form with nothing typed is refused: nothing old comes back either
    page.context.clear_cookies()
    page.get_by_role("button", name="却下").click()
    page.wait_for_url(f"{server}/desk/login?*unsent=1")
    sign_in(page, "tanaka")
    assert page.url == server + path
    assert restored(page).count() == 0 and page.locator("#p-text").input_value() == ""
    page.context.close()


def test_what_one_user_typed_is_not_shown_to_the_next_one_signing_in(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    path = "/desk/entries/R107"
    page = signed_in_page(browser, server, "tanaka", path)
    answer = page.locator("#e-answer").input_value()
    page.locator("#e-answer").fill("田中が書きかけた回答")
    page.context.clear_cookies()
    page.get_by_role("button", name="下書きを保存").click()
    refused_unsaved(page, server, path)
    sign_in(page, "yamada")  # someone else at the same PC, in the same tab
    assert page.url == server + path
    assert restored(page).count() == 0 and page.locator("#e-answer").input_value() == answer
    assert kept(page) is None
    page.context.close()


def test_text_kept_more_than_two_hours_is_dropped_not_put_back(browser, server: str) -> None:  # type: ignore[no-untyped-def]
    path = "/desk/entries/R108"
    page = signed_in_page(browser, server, "tanaka", path)
    page.locator("#p-text").fill("テレビの捨て方")
    page.context.clear_cookies()
    page.get_by_role("button", name="言い換えを加えた下書きを作る").click()
    refused_unsaved(page, server, path)
    page.evaluate(f"""() => {{ const kept = JSON.parse(sessionStorage.getItem('{KEY}'));
        kept.at = Date.now() - 2 * 3600 * 1000 - 60000;  // typed two hours and a minute ago
        sessionStorage.setItem('{KEY}', JSON.stringify(kept)); }}""")
    sign_in(page, "tanaka")
    assert page.url == server + path
    assert restored(page).count() == 0 and page.locator("#p-text").input_value() == ""
    assert kept(page) is None
    page.context.close()
