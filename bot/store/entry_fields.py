"""The content of one FAQ entry version, cleaned the way the file loaders clean table cells.

Desk entries and file rows must compare equal when their content is equal (an import only versions
real changes, an export loads back unchanged), so text is NFC-normalised and stripped here exactly
as `knowledge.faq` does, and paraphrases are split on the loaders' separators.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any

from bot.store.tables import EntryVersion
from bot.store.values import storable
from bot.store.views import EntryVersionView
from knowledge.core.errors import InvalidFieldError, RequestError
from knowledge.fields import (
    ENTRY_FIELDS,
    FIELD_LABELS,
    STORED_LIMITS,
    TEXT_FIELDS,
    limit_of,
    paraphrase_parts,
)
from knowledge.links import LINK_SCHEMES, is_allowed_link
from knowledge.records import Audience, Record

COLUMN_LIMITS: dict[str, int] = STORED_LIMITS  # the String columns of `EntryVersion` are declared this long
ID_LIMIT: int = limit_of("id")


def check_stored_text(texts: dict[str, str]) -> None:
    """Text the database cannot hold (too long for its column, a link that could run script) is refused by
    name, before PostgreSQL refuses the whole write as if it were an outage."""
    for name, limit in COLUMN_LIMITS.items():
        if len(texts.get(name, "")) > limit:
            raise InvalidFieldError(f"{FIELD_LABELS[name]}は {limit} "
                                    f"文字までです（{len(texts[name])} 文字）。", name)
    link = texts.get("url", "")
    if link and not is_allowed_link(link):
        raise InvalidFieldError(f"{FIELD_LABELS['url']}は {'・'.join(LINK_SCHEMES)} "
                                f"のリンクだけ使えます（{link[:60]!r}）。",
                               "url")


def check_entry_id(entry_id: str) -> None:
    """An id longer than the database's column is refused by name."""
    if len(entry_id) > ID_LIMIT:
        raise InvalidFieldError(f"{FIELD_LABELS['id']}は {ID_LIMIT} 文字までです（{len(entry_id)} 文字）。",
                                "id")


def clean_text(value: str | None) -> str:
    """NFC and stripped, as the FAQ loaders read a cell, without what PostgreSQL cannot store."""
    return unicodedata.normalize("NFC", storable(value or "")).strip()


def split_paraphrases(values: tuple[str, ...] | list[str] | str) -> tuple[str, ...]:
    """One paraphrase per item, split on | ｜ and line breaks, empty and repeated ones dropped."""
    joined = values if isinstance(values, str) else "\n".join(values)
    parts = (clean_text(part) for part in paraphrase_parts(joined))
    return tuple(dict.fromkeys(part for part in parts if part))


@dataclass(frozen=True, slots=True)
class EntryFields:
    """What an editor edits: the entry without its workflow columns (status, author, approver)."""

    question: str
    answer: str
    paraphrases: tuple[str, ...] = ()
    category: str = ""
    department: str = ""
    contact: str = ""
    url: str = ""
    audience: str = Audience.RESIDENT.value
    valid_from: date | None = None
    valid_until: date | None = None
    owner: str = ""
    answer_easy: str = ""

    def cleaned(self) -> EntryFields:
        """Normalised text and paraphrases; InvalidFieldError for an unknown audience, reversed dates, text
        the database cannot hold or a link that is not http/https/tel/mailto."""
        if self.audience not in {a.value for a in Audience}:
            raise InvalidFieldError(f"公開範囲は resident・staff・all のどれかです（{self.audience!r}）。",
                                    "audience")
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise InvalidFieldError("公開終了日が公開開始日より前です。", "valid_until")
        texts: dict[str, Any] = {name: clean_text(getattr(self, name)) for name in TEXT_FIELDS}
        check_stored_text(texts)
        return replace(self, paraphrases=split_paraphrases(self.paraphrases), **texts)

    def ready_to_publish(self) -> None:
        """An entry without a question or an answer must never reach residents."""
        missing = [name for name in ("question", "answer") if not clean_text(getattr(self, name))]
        if missing:
            raise RequestError("承認の前に" + "と".join(FIELD_LABELS[name] for name in missing)
                               + "を書いてください。")

    def with_paraphrase(self, text: str) -> EntryFields:
        """The same content with one more way of asking."""
        return replace(self, paraphrases=split_paraphrases((*self.paraphrases, text)))

    def changed_fields(self, other: EntryFields | None) -> list[str]:
        """Names of the fields that differ from `other` (all of them when there is none)."""
        names = [f.name for f in fields(self)]
        return names if other is None else [n for n in names if getattr(self, n) != getattr(other, n)]

    def as_columns(self) -> dict[str, object]:
        """Column values of an `EntryVersion` row (its columns carry the fields' names)."""
        return {name: list(value) if isinstance(value, tuple) else value
                for name, value in self._values().items()}

    def mark(self) -> str:
        """A short digest of the content: what an entry form was opened on, so a save from a form opened
        before someone else's save is noticed instead of silently undoing it."""
        columns = json.dumps(self.as_columns(), sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(columns.encode("utf-8")).hexdigest()[:16]

    def to_record(self, entry_id: str, location: str) -> Record:
        """The entry as the index sees any FAQ record; its source is the desk."""
        values = {**self._values(), "audience": Audience(self.audience)}
        return Record(id=entry_id, kind="faq", source="desk", location=location, **values)

    def _values(self) -> dict[str, Any]:
        return {field.name: getattr(self, field.name) for field in ENTRY_FIELDS}

    @classmethod
    def of(cls, row: EntryVersion | EntryVersionView) -> EntryFields:
        """The content of a stored version."""
        values = {field.name: getattr(row, field.name) for field in ENTRY_FIELDS}
        return cls(**{**values, "paraphrases": tuple(row.paraphrases or ()),
                      "answer_easy": row.answer_easy or ""})

    @classmethod
    def from_record(cls, record: Record) -> EntryFields:
        """The content of a record loaded from the city's files (or the index)."""
        values = {field.name: getattr(record, field.name) for field in ENTRY_FIELDS}
        return cls(**{**values, "audience": record.audience.value})
