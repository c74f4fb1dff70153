"""Plain, frozen copies of the rows the store's services hand to the desk, the delivery worker and the web.

A row leaving its session is still an ORM object: it can be changed without anything being saved, and an
attribute not yet loaded fails far from the query that should have loaded it. The services copy each
escalation and FAQ-entry version into these instead, so a caller reads values and never holds the mapping.
The field names are the tables' column names (`bot/store/tables.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, Self

from bot.store.tables import EntryVersion, Escalation


def _copied(cls: type[Any], row: object) -> dict[str, Any]:
    return {field.name: getattr(row, field.name) for field in fields(cls)}


@dataclass(frozen=True, slots=True)
class EscalationView:
    """One escalation as it was when read: who asked, on which channel, its state and the agent's reply."""

    id: str
    conversation_id: str
    turn_id: int | None
    created_at: datetime
    status: str
    reason: str
    channel: str
    contact_name: str
    contact_email: str
    contact_phone: str
    preferred_reply: str
    audience: str
    department: str
    route: str
    updated_at: datetime | None
    claimed_by: str | None
    claimed_at: datetime | None
    answered_at: datetime | None
    closed_at: datetime | None
    reply_text: str
    delivery: str
    reply_via: str
    drop_reason: str

    @classmethod
    def of(cls, row: Escalation) -> Self:
        """The row's values, copied."""
        return cls(**_copied(cls, row))


@dataclass(frozen=True, slots=True)
class EntryVersionView:
    """One version of a desk-managed FAQ entry as it was when read: its content fields and its decision."""

    id: int
    entry_id: str
    version: int
    status: str
    question: str
    answer: str
    paraphrases: list[str]
    category: str
    department: str
    contact: str
    url: str
    audience: str
    valid_from: date | None
    valid_until: date | None
    owner: str
    answer_easy: str
    escalation_id: str | None
    author: str
    approver: str | None
    note: str
    created_at: datetime
    approved_at: datetime | None

    @classmethod
    def of(cls, row: EntryVersion) -> Self:
        """The row's values, copied (the paraphrase list too, so the copy never shares it with the row)."""
        return cls(**(_copied(cls, row) | {"paraphrases": list(row.paraphrases or [])}))
