"""An FAQ entry's fields are declared once (knowledge/fields.py): the database the migrations build, the
desk's editable content and the records the index serves all carry exactly those fields, and a city's
spreadsheet header for any of them is understood. The plain copies the store's services hand the desk carry
every column of the migrated tables they copy."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from sqlalchemy import inspect

from bot.store.database import make_engine, migrate
from bot.store.entry_fields import EntryFields
from bot.store.views import EntryVersionView, EscalationView
from knowledge.fields import ENTRY_FIELDS, FAQ_FIELDS, FieldKind
from knowledge.records import Record
from knowledge.tables import canonical_column

EXPECTED_TYPES = {FieldKind.TEXT: "VARCHAR", FieldKind.LONG_TEXT: "TEXT", FieldKind.LIST: "JSON",
                  FieldKind.DATE: "DATE", FieldKind.AUDIENCE: "VARCHAR", FieldKind.ID: "VARCHAR"}


def stored_columns(tmp_path: Path, table: str = "entry_versions") -> dict[str, object]:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    migrate(engine)
    try:
        return {column["name"]: column["type"] for column in inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


def test_the_migrated_entry_table_holds_every_declared_field_at_its_declared_length(tmp_path: Path) -> None:
    columns = stored_columns(tmp_path)
    for field in FAQ_FIELDS:
        column = columns["entry_id" if field.kind is FieldKind.ID else field.name]
        assert type(column).__name__.upper().startswith(EXPECTED_TYPES[field.kind]), (field.name, column)
        if field.kind in (FieldKind.TEXT, FieldKind.ID):
            assert column.length == field.limit, f"{field.name} is stored in {column}, declared {field.limit}"


def test_desk_content_and_index_records_carry_the_declared_fields() -> None:
    assert [f.name for f in fields(EntryFields)] == [field.name for field in ENTRY_FIELDS]
    assert {field.name for field in FAQ_FIELDS} <= {f.name for f in fields(Record)}


def test_the_copies_the_desk_reads_carry_every_column_of_their_table(tmp_path: Path) -> None:
    for view, table in ((EntryVersionView, "entry_versions"), (EscalationView, "escalations")):
        assert {f.name for f in fields(view)} == set(stored_columns(tmp_path, table)), table


def test_every_declared_header_names_its_field_in_a_spreadsheet() -> None:
    for field in FAQ_FIELDS:
        for header in field.headers:
            assert canonical_column(header) == field.name, header
        assert canonical_column(f" {field.label.upper()} ") == field.name
