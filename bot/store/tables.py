"""Tables of the conversation store (SQLAlchemy 2 declarative). Changes go through a new migration.

Text columns drop what PostgreSQL cannot keep (`bot.store.values`); ids made by channels fit `ID_LENGTH`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, ForeignKey, Integer, UniqueConstraint, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.store.states import EscalationStatus, LabelStatus
from bot.store.values import ID_LENGTH
from bot.store.values import StoredString as String
from bot.store.values import StoredText as Text
from knowledge.fields import limit_of


def utcnow() -> datetime:
    """Timezone-aware now, stored as UTC."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive UTC timestamps, PostgreSQL aware ones; make both aware, in UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of the store."""


class Conversation(Base):
    """One resident's or staff member's conversation on one channel."""

    __tablename__ = "conversations"
    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    audience: Mapped[str] = mapped_column(String(16))
    user_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    # asked for 「ふりがな」
    furigana: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Turn(Base):
    """A question and what the bot did with it. Text is stored masked."""

    __tablename__ = "turns"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"),
                                                 index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    question: Mapped[str] = mapped_column(Text)
    normalised: Mapped[str] = mapped_column(Text)
    intent: Mapped[str] = mapped_column(String(16))
    decision: Mapped[str] = mapped_column(String(16))
    confidence: Mapped[float] = mapped_column(Float)
    shown_entry_id: Mapped[str | None] = mapped_column(String(128))
    choices: Mapped[list[str]] = mapped_column(JSON, default=list)
    candidates: Mapped[list[dict]] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(16), default="ja", server_default="ja")


class Feedback(Base):
    """👍 / 👎 on a turn, with an optional (masked) comment."""

    __tablename__ = "feedback"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    turn_id: Mapped[int] = mapped_column(ForeignKey("turns.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    helpful: Mapped[bool] = mapped_column()
    comment: Mapped[str] = mapped_column(Text, default="")


class Escalation(Base):
    """A question handed to people, stored before the resident is told it was received."""

    __tablename__ = "escalations"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"),
                                                 index=True)
    turn_id: Mapped[int | None] = mapped_column(ForeignKey("turns.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default=EscalationStatus.NEW, index=True)
    reason: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(32))
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(320), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    preferred_reply: Mapped[str] = mapped_column(String(16), default="")
    audience: Mapped[str] = mapped_column(String(16), default="resident")
    department: Mapped[str] = mapped_column(String(200), default="", index=True)
    route: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reply_text: Mapped[str] = mapped_column(Text, default="")
    delivery: Mapped[str] = mapped_column(String(16), default="")
    reply_via: Mapped[str] = mapped_column(String(16), default="")
    drop_reason: Mapped[str] = mapped_column(Text, default="")


class ChannelEvent(Base):
    """An event id a channel has already handled (LINE redelivers, Slack retries)."""

    __tablename__ = "channel_events"
    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OutboxMessage(Base):
    """Work to do after a commit (notify the desk, deliver a reply), stored in the same transaction."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(64), unique=True)
    escalation_id: Mapped[str | None] = mapped_column(String(64), index=True)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    last_error: Mapped[str] = mapped_column(Text, default="")


class DeskUser(Base):
    """A call-center agent, editor or administrator with a local account."""

    __tablename__ = "desk_users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DeskSession(Base):
    """A signed-in browser; only the token's hash is stored."""

    __tablename__ = "desk_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("desk_users.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    """Who did what in the desk, kept for accountability."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(160), default="")
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class EntryVersion(Base):
    """One version of an FAQ entry managed in the desk; the newest approved one per entry is live.
    Its content columns are the fields of `knowledge.fields`, with their names and declared lengths."""

    __tablename__ = "entry_versions"
    __table_args__ = (UniqueConstraint("entry_id", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[str] = mapped_column(String(limit_of("id")), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    paraphrases: Mapped[list[str]] = mapped_column(JSON, default=list)
    category: Mapped[str] = mapped_column(String(limit_of("category")), default="")
    department: Mapped[str] = mapped_column(String(limit_of("department")), default="")
    contact: Mapped[str] = mapped_column(String(limit_of("contact")), default="")
    url: Mapped[str] = mapped_column(String(limit_of("url")), default="")
    audience: Mapped[str] = mapped_column(String(16), default="resident")
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    owner: Mapped[str] = mapped_column(String(limit_of("owner")), default="")
    answer_easy: Mapped[str] = mapped_column(Text, default="")
    escalation_id: Mapped[str | None] = mapped_column(String(64))
    author: Mapped[str] = mapped_column(String(64))
    approver: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IndexActivation(Base):
    """One index version made live; the newest row per index is the version every worker serves."""

    __tablename__ = "index_activations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    index_name: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    by: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(String(200), default="")


class TenantRevision(Base):
    """One version of the list of cities a server hosts; servers read the newest when they start."""

    __tablename__ = "tenant_revisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document: Mapped[dict] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    by: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(1000))


class QuestionLabel(Base):
    """An entry that answers a (masked) question: from an agent's click or reply, an approved desk FAQ, or
    a weak label (a resident's pick or 👍) that an editor accepted ("active") or took off ("removed")."""

    __tablename__ = "question_labels"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    question: Mapped[str] = mapped_column(Text)
    normalised: Mapped[str] = mapped_column(Text)
    entry_id: Mapped[str] = mapped_column(String(128), index=True)
    audience: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16), index=True)
    status: Mapped[str] = mapped_column(String(16), default=LabelStatus.ACTIVE, index=True)
    conversation_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    turn_id: Mapped[int | None] = mapped_column(Integer)
    by: Mapped[str] = mapped_column(String(64))


class Call(Base):
    """A phone call an agent logged from the desk's search: answered with an entry, forwarded to a department,
    or not resolved (an escalation). The caller's (masked) question is the turn `turn_id` on channel
    `phone`."""

    __tablename__ = "calls"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"),
                                                 index=True)
    turn_id: Mapped[int | None] = mapped_column(ForeignKey("turns.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    agent: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16), index=True)
    entry_id: Mapped[str | None] = mapped_column(String(128))
    department: Mapped[str] = mapped_column(String(200), default="")
    handling_seconds: Mapped[int | None] = mapped_column(Integer)
    escalation_id: Mapped[str | None] = mapped_column(String(64))
