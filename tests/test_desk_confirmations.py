"""「公開を終了する」 and 「版 N に戻す」 change what residents get at once, so the desk asks first: the
first POST shows what would happen and changes nothing (no new version, no publish); only the confirmation
page's button (`confirmed=1`) acts. An action the store would refuse is refused before asking, with the
same reason.

Publishing is recorded instead of run: these tests are about what the desk decides and asks for, and a real
rebuild per decision would only make them slow (tests/test_promote_browser.py publishes for real)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.service.publisher import Publisher
from channels.server import create_app
from knowledge.core.settings import Settings
from testing.desk import add_user, csrf_of, form_of, signed_in

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def desk(sample_index_dir: Path, model_cache: Path,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """The sample city with a desk and one editor; every publish the desk asks for is recorded."""
    url = f"sqlite:///{tmp_path_factory.mktemp('confirmations') / 'store.db'}"
    settings = Settings(data_dir=model_cache, index_dir=sample_index_dir, database_url=url,
                        index_poll_seconds=0, rate_per_session=1000, rate_per_address=10_000)
    application = create_app(settings)
    requested: list[str] = []
    with pytest.MonkeyPatch.context() as patch, TestClient(application):
        patch.setattr(Publisher, "request", lambda self, reason: requested.append(reason))
        application.state.publishes = requested  # type: ignore[attr-defined]
        add_user(url, model_cache, "editor1", "editor")
        yield application


def publishes(app: object) -> list[str]:
    return app.state.publishes  # type: ignore[attr-defined, no-any-return]


def versions(app: object, entry_id: str) -> list[tuple[int, str, str]]:
    """The entry's history as (version, status, answer), oldest first."""
    history = app.state.madoguchi.desk.entries.history(entry_id)  # type: ignore[attr-defined]
    return [(v.version, str(v.status), v.answer) for v in history]


def approved(editor: TestClient, path: str, answer: str) -> None:
    """Save the entry form with this answer, then approve it (a new live version)."""
    assert editor.post(path, data=form_of(editor, path) | {"answer": answer}).status_code == 303
    assert editor.post(f"{path}/approve", data={"csrf": csrf_of(editor, path)}).status_code == 303


def confirm_form(html: str, action: str) -> str:
    """The confirmation page's form posting to `action` with confirmed=1 (empty when there is none)."""
    found = re.search(rf'<form method="post" action="{re.escape(action)}"[^>]*>.*?</form>', html, re.S)
    return found.group(0) if found and 'name="confirmed" value="1"' in found.group(0) else ""


def assert_plain_desk_page(html: str) -> None:
    """The desk's CSP allows no inline script or style; every button has its own name."""
    assert not re.search(r"\sstyle=", html) and not re.search(r"<script(?![^>]*\ssrc=)", html)
    buttons = [re.sub(r"\s+", " ", b).strip() for b in re.findall(r"<button[^>]*>(.*?)</button>", html, re.S)]
    assert len(buttons) == len(set(buttons)), buttons


def test_retiring_an_entry_asks_first_and_changes_nothing_until_confirmed(desk: object) -> None:
    editor = signed_in(desk, "editor1")
    path = "/desk/entries/R107"
    approved(editor, path, "持ち込みは平日の午前9時から午後4時までです。")
    question = form_of(editor, path)["question"]
    assert editor.post(path, data=form_of(editor, path) | {"answer": "下書きの回答です。"}).status_code == 303
    before, requested = versions(desk, "R107"), len(publishes(desk))

    asked = editor.post(f"{path}/retire", data={"csrf": csrf_of(editor, path)})
    assert asked.status_code == 200, asked.text
    assert f"FAQ R107「{question}」で答えるのをやめます" in asked.text
    assert "ボットはこの FAQ を使わなくなります" in asked.text and "履歴から元に戻せます" in asked.text
    assert f"下書き（版 {before[-1][0]}）は消えずに残ります" in asked.text
    form = confirm_form(asked.text, f"{path}/retire")
    assert ">公開を終了する</button>" in form and 'name="csrf"' in form
    assert f'<a href="{path}">やめる（FAQ R107 に戻る）</a>' in asked.text
    assert_plain_desk_page(asked.text)
    assert versions(desk, "R107") == before and len(publishes(desk)) == requested
    assert "公開中</span>" in editor.get(path).text, "still live"
    # where signing in again leads when the confirmation was sent after the session ended
    again = editor.get(f"{path}/retire")
    assert again.status_code == 200 and confirm_form(again.text, f"{path}/retire")
    assert versions(desk, "R107") == before and len(publishes(desk)) == requested

    done = editor.post(f"{path}/retire", data={"csrf": csrf_of(editor, path), "confirmed": "1"})
    assert done.status_code == 303 and "?published=" in done.headers["location"]
    assert versions(desk, "R107")[-1][1] == "retired" and len(publishes(desk)) == requested + 1
    assert [v for v in versions(desk, "R107") if v[1] == "draft"], "the draft stays"


def test_rolling_back_shows_the_version_that_would_go_live(desk: object) -> None:
    editor = signed_in(desk, "editor1")
    path = "/desk/entries/R108"
    first, second = "家電4品目は買った店に引き取りを頼んでください。", "家電4品目は市では収集しません。"
    approved(editor, path, first)
    approved(editor, path, second)
    before, requested = versions(desk, "R108"), len(publishes(desk))
    old = next(number for number, status, answer in before if answer == first)

    asked = editor.post(f"{path}/rollback/{old}", data={"csrf": csrf_of(editor, path)})
    assert asked.status_code == 200, asked.text
    after = re.search(r'<section aria-labelledby="after-heading">.*?</section>', asked.text, re.S)
    now = re.search(r'<section aria-labelledby="now-heading">.*?</section>', asked.text, re.S)
    assert after and f"版 {old} の内容" in after.group(0) and first in after.group(0)
    assert now and second in now.group(0) and first not in now.group(0)
    assert "住民には" in asked.text
    assert f">版 {old} に戻す</button>" in confirm_form(asked.text, f"{path}/rollback/{old}")
    assert f'<a href="{path}">やめる（FAQ R108 に戻る）</a>' in asked.text
    assert_plain_desk_page(asked.text)
    assert versions(desk, "R108") == before and len(publishes(desk)) == requested

    done = editor.post(f"{path}/rollback/{old}", data={"csrf": csrf_of(editor, path), "confirmed": "1"})
    assert done.status_code == 303 and "?published=" in done.headers["location"]
    newest = versions(desk, "R108")[-1]
    assert newest[0] > before[-1][0] and newest[1:] == ("approved", first)
    assert len(publishes(desk)) == requested + 1


def test_an_action_the_store_would_refuse_is_refused_before_asking(desk: object) -> None:
    editor = signed_in(desk, "editor1")
    path = "/desk/entries/R109"
    approved(editor, path, "パソコンは回収ボックスに出せます。")
    approved(editor, path, "パソコンは認定事業者の宅配回収を使ってください。")
    assert editor.post(path, data=form_of(editor, path) | {"answer": "下書き"}).status_code == 303
    before, requested = versions(desk, "R109"), len(publishes(desk))
    (old, _, _), (live, _, _), (draft, _, _) = before
    csrf = csrf_of(editor, path)

    def sent(target: str, **fields: str):  # type: ignore[no-untyped-def]
        return editor.post(target, data={"csrf": csrf, **fields})

    assert sent(f"{path}/rollback/{old}").status_code == 200, "an approved earlier version is asked about"
    nowhere = "/desk/entries/no-such-entry"
    refusals = {f"{path}/rollback/{live}": (409, f"版 {live} はすでに公開中です。"),
                f"{path}/rollback/{draft}": (404, f"FAQ R109 に承認済みの版 {draft} はありません。"),
                f"{path}/rollback/99": (404, "FAQ R109 に承認済みの版 99 はありません。"),
                "/desk/entries/R110/retire": (409, "FAQ R110 は公開されていません。"),
                f"{nowhere}/rollback/1": (404, "FAQ no-such-entry に承認済みの版 1 はありません。"),
                f"{nowhere}/retire": (404, "FAQ no-such-entry はありません")}
    for target, (status, reason) in refusals.items():
        asked, confirmed = sent(target), sent(target, confirmed="1")
        assert (asked.status_code, confirmed.status_code) == (status, status), target
        assert reason in asked.text and reason in confirmed.text, (target, asked.text)
        assert 'name="confirmed"' not in asked.text and "<title>" in asked.text, target
    assert versions(desk, "R109") == before and len(publishes(desk)) == requested
