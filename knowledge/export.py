"""Writing the whole knowledge base as a spreadsheet the FAQ loaders read back unchanged.

Cities keep working in Excel, so FAQ records go out with the Japanese headers and values the
loaders accept (番号, 質問, 回答, 言い換え one per line, 公開範囲 住民/職員/全員, ISO dates), and
export → load gives the same records. Manual and rule-book passages are documents, not table
rows: the XLSX lists them on a second, protected sheet for reference (the loaders read only the
first sheet, so editing it changes nothing); the CSV leaves them out. Cells that a spreadsheet
would run as a formula are never written as formulas: XLSX cells are typed as text, and CSV cells
starting with = + - @ get a leading ' that `unquote_formulas` removes again on import.
"""

from __future__ import annotations

import csv
from dataclasses import fields, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from knowledge.core.errors import RequestError
from knowledge.fields import FAQ_FIELDS, FIELD_LABELS
from knowledge.languages import LANGUAGES, translation_column
from knowledge.records import Record

if TYPE_CHECKING:  # openpyxl loads with the first spreadsheet written
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

Format = Literal["xlsx", "csv"]
HEADERS = (*((field.name, field.label) for field in FAQ_FIELDS),
           *((translation_column(kind, code), f"{FIELD_LABELS[kind]}（{names[0]}）")
             for code, (_, names) in LANGUAGES.items() for kind in ("question", "answer")))
PASSAGE_HEADERS = ("番号", "文書", "位置", "見出し", "本文", "公開範囲")
FORMULA_START = ("=", "+", "-", "@")
FAQ_SHEET, PASSAGE_SHEET = "FAQ", "文書（参照のみ）"
COLUMN_WIDTHS = {"A": 10, "B": 40, "C": 80, "D": 40, "M": 80}


def cell_value(record: Record, column: str) -> str | date | None:
    """One record's value for a column, in the form the loaders read back."""
    if column == "paraphrases":
        return "\n".join(record.paraphrases)
    if column == "audience":
        return record.audience.label
    kind, _, suffix = column.partition("_")
    code = next((code for code, (s, _) in LANGUAGES.items() if s == suffix), None)  # not answer_easy
    if kind in ("question", "answer") and code is not None:
        return next((t[1 if kind == "question" else 2] for t in record.translations if t[0] == code), "")
    return getattr(record, column)


def faq_rows(records: list[Record]) -> list[list[str | date | None]]:
    """The FAQ records (not passages) as table rows, in the order given."""
    return [[cell_value(r, column) for column, _ in HEADERS] for r in records if r.kind == "faq"]


def _csv_cell(value: str | date | None) -> str:
    text = value.isoformat() if isinstance(value, date) else (value or "")
    return "'" + text if text.startswith(FORMULA_START) else text


def write_csv(records: list[Record], path: Path) -> int:
    """UTF-8 with a BOM (Excel in Japan opens it correctly); returns the number of rows written."""
    rows = faq_rows(records)
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([header for _, header in HEADERS])
        writer.writerows([_csv_cell(value) for value in row] for row in rows)
    return len(rows)


def _append(sheet: Worksheet, values: list[str | date | None]) -> None:
    """A row whose text cells stay text, even when they start with '='."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    sheet.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
        elif isinstance(cell.value, date):
            cell.number_format = "yyyy-mm-dd"


def _passage_row(record: Record) -> list[str | date | None]:
    where = f"{record.location} p.{record.page}" if record.page else record.location
    return [record.id, Path(record.source).name, where, " > ".join(record.section_path), record.answer,
            record.audience.label]


def _passage_sheet(workbook: Workbook, records: list[Record]) -> None:
    """Passages for reference, on a protected sheet: they are edited in their documents, not here."""
    sheet = workbook.create_sheet(PASSAGE_SHEET)
    _append(sheet, list(PASSAGE_HEADERS))
    for record in records:
        if record.kind == "passage":
            _append(sheet, _passage_row(record))
    sheet.protection.sheet = True


def write_xlsx(records: list[Record], path: Path) -> int:
    """The FAQ sheet first (the one the loaders read), then the passages; returns the FAQ rows written."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = cast("Worksheet", workbook.active)  # a new workbook starts with one worksheet, the active one
    sheet.title = FAQ_SHEET
    _append(sheet, [header for _, header in HEADERS])
    rows = faq_rows(records)
    for row in rows:
        _append(sheet, row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column in ("C", "D", "M"):
        for cell in sheet[column][1:]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for column, width in COLUMN_WIDTHS.items():
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "B2"
    _passage_sheet(workbook, records)
    workbook.save(path)
    return len(rows)


def export_records(records: list[Record], fmt: Format, path: Path) -> int:
    """Write the records in the format asked for; returns the number of FAQ rows."""
    writers = {"xlsx": write_xlsx, "csv": write_csv}
    if fmt not in writers:
        raise RequestError(f"export format must be xlsx or csv, not {fmt!r}")
    return writers[fmt](records, path)


def _unquoted(text: str) -> str:
    return text[1:] if text[:1] == "'" and text[1:2] in FORMULA_START else text


def unquote_formulas(record: Record) -> Record:
    """Undo the leading ' that a CSV export puts before = + - @ (so a spreadsheet shows, not runs, it)."""
    texts: dict[str, Any] = {f.name: _unquoted(value) for f in fields(Record)
                             if isinstance(value := getattr(record, f.name), str)}
    return replace(record, paraphrases=tuple(_unquoted(a) for a in record.paraphrases), **texts)
