"""FAQ tables: encodings, Japanese headers, Excel layouts, and every kind of bad row."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook

from knowledge.core.errors import ProblemsFoundError
from knowledge.records import Audience
from knowledge.sources import load_sources

TODAY = date(2026, 11, 25)
HEADER = "id,question,answer,department,audience,valid_until\n"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932", "shift_jis"])
def test_csv_loads_in_every_encoding_cities_export(tmp_path: Path, encoding: str) -> None:
    path = write(tmp_path / "faq.csv", HEADER + "F1,住民票の写しは？,市民課で取れます。,市民課,resident,\n",
                 encoding)
    result = load_sources([path], today=TODAY)
    assert [r.question for r in result.records] == ["住民票の写しは？"]
    assert result.problems == []


def test_japanese_headers_are_accepted_as_aliases(tmp_path: Path) -> None:
    text = ("番号,質問,回答,担当課,連絡先,公開範囲,言い換え\nJ1,印鑑登録は？,本人が来庁してください。"
            ",市民課,内線1,職員,はんこ|ハンコ登録\n")
    record = load_sources([write(tmp_path / "faq.csv", text, "cp932")], today=TODAY).records[0]
    assert (record.id, record.department, record.contact) == ("J1", "市民課", "内線1")
    assert record.audience is Audience.STAFF
    assert record.paraphrases == ("はんこ", "ハンコ登録")


def test_missing_answer_column_names_file_header_row_and_field(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.csv", "id,question\nF1,住民票は？\n")
    result = load_sources([path], today=TODAY)
    assert result.records == []
    [problem] = result.problems
    assert (problem.source, problem.location, problem.field) == (str(path), "row 1", "answer")
    assert "回答" in problem.message


def test_bad_rows_are_reported_and_good_rows_still_load(tmp_path: Path) -> None:
    text = HEADER + (
        "F1,良い質問,良い回答,市民課,resident,\n"
        "F2,回答がない,,市民課,resident,\n"
        "F3,対象が変,回答,市民課,everyone,\n"
        "F1,重複,回答,市民課,resident,\n"
        "F5,期限切れ,回答,市民課,resident,2026-03-31\n"
        "F6,日付が変,回答,市民課,resident,来年\n"
    )
    result = load_sources([write(tmp_path / "faq.csv", text)], today=TODAY)
    assert [r.id for r in result.records] == ["F1", "F5"]
    found = {(p.location, p.field, p.severity) for p in result.problems}
    assert found == {("row 3", "answer", "error"), ("row 4", "audience", "error"), ("row 5", "id", "error"),
                     ("row 6", "valid_until", "warning"), ("row 7", "valid_until", "error")}
    duplicate = next(p for p in result.problems if p.field == "id")
    assert "row 2" in duplicate.message


def test_strict_makes_any_problem_fatal_and_lists_it(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.csv", HEADER + "F1,質問,,市民課,resident,\n")
    with pytest.raises(ProblemsFoundError, match=r"faq\.csv, row 2 \[answer\]"):
        load_sources([path], today=TODAY, strict=True)


def test_xlsx_with_title_row_and_merged_header_cells(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["みなと市 よくある質問一覧"])
    sheet.merge_cells("A1:E1")
    sheet.append(["管理番号", "質問", "回答", "担当", None])
    sheet.merge_cells("D2:E2")
    sheet.append(["X1", "粗大ごみの出し方は？", "電話で申し込んでください。", "ごみ減量推進課", "補足"])
    sheet.append([None, None, None, None, None])
    sheet.append(["X2", "", "質問が空です", "ごみ減量推進課", None])
    book.save(tmp_path / "faq.xlsx")
    result = load_sources([tmp_path / "faq.xlsx"], today=TODAY)
    assert [(r.id, r.department) for r in result.records] == [("X1", "ごみ減量推進課")]
    assert [(p.location, p.field)
            for p in result.problems] == [("row 5", "質問")], "the column as the sheet names it"


def test_xlsx_faq_sheet_after_a_cover_sheet_keeps_merged_departments_and_zero_padded_ids(
        tmp_path: Path) -> None:
    book = Workbook()
    book.active.title = "記入上の注意"
    book.active.append(["このシートには質問を書かないでください"])
    sheet = book.create_sheet("FAQ一覧")
    sheet.append(["番号", "質問", "回答", "担当課", "連絡先"])
    sheet.append([1, "ごみの日は？", "月曜と木曜です。", "環境課", "電話 0123-45-0001"])
    sheet.append([2, "粗大ごみは？", "予約制です。", None, None])
    sheet.append(["０３", "犬の登録は？", "30日以内にどうぞ。", "生活課", "電話 0123-45-0002"])
    sheet.merge_cells("D2:D3")
    sheet.merge_cells("E2:E3")
    for row in (2, 3):
        sheet.cell(row, 1).number_format = "000"
    book.save(tmp_path / "faq.xlsx")
    result = load_sources([tmp_path / "faq.xlsx"], today=TODAY)
    assert [(r.id, r.department, r.contact) for r in result.records] == [
        ("001", "環境課", "電話 0123-45-0001"), ("002", "環境課", "電話 0123-45-0001"),
        ("03", "生活課", "電話 0123-45-0002")]
    assert not result.problems


def test_xlsx_with_two_faq_sheets_reads_both_and_names_the_sheet_of_a_bad_row(tmp_path: Path) -> None:
    book = Workbook()
    book.active.title = "市民課"
    book.active.append(["番号", "質問", "回答"])
    book.active.append(["A1", "住民票は？", "市民課でどうぞ。"])
    other = book.create_sheet("ごみ")
    other.append(["番号", "質問", "回答"])
    other.append(["B1", "ごみの日は？", ""])
    other.append(["B2", "粗大ごみは？", "予約制です。"])
    book.save(tmp_path / "faq.xlsx")
    result = load_sources([tmp_path / "faq.xlsx"], today=TODAY)
    assert [r.id for r in result.records] == ["A1", "B2"]
    assert [p.place for p in result.problems] == ["シート「ごみ」の2 行目"]


def test_xlsx_date_cells_become_validity_dates(tmp_path: Path) -> None:
    from datetime import datetime

    book = Workbook()
    book.active.append(["id", "question", "answer", "valid_from", "valid_until"])
    book.active.append(["D1", "臨時窓口は？", "土曜も開きます。", datetime(2026, 4, 1), "2027年3月31日"])
    book.save(tmp_path / "faq.xlsx")
    record = load_sources([tmp_path / "faq.xlsx"], today=TODAY).records[0]
    assert (record.valid_from, record.valid_until) == (date(2026, 4, 1), date(2027, 3, 31))


def test_era_dates_as_town_spreadsheets_write_them_are_validity_dates(tmp_path: Path) -> None:
    rows = ("番号,質問,回答,公開開始日,公開終了日\n"
            "E1,臨時窓口は？,土曜も開きます。,令和8年4月1日,R9.3.31\n"
            "E2,改元の日は？,窓口は開いています。,平成31年4月30日,令和元年5月1日\n"
            "E3,誤りの日付,回答,令和8年13月1日,\n")
    result = load_sources([write(tmp_path / "faq.csv", rows)], today=TODAY)
    dates = {r.id: (r.valid_from, r.valid_until) for r in result.records}
    assert dates["E1"] == (date(2026, 4, 1), date(2027, 3, 31))
    assert dates["E2"] == (date(2019, 4, 30), date(2019, 5, 1))
    [wrong] = [p for p in result.problems if p.severity == "error"]
    assert wrong.location == "row 4" and "令和8年13月1日" in wrong.message


def test_jsonl_reports_broken_lines_by_line_number(tmp_path: Path) -> None:
    lines = [json.dumps({"id": "L1", "質問": "児童手当は？", "回答": "申請が必要です。"}, ensure_ascii=False),
             "{not json", json.dumps(["a list"]), json.dumps({"id": "L4", "question": "q", "answer": "a"})]
    result = load_sources([write(tmp_path / "faq.jsonl", "\n".join(lines))], today=TODAY)
    assert [r.id for r in result.records] == ["L1", "L4"]
    assert [p.location for p in result.problems] == ["line 2", "line 3"]


def test_table_without_id_column_gets_stable_ids_and_a_warning(tmp_path: Path) -> None:
    result = load_sources([write(tmp_path / "gomi.csv", "質問,回答\n電池は？,回収箱へ。\n")], today=TODAY)
    assert result.records[0].id == "gomi-2"
    assert result.problems[0].severity == "warning"


def test_unreadable_file_is_one_problem_not_a_crash(tmp_path: Path) -> None:
    write(tmp_path / "broken.xlsx", "this is not a workbook")
    write(tmp_path / "good.csv", HEADER + "G1,質問,回答,課,resident,\n")
    result = load_sources([tmp_path], today=TODAY)
    assert [r.id for r in result.records] == ["G1"]
    assert result.problems[0].source.endswith("broken.xlsx")
