"""Writing turns: the statements for all the turns of one transaction, and the checks that keep a replayed
or already-escalated turn from being written twice."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DataError, IntegrityError

from bot.store.facts import TurnFacts
from bot.store.tables import ChannelEvent, Conversation, Escalation, OutboxMessage, Turn, utcnow

if TYPE_CHECKING:
    from bot.store.repository import ConversationStore

REPLAYED = "spool:"  # channel_events ids of replayed spool rows: spool:<row key>:<turn id>
# built once: every turn runs the first, every escalated turn the others
ESCALATION_STORED = select(Escalation.id).where(Escalation.id == bindparam("escalation"))
LEFT_CONTACT = (select(Escalation.contact_name, Escalation.contact_email, Escalation.contact_phone,
                       Escalation.preferred_reply)
                .where(Escalation.conversation_id == bindparam("conversation"),
                       Escalation.preferred_reply != "")
                .order_by(Escalation.created_at.desc()).limit(1))
NEW_ESCALATION, NEW_OUTBOX, NEW_EVENT = insert(Escalation), insert(OutboxMessage), insert(ChannelEvent)
REPLAY_NOTED = select(ChannelEvent.id).where(ChannelEvent.id.startswith(bindparam("once")))


@dataclass(frozen=True, slots=True)
class StoredTurn:
    """What a channel needs back after a turn is stored."""

    turn_id: int
    escalation_id: str | None


@dataclass(frozen=True, slots=True)
class TurnStatements:
    """The two statements every write of turns runs (once for all the turns of one transaction), built once
    per store so SQLAlchemy compiles them once."""

    conversation: Any
    turn: Any

    @classmethod
    def of(cls, dialect: str) -> TurnStatements:
        """Insert-or-touch the conversation in one statement (two first messages of one session may arrive
        together), and insert the turn returning its id."""
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        conversation = insert(Conversation)
        touch = conversation.on_conflict_do_update(index_elements=[Conversation.id],
                                                   set_={"updated_at": conversation.excluded.updated_at})
        return cls(touch, insert(Turn).returning(Turn.id, sort_by_parameter_order=True))


class TurnWrites:
    """The turn writes of one store: a turn alone (PostgreSQL, a replay after a refusal) or many together
    (SQLite's group commit, bot/store/group_commit.py)."""

    def __init__(self, store: ConversationStore) -> None:
        self.store = store
        self.statements = TurnStatements.of(store.engine.dialect.name)

    def alone(self, facts: TurnFacts, once: str | None) -> StoredTurn:
        """The turn in a transaction of its own."""
        with self.store.writing_rows() as connection:
            return self._write(connection, [(facts, once)])[0]

    def together(self, turns: list[tuple[TurnFacts, str | None]]) -> list[StoredTurn | BaseException]:
        """One transaction for all the turns. A value the database refuses (a too-long text, a broken
        constraint) rolls it back, and then each turn is written in a transaction of its own, so one
        resident's bad turn is refused alone and the others' are all stored."""
        try:
            with self.store.writing_rows() as connection:
                return list(self._write(connection, turns))
        except (DataError, IntegrityError):
            if len(turns) == 1:
                raise
        return [self._alone_or_refusal(facts, once) for facts, once in turns]

    def _alone_or_refusal(self, facts: TurnFacts, once: str | None) -> StoredTurn | BaseException:
        try:
            return self.alone(facts, once)
        except (DataError, IntegrityError) as refused:
            return refused

    def _write(self, connection: Connection, turns: list[tuple[TurnFacts, str | None]]) -> list[StoredTurn]:
        """The turns not stored before go in as two prepared statements for all of them (every request writes
        a conversation and a turn: the ORM's unit of work for them cost a request more than answering it, a
        statement each cost a turn more than its share of the commit), on a bare connection: an ORM session's
        begin, flush and close cost a turn a third of its write."""
        before = [self._stored_before(connection, facts, once) for facts, once in turns]
        new = [turn for turn, stored in zip(turns, before, strict=True) if stored is None]
        ids = iter(self._insert(connection, [facts for facts, _ in new]))
        written = []
        for (facts, once), stored in zip(turns, before, strict=True):
            if stored is None:
                stored = StoredTurn(next(ids), facts.escalation_id)
                self._note_in(connection, facts, once, stored.turn_id)
            written.append(stored)
        return written

    @staticmethod
    def _stored_before(connection: Connection, facts: TurnFacts, once: str | None) -> StoredTurn | None:
        """A replayed spool row already stored, or an escalation id already stored: not written twice (a turn
        that joins an open hand-over carries that hand-over's id, and is written)."""
        if once and (done := _replayed(connection, once)) is not None:
            return StoredTurn(done, facts.escalation_id)
        if facts.escalation_id and not facts.joined and connection.execute(
                ESCALATION_STORED, {"escalation": facts.escalation_id}).first() is not None:
            return StoredTurn(0, facts.escalation_id)
        return None

    def _insert(self, connection: Connection, turns: list[TurnFacts]) -> list[int]:
        if not turns:
            return []
        now = utcnow()
        connection.execute(self.statements.conversation, [
            {"id": facts.conversation_id, "channel": facts.channel, "audience": facts.audience,
             "created_at": now, "updated_at": now} for facts in turns])
        return list(connection.execute(self.statements.turn, [
            {"conversation_id": facts.conversation_id, "created_at": now, "question": facts.question,
             "normalised": facts.normalised, "intent": facts.intent, "decision": facts.decision,
             "confidence": facts.confidence, "shown_entry_id": facts.shown_entry_id, "choices": facts.choices,
             "candidates": facts.candidates, "language": facts.language} for facts in turns]).scalars())

    @staticmethod
    def _note_in(connection: Connection, facts: TurnFacts, once: str | None, turn_id: int) -> None:
        """The spool row's replay note and the escalation, in the turn's transaction."""
        if once:
            connection.execute(NEW_EVENT, {"id": f"{REPLAYED}{once}:{turn_id}", "channel": "spool",
                                           "received_at": utcnow()})
        if facts.escalation_id and not facts.joined:
            escalate_in(connection, turn_id, facts)


def _replayed(connection: Connection, once: str) -> int | None:
    noted = connection.execute(REPLAY_NOTED, {"once": f"{REPLAYED}{once}:"}).scalars().first()
    return int(noted.rsplit(":", 1)[1]) if noted else None


def escalate_in(connection: Connection, turn_id: int, facts: TurnFacts) -> None:
    """The escalation and its desk notification, in the caller's transaction (a turn's, or a logged call's):
    both or neither. Contact details the resident already left in this conversation come along: the widget
    asks for them only once."""
    left = connection.execute(LEFT_CONTACT, {"conversation": facts.conversation_id}).first()
    contact = left._asdict() if left is not None else {}
    connection.execute(NEW_ESCALATION, {
        "id": facts.escalation_id, "conversation_id": facts.conversation_id, "turn_id": turn_id,
        "reason": facts.reason, "channel": facts.channel, "audience": facts.audience,
        "department": facts.department, "route": facts.route, "updated_at": utcnow(), **contact})
    connection.execute(NEW_OUTBOX, {"kind": "escalation.created", "key": f"created:{facts.escalation_id}",
                                    "escalation_id": facts.escalation_id})
