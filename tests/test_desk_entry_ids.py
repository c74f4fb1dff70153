"""A city's FAQ numbers may hold any character: 「税務/001」 had no desk page (404), and a link to 「R#2」
from the quality page led to 「R」. Through the desk, signed in, on a city whose table uses such numbers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from channels.cli.app import app as cli
from channels.server import create_app
from knowledge.core.settings import Settings
from testing.desk import add_user, csrf_of, signed_in

pytestmark = pytest.mark.integration

TABLE = ("id,question,answer,department\n"
         "税務/001,市税はどこで納められますか。,納付書があれば銀行やコンビニで納められます。,納税課\n"
         "R#2,犬の登録はどこでできますか。,犬の登録は環境課で受け付けています。,環境課\n")
SLASHED, HASHED = "/desk/entries/%E7%A8%8E%E5%8B%99%2F001", "/desk/entries/R%232"


@pytest.fixture(scope="module")
def desk(model_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    folder = tmp_path_factory.mktemp("entry-ids")
    (folder / "city").mkdir()
    (folder / "city" / "faq.csv").write_text(TABLE, encoding="utf-8")
    built = CliRunner().invoke(cli, ["index", "build", str(folder / "city"),
                                     "--index-dir", str(folder / "index")],
                               env={"MADOGUCHI_DATA_DIR": str(model_cache)})
    assert built.exit_code == 0, built.output
    url = f"sqlite:///{folder / 'store.db'}"
    application = create_app(Settings(data_dir=model_cache, index_dir=folder / "index", database_url=url))
    with TestClient(application):
        add_user(url, model_cache, "editor1", "editor")
        yield application


def test_an_entry_whose_number_holds_a_slash_has_its_page_and_takes_a_paraphrase(desk: object) -> None:
    editor = signed_in(desk, "editor1")
    page = editor.get(SLASHED)
    assert page.status_code == 200 and "市税はどこで納められますか。" in page.text
    form = {"text": "税金 払う場所", "csrf": csrf_of(editor, SLASHED)}
    added = editor.post(f"{SLASHED}/paraphrases", data=form, follow_redirects=False)
    assert added.status_code == 303 and added.headers["location"].startswith(SLASHED + "?")
    assert "税金 払う場所" in editor.get(SLASHED).text


def test_the_quality_page_links_each_entry_by_its_whole_number(desk: object) -> None:
    page = signed_in(desk, "editor1").get("/desk/health").text
    assert f'href="{SLASHED}"' in page and f'href="{HASHED}"' in page


def test_the_list_address_with_a_slash_is_the_list(desk: object) -> None:
    list_with_a_slash = signed_in(desk, "editor1").get("/desk/entries/", follow_redirects=False)
    assert list_with_a_slash.status_code == 303 and list_with_a_slash.headers["location"] == "/desk/entries"
