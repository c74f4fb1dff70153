"""The records madoguchi knows: FAQ entries and manual passages, and the problems found loading them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, Literal


class Audience(StrEnum):
    """Who may see a record. Staff-only records must never reach a resident."""

    RESIDENT = "resident"
    STAFF = "staff"
    ALL = "all"

    def visible_to(self, asker: Audience) -> bool:
        """Residents see resident and all records; staff see everything."""
        return asker is Audience.STAFF or self is not Audience.STAFF

    @property
    def label(self) -> str:
        """The Japanese word for it: the export's 公開範囲 value and the desk's word (住民, 職員, 全員)."""
        return AUDIENCE_NAMES[self].label


@dataclass(frozen=True, slots=True)
class AudienceNames:
    """How an audience is written, declared once like the FAQ fields (`knowledge/fields.py`): `label` is
    what the export writes and the desk shows, `choice` what the entry form offers an editor, `aliases`
    the other words cities' tables use (matched after NFKC and lower-casing, like the code name)."""

    label: str
    choice: str
    aliases: tuple[str, ...] = ()


AUDIENCE_NAMES = {
    Audience.RESIDENT: AudienceNames("住民", "住民", ("市民",)),
    Audience.STAFF: AudienceNames("職員", "職員", ("庁内",)),
    Audience.ALL: AudienceNames("全員", "全員（住民と職員）", ("共通", "すべて")),
}
AUDIENCE_LABELS: dict[str, str] = {audience: names.label for audience, names in AUDIENCE_NAMES.items()}
AUDIENCE_ALIASES = {word: audience for audience, names in AUDIENCE_NAMES.items()
                    for word in (audience.value, names.label, *names.aliases)}


RecordKind = Literal["faq", "passage"]
JSON_NAMES = {"paraphrases": "alt_questions"}  # the key published index files have always used
FROM_JSON_NAMES = {key: name for name, key in JSON_NAMES.items()}


@dataclass(frozen=True, slots=True)
class Record:
    """One answerable unit: an FAQ entry or a passage of a manual or internal rule."""

    id: str
    kind: RecordKind
    question: str
    answer: str
    paraphrases: tuple[str, ...] = ()  # other ways residents ask the question (FAQ entries only)
    category: str = ""
    department: str = ""
    contact: str = ""
    url: str = ""
    audience: Audience = Audience.RESIDENT
    valid_from: date | None = None
    valid_until: date | None = None
    owner: str = ""
    source: str = ""
    location: str = ""
    section_path: tuple[str, ...] = ()
    page: int | None = None
    answer_easy: str = ""  # the answer in やさしい日本語, where the city wrote one
    translations: tuple[tuple[str, str, str], ...] = ()  # (language, question, answer), e.g. ("en", …, …)

    def translated(self, language: str) -> tuple[str, str] | None:
        """(question, answer) in a language the table carries it in, or None (answer in Japanese)."""
        return next(((q, a) for code, q, a in self.translations if code == language and a), None)

    def is_valid_on(self, day: date) -> bool:
        """An entry outside its validity window must not be answered."""
        if self.valid_from and day < self.valid_from:
            return False
        return not (self.valid_until and day > self.valid_until)

    def to_json(self) -> dict[str, Any]:
        """A plain dict for JSON files, dates as ISO strings."""
        # asdict: +0.1 s a build
        data = {JSON_NAMES.get(name, name): getattr(self, name) for name in self.__slots__}
        if not data["answer_easy"]:
            # records without one hash as before it existed: older index versions stay valid
            del data["answer_easy"]
        data["audience"] = self.audience.value
        for key in ("valid_from", "valid_until"):
            data[key] = data[key].isoformat() if data[key] else None
        if not self.translations:  # records without translations hash as they did before translations existed
            del data["translations"]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Record:
        """Inverse of :meth:`to_json`."""
        values = {FROM_JSON_NAMES.get(key, key): value for key, value in data.items()}
        values["audience"] = Audience(values["audience"])
        values["paraphrases"] = tuple(values.get("paraphrases") or ())
        values["section_path"] = tuple(values.get("section_path") or ())
        values["translations"] = tuple(tuple(t) for t in values.get("translations") or ())
        for key in ("valid_from", "valid_until"):
            values[key] = date.fromisoformat(values[key]) if values.get(key) else None
        return cls(**values)


Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong in a source, said so that a city's IT staff can find and fix it."""

    source: str
    location: str
    field: str
    message: str
    severity: Severity = "error"
    # a repeated id, and where its first record is ("file row 3"): for tools, which never parse the message
    duplicate_id: str = ""
    duplicate_of: str = ""

    @property
    def place(self) -> str:
        """The location as staff read it: row 3 → 3 行目, line 2 → 2 行目, page 4 → 4 ページ."""
        sheet, _, location = self.location.rpartition("!")
        if sheet:
            return f"シート「{sheet}」の{Problem(self.source, location, self.field, self.message).place}"
        kind, _, number = self.location.partition(" ")
        words = {"row": "{} 行目", "line": "{} 行目", "page": "{} ページ", "byte": "{} バイト目",
                 "section": "節 {}"}
        if kind in words and number:
            return words[kind].format(number)
        return {"metadata": "属性（前付け・.meta.yaml）"}.get(self.location, self.location)

    def __str__(self) -> str:
        where = ", ".join(part for part in (self.source, self.location) if part)
        column = f" [{self.field}]" if self.field else ""
        return f"{self.severity}: {where}{column}: {self.message}"


@dataclass(slots=True)
class LoadResult:
    """What one or more sources gave: the good records and every problem found."""

    records: list[Record] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def extend(self, other: LoadResult) -> None:
        """Append another result's records and problems (headers: the first file's wording wins)."""
        self.records.extend(other.records)
        self.problems.extend(other.problems)
        self.headers = {**other.headers, **self.headers}
