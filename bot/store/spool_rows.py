"""What each kind of spooled row does when the database is back, and how a set-aside row is masked."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.store.facts import TurnFacts
from bot.store.masking import mask_personal_data
from bot.store.repository import ConversationStore
from knowledge.core.errors import NotFoundError

TurnLookup = Callable[[str, int], "int | None"]


@dataclass(frozen=True, slots=True)
class Row:
    """One spooled row as claimed for replay."""

    id: int
    kind: str
    conversation: str
    ref: str | None
    key: str | None
    facts: str


class UnreadableRow(ValueError):
    """A row this version cannot read (written by another version, or damaged)."""


def _data(row: Row) -> dict[str, Any]:
    try:
        data = json.loads(row.facts)
    except ValueError as exc:
        raise UnreadableRow(f"unreadable {row.kind} ({exc})") from exc
    if not isinstance(data, dict):
        raise UnreadableRow(f"unreadable {row.kind} (not an object)")
    return data


def replay_turn(store: ConversationStore, row: Row, _: TurnLookup) -> int:
    """The turn and its escalation; `key` makes a second replay of the same row a no-op."""
    try:
        facts = TurnFacts(**_data(row))
    except TypeError as exc:
        raise UnreadableRow(f"unreadable turn ({exc})") from exc
    return store.record(facts, once=row.key).turn_id


def replay_contact(store: ConversationStore, row: Row, _: TurnLookup) -> None:
    """Contact details, after the escalation they belong to (rows replay in order)."""
    data = _data(row)
    try:
        store.add_contact(row.conversation, str(row.ref), data["name"], data["email"], data["phone"],
                          data["preferred"])
    except KeyError as exc:
        raise UnreadableRow(f"unreadable contact (no {exc})") from exc


def replay_feedback(store: ConversationStore, row: Row, stored_turn: TurnLookup) -> None:
    """👍/👎; a negative turn id names a spooled turn, replayed before this row, whose stored id is looked
    up."""
    data, turn_id = _data(row), int(str(row.ref))
    if turn_id < 0:
        turn_id = stored_turn(row.conversation, turn_id) or 0
        if not turn_id:
            raise NotFoundError("the turn this feedback is about has not been stored")
    store.add_feedback(row.conversation, turn_id, bool(data.get("helpful")), str(data.get("comment", "")))


REPLAY: dict[str, Callable[[ConversationStore, Row, TurnLookup], int | None]] = {
    "turn": replay_turn, "contact": replay_contact, "feedback": replay_feedback}


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return mask_personal_data(value)
    if isinstance(value, list):
        return [_mask(item) for item in value]
    if isinstance(value, dict):
        return {key: _mask(item) for key, item in value.items()}
    return value


def masked(text: str) -> str:
    """A row's text with personal data masked, the sealed reply route dropped and a name replaced."""
    try:
        data = json.loads(text)
    except ValueError:
        return mask_personal_data(text)
    if isinstance(data, dict):
        data = {**data, **({"route": ""} if "route" in data else {}),
                **({"name": "[氏名]"} if data.get("name") else {})}
    return json.dumps(_mask(data), ensure_ascii=False)
