"""Bringing a spreadsheet back in, and writing the knowledge base out: shared by `madoguchi kb` and the desk.

Import reads the file with the same loaders as `index build` (so every bad row is reported with file,
row and field, and the good rows are used), compares each row with what the bot knows now (files
plus desk), and records only new or changed rows as approved desk versions — audited, versioned,
and rolled back like any other change.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from bot.service.publishing import load_knowledge
from bot.store.entries import EntryStore
from bot.store.entry_fields import EntryFields, check_entry_id, split_paraphrases
from knowledge.core.errors import InvalidFieldError, RequestError
from knowledge.core.settings import Settings
from knowledge.export import Format, export_records, unquote_formulas
from knowledge.records import Audience, Problem, Record
from knowledge.tables import READERS


@dataclass(slots=True)
class ImportReport:
    """What an import did: entries versioned, rows already up to date, and every problem found."""

    created: list[str] = field(default_factory=list)
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)


def content_of(record: Record) -> EntryFields:
    """A record's content in the form desk versions store it, for comparing."""
    return replace(EntryFields.from_record(record), paraphrases=split_paraphrases(record.paraphrases))


def _storable(record: Record, known: Record | None) -> EntryFields:
    """The row's content as a desk version; InvalidFieldError names what the database could not take."""
    if known is not None and known.kind == "passage":
        raise InvalidFieldError(f"{record.id!r} is a passage of a document; give the row another id", "id")
    check_entry_id(record.id)
    return content_of(record).cleaned()


def _changed_rows(rows: list[Record], current: dict[str, Record], report: ImportReport,
                  headers: dict[str, str]) -> list[tuple[str, EntryFields]]:
    """Rows that add or change an entry; passages' ids and content the store cannot hold become problems
    naming the column as the file's header wrote it."""
    changed = []
    for record in rows:
        known = current.get(record.id)
        try:
            content = _storable(record, known)
        except InvalidFieldError as exc:
            field = headers.get(exc.field, exc.field)
            report.problems.append(Problem(record.source, record.location, field, str(exc)))
            continue
        if known is not None and content_of(known) == content:
            report.unchanged += 1
        else:
            changed.append((record.id, content))
    return changed


def import_table(settings: Settings, entries: EntryStore, path: Path, actor: str, name: str = "",
                 today: date | None = None, sent: str = "") -> ImportReport:
    """Load one FAQ table and version its new and changed rows as approved entries (publishing is the
    caller's); `sent` names the desk's upload form, which is read once (`EntryStore.import_entries`)."""
    if path.suffix.lower() not in READERS:
        raise RequestError(f"import reads FAQ tables ({', '.join(sorted(READERS))}), not "
                           f"{path.suffix or 'this file'}")
    from knowledge.sources import drop_duplicate_ids, load_file  # document parsers: with an upload only

    loaded = drop_duplicate_ids(load_file(path, today or date.today()))
    rows = [unquote_formulas(r) for r in loaded.records] if path.suffix.lower() == ".csv" else loaded.records
    report = ImportReport(problems=[_renamed(p, path, name) for p in loaded.problems])
    current = {record.id: record for record in load_knowledge(settings, entries).records}
    changed = _changed_rows([replace(r, source=name or r.source) for r in rows], current, report,
                            loaded.headers)
    report.created = [row.entry_id for row in entries.import_entries(changed, actor, name or path.name, sent)]
    return report


def _renamed(problem: Problem, path: Path, name: str) -> Problem:
    """Problems name the file the person uploaded, not the temporary copy."""
    return replace(problem, source=name) if name and problem.source == str(path) else problem


def export_knowledge(settings: Settings, entries: EntryStore | None, fmt: Format, out: Path,
                     with_staff: bool = True) -> tuple[int, list[Problem]]:
    """Every record the bot knows (files + live desk entries) as XLSX or CSV: the FAQ rows written, and the
    problems of the rows that could not be read, which are not in the export (fixed in their files).
    `with_staff=False` leaves staff-only records out, for a desk role the city does not let read them."""
    loaded = load_knowledge(settings, entries)
    records = [r for r in loaded.records if with_staff or r.audience is not Audience.STAFF]
    return export_records(records, fmt, out), loaded.problems
