"""The whole knowledge base out to Excel/CSV and back in, through `madoguchi kb` and the desk's pages."""

from __future__ import annotations

import csv
import getpass
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

from bot.store import ConversationStore
from bot.store.entries import EntryStore
from bot.store.entry_fields import EntryFields
from bot.store.tables import AuditEntry
from channels.cli.app import app as cli_app
from channels.server import create_app
from indexer.index import load_index
from indexer.store import IndexStore
from knowledge.core.settings import SAMPLE_CITY, Settings
from knowledge.export import PASSAGE_SHEET
from knowledge.records import Record
from knowledge.sources import load_sources
from testing.desk import add_user, csrf_of, form_of, sign_in, visitor
from testing.live_index import copy_index

pytestmark = pytest.mark.integration

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def comparable(records: list[Record]) -> list[Record]:
    """FAQ records without where they were read from (an export moves them to another file)."""
    return [replace(r, source="", location="") for r in records if r.kind == "faq"]


def export(cli: CliRunner, tmp_path: Path, fmt: str, env: dict[str, str] | None = None) -> Path:
    out = tmp_path / f"kb.{fmt}"
    result = cli.invoke(cli_app, ["kb", "export", "--format", fmt, "--out", str(out)], env=env or {})
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_of_the_sample_city_loads_back_as_the_same_records(cli: CliRunner, tmp_path: Path,
                                                                  fmt: str) -> None:
    original = load_sources([SAMPLE_CITY])
    back = load_sources([export(cli, tmp_path, fmt)])
    assert not [p for p in back.problems if p.severity == "error"], back.problems
    assert comparable(back.records) == comparable(original.records)
    assert len(comparable(back.records)) == 235


def test_an_export_names_the_rows_it_left_out_because_they_cannot_be_read(cli: CliRunner,
                                                                          tmp_path: Path) -> None:
    table = tmp_path / "city.csv"
    table.write_text("id,question,answer\nK1,犬の登録は,保健所でできます。\nK2,空の回答,\n", encoding="utf-8")
    out = tmp_path / "kb.csv"
    result = cli.invoke(cli_app, ["kb", "export", "--format", "csv", "--out", str(out)],
                        env={"MADOGUCHI_SOURCES": json.dumps([str(table)])})
    assert result.exit_code == 0, result.output
    assert "1 FAQ rows" in result.output and "1 row(s) of the city's files could not be read" in result.output
    assert "3 行目" in result.output


def test_xlsx_lists_passages_on_a_protected_second_sheet_that_loading_ignores(
        cli: CliRunner, tmp_path: Path) -> None:
    workbook = load_workbook(export(cli, tmp_path, "xlsx"), read_only=False)
    faq, passages = workbook.worksheets
    assert faq.title == "FAQ" and passages.title == PASSAGE_SHEET and passages.protection.sheet
    assert [c.value for c in faq[1]][:4] == ["番号", "質問", "回答", "言い換え"]
    assert passages.max_row - 1 == sum(r.kind == "passage" for r in load_sources([SAMPLE_CITY]).records) == 45


def test_cells_that_look_like_formulas_stay_text_and_round_trip(cli: CliRunner, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    entries = EntryStore(ConversationStore(url).migrate())
    made = entries.new_entry(EntryFields("=1+1 と書いたら？", '=HYPERLINK("http://evil.example","click")',
                                         ("+81 の番号", "@メンション")), "editor1")
    entries.approve(made.entry_id, "editor1")
    env = {"MADOGUCHI_DATABASE_URL": url}
    xlsx, csv_file = export(cli, tmp_path, "xlsx", env), export(cli, tmp_path, "csv", env)
    row = next(r for r in load_workbook(xlsx).worksheets[0].iter_rows() if r[0].value == made.entry_id)
    assert all(cell.data_type == "s"
               for cell in row[:4]), "a text cell written as a formula would run in Excel"
    raw = next(r for r in csv.reader(csv_file.open(encoding="utf-8-sig")) if r[0] == made.entry_id)
    assert raw[1].startswith("'=") and raw[2].startswith("'=")
    result = cli.invoke(cli_app, ["kb", "import", str(csv_file), "--index-dir", str(tmp_path / "index")],
                        env=env)
    assert result.exit_code == 0, result.output
    assert "0 entries added or changed" in result.output, "the quote must come off again on import"


def test_import_versions_new_and_changed_rows_reports_bad_ones_and_publishes(
        cli: CliRunner, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    env = {"MADOGUCHI_DATABASE_URL": url}
    rows = list(csv.reader(export(cli, tmp_path, "csv", env).open(encoding="utf-8-sig")))
    changed_id = rows[1][0]
    rows[1][2] = "窓口で直した回答です。"
    rows.append(["N100", "猫が迷子になりました。", "生活環境課に連絡してください。", "", "", "生活環境課", "",
                 "", "住民", "", "", ""])
    rows.append(["N101", "", "質問のない行", "", "", "", "", "", "住民", "", "", ""])
    rows.append(["N102", "日付が逆の行", "回答", "", "", "", "", "", "住民", "2027-05-01", "2027-04-01", ""])
    edited = tmp_path / "edited.csv"
    with edited.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)
    result = cli.invoke(cli_app, ["kb", "import", str(edited), "--index-dir", str(tmp_path / "index")],
                        env=env)
    assert result.exit_code == 0, result.output
    assert "2 entries added or changed, 234 unchanged" in result.output
    assert re.search(r"2\d\d\s+行目.*質問", result.output) and "公開終了日" in result.output
    store = ConversationStore(url)
    live = {r.id: r for r in EntryStore(store).live_records()}
    assert live[changed_id].answer == "窓口で直した回答です。" and live["N100"].department == "生活環境課"
    with store.session() as session:
        actors = {a.actor
                  for a in session.scalars(select(AuditEntry).where(AuditEntry.action == "entry.import"))}
    assert actors == {f"cli:{getpass.getuser()}"}
    index = IndexStore(tmp_path / "index")
    manifest = index.manifest()
    assert load_index(index, manifest["model"], manifest["tokenizer"]).by_id["N100"].source == "desk"
    rebuilt = cli.invoke(cli_app, ["index", "build", "--index-dir", str(tmp_path / "index")],
                         env=env | {"COLUMNS": "400"})
    assert rebuilt.exit_code == 0, rebuilt.output
    overridden = f"{changed_id} は窓口で承認した版で答えています。この行の回答は答えに使いません"
    assert overridden in rebuilt.output, "the city's own row that the desk's version overrides is named"
    assert "N100 は窓口" not in rebuilt.output and rebuilt.output.count("窓口で承認した版") == 1


def test_an_import_names_the_rows_of_the_citys_own_files_the_publish_left_out(cli: CliRunner,
                                                                               tmp_path: Path) -> None:
    """An import publishes the city's files too; a row of theirs that cannot be read was left out of the
    version that went live without a word."""
    city = tmp_path / "city"
    city.mkdir()
    (city / "faq.csv").write_text("番号,質問,回答\nT1,ごみの日は？,月曜です。\nT2,粗大ごみは？,\n",
                                  encoding="utf-8")
    (tmp_path / "new.csv").write_text("番号,質問,回答\nT3,犬の登録は？,30日以内にどうぞ。\n",
                                      encoding="utf-8")
    env = {"MADOGUCHI_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
           "MADOGUCHI_SOURCES": f'["{city}"]', "COLUMNS": "300"}
    result = cli.invoke(cli_app, ["kb", "import", str(tmp_path / "new.csv"),
                                  "--index-dir", str(tmp_path / "i")], env=env)
    assert result.exit_code == 0, result.output
    assert "have rows that were left out" in result.output
    assert re.search(r"faq\.csv\s*│\s*3 行目\s*│\s*回答", result.output), result.output


@pytest.fixture(scope="module")
def desk(sample_index_dir: Path, tmp_path_factory: pytest.TempPathFactory,
         model_cache: Path) -> Iterator[object]:
    folder = tmp_path_factory.mktemp("kb-desk")
    url = f"sqlite:///{folder / 'store.db'}"
    index_dir = copy_index(sample_index_dir, folder / "index")
    settings = Settings(data_dir=model_cache, index_dir=index_dir, database_url=url, index_poll_seconds=0)
    application = create_app(settings)
    with TestClient(application):
        add_user(url, model_cache, "editor1", "editor")
        add_user(url, model_cache, "agent1", "agent")
        yield application


def test_editors_download_and_upload_the_knowledge_base_in_the_desk(desk: object, tmp_path: Path) -> None:
    editor = visitor(desk)
    assert sign_in(editor, "editor1").status_code == 303
    download = editor.get("/desk/kb/export.xlsx")
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
    (tmp_path / "kb.xlsx").write_bytes(download.content)
    assert len(comparable(load_sources([tmp_path / "kb.xlsx"]).records)) == 235
    assert editor.get("/desk/kb/export.csv").content.startswith("\ufeff番号".encode())
    upload = ("番号,質問,回答,公開範囲\nN200,粗大ごみシールはどこで買えますか,市内のコンビニで買えます。"
              ",住民\nN201,,空,住民\n")
    token = CSRF.search(editor.get("/desk/kb").text).group(1)  # type: ignore[union-attr]
    page = editor.post("/desk/kb/import", data={"csrf": token},
                       files={"file": ("直したFAQ.csv", upload.encode("utf-8"), "text/csv")})
    assert page.status_code == 200, page.text
    assert "1 件を追加・変更" in page.text and "直したFAQ.csv" in page.text and "3 行目" in page.text
    publisher = desk.state.desk.publisher  # type: ignore[attr-defined]
    assert publisher.wait(120) and publisher.state.published >= 1 and not publisher.state.error


SENT = re.compile(r'name="sent" value="([^"]+)"')


def test_a_reloaded_import_page_does_not_put_the_file_back_over_a_newer_approval(desk: object) -> None:
    """A browser's reload sends the upload form again: refused, so a colleague's newer version stays."""
    editor = visitor(desk)
    sign_in(editor, "editor1")
    kb_page = editor.get("/desk/kb").text
    csrf, sent = CSRF.search(kb_page), SENT.search(kb_page)
    assert csrf and sent
    form = {"csrf": csrf.group(1), "sent": sent.group(1)}
    table = "番号,質問,回答,公開範囲\nN400,古紙の日は,毎週水曜日です。,住民\n"
    upload = {"file": ("古紙.csv", table.encode(), "text/csv")}
    assert "1 件を追加・変更" in editor.post("/desk/kb/import", data=form, files=upload).text
    path = "/desk/entries/N400"
    changed = {**form_of(editor, path), "answer": "毎週木曜日に変わりました。"}
    assert editor.post(path, data=changed).status_code == 303
    assert editor.post(f"{path}/approve", data={"csrf": csrf_of(editor, path)}).status_code == 303
    again = editor.post("/desk/kb/import", data=form, files=upload)
    assert again.status_code == 409 and "すでに読み込みました" in again.text
    assert form_of(editor, path)["answer"] == "毎週木曜日に変わりました。"


def test_a_desk_publish_builds_with_the_bots_own_model_while_residents_keep_asking(desk: object) -> None:
    editor, resident = visitor(desk), TestClient(desk)  # type: ignore[arg-type]
    sign_in(editor, "editor1")
    before = resident.post("/api/v1/ask",
                           json={"text": "転入届に必要なものは何ですか"}).json()["answer"]["id"]
    upload = ("番号,質問,回答,公開範囲\nN300,古着はどこに出せますか,古着は毎月第2土曜の拠点回"
              "収に出せます。,住民\n")
    token = CSRF.search(editor.get("/desk/kb").text).group(1)  # type: ignore[union-attr]
    editor.post("/desk/kb/import", data={"csrf": token},
                files={"file": ("古着.csv", upload.encode(), "text/csv")})
    publisher, asked = desk.state.desk.publisher, []  # type: ignore[attr-defined]
    while publisher.state.building and len(asked) < 100:  # the build shares the model, one slice at a time
        reply = resident.post("/api/v1/ask", json={"text": "転入届に必要なものは何ですか"})
        asked.append((reply.status_code, reply.json().get("answer", {}).get("id")))
    assert publisher.wait(120) and not publisher.state.error
    assert publisher._builder.embedder.inner is desk.state.madoguchi.bot.runtime.embedder  # type: ignore[attr-defined]
    assert asked and set(asked) == {(200, before)}, asked


def test_agents_cannot_export_or_import_and_a_form_without_csrf_is_refused(desk: object) -> None:
    agent = visitor(desk)
    sign_in(agent, "agent1")
    assert agent.get("/desk/kb/export.csv").status_code == 403
    editor = visitor(desk)
    sign_in(editor, "editor1")
    refused = editor.post("/desk/kb/import",
                          files={"file": ("x.csv", b"id,question,answer\nZ,q,a\n", "text/csv")})
    assert refused.status_code == 403


def test_agents_write_drafts_but_only_editors_approve(desk: object) -> None:
    agent, editor = visitor(desk), visitor(desk)
    sign_in(agent, "agent1")
    sign_in(editor, "editor1")
    made = agent.post("/desk/entries/new",
                      data={"csrf": csrf_of(agent, "/desk/entries"), "question": "犬の登録は？"})
    assert made.status_code == 303
    path = made.headers["location"].split("?")[0]
    form = {**form_of(agent, path), "answer": "保健所で登録してください。", "valid_from": "2026-13-01"}
    refused = agent.post(path, data=form)
    assert refused.status_code == 400 and "公開開始日は 2026-04-01 の形で" in refused.text
    assert "保健所で登録してください。" in refused.text, "what the person typed is kept"
    assert agent.post(path, data={**form, "valid_from": ""}).status_code == 303
    assert agent.post(f"{path}/approve", data={"csrf": form["csrf"]}).status_code == 403
    assert editor.post(f"{path}/approve", data={}).status_code == 403, "no CSRF token"
    approved = editor.post(f"{path}/approve", data={"csrf": csrf_of(editor, path)})
    assert approved.status_code == 303 and approved.headers["location"].endswith("?published=1")
    assert path.rsplit("/", 1)[1] in editor.get("/desk/entries").text


def test_approving_from_the_entry_form_publishes_what_the_editor_sees(desk: object) -> None:
    """「承認して公開」 sits in the entry form: an edit the editor did not save first is published, not
    lost."""
    editor = visitor(desk)
    sign_in(editor, "editor1")
    made = editor.post("/desk/entries/new",
                       data={"csrf": csrf_of(editor, "/desk/entries"), "question": "古紙の出し方は？"})
    path = made.headers["location"].split("?")[0]
    assert editor.post(path, data={**form_of(editor, path), "answer": "第一版の回答"}).status_code == 303
    edited = {**form_of(editor, path), "answer": "古紙は毎週水曜日に出してください。"}
    approved = editor.post(f"{path}/approve", data=edited)
    assert approved.status_code == 303 and "published=" in approved.headers["location"]
    assert form_of(editor, path)["answer"] == "古紙は毎週水曜日に出してください。"
    assert "第一版の回答" not in editor.get(path).text.split("<h2>履歴</h2>")[0]


def test_a_paraphrase_for_a_file_only_entry_drafts_the_file_content_in_the_desk(desk: object) -> None:
    agent = visitor(desk)
    sign_in(agent, "agent1")
    added = agent.post("/desk/entries/R001/paraphrases", data={"csrf": csrf_of(agent, "/desk/entries/R001"),
                                                              "text": "引っ越しの届けの持ち物"})
    assert added.status_code == 303
    page = agent.get("/desk/entries/R001")
    assert ("<ins>引っ越しの届けの持ち物</ins>（追加）" in page.text
            and "転入届に必要なものは何ですか。" in page.text)
    assert agent.get("/desk/entries/NO-SUCH").status_code == 404


def test_passages_of_documents_cannot_be_turned_into_desk_entries(desk: object) -> None:
    editor = visitor(desk)
    sign_in(editor, "editor1")
    passage = next(r.id for r in load_sources([SAMPLE_CITY]).records if r.kind == "passage")
    form = {"csrf": csrf_of(editor, "/desk/entries"), "question": "上書き", "answer": "上書き"}
    assert editor.post(f"/desk/entries/{quote(passage, safe='')}", data=form).status_code == 404
    assert editor.post(f"/desk/entries/{'x' * 200}", data=form).status_code == 404


def test_easy_answers_of_the_sample_city_survive_export_in_both_formats(cli: CliRunner,
                                                                        tmp_path: Path) -> None:
    for fmt in ("csv", "xlsx"):
        back = {r.id: r.answer_easy for r in load_sources([export(cli, tmp_path, fmt)]).records}
        assert sum(1 for text in back.values() if text) >= 40
        assert back["R081"].startswith("児童手当は、1年に6回") and back["R002"] == ""


def test_an_easy_answer_goes_through_the_desk_form_the_database_an_import_and_the_export(
        desk: object) -> None:
    editor = visitor(desk)
    sign_in(editor, "editor1")
    made = editor.post("/desk/entries/new",
                       data={"csrf": csrf_of(editor, "/desk/entries"), "question": "猫の登録は？"})
    path = made.headers["location"].split("?")[0]
    form = {**form_of(editor, path), "answer": "猫の登録はありません。",
            "answer_easy": "ねこは とうろく しません。"}
    assert editor.post(path, data=form).status_code == 303
    assert form_of(editor, path)["answer_easy"] == "ねこは とうろく しません。"
    assert editor.post(f"{path}/approve", data={"csrf": csrf_of(editor, path)}).status_code == 303
    upload = ("番号,質問,回答,公開範囲,やさしい日本語\nN300,犬の散歩のふんは？,持ち帰ってください。"
              ",住民,ふんは 家に 持って帰ります。\n")
    token = CSRF.search(editor.get("/desk/kb").text).group(1)  # type: ignore[union-attr]
    imported = editor.post("/desk/kb/import", data={"csrf": token},
                           files={"file": ("easy.csv", upload.encode("utf-8"), "text/csv")})
    assert "1 件を追加・変更" in imported.text
    exported = editor.get("/desk/kb/export.csv").content.decode("utf-8-sig")
    assert ",管理者,やさしい日本語," in exported.splitlines()[0]
    assert "ねこは とうろく しません。" in exported and "ふんは 家に 持って帰ります。" in exported
