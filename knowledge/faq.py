"""Turning FAQ table rows into records, reporting every bad row by file, row and field."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from pathlib import Path
from typing import Any

from knowledge.fields import paraphrase_parts
from knowledge.languages import LANGUAGES, translation_column
from knowledge.links import is_allowed_link, link_problem
from knowledge.records import AUDIENCE_ALIASES, AUDIENCE_LABELS, Audience, LoadResult, Problem, Record
from knowledge.tables import COLUMN_ALIASES, READERS, Table

AUDIENCE_EXPECTED = f"{'・'.join(AUDIENCE_LABELS.values())}（{'・'.join(Audience)} も可）"
_JAPANESE_DATE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$")
# 令和7年4月1日, 令和元年5月1日, R7.4.1, H31/4/30: the era dates town spreadsheets use
_ERA_DATE = re.compile(r"^(令和|平成|R|H)(\d{1,2}|元)[年./-](\d{1,2})[月./-](\d{1,2})日?$", re.IGNORECASE)
_ERA_START = {"令和": 2018, "r": 2018, "平成": 1988, "h": 1988}  # year 1 of the era, less one


class RowError(ValueError):
    """A cell that cannot be used; carries the column it came from."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFC", str(value)).strip()


def parse_date(field: str, value: Any) -> date | None:
    """ISO, slash or 年月日 dates, or the date cells Excel gives."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = unicodedata.normalize("NFKC", _text(value))
    if not text:
        return None
    match = _JAPANESE_DATE.match(text)
    candidate = "-".join(match.groups()) if match else (_western(text) or text.replace("/", "-"))
    try:
        year, month, day = (int(part) for part in candidate.split("-"))
        return date(year, month, day)
    except ValueError:
        raise RowError(field, "2026-04-01、2026年4月1日、令和8年4月1日 のような日付にしてください"
                              f"（書かれていた値: {text!r}）") from None


def _western(text: str) -> str | None:
    """An era date (令和7年4月1日, R7.4.1) as year-month-day; None for any other text."""
    era = _ERA_DATE.match(text)
    if era is None:
        return None
    name, year, month, day = era.groups()
    return f"{_ERA_START[name.lower()] + (1 if year == '元' else int(year))}-{month}-{day}"


def parse_audience(value: Any) -> Audience:
    """resident | staff | all (or 住民 / 職員 / 共通); empty means resident."""
    text = unicodedata.normalize("NFKC", _text(value)).lower()
    if not text:
        return Audience.RESIDENT
    if text not in AUDIENCE_ALIASES:
        raise RowError("audience", f"{AUDIENCE_EXPECTED}のどれかにしてください（書かれていた値: {text!r}）")
    return AUDIENCE_ALIASES[text]


def parse_url(field: str, value: Any) -> str:
    """A link residents may open: http(s), tel or mailto only (never javascript: or data:)."""
    text = _text(value)
    if text and not is_allowed_link(text):
        raise RowError(field, link_problem(text))
    return text


def row_to_record(source: str, location: str, row: dict[str, Any]) -> Record:
    """One table row as a record; raises RowError naming the bad field."""
    if row.get("__error__"):
        raise RowError("", str(row["__error__"]))
    values = {name: _text(row.get(name)) for name in COLUMN_ALIASES}
    values["id"] = unicodedata.normalize("NFKC", values["id"])  # ０２５ typed with the IME on is 025
    for field in ("id", "question", "answer"):
        if not values[field]:
            raise RowError(field, "空です。この行は読み込みません")
    return Record(
        id=values["id"], kind="faq", question=values["question"], answer=values["answer"],
        paraphrases=tuple(paraphrase_parts(values["paraphrases"])),
        category=values["category"], department=values["department"], contact=values["contact"],
        url=parse_url("url", values["url"]), audience=parse_audience(row.get("audience")),
        valid_from=parse_date("valid_from", row.get("valid_from")),
        valid_until=parse_date("valid_until", row.get("valid_until")),
        owner=values["owner"], source=source, location=location, answer_easy=values["answer_easy"],
        translations=_translations(values),
    )


def _translations(values: dict[str, str]) -> tuple[tuple[str, str, str], ...]:
    """(language, question, answer) for every language the row has an answer in; a question without an
    answer is kept too (it still finds the entry, which then answers in Japanese)."""
    found = ((code, values[translation_column("question", code)], values[translation_column("answer", code)])
             for code in LANGUAGES)
    return tuple(item for item in found if item[1] or item[2])


def _usable_link(row: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The row with a link residents can open, and what was dropped from it: a link cell holding 「なし」
    or a page name loses the link, not the entry; a link followed by words (「https://… （一覧）」) keeps
    the link."""
    text = _text(row.get("url"))
    first = text.split()[0] if text else ""
    if first.lower().startswith("tel:"):
        first = first.replace("#", "%23")  # tel:#8000, where # would start a fragment
    if first and is_allowed_link(first):
        rest = text[len(first.replace("%23", "#")):].strip()
        return {**row, "url": first}, [f"リンクの後ろの {rest[:40]!r} は使いません"] if rest else []
    warnings = [f"{link_problem(text)}。この行はリンクなしで読み込みます"] if text else []
    return {**row, "url": ""}, warnings


def _fill_missing_ids(table: Table, path: Path) -> Table:
    """Tables without an id column get stable ids from file name and row."""
    if "id" in table.columns.values():
        return table
    width = max([len(cells) for _, cells in table.rows] + [0])
    rows = [(loc, list(cells) + [None] * (width - len(cells)) + [f"{path.stem}-{loc.split()[-1]}"])
            for loc, cells in table.rows]
    return Table({**table.columns, width: "id"}, rows, table.header_location, table.note, table.headers)


def load_faq_table(path: Path, today: date) -> LoadResult:
    """Every good row of one FAQ file, and a Problem for every bad one."""
    source = str(path)
    table = READERS[path.suffix.lower()](path)
    result = LoadResult(headers=dict(table.headers))
    missing = table.missing_columns()
    if missing:
        japanese = any(not header.isascii() for header in table.headers.values())
        result.problems.extend(
            Problem(source, table.header_location, COLUMN_ALIASES[name][1] if japanese else name,
                    f"列がありません。{'・'.join(COLUMN_ALIASES[name][:3])} のような見出しの列が必要です")
            for name in missing)
        return result
    if "id" not in table.columns.values():
        result.problems.append(Problem(source, table.header_location, "id",
                                       "番号の列がありません。ファイル名と行から番号を作りました", "warning"))
    for location, row in _fill_missing_ids(table, path).records():
        try:
            row, warnings = _usable_link(row)
            record = row_to_record(source, location, row)
            result.problems.extend(Problem(source, location, table.written("url"), warning, "warning")
                                   for warning in warnings)
        except RowError as exc:
            result.problems.append(Problem(source, location, table.written(exc.field), str(exc)))
            continue
        if record.valid_until and record.valid_until < today:
            result.problems.append(Problem(source, location, table.written("valid_until"),
                                           f"{record.valid_until} に掲載期限が切れています。"
                                           "読み込みますが回答には使いません",
                                           "warning"))
        result.records.append(record)
    return result
