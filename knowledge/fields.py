"""The fields of an FAQ entry, declared once: what each is called in code, in a city's spreadsheet and on
the desk, how long it may be, and what kind of value it holds.

The table loaders (header aliases), the export (headers), the desk (form limits, labels, diffs) and the
database (column lengths, `bot/store/tables.py`) all read this list, so a field added or renamed here is
added or renamed everywhere at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class FieldKind(StrEnum):
    """What a field holds, which decides how it is stored and compared."""

    ID = "id"
    TEXT = "text"  # a bounded string: the database column is as long as the limit
    LONG_TEXT = "long_text"  # unbounded in the database; the limit is the desk form's
    LIST = "list"  # several short texts (paraphrases): one per line in forms and spreadsheets
    AUDIENCE = "audience"
    DATE = "date"


@dataclass(frozen=True, slots=True)
class FaqField:
    """One field: `label` is the spreadsheet header written on export and the desk's name for it;
    `aliases` are the other headers cities write for it (matched ignoring case, width and spaces)."""

    name: str
    label: str
    kind: FieldKind
    aliases: tuple[str, ...] = ()
    limit: int | None = None  # most characters a desk form (and, for TEXT and ID, the database) accepts

    @property
    def headers(self) -> tuple[str, ...]:
        """Every header that names this field in a table: the code name, the label, then the aliases."""
        return (self.name, self.label, *self.aliases)


FAQ_FIELDS = (
    FaqField("id", "番号", FieldKind.ID, ("no", "no.", "管理番号", "faq番号", "faqid"), 128),
    FaqField("question", "質問", FieldKind.LONG_TEXT, ("質問文", "問い", "問", "よくある質問"), 1000),
    FaqField("answer", "回答", FieldKind.LONG_TEXT, ("回答文", "答え", "答"), 10_000),
    FaqField("paraphrases", "言い換え", FieldKind.LIST, ("alt_questions", "類似質問", "別の聞き方"), 10_000),
    FaqField("category", "分類", FieldKind.TEXT, ("カテゴリ", "カテゴリー", "区分"), 200),
    FaqField("department", "担当課", FieldKind.TEXT, ("担当部署", "所管課", "部署", "担当"), 200),
    FaqField("contact", "連絡先", FieldKind.TEXT,
             ("問い合わせ先", "問合せ先", "お問い合わせ", "お問い合わせ先"), 400),
    FaqField("url", "参照URL", FieldKind.TEXT, ("関連ページ", "リンク", "ページ"), 1000),
    FaqField("audience", "公開範囲", FieldKind.AUDIENCE, ("対象", "公開先")),
    FaqField("valid_from", "公開開始日", FieldKind.DATE, ("掲載開始日", "有効開始日")),
    FaqField("valid_until", "公開終了日", FieldKind.DATE, ("掲載終了日", "有効期限", "有効終了日")),
    FaqField("owner", "管理者", FieldKind.TEXT, ("更新担当", "責任者"), 200),
    FaqField("answer_easy", "やさしい日本語", FieldKind.LONG_TEXT,
             ("回答（やさしい日本語）", "やさしい日本語の回答", "easy_answer"), 10_000),
)
FIELD = {field.name: field for field in FAQ_FIELDS}
ENTRY_FIELDS = tuple(field for field in FAQ_FIELDS if field.kind is not FieldKind.ID)  # what an editor edits
TEXT_FIELDS = tuple(field.name for field in FAQ_FIELDS if field.kind in (FieldKind.TEXT, FieldKind.LONG_TEXT))
FIELD_LABELS = {field.name: field.label for field in FAQ_FIELDS}
FORM_LIMITS = {field.name: field.limit for field in ENTRY_FIELDS if field.limit is not None}
STORED_LIMITS = {field.name: field.limit
                 for field in FAQ_FIELDS if field.kind is FieldKind.TEXT and field.limit}


PARAPHRASE_SEPARATORS = re.compile(r"[|｜\r\n]+")  # one cell or form field holds several paraphrases


def paraphrase_parts(text: str) -> list[str]:
    """The paraphrases written in one cell or field, split on | ｜ and line breaks, empty ones dropped."""
    return [part.strip() for part in PARAPHRASE_SEPARATORS.split(text) if part.strip()]

def limit_of(name: str) -> int:
    """The declared length of a bounded field (the database column's length, for TEXT and ID fields)."""
    limit = FIELD[name].limit
    if limit is None:
        raise KeyError(f"{name} has no length limit")
    return limit
