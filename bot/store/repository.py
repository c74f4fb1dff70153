"""Reading and writing conversations; the only code that talks to the store's tables."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from types import TracebackType

from sqlalchemy import Connection, Engine, delete, select, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.store.database import make_engine, migrate, one_writer, rows_touched
from bot.store.facts import LatestOffer, TurnFacts
from bot.store.group_commit import GroupCommit
from bot.store.masking import mask_personal_data
from bot.store.routes import ReplyRoute, RouteCipher
from bot.store.states import EscalationStatus
from bot.store.tables import (
    Call,
    ChannelEvent,
    Conversation,
    Escalation,
    Feedback,
    OutboxMessage,
    QuestionLabel,
    Turn,
    utcnow,
)
from bot.store.timeouts import Probe, StoreTimeouts
from bot.store.turn_writes import StoredTurn, TurnWrites
from bot.store.values import bounded_id
from knowledge.core.errors import NotFoundError, StoreRefusedError, StoreUnavailableError
from knowledge.core.settings import get_settings

WAITING = (EscalationStatus.NEW, EscalationStatus.CLAIMED)  # hand-overs no agent has answered yet


class ConversationStore:
    """Construct with a URL; `migrate()` once at startup; every method is one short transaction."""

    def __init__(self, url: str, cipher: RouteCipher | None = None,
                 timeouts: StoreTimeouts | None = None) -> None:
        timeouts = timeouts or StoreTimeouts.of(get_settings())
        self.engine: Engine = make_engine(url, timeouts)
        self._write_seconds = timeouts.statement
        self.cipher = cipher
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._probe = Probe(self._ping)
        self._turns = TurnWrites(self)
        self._together: GroupCommit[tuple[TurnFacts, str | None], StoredTurn] | None = None
        if self.engine.dialect.name == "sqlite":
            self._together = GroupCommit(self._turns.together, timeouts.statement)

    def migrate(self) -> ConversationStore:
        """Create or upgrade the schema."""
        migrate(self.engine)
        return self

    def session(self) -> Session:
        """A new ORM session; sibling repositories (desk, outbox, entries) share the engine through it."""
        return self._sessions()

    @contextmanager
    def writing_rows(self) -> Iterator[Connection]:
        """`writing` on a bare connection, for statements built once (the turn writes, the outbox's lease and
        "done"), where an ORM session's begin, flush and close cost more than the rows."""
        with one_writer(self.engine, self._write_seconds), self.engine.begin() as connection:
            yield connection

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A session in a write transaction that, on SQLite, takes its turn with the conversation writer
        (`one_writer`) instead of meeting it in SQLite's busy handler, whose growing sleeps (up to 100 ms
        each) would hold up every turn queued behind it."""
        with one_writer(self.engine, self._write_seconds), self.session() as session, session.begin():
            yield session

    def ping(self, within: float | None = None) -> bool:
        """True when the database answers (within `within` seconds, for callers that must not wait longer)."""
        return self._probe(within) if within is not None else self._ping()

    def _ping(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError:
            return False

    def last_offer(self, conversation_id: str) -> LatestOffer:
        """The choices offered in the conversation's latest turn, and the language it spoke."""
        with self.guard(), self.session() as session:
            latest = session.scalars(select(Turn).where(Turn.conversation_id == conversation_id)
                                     .order_by(Turn.id.desc()).limit(1)).first()
            return LatestOffer(tuple(latest.choices), latest.language) if latest else LatestOffer()

    def last_candidates(self, conversation_id: str, turns: int = 5) -> list[dict]:
        """The candidates of the conversation's latest turn that searched (among its last `turns`)."""
        with self.guard(), self.session() as session:
            recent = session.scalars(select(Turn).where(Turn.conversation_id == conversation_id)
                                     .order_by(Turn.id.desc()).limit(turns))
            return next((list(t.candidates) for t in recent if t.candidates), [])

    def open_handover(self, conversation_id: str) -> str | None:
        """The conversation's escalation no agent has answered yet (new or claimed), if any: a later turn that
        escalates joins it, so one resident is one item in the desk's queue."""
        with self.guard(), self.session() as session:
            return session.scalars(select(Escalation.id).where(
                Escalation.conversation_id == conversation_id,
                Escalation.status.in_(WAITING))
                .order_by(Escalation.created_at.desc()).limit(1)).first()

    def seal(self, route: ReplyRoute | None) -> str:
        """The route encrypted for storage; empty when there is no route or no key."""
        return self.cipher.seal(route) if route and self.cipher else ""

    def record(self, facts: TurnFacts, once: str | None = None) -> StoredTurn:
        """Write prepared facts; an escalation id already stored (a replay) is not written twice. `once` (a
        spooled row's key) is noted with the turn id in the same transaction, so a replay cut short between
        this commit and the spool's delete finds the turn instead of storing it again. SQLite turns waiting
        for the one writer are committed together (bot/store/group_commit.py): one fsync for all of them,
        each caller back only after the commit that holds its turn. PostgreSQL writes each turn in its own
        transaction, side by side."""
        with self.guard():
            if self._together is not None:
                return self._together.run((facts, once))
            return self._turns.alone(facts, once)

    def record_many(self, many: list[TurnFacts]) -> list[StoredTurn | BaseException]:
        """Write many turns in one transaction (the city's turn writer, `bot.service.turn_queue`): one result
        per turn, in order, a stored turn or the StoreRefusedError that one turn alone met. The whole batch
        meeting an outage raises StoreUnavailableError."""
        with self.guard():
            written = self._turns.together([(facts, None) for facts in many])
        return [store_error(each) if isinstance(each, BaseException) else each for each in written]

    def ensure_conversation(self, session: Session, conversation_id: str, channel: str,
                            audience: str) -> None:
        """Insert-or-touch in one statement: two first messages of one session may arrive together."""
        now = utcnow()
        session.connection().execute(self._turns.statements.conversation, {
            "id": conversation_id, "channel": channel, "audience": audience, "created_at": now,
            "updated_at": now})

    def record_event_once(self, channel: str, event_id: str) -> bool:
        """Record an event id; False if it was seen before (a redelivery)."""
        insert = postgresql_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        statement = insert(ChannelEvent).values(id=bounded_id(channel, event_id), channel=channel,
                                                received_at=utcnow())
        with self.guard(), self.writing() as session:
            inserted = statement.on_conflict_do_nothing(index_elements=[ChannelEvent.id]).returning(
                ChannelEvent.id)
            # rowcount is not reliable here on PostgreSQL
            return session.execute(inserted).first() is not None

    def conversation_ids(self, prefix: str) -> list[str]:
        """Conversations whose id starts with `prefix` (one web session, one LINE user, one Slack user)."""
        with self.guard(), self.session() as session:
            return list(session.scalars(
                select(Conversation.id).where(Conversation.id.startswith(prefix, autoescape=True))))

    def export(self, conversation_ids: list[str]) -> list[dict]:
        """Everything stored about these conversations, as plain data (for a resident's access request)."""
        with self.guard(), self.session() as session:
            return [self._export_one(session, cid) for cid in conversation_ids]

    def _export_one(self, session: Session, conversation_id: str) -> dict:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        turns = list(
            session.scalars(select(Turn).where(Turn.conversation_id == conversation_id).order_by(Turn.id)))
        ids = [t.id for t in turns]
        feedback = list(session.scalars(select(Feedback).where(Feedback.turn_id.in_(ids)))) if ids else []
        escalations = list(
            session.scalars(select(Escalation).where(Escalation.conversation_id == conversation_id)))
        return {"id": conversation.id, "channel": conversation.channel,
                "created_at": conversation.created_at.isoformat(),
                "turns": [{"at": t.created_at.isoformat(), "question": t.question, "decision": t.decision,
                           "shown_entry_id": t.shown_entry_id} for t in turns],
                "feedback": [{"turn": f.turn_id, "helpful": f.helpful, "comment": f.comment}
                             for f in feedback],
                "escalations": [{"id": e.id, "status": e.status, "reason": e.reason, "name": e.contact_name,
                                 "email": e.contact_email, "phone": e.contact_phone} for e in escalations]}

    def delete(self, conversation_ids: list[str]) -> int:
        """Remove conversations with their turns, feedback, escalations and the desk's labels of their
        questions (what an index version already learned stays until a person removes it there)."""
        with self.guard(), self.writing() as session:
            for conversation_id in conversation_ids:
                self._delete_children(session, [conversation_id])
            removed = delete(Conversation).where(Conversation.id.in_(conversation_ids))
            return rows_touched(session.execute(removed))

    def _delete_children(self, session: Session, conversation_ids: list[str]) -> None:
        turn_ids = select(Turn.id).where(Turn.conversation_id.in_(conversation_ids))
        session.execute(delete(Feedback).where(Feedback.turn_id.in_(turn_ids)))
        escalations = select(Escalation.id).where(Escalation.conversation_id.in_(conversation_ids))
        session.execute(delete(OutboxMessage).where(OutboxMessage.escalation_id.in_(escalations)))
        session.execute(delete(Escalation).where(Escalation.conversation_id.in_(conversation_ids)))
        session.execute(delete(Turn).where(Turn.conversation_id.in_(conversation_ids)))
        session.execute(delete(QuestionLabel).where(QuestionLabel.conversation_id.in_(conversation_ids)))
        session.execute(delete(Call).where(Call.conversation_id.in_(conversation_ids)))

    def purge_older_than(self, days: int) -> tuple[int, int]:
        """Delete conversations untouched for `days` days (the retention setting), except those an agent
        still has to answer or has worked on within those days: a resident waiting for a person is not
        forgotten by a retention run. Returns (deleted, kept because of their hand-over)."""
        cutoff = utcnow() - timedelta(days=days)
        busy = select(Escalation.conversation_id).where(Escalation.status.in_(WAITING)
                                                        | (Escalation.updated_at >= cutoff))
        old = select(Conversation.id).where(Conversation.updated_at < cutoff)
        with self.guard(), self.session() as session:
            stale = set(session.scalars(old))
            kept = set(session.scalars(old.where(Conversation.id.in_(busy))))
        if stale - kept:
            self.delete(sorted(stale - kept))
        with self.guard(), self.writing() as session:
            session.execute(delete(ChannelEvent).where(ChannelEvent.received_at < cutoff))
        return len(stale - kept), len(kept)

    def add_feedback(self, conversation_id: str, turn_id: int, helpful: bool, comment: str) -> None:
        """👍/👎 on a turn of this conversation: one per turn, a later one replaces it (the resident changed
        their mind), so the dashboard's 👍 rate cannot be pumped. The turn's row lock orders two at once."""
        with self.guard(), self.writing() as session:
            turn = session.get(Turn, turn_id, with_for_update=True)
            if turn is None or turn.conversation_id != conversation_id:
                raise NotFoundError(f"no turn {turn_id} in this conversation")
            earlier = session.scalars(select(Feedback).where(Feedback.turn_id == turn_id)).all()
            for extra in earlier[1:]:
                session.delete(extra)
            kept = earlier[0] if earlier else Feedback(turn_id=turn_id)
            kept.helpful, kept.comment, kept.created_at = helpful, mask_personal_data(comment), utcnow()
            session.add(kept)

    def add_contact(self, conversation_id: str, escalation_id: str, name: str, email: str, phone: str,
                    preferred: str) -> None:
        """How the resident wants a reply; kept unmasked because a person must use it."""
        with self.guard(), self.writing() as session:
            escalation = session.get(Escalation, escalation_id)
            if escalation is None or escalation.conversation_id != conversation_id:
                raise NotFoundError(f"no escalation {escalation_id} in this conversation")
            escalation.contact_name, escalation.contact_email = name, email
            escalation.contact_phone, escalation.preferred_reply = phone, preferred

    def guard(self) -> _StoreGuard:
        """Database failures become StoreUnavailableError (HTTP 503)."""
        return _StoreGuard()


class _StoreGuard:
    """Turns database failures into StoreUnavailableError (HTTP 503, an outage) or StoreRefusedError (the
    database answered no) at one place."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if error is not None and (converted := store_error(error)) is not error:
            raise converted from error


def store_error(error: BaseException) -> BaseException:
    """A database failure as madoguchi's: StoreRefusedError when the database answered no (a value it cannot
    store is a 422), StoreUnavailableError for an outage; any other error as it is."""
    converted: BaseException
    if isinstance(error, DataError):
        converted = StoreRefusedError("the conversation store refused a value of this request (DataError)",
                                      422)
    elif isinstance(error, IntegrityError):
        converted = StoreRefusedError("the conversation store refused a write (IntegrityError)")
    elif isinstance(error, SQLAlchemyError):
        converted = StoreUnavailableError(f"the conversation store is unavailable ({type(error).__name__})")
    else:
        return error
    converted.__cause__ = error
    return converted
