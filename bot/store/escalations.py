"""The escalation lifecycle the desk works on: new → claimed → answered → closed, or dropped.

Every change is one transaction that also writes the audit log and, for replies that must travel
(LINE push, Slack thread), an outbox row; two agents can never both claim one escalation because a
claim is a conditional update on the status.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.store.database import rows_touched
from bot.store.insights import is_typed_question
from bot.store.outbox import enqueue
from bot.store.repository import ConversationStore
from bot.store.routes import ReplyRoute
from bot.store.states import Channel, Delivery, EscalationStatus, ReplyVia
from bot.store.tables import AuditEntry, Escalation, Feedback, Turn, utcnow
from bot.store.views import EscalationView
from knowledge.core.errors import ConflictError, NotFoundError

STATUSES = tuple(EscalationStatus)
REPLYABLE = (EscalationStatus.CLAIMED, EscalationStatus.ANSWERED)
UNREAD = (Delivery.WAITING, Delivery.UNDELIVERED, Delivery.UNREACHABLE)  # the resident has not got the reply
PUSHED_CHANNELS = (Channel.LINE, Channel.SLACK)
CALLBACK_NOTE = "電話で折り返し済み"
DELIVERY_OF: dict[str, Delivery] = {ReplyVia.WEB: Delivery.WAITING, ReplyVia.LINE: Delivery.PENDING,
                                    ReplyVia.SLACK: Delivery.PENDING,
               ReplyVia.EMAIL: Delivery.PENDING}


@dataclass(frozen=True, slots=True)
class TranscriptTurn:
    """One turn as the desk shows it (question text is the masked copy)."""

    id: int
    at: datetime
    question: str
    intent: str
    decision: str
    confidence: float
    shown_entry_id: str | None
    candidates: list[dict]
    choices: list[str] = field(default_factory=list)
    feedback: str = ""  # 👍 or 👎, with the resident's (masked) comment: why they were unhappy


def asked(turns: Sequence[Any]) -> str:
    """The resident's real question: the latest one they typed, not a pick of a choice
    (「どれにも当てはまらない」 included) nor a request for a person (after 👎), so the desk, drafts and
    「FAQにする」 get their words."""
    return next((t.question for t in reversed(turns)
                 if t.intent == "question" and is_typed_question(t.question, t.shown_entry_id)), "")


def may_reply(escalation: Escalation | EscalationView) -> bool:
    """Whether the agent may reply (again): before any reply, or while the resident has not got it. After
    that a second reply would replace on the desk what the resident read, and the widget shows one reply
    per hand-over; what more there is to say goes by phone or mail."""
    return escalation.status == EscalationStatus.CLAIMED or (
        escalation.status == EscalationStatus.ANSWERED and escalation.delivery in UNREAD)


def reply_way(escalation: Escalation | EscalationView, mail_on: bool) -> ReplyVia:
    """How a reply reaches the resident: e-mail when they asked for it and the city sends mail, else the way
    the question came (the widget's next poll, a LINE push, the Slack thread); "" when there is no way."""
    if mail_on and escalation.preferred_reply == ReplyVia.EMAIL and escalation.contact_email:
        return ReplyVia.EMAIL
    if escalation.channel == Channel.WEB:
        return ReplyVia.WEB
    return (ReplyVia(escalation.channel) if escalation.channel in PUSHED_CHANNELS and escalation.route
            else ReplyVia.NONE)


def audit(session: Session, actor: str, action: str, target: str = "", **detail: object) -> None:
    """Append to the audit log inside the caller's transaction."""
    session.add(AuditEntry(actor=actor, action=action, target=target, detail=detail))


class EscalationStore:
    """Queue, transcript and the agent's actions on escalations."""

    def __init__(self, store: ConversationStore) -> None:
        self.store = store

    def queue(self, status: str | None = None, channel: str | None = None, department: str | None = None,
              older_than_hours: float | None = None, limit: int = 200) -> list[EscalationView]:
        """Oldest first, filtered the way an agent narrows the queue."""
        query = select(Escalation).order_by(Escalation.created_at).limit(limit)
        for column, value in ((Escalation.status, status), (Escalation.channel, channel),
                              (Escalation.department, department)):
            if value:
                query = query.where(column == value)
        if older_than_hours:
            query = query.where(Escalation.created_at <= utcnow() - timedelta(hours=older_than_hours))
        with self.store.guard(), self.store.session() as session:
            return [EscalationView.of(row) for row in session.scalars(query)]

    def counts(self) -> dict[str, int]:
        """How many escalations are in each status (zeros included)."""
        with self.store.guard(), self.store.session() as session:
            rows = session.execute(select(Escalation.status, func.count()).group_by(Escalation.status))
            found = dict(rows.tuples().all())
        return {status: found.get(status, 0) for status in STATUSES}

    def questions(self, escalations: list[EscalationView]) -> dict[int, str]:
        """The resident's (masked) real question per escalated turn id, in one query; the escalated turn's own
        words when they typed no question (「担当者と話したい」 first)."""
        asked_at = {e.turn_id: e.conversation_id for e in escalations if e.turn_id is not None}
        if not asked_at:
            return {}
        query = (select(Turn.id, Turn.conversation_id, Turn.question, Turn.intent, Turn.shown_entry_id)
                 .where(Turn.conversation_id.in_(set(asked_at.values())),
                        Turn.id <= max(asked_at)).order_by(Turn.id))
        with self.store.guard(), self.store.session() as session:
            turns = session.execute(query).all()
        earlier = {turn_id: [t for t in turns if t.conversation_id == conversation and t.id <= turn_id]
                   for turn_id, conversation in asked_at.items()}
        return {turn_id: asked(found) or next((t.question for t in found if t.id == turn_id), "")
                for turn_id, found in earlier.items()}

    def get(self, escalation_id: str) -> EscalationView:
        """One escalation; NotFoundError when it does not exist."""
        with self.store.guard(), self.store.session() as session:
            return EscalationView.of(self._get(session, escalation_id))

    @staticmethod
    def _get(session: Session, escalation_id: str) -> Escalation:
        escalation = session.get(Escalation, escalation_id)
        if escalation is None:
            raise NotFoundError(f"引き継ぎ {escalation_id} はありません。")
        return escalation

    def transcript(self, escalation_id: str, limit: int = 30) -> list[TranscriptTurn]:
        """The conversation's turns up to the escalation, newest `limit`, oldest first."""
        return self._turns(escalation_id, before=True, limit=limit)

    def later(self, escalation_id: str, limit: int = 20) -> list[TranscriptTurn]:
        """What the resident wrote after the hand-over (the agent must see it), oldest first."""
        return self._turns(escalation_id, before=False, limit=limit)

    def _turns(self, escalation_id: str, before: bool, limit: int) -> list[TranscriptTurn]:
        with self.store.guard(), self.store.session() as session:
            escalation = self._get(session, escalation_id)
            query = select(Turn).where(Turn.conversation_id == escalation.conversation_id)
            if escalation.turn_id:
                query = query.where(Turn.id <= escalation.turn_id if before else Turn.id > escalation.turn_id)
            elif not before:
                return []
            ordered = Turn.id.desc() if before else Turn.id
            turns = sorted(session.scalars(query.order_by(ordered).limit(limit)), key=lambda t: t.id)
            votes = self._feedback(session, [t.id for t in turns])
        return [TranscriptTurn(t.id, t.created_at, t.question, t.intent, t.decision, t.confidence,
                               t.shown_entry_id, t.candidates or [], t.choices or [], votes.get(t.id, ""))
                for t in turns]

    @staticmethod
    def _feedback(session: Session, turn_ids: list[int]) -> dict[int, str]:
        """The latest 👍/👎 of each turn, with its comment."""
        found: dict[int, str] = {}
        for vote in session.scalars(select(Feedback).where(Feedback.turn_id.in_(turn_ids))
                                    .order_by(Feedback.id)):
            comment = f" {vote.comment}" if vote.comment else ""
            found[vote.turn_id] = ("👍" if vote.helpful else "👎") + comment
        return found

    def resident_question(self, escalation_id: str) -> str:
        """The resident's own words: the last question they typed before the hand-over ("" when none)."""
        return asked(self.transcript(escalation_id))

    def claim(self, escalation_id: str, agent: str) -> None:
        """Take a new escalation; ConflictError when someone else was first."""
        with self.store.guard(), self.store.session() as session, session.begin():
            claim = (update(Escalation).where(Escalation.id == escalation_id,
                                              Escalation.status == EscalationStatus.NEW)
                     .values(status=EscalationStatus.CLAIMED, claimed_by=agent, claimed_at=utcnow(),
                             updated_at=utcnow()))
            won = rows_touched(session.execute(claim)) == 1
            if not won:
                current = self._get(session, escalation_id)
                raise ConflictError(f"already {current.status} by {current.claimed_by or 'nobody'}")
            audit(session, agent, "claim", escalation_id)

    def release(self, escalation_id: str, actor: str, anyones: bool = False) -> None:
        """Put a claimed escalation back in the queue, for its agent or, with `anyones`, for whoever may free
        another agent's claim (an editor, when the agent is away); ConflictError when it is not so claimed."""
        with self.store.guard(), self.store.session() as session, session.begin():
            current = self._get(session, escalation_id)
            status, holder = current.status, current.claimed_by  # the update below refreshes `current`
            mine_or_any = Escalation.claimed_by.is_not(None) if anyones else Escalation.claimed_by == actor
            freed = (update(Escalation).where(Escalation.id == escalation_id,
                                              Escalation.status == EscalationStatus.CLAIMED, mine_or_any)
                     .values(status=EscalationStatus.NEW, claimed_by=None, claimed_at=None,
                             updated_at=utcnow()))
            if rows_touched(session.execute(freed)) != 1:
                raise ConflictError(f"escalation is {status} by {holder or 'nobody'}")
            audit(session, actor, "release", escalation_id, agent=holder)

    def _mine(self, session: Session, escalation_id: str, agent: str,
              allowed: tuple[EscalationStatus, ...]) -> Escalation:
        escalation = self._get(session, escalation_id)
        if escalation.status not in allowed:
            raise ConflictError(f"escalation is {escalation.status}")
        if escalation.claimed_by not in (agent, None):
            raise ConflictError(f"claimed by {escalation.claimed_by}")
        return escalation

    def reply(self, escalation_id: str, agent: str, text: str, mail_on: bool = False) -> Delivery:
        """Record the reply and queue its delivery the way it must go (`reply_way`); returns the delivery
        state."""
        with self.store.guard(), self.store.session() as session, session.begin():
            escalation = self._mine(session, escalation_id, agent, REPLYABLE)
            if not may_reply(escalation):
                raise ConflictError("the resident already has a reply to this escalation")
            via = reply_way(escalation, mail_on)
            delivery = DELIVERY_OF.get(via, Delivery.UNREACHABLE)
            escalation.status, escalation.reply_text, escalation.delivery = (
                EscalationStatus.ANSWERED, text, delivery)
            escalation.reply_via = via
            escalation.answered_at = escalation.updated_at = utcnow()
            escalation.claimed_by = agent
            if delivery is Delivery.PENDING:
                enqueue(session, "reply", f"reply:{escalation_id}:{utcnow().timestamp()}", escalation_id)
            audit(session, agent, "reply", escalation_id, delivery=delivery, via=via, chars=len(text))
            return delivery

    def record_callback(self, escalation_id: str, agent: str, note: str = "") -> None:
        """The agent phoned (or e-mailed) the resident; nothing is sent by madoguchi."""
        with self.store.guard(), self.store.session() as session, session.begin():
            escalation = self._mine(session, escalation_id, agent, REPLYABLE)
            if not may_reply(escalation):
                raise ConflictError("the resident already has a reply to this escalation")
            escalation.status, escalation.delivery = EscalationStatus.ANSWERED, Delivery.CALLBACK
            escalation.reply_text = note or CALLBACK_NOTE
            escalation.answered_at = escalation.updated_at = utcnow()
            escalation.claimed_by = agent
            audit(session, agent, "callback", escalation_id)

    def close(self, escalation_id: str, agent: str) -> None:
        """Done with an answered escalation."""
        self._finish(escalation_id, agent, EscalationStatus.CLOSED, (EscalationStatus.ANSWERED,), "")

    def drop(self, escalation_id: str, agent: str, reason: str) -> None:
        """Not worth an answer (spam, duplicate, test); the reason is kept."""
        if not reason.strip():
            raise ConflictError("say why the escalation is dropped")
        self._finish(escalation_id, agent, EscalationStatus.DROPPED,
                     (EscalationStatus.NEW, EscalationStatus.CLAIMED), reason.strip())

    def _finish(self, escalation_id: str, agent: str, status: EscalationStatus,
                allowed: tuple[EscalationStatus, ...], reason: str) -> None:
        with self.store.guard(), self.store.session() as session, session.begin():
            escalation = self._mine(session, escalation_id, agent, allowed)
            escalation.status, escalation.drop_reason = status, reason
            escalation.closed_at = escalation.updated_at = utcnow()
            audit(session, agent, status, escalation_id, reason=reason)

    def set_delivery(self, escalation_id: str, state: Delivery, actor: str = "madoguchi") -> None:
        """What happened to a pushed reply: delivered, or undelivered after the retries ran out."""
        with self.store.guard(), self.store.session() as session, session.begin():
            self._get(session, escalation_id).delivery = state
            audit(session, actor, f"delivery.{state}", escalation_id)

    def route(self, escalation_id: str) -> ReplyRoute | None:
        """The sealed route, opened; None when the channel needs none or the store has no key."""
        escalation = self.get(escalation_id)
        if not escalation.route or self.store.cipher is None:
            return None
        return self.store.cipher.open(escalation.route)

    def web_replies(self, conversation_id: str) -> list[EscalationView]:
        """Agents' replies for a widget session (an e-mailed one too, whatever became of the mail); replies
        waiting for the widget become delivered as they are handed out."""
        shown = Escalation.delivery.in_((Delivery.WAITING, Delivery.DELIVERED)) | (
            (Escalation.reply_via == ReplyVia.EMAIL)
            & Escalation.delivery.in_((Delivery.PENDING, Delivery.UNDELIVERED)))
        with self.store.guard(), self.store.session() as session, session.begin():
            found = list(
                session.scalars(select(Escalation).where(Escalation.conversation_id == conversation_id, shown)
                                .order_by(Escalation.answered_at)))
            for escalation in found:
                if escalation.delivery == Delivery.WAITING:
                    escalation.delivery = Delivery.DELIVERED
            return [EscalationView.of(escalation) for escalation in found]
