"""Reading and writing conversations; the only code that talks to the store's tables."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Engine, select, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.answer import Answer
from bot.store.database import make_engine, migrate
from bot.store.masking import mask_personal_data
from bot.store.tables import ChannelEvent, Conversation, Escalation, Feedback, Turn, utcnow
from knowledge.errors import NotFoundError, StoreUnavailableError


@dataclass(frozen=True, slots=True)
class StoredTurn:
    """What a channel needs back after a turn is stored."""

    turn_id: int
    escalation_id: str | None


class ConversationStore:
    """Construct with a URL; `migrate()` once at startup; every method is one short transaction."""

    def __init__(self, url: str) -> None:
        self.engine: Engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def migrate(self) -> "ConversationStore":
        """Create or upgrade the schema."""
        migrate(self.engine)
        return self

    def _session(self) -> Session:
        return self._sessions()

    def ping(self) -> bool:
        """True when the database answers."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except SQLAlchemyError:
            return False

    def last_offered(self, conversation_id: str) -> tuple[str, ...]:
        """The choices offered in the conversation's latest turn."""
        with self._guard(), self._session() as session:
            latest = session.scalars(select(Turn).where(Turn.conversation_id == conversation_id)
                                     .order_by(Turn.id.desc()).limit(1)).first()
            return tuple(latest.choices) if latest else ()

    def record_turn(self, conversation_id: str, channel: str, audience: str, question: str,
                    normalised: str, reply: Answer) -> StoredTurn:
        """Store a turn (and its escalation) in one transaction, before the reply is sent."""
        with self._guard(), self._session() as session, session.begin():
            self._ensure_conversation(session, conversation_id, channel, audience)
            turn = Turn(conversation_id=conversation_id, question=mask_personal_data(question),
                        normalised=mask_personal_data(normalised), intent=reply.intent.value,
                        decision=reply.decision.value, confidence=reply.confidence,
                        shown_entry_id=reply.record.id if reply.record else None,
                        choices=[c.id for c in reply.choices if c.id != "none"],
                        candidates=[{"id": c.record.id, "score": round(c.score, 4)} for c in reply.candidates[:5]])
            session.add(turn)
            session.flush()
            escalation_id = self._escalate(session, turn, channel, reply) if reply.decision.value == "escalate" else None
            return StoredTurn(turn.id, escalation_id)

    def _ensure_conversation(self, session: Session, conversation_id: str, channel: str, audience: str) -> None:
        """Insert-or-touch in one statement: two first messages of one session may arrive together."""
        now = utcnow()
        insert = postgresql_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        statement = insert(Conversation).values(id=conversation_id, channel=channel, audience=audience,
                                                created_at=now, updated_at=now)
        session.execute(statement.on_conflict_do_update(index_elements=[Conversation.id], set_={"updated_at": now}))

    def _escalate(self, session: Session, turn: Turn, channel: str, reply: Answer) -> str:
        escalation = Escalation(id=uuid.uuid4().hex, conversation_id=turn.conversation_id, turn_id=turn.id,
                                reason=reply.reason or "escalated", channel=channel)
        session.add(escalation)
        return escalation.id

    def first_time(self, channel: str, event_id: str) -> bool:
        """Record an event id; False if it was seen before (a redelivery)."""
        insert = postgresql_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        statement = insert(ChannelEvent).values(id=f"{channel}:{event_id}", channel=channel, received_at=utcnow())
        with self._guard(), self._session() as session, session.begin():
            return session.execute(statement.on_conflict_do_nothing(index_elements=[ChannelEvent.id])).rowcount == 1

    def add_feedback(self, conversation_id: str, turn_id: int, helpful: bool, comment: str) -> None:
        """👍/👎 on a turn of this conversation."""
        with self._guard(), self._session() as session, session.begin():
            turn = session.get(Turn, turn_id)
            if turn is None or turn.conversation_id != conversation_id:
                raise NotFoundError(f"no turn {turn_id} in this conversation")
            session.add(Feedback(turn_id=turn_id, helpful=helpful, comment=mask_personal_data(comment)))

    def add_contact(self, conversation_id: str, escalation_id: str, name: str, email: str, phone: str,
                    preferred: str) -> None:
        """How the resident wants a reply; kept unmasked because a person must use it."""
        with self._guard(), self._session() as session, session.begin():
            escalation = session.get(Escalation, escalation_id)
            if escalation is None or escalation.conversation_id != conversation_id:
                raise NotFoundError(f"no escalation {escalation_id} in this conversation")
            escalation.contact_name, escalation.contact_email = name, email
            escalation.contact_phone, escalation.preferred_reply = phone, preferred

    def _guard(self):  # type: ignore[no-untyped-def]
        return _StoreGuard()


class _StoreGuard:
    """Turns database failures into StoreUnavailableError (HTTP 503) at one place."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, error, trace) -> bool:  # type: ignore[no-untyped-def]
        if isinstance(error, SQLAlchemyError):
            raise StoreUnavailableError(f"the conversation store is unavailable ({type(error).__name__})") from error
        return False
