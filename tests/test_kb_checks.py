"""What an FAQ row may hold before it reaches the database: links residents can safely open, and text that
fits the columns, checked at the desk form, the desk's import page and `madoguchi kb import`, on SQLite
and PostgreSQL (where an over-long value used to be answered as a database outage)."""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bot.store import ConversationStore
from bot.store.entries import EntryStore
from channels.cli.app import app as cli_app
from channels.server import create_app
from indexer.store import IndexStore
from knowledge.core.settings import Settings
from testing.database import store_url  # noqa: F401 (fixture: an SQLite file, then a PostgreSQL schema)
from testing.desk import add_user, csrf_of, form_of, sign_in, visitor

pytestmark = pytest.mark.integration

HEADER = "番号,質問,回答,担当課,公開範囲,参照URL\n"
BAD_ROWS = (f"LONG1,長い担当課,回答,{'課' * 300},住民,\n"
            f"{'L' * 200},長い番号,回答,市民課,住民,\n"
            "JS1,リンクが罠,回答,市民課,住民,javascript:alert(document.domain)\n"
            "DATA1,データのリンク,回答,市民課,住民,data:text/html;base64,PHNjcmlwdD4=\n")
EXPECTED = [("2 行目", "担当課", "200 文字まで"), ("3 行目", "番号", "128 文字まで")]
DROPPED_LINKS = [("4 行目", "参照URL", "使えるリンクは http, https, tel, mailto だけです"),
                 ("5 行目", "参照URL", "使えるリンクは http, https, tel, mailto だけです")]


@pytest.fixture(scope="module")
def index_dir(sample_index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The live sample version in a folder of its own, so publishing touches no other test."""
    target = tmp_path_factory.mktemp("kb-checks-index")
    live = IndexStore(sample_index_dir).current_version()
    shutil.copytree(sample_index_dir / "versions" / live, target / "versions" / live)
    (target / "CURRENT").write_text(live + "\n", encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def desk(index_dir: Path, store_url: str, model_cache: Path) -> Iterator[object]:
    settings = Settings(data_dir=model_cache, index_dir=index_dir, database_url=store_url,
                        index_poll_seconds=0)
    application = create_app(settings)
    with TestClient(application):
        add_user(store_url, model_cache, "editor1", "editor")
        yield application


def problem_rows(page: str) -> list[tuple[str, str, str]]:
    """(where, column, message) of each row of the import page's problem table."""
    cells = re.findall(r"<tr><td>誤り</td><td>[^<]*</td><td>([^<]*)</td>\s*"
                       r"<td>([^<]*)</td><td>([^<]*)</td></tr>", page)
    return [(where, column, html.unescape(message)) for where, column, message in cells]


def test_desk_import_reports_long_fields_and_unsafe_links_by_row_and_keeps_the_good_rows_without_bad_links(
        desk: object, store_url: str) -> None:
    editor = visitor(desk)
    sign_in(editor, "editor1")
    upload = HEADER + BAD_ROWS + "GOOD1,粗大ごみの予約は,電話で予約します。,ごみ減量推進課,住民,https://example.jp/gomi\n"
    sent = editor.post("/desk/kb/import", data={"csrf": csrf_of(editor, "/desk/kb")},
                       files={"file": ("直したFAQ.csv", upload.encode("utf-8"), "text/csv")})
    assert sent.status_code == 200, sent.text
    assert "3 件を追加・変更" in sent.text and "直したFAQ.csv" in sent.text
    assert sent.text.count("この行はリンクなしで読み込みます") == 2
    found = sorted(problem_rows(sent.text))
    assert [(where, column) for where, column, _ in found] == [(w, c) for w, c, _ in EXPECTED]
    assert all(expected in message
               for (_, _, message), (_, _, expected) in zip(found, EXPECTED, strict=True)), found
    live = {r.id: r.url for r in EntryStore(ConversationStore(store_url)).live_records()}
    assert live == {"GOOD1": "https://example.jp/gomi", "JS1": "", "DATA1": ""}
    publisher = desk.state.desk.publisher  # type: ignore[attr-defined]
    assert publisher.wait(120) and not publisher.state.error


def test_cli_import_reports_long_fields_and_unsafe_links_by_row(store_url: str, index_dir: Path,
                                                                tmp_path: Path,
                                                                 cli: CliRunner) -> None:
    (tmp_path / "faq.csv").write_text(HEADER + BAD_ROWS, encoding="utf-8")
    result = cli.invoke(cli_app, ["kb", "import", str(tmp_path / "faq.csv"), "--index-dir", str(index_dir)],
                        env={"MADOGUCHI_DATABASE_URL": store_url, "COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    assert re.search(r"^(2 entries added or changed|0 entries added or changed, 2 unchanged)", result.output,
                     re.MULTILINE), result.output  # the desk's import may have added them already
    for where, column, message in EXPECTED + DROPPED_LINKS:
        found = re.search(rf"faq\.csv\s*│\s*{where}\s*│\s*{column}\s*│[^│\n]*{message}", result.output)
        assert found, (where, result.output)


def test_desk_form_refuses_a_script_link_in_japanese_and_keeps_what_was_typed(desk: object) -> None:
    editor = visitor(desk)
    sign_in(editor, "editor1")
    made = editor.post("/desk/entries/new",
                       data={"csrf": csrf_of(editor, "/desk/entries"), "question": "犬の登録は？"})
    path = made.headers["location"].split("?")[0]
    form = {**form_of(editor, path), "answer": "保健所で登録します。",
            "url": "javascript:alert(document.domain)"}
    refused = editor.post(path, data=form)
    assert refused.status_code == 400
    assert "参照URLは http・https・tel・mailto のリンクだけ使えます" in html.unescape(refused.text)
    assert "保健所で登録します。" in refused.text, "what the person typed is kept"
    for link in ("data:text/html,<b>x</b>", "vbscript:msgbox(1)", "/relative/page.html"):
        assert editor.post(path, data={**form, "url": link}).status_code == 400, link
    for link in ("https://www.city.minato.example.jp/", "tel:03-1234-5678", "mailto:info@example.jp"):
        opened = form_of(editor, path)["seen"]  # each save is made from the page as it is now
        assert editor.post(path, data={**form, "seen": opened, "url": link}).status_code == 303, link
