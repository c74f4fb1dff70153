"""What an entry's page says about publishing once the served index was chosen by hand: after
`madoguchi index use` put back an index without the editor's decision, the page says so and stops
refreshing, instead of 「公開中…」 for ever."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, update

from bot.store.tables import EntryVersion, utcnow
from channels.server import create_app
from indexer.store import IndexStore
from knowledge.core.settings import Settings
from testing.desk import add_user, csrf_of, form_of, signed_in
from testing.live_index import copy_index, wait_for

pytestmark = pytest.mark.integration
PATH = "/desk/entries/R105"


@pytest.fixture(scope="module")
def served(sample_index_dir: Path, model_cache: Path,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, str, Path]]:
    folder = tmp_path_factory.mktemp("publication-state")
    index_dir = copy_index(sample_index_dir, folder / "index")
    url = f"sqlite:///{folder / 'store.db'}"
    settings = Settings(data_dir=model_cache, index_dir=index_dir, database_url=url, index_poll_seconds=0.2)
    application = create_app(settings)
    with TestClient(application):
        add_user(url, model_cache, "editor1", "editor")
        yield application, url, index_dir


def state_of(page: str) -> str:
    return page.split('id="publication" data-state="')[1].split('"')[0]


def test_an_index_put_back_by_hand_is_named_not_published_for_ever(served: tuple[object, str, Path]) -> None:
    app, url, index_dir = served
    before = IndexStore(index_dir).current_version()
    editor = signed_in(app, "editor1")
    edited = form_of(editor, PATH) | {"answer": "予約してから出してください。"}
    assert editor.post(PATH, data=edited).status_code == 303
    assert editor.post(f"{PATH}/approve", data={"csrf": csrf_of(editor, PATH)}).status_code == 303
    wait_for(lambda: state_of(editor.get(PATH).text) == "live")
    assert IndexStore(index_dir).pointer.history(1)[0].note == "desk: R105 by editor1"  # `index history`: why
    IndexStore(index_dir).activate(before, "put back by hand")
    wait_for(lambda: app.state.madoguchi.index.manifest["version"] == before)  # type: ignore[attr-defined]
    assert state_of(editor.get(PATH).text) == "publishing", "just decided: a publish may be on its way"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(update(EntryVersion).values(approved_at=utcnow() - timedelta(hours=1),
                                                       created_at=utcnow() - timedelta(hours=1)))
    engine.dispose()
    page = editor.get(PATH).text
    assert state_of(page) == "behind" and before in page and "madoguchi index use" in page
    assert 'http-equiv="refresh"' not in page


def published(editor: TestClient, path: str, **changed: str) -> None:
    """Save the entry form with these fields changed, approve it, and wait until the bot serves it."""
    assert editor.post(path, data=form_of(editor, path) | changed).status_code == 303
    assert editor.post(f"{path}/approve", data={"csrf": csrf_of(editor, path)}).status_code == 303
    wait_for(lambda: state_of(editor.get(path).text) == "live")


def test_translations_stay_while_the_text_they_translate_does(served: tuple[object, str, Path]) -> None:
    """The desk edits no translations: a new department keeps them; a new answer leaves them out, so no
    resident is told the old text in English (「10点まで」 after the desk wrote 5)."""
    app, _, _ = served
    path, editor = "/desk/entries/R001", signed_in(app, "editor1")
    assert "英語" in editor.get(path).text.split('id="translations-note"')[1].split("</p>")[0]

    def answered_in() -> list[str]:
        """The languages the served index can answer R001 in (what the bot reads for a foreign question)."""
        return [code for code, _, _ in app.state.madoguchi.index.by_id["R001"].translations]  # type: ignore[attr-defined]

    assert "en" in answered_in()
    published(editor, path, department="市民課 窓口係")
    assert "en" in answered_in()
    published(editor, path, answer="転入届は、引っ越してから14日以内に市民課へ出してください"
                                   "（窓口の案内を改めました）。")
    assert answered_in() == []
