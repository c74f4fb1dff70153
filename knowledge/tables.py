"""Reading FAQ tables (CSV, XLSX, JSONL) into rows keyed by madoguchi's column names.

Cities export FAQs from Excel with Japanese headers and in Shift_JIS, so headers are matched through
aliases and CSV encodings are tried in the order cities produce them.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from knowledge.core.errors import SourceError
from knowledge.fields import FAQ_FIELDS
from knowledge.languages import TRANSLATION_ALIASES

COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    **{field.name: field.headers for field in FAQ_FIELDS},
    **TRANSLATION_ALIASES,
}
REQUIRED_COLUMNS = ("question", "answer")
CSV_ENCODINGS = ("utf-8-sig", "cp932")
_HEADER_SCAN_ROWS = 10


def _header_key(text: Any) -> str:
    return unicodedata.normalize("NFKC", str(text or "")).strip().lower().replace(" ", "").replace("_", "")


_ALIAS_TO_COLUMN = {_header_key(alias): column for column, aliases in COLUMN_ALIASES.items()
                    for alias in aliases}


def canonical_column(header: Any) -> str | None:
    """The madoguchi column a header names (質問 → question), or None if it names none."""
    return _ALIAS_TO_COLUMN.get(_header_key(header))


@dataclass(frozen=True, slots=True)
class Table:
    """A table's rows, each with the location a person would look for it at (「row 12」)."""

    columns: dict[int, str]
    rows: list[tuple[str, list[Any]]]
    header_location: str
    note: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    def written(self, column: str) -> str:
        """A column as the file's header wrote it (参照URL for url), so a problem names what people see."""
        return self.headers.get(column, column)

    def missing_columns(self) -> list[str]:
        """Required columns that no header named."""
        return [name for name in REQUIRED_COLUMNS if name not in self.columns.values()]

    def records(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """Each row as {column: value}, ignoring columns madoguchi does not know."""
        for location, cells in self.rows:
            yield location, {name: cells[i] if i < len(cells) else None for i, name in self.columns.items()}


def _map_header(cells: list[Any]) -> dict[int, str]:
    mapped: dict[int, str] = {}
    for index, cell in enumerate(cells):
        column = canonical_column(cell)
        if column and column not in mapped.values():
            mapped[index] = column
    return mapped


def _table_from_grid(grid: list[list[Any]], note: str = "") -> Table:
    """Find the header row (title rows above it are common in city spreadsheets) and split the grid."""
    for index, cells in enumerate(grid[:_HEADER_SCAN_ROWS]):
        columns = _map_header(cells)
        if set(REQUIRED_COLUMNS) <= set(columns.values()):
            return _table(grid, index, columns, note)
    first = next((i for i, cells in enumerate(grid) if any(_present(c) for c in cells)), 0)
    return _table(grid, first, _map_header(grid[first]) if grid else {}, note)


def _table(grid: list[list[Any]], header_index: int, columns: dict[int, str], note: str) -> Table:
    header = grid[header_index] if grid else []
    written = {name: str(header[index]).strip() for index, name in columns.items() if index < len(header)}
    rows = [
        (f"row {number}", cells)
        for number, cells in enumerate(grid[header_index + 1 :], start=header_index + 2)
        if any(_present(cell) for cell in cells)
    ]
    return Table(columns, rows, f"row {header_index + 1}", note, written)


def _present(cell: Any) -> bool:
    return cell is not None and str(cell).strip() != ""


def read_csv(path: Path) -> Table:
    """CSV in UTF-8 (with or without BOM) or Shift_JIS/CP932, as Excel writes it in Japan."""
    raw = path.read_bytes()
    for encoding in CSV_ENCODINGS:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        grid = [list(row) for row in csv.reader(io.StringIO(text, newline=""))]
        return _table_from_grid(grid, note=f"encoding {encoding}")
    raise SourceError(f"{path}: not UTF-8 or Shift_JIS/CP932 text; save the sheet as 'CSV UTF-8' and retry")


def read_xlsx(path: Path) -> Table:
    """Every worksheet with the FAQ's columns (a cover sheet of instructions before them is common); merged
    cells give their value to every cell they cover, and ids formatted 000 keep their zeros (001)."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, data_only=True)  # not read-only: merged ranges and formats
    except Exception as exc:  # openpyxl raises many unrelated types for a broken file
        raise SourceError(f"{path}: not a readable .xlsx workbook ({exc})") from exc
    tables = [_table_from_grid(_sheet_grid(sheet), note=f"sheet {sheet.title}")
              for sheet in workbook.worksheets]
    workbook.close()
    usable = [(sheet.title, table) for sheet, table in zip(workbook.worksheets, tables, strict=True)
              if not table.missing_columns()]
    if len(usable) == 1:
        return usable[0][1]
    return _joined(usable) if usable else tables[0]


def _sheet_grid(sheet: Any) -> list[list[Any]]:
    """The sheet's values, a merged range's value in each of its cells."""
    grid = [[_cell_value(cell) for cell in row] for row in sheet.iter_rows()]
    for merged in sheet.merged_cells.ranges:
        value = grid[merged.min_row - 1][merged.min_col - 1]
        for row in range(merged.min_row - 1, min(merged.max_row, len(grid))):
            for column in range(merged.min_col - 1, min(merged.max_col, len(grid[row]))):
                grid[row][column] = value
    return grid


def _cell_value(cell: Any) -> Any:
    """A number shown with leading zeros (format 000) as the text people see; other values as stored."""
    value, shown = cell.value, str(getattr(cell, "number_format", "") or "")
    if isinstance(value, int | float) and not isinstance(value, bool) and shown.strip("0") == "" and shown:
        return str(int(value)).zfill(len(shown))
    return value


def _joined(sheets: list[tuple[str, Table]]) -> Table:
    """Several FAQ sheets as one table whose locations name the sheet (「FAQ一覧!row 5」)."""
    first = sheets[0][1]
    columns = sorted({name for _, table in sheets for name in table.columns.values()},
                     key=list(COLUMN_ALIASES).index)
    rows = [(f"{title}!{location}", [row.get(name) for name in columns])
            for title, table in sheets for location, row in table.records()]
    headers = {name: header for _, table in reversed(sheets) for name, header in table.headers.items()}
    return Table(dict(enumerate(columns)), rows, f"{sheets[0][0]}!{first.header_location}",
                 "sheets " + ", ".join(title for title, _ in sheets), headers)


def read_jsonl(path: Path) -> Table:
    """One JSON object per line; keys may be English or Japanese column names, line by line."""
    names = [*COLUMN_ALIASES, "__error__"]
    rows: list[tuple[str, list[Any]]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            item = {"__error__": f"not valid JSON ({exc.msg} at column {exc.colno})"}
        if not isinstance(item, dict):
            item = {"__error__": "expected a JSON object per line"}
        known = {canonical_column(key) or key: value for key, value in item.items()}
        rows.append((f"line {number}", [known.get(name) for name in names]))
    return Table(dict(enumerate(names)), rows, "line 1")


READERS = {".csv": read_csv, ".xlsx": read_xlsx, ".xlsm": read_xlsx, ".jsonl": read_jsonl}
