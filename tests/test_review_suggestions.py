"""The review page's suggestions, through the desk: a question goes only to an entry it names, and a
cluster an entry now answers asks for nothing more."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from channels.server import create_app
from indexer.store import IndexStore
from knowledge.core.settings import Settings
from testing.desk import add_user, csrf_of, form_of, sign_in, visitor
from testing.live_index import copy_index

pytestmark = pytest.mark.integration

# the bot offers びん・缶・ペットボトル (R112) first: both say どうやって出す
SODAIGOMI = "粗大ごみってどうやって出すの"
DRONE = "公園でドローンを飛ばしてもいいですか"


@pytest.fixture(scope="module")
def desk(sample_index_dir: Path, tmp_path_factory: pytest.TempPathFactory,
         model_cache: Path) -> Iterator[object]:
    folder = tmp_path_factory.mktemp("review-suggestions")
    url = f"sqlite:///{folder / 'store.db'}"
    settings = Settings(data_dir=model_cache, index_dir=copy_index(sample_index_dir, folder / "index"),
                        database_url=url, index_poll_seconds=0.2)
    application = create_app(settings)
    with TestClient(application) as resident:
        add_user(url, model_cache, "editor1", "editor")
        for n, text in enumerate((SODAIGOMI, DRONE)):
            asked = resident.post("/api/v1/ask", json={"text": text, "session_id": f"review-{n}"})
            assert asked.status_code == 200 and asked.json()["decision"] != "answer", asked.text
        yield application


def section_of(page: str, question: str) -> str:
    """The review cluster whose heading quotes the question."""
    sections = re.findall(r'<section class="cluster".*?</section>', page, re.S)
    found = [s for s in sections if question in html.unescape(s)]
    assert len(found) == 1, page
    return html.unescape(found[0])


def publish(desk: object, editor: TestClient, path: str) -> None:
    """Approve the open draft of an entry and wait until the bot answers with the new version."""
    approved = editor.post(f"{path}/approve", data={"csrf": csrf_of(editor, path)})
    assert approved.status_code == 303, approved.text
    publisher = desk.state.desk.publisher  # type: ignore[attr-defined]
    assert publisher.wait(120) and not publisher.state.error
    context = desk.state.madoguchi  # type: ignore[attr-defined]
    bot, live = context.bot, IndexStore(context.settings.index_dir)
    for _ in range(100):
        if bot.runtime.index.manifest.get("version") == live.current_version():
            return
        time.sleep(0.1)
    raise AssertionError("the bot never swapped the published index in")


def test_a_question_is_suggested_only_as_a_paraphrase_of_an_entry_it_names_and_not_once_answered(
        desk: object) -> None:
    editor = visitor(desk)
    assert sign_in(editor, "editor1").status_code == 303
    cluster = section_of(editor.get("/desk/review").text, SODAIGOMI)
    assert "/desk/entries/R112/paraphrases" not in cluster and "R112「" not in cluster.split("<ul")[0]
    assert 'action="/desk/entries/R105/paraphrases"' in cluster
    added = editor.post("/desk/entries/R105/paraphrases", data={"csrf": csrf_of(editor, "/desk/review"),
                                                                 "text": SODAIGOMI})
    assert added.status_code == 303
    publish(desk, editor, "/desk/entries/R105")
    cluster = section_of(editor.get("/desk/review").text, SODAIGOMI)
    assert "対応済み" in cluster and "R105「" in cluster
    assert "/paraphrases" not in cluster and "/desk/entries/new" not in cluster


def test_a_cluster_stops_asking_for_a_new_entry_once_a_published_one_answers_it(desk: object) -> None:
    editor = visitor(desk)
    assert sign_in(editor, "editor1").status_code == 303
    cluster = section_of(editor.get("/desk/review").text, DRONE)
    assert 'action="/desk/entries/new"' in cluster and "対応済み" not in cluster
    token = csrf_of(editor, "/desk/entries")
    made = editor.post("/desk/entries/new", data={"csrf": token, "question": DRONE})
    path = made.headers["location"].split("?")[0]
    form = {**form_of(editor, path),
            "answer": "市の公園では、ドローンを飛ばすことはできません。公園緑地課にご相談ください。"}
    assert editor.post(path, data=form).status_code == 303
    publish(desk, editor, path)
    cluster = section_of(editor.get("/desk/review").text, DRONE)
    assert "対応済み" in cluster and path.rsplit("/", 1)[1] in cluster and "/desk/entries/new" not in cluster

