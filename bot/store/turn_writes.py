"""Writing turns: the statements for all the turns of one transaction, and the checks that keep a replayed
or already-escalated turn from being written twice."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from bot.store.facts import TurnFacts
from bot.store.tables import ChannelEvent, Conversation, Escalation, Turn, utcnow

if TYPE_CHECKING:
    from bot.store.repository import ConversationStore

REPLAYED = "spool:"  # channel_events ids of replayed spool rows: spool:<row key>:<turn id>
ESCALATION_STORED = select(Escalation.id).where(Escalation.id == bindparam("escalation"))  # built once


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
        with self.store.writing() as session:
            return self._write(session, [(facts, once)])[0]

    def together(self, turns: list[tuple[TurnFacts, str | None]]) -> list[StoredTurn | BaseException]:
        """One transaction for all the turns. A value the database refuses (a too-long text, a broken
        constraint) rolls it back, and then each turn is written in a transaction of its own, so one
        resident's bad turn is refused alone and the others' are all stored."""
        try:
            with self.store.writing() as session:
                return list(self._write(session, turns))
        except (DataError, IntegrityError):
            if len(turns) == 1:
                raise
        return [self._alone_or_refusal(facts, once) for facts, once in turns]

    def _alone_or_refusal(self, facts: TurnFacts, once: str | None) -> StoredTurn | BaseException:
        try:
            return self.alone(facts, once)
        except (DataError, IntegrityError) as refused:
            return refused

    def _write(self, session: Session, turns: list[tuple[TurnFacts, str | None]]) -> list[StoredTurn]:
        """The turns not stored before go in as two prepared statements for all of them (every request writes
        a conversation and a turn: the ORM's unit of work for them cost a request more than answering it, a
        statement each cost a turn more than its share of the commit); replay notes and escalations, rarer,
        through the ORM."""
        before = [self._stored_before(session, facts, once) for facts, once in turns]
        new = [turn for turn, stored in zip(turns, before, strict=True) if stored is None]
        ids = iter(self._insert(session, [facts for facts, _ in new]))
        written = []
        for (facts, once), stored in zip(turns, before, strict=True):
            if stored is None:
                stored = StoredTurn(next(ids), facts.escalation_id)
                self._note_in(session, facts, once, stored.turn_id)
            written.append(stored)
        return written

    def _stored_before(self, session: Session, facts: TurnFacts, once: str | None) -> StoredTurn | None:
        """A replayed spool row already stored, or an escalation id already stored: not written twice."""
        if once and (done := self._replayed(session, once)) is not None:
            return StoredTurn(done, facts.escalation_id)
        if facts.escalation_id and session.connection().execute(
                ESCALATION_STORED, {"escalation": facts.escalation_id}).first() is not None:
            return StoredTurn(0, facts.escalation_id)
        return None

    def _insert(self, session: Session, turns: list[TurnFacts]) -> list[int]:
        if not turns:
            return []
        now, connection = utcnow(), session.connection()
        connection.execute(self.statements.conversation, [
            {"id": facts.conversation_id, "channel": facts.channel, "audience": facts.audience,
             "created_at": now, "updated_at": now} for facts in turns])
        return list(connection.execute(self.statements.turn, [
            {"conversation_id": facts.conversation_id, "created_at": now, "question": facts.question,
             "normalised": facts.normalised, "intent": facts.intent, "decision": facts.decision,
             "confidence": facts.confidence, "shown_entry_id": facts.shown_entry_id, "choices": facts.choices,
             "candidates": facts.candidates} for facts in turns]).scalars())

    def _note_in(self, session: Session, facts: TurnFacts, once: str | None, turn_id: int) -> None:
        """The spool row's replay note and the escalation, in the turn's transaction."""
        if once:
            session.add(ChannelEvent(id=f"{REPLAYED}{once}:{turn_id}", channel="spool", received_at=utcnow()))
        if facts.escalation_id:
            self.store.escalate_in(session, turn_id, facts)

    @staticmethod
    def _replayed(session: Session, once: str) -> int | None:
        noted = session.scalars(
            select(ChannelEvent.id).where(ChannelEvent.id.startswith(f"{REPLAYED}{once}:"))).first()
        return int(noted.rsplit(":", 1)[1]) if noted else None
