"""What an editor sees before approving: each changed field of a draft against the live version.

Japanese has no spaces between words, so long text is compared character by character; the
template marks removed text with <del> and added text with <ins> (escaped, never raw HTML).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from difflib import SequenceMatcher

from bot.service.contracts import EntryFields
from channels.desk.wording import audience_words
from knowledge.fields import FIELD_LABELS

REWRITE_BELOW = 0.5


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of text that is unchanged (" "), removed ("-") or added ("+")."""

    op: str
    text: str


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field that differs, with its segments; lists (paraphrases) come as removed and added items."""

    name: str
    label: str
    segments: list[Segment]
    removed: list[str]
    added: list[str]


def _as_text(value: object, name: str = "") -> str:
    """What the editor reads: 公開範囲 as 住民・職員・全員, never the stored resident/staff/all."""
    if name == "audience":
        return audience_words(value)
    return "" if value is None else str(value)


def segments(old: str, new: str) -> list[Segment]:
    """Character-level differences from old to new; a rewrite reads better as all-out, all-in."""
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    if matcher.ratio() < REWRITE_BELOW:
        return [Segment(op, text) for op, text in (("-", old), ("+", new)) if text]
    out: list[Segment] = []
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag in ("delete", "replace"):
            out.append(Segment("-", old[a1:a2]))
        if tag in ("insert", "replace"):
            out.append(Segment("+", new[b1:b2]))
        if tag == "equal":
            out.append(Segment(" ", old[a1:a2]))
    return out


def field_changes(draft: EntryFields, live: EntryFields | None) -> list[FieldChange]:
    """Every field of the draft that differs from the live content (all filled fields for a new entry)."""
    changes = []
    for item in fields(EntryFields):
        old = getattr(live, item.name) if live is not None else None
        new = getattr(draft, item.name)
        if old == new or (live is None and not new):
            continue
        if item.name == "paraphrases":
            before = list(old or ())
            changes.append(FieldChange(item.name, FIELD_LABELS[item.name], [],
                                       [p for p in before if p not in new],
                                       [p for p in new if p not in before]))
        else:
            changes.append(FieldChange(item.name, FIELD_LABELS[item.name],
                                       segments(_as_text(old, item.name), _as_text(new, item.name)), [], []))
    return changes
