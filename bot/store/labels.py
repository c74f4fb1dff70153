"""Labels from the work people already do: which FAQ entry answers a resident's (masked) question.

Trusted labels are written when an agent marks a candidate or replies with an entry's text, and when an
editor approves a desk FAQ made from an escalation. Weak labels are not written at all: they are read off
the stored turns and feedback (a resident picked an offered entry and did not 👎 it, or 👍'd an answer).
A weak label counts only when at least `AGREEMENT` different conversations asked the same normalised
question and got the same entry, or when an editor accepted it on the 「学習した質問」 page. An editor may
also remove any label; a removal is a row too, so the history stays whole.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.store.database import rows_touched
from bot.store.escalations import audit
from bot.store.insights import is_typed_question
from bot.store.masking import mask_personal_data
from bot.store.repository import ConversationStore
from bot.store.states import LabelSource, LabelStatus, TurnDecision
from bot.store.tables import Conversation, Escalation, Feedback, QuestionLabel, Turn
from knowledge.core.errors import ConflictError, NotFoundError

TRUSTED = (LabelSource.AGENT, LabelSource.EDITOR, LabelSource.APPROVED)
AGREEMENT = 3
Key = tuple[str, str, str]  # (normalised question, entry id, audience)


@dataclass(slots=True)
class LabelGroup:
    """Every label of one question → entry pairing, as the learned-questions page and learning see it."""

    question: str
    normalised: str
    entry_id: str
    audience: str
    trusted: set[str] = field(default_factory=set)
    weak_conversations: set[str] = field(default_factory=set)
    accepted: bool = False
    removed: bool = False

    @property
    def key(self) -> Key:
        return self.normalised, self.entry_id, self.audience

    @property
    def agreed(self) -> bool:
        """Enough different conversations picked or 👍'd this entry for this question."""
        return len(self.weak_conversations) >= AGREEMENT

    @property
    def usable(self) -> bool:
        """Learned from: a trusted label, an accepted weak one, or weak ones enough conversations agree on."""
        return bool(self.trusted) or self.accepted or (self.agreed and not self.removed)


def _escalated_turn(session: Session, escalation_id: str) -> tuple[Escalation, Turn]:
    """The escalation and the resident's last typed question before it (masked when it was stored), not a
    pick of a choice: a hand-over from 「どれにも当てはまらない」 is stored as the pick 「none」."""
    escalation = session.get(Escalation, escalation_id)
    if escalation is None:
        raise NotFoundError(f"引き継ぎ {escalation_id} はありません。")
    query = select(Turn).where(Turn.conversation_id == escalation.conversation_id, Turn.intent == "question",
                               Turn.question != "")
    if escalation.turn_id:
        query = query.where(Turn.id <= escalation.turn_id)
    turns = session.scalars(query.order_by(Turn.id.desc()))
    turn = next((t for t in turns if is_typed_question(t.question, t.shown_entry_id)), None)
    if turn is None:
        raise ConflictError("この引き継ぎには住民の質問がないため、学習には使えません。")
    return escalation, turn


def label_escalation(session: Session, escalation_id: str, entry_id: str, source: str, by: str) -> bool:
    """Inside the caller's transaction: the escalated question is answered by `entry_id`. Marking the same
    entry for the same question twice keeps one label; returns whether a label was added."""
    escalation, turn = _escalated_turn(session, escalation_id)
    same = select(QuestionLabel.id).where(QuestionLabel.turn_id == turn.id,
                                          QuestionLabel.entry_id == entry_id,
                                          QuestionLabel.status == LabelStatus.ACTIVE)
    if session.scalars(same).first() is not None:
        return False
    session.add(QuestionLabel(question=mask_personal_data(turn.question),
                              normalised=turn.normalised or turn.question,
                              entry_id=entry_id, audience=escalation.audience or "resident", source=source,
                              conversation_id=escalation.conversation_id, turn_id=turn.id, by=by))
    audit(session, by, "label.add", escalation_id, entry=entry_id, source=source)
    return True


class LabelStore:
    """Trusted labels, weak labels read off the conversations, and the editor's accept / remove."""

    def __init__(self, store: ConversationStore) -> None:
        self.store = store

    def mark(self, escalation_id: str, entry_id: str, source: str, by: str) -> bool:
        """An agent's (or editor's) 「この FAQ で答えられる」 on an escalation's candidate."""
        with self.store.guard(), self.store.session() as session, session.begin():
            return label_escalation(session, escalation_id, entry_id, source, by)

    def marked(self, escalation_id: str) -> dict[str, str]:
        """Entries already marked as answering this escalation's question, with who marked each."""
        with self.store.guard(), self.store.session() as session:
            _, turn = _escalated_turn(session, escalation_id)
            return dict(session.execute(select(QuestionLabel.entry_id, QuestionLabel.by).where(
                QuestionLabel.turn_id == turn.id, QuestionLabel.status == LabelStatus.ACTIVE)
                .order_by(QuestionLabel.id)).tuples().all())

    def unmark(self, escalation_id: str, entry_id: str, by: str, any_author: bool = False) -> None:
        """Take back a 「この FAQ で答えられる」 clicked by mistake: one's own, or anyone's for an editor
        (`any_author`). Kept as a removed label and audited; NotFoundError when there is none to take back."""
        with self.store.guard(), self.store.session() as session, session.begin():
            _, turn = _escalated_turn(session, escalation_id)
            mine = update(QuestionLabel).where(QuestionLabel.turn_id == turn.id,
                                               QuestionLabel.entry_id == entry_id,
                                               QuestionLabel.status == LabelStatus.ACTIVE)
            if not any_author:
                mine = mine.where(QuestionLabel.by == by)
            if not rows_touched(session.execute(mine.values(status=LabelStatus.REMOVED))):
                raise NotFoundError(f"取り消せる FAQ {entry_id} の記録はありません"
                                    "（記録した本人か編集者だけが取り消せます）。")
            audit(session, by, "label.unmark", escalation_id, entry=entry_id)

    def groups(self) -> list[LabelGroup]:
        """Every question → entry pairing, stored or read off the turns, most conversations first."""
        found: dict[Key, LabelGroup] = {}
        with self.store.guard(), self.store.session() as session:
            for row in session.scalars(select(QuestionLabel).order_by(QuestionLabel.id)):
                _stored(found, row)
            for question, normalised, entry, audience, conversation in weak_signals(session):
                group = _group(found, question, normalised, entry, audience)
                group.weak_conversations.add(conversation)
        return sorted(found.values(), key=lambda g: (-len(g.trusted) - len(g.weak_conversations), g.entry_id))

    def accept(self, key: Key, by: str) -> None:
        """An editor vouches for a weak label: it is learned from even without agreement."""
        group = self._find(key)
        with self.store.guard(), self.store.session() as session, session.begin():
            session.add(QuestionLabel(question=group.question, normalised=group.normalised,
                                      entry_id=group.entry_id,
                                      audience=group.audience, source=LabelSource.WEAK, by=by))
            audit(session, by, "label.accept", group.entry_id, question=group.question)

    def remove(self, key: Key, by: str) -> None:
        """An editor takes a pairing off: its stored labels and its weak ones are no longer learned from."""
        group = self._find(key)
        normalised, entry_id, audience = key
        with self.store.guard(), self.store.session() as session, session.begin():
            session.execute(update(QuestionLabel).where(
                QuestionLabel.normalised == normalised, QuestionLabel.entry_id == entry_id,
                QuestionLabel.audience == audience,
                QuestionLabel.status == LabelStatus.ACTIVE).values(status=LabelStatus.REMOVED))
            session.add(QuestionLabel(question=group.question, normalised=normalised, entry_id=entry_id,
                                      audience=audience, source=LabelSource.WEAK, status=LabelStatus.REMOVED,
                                      by=by))
            audit(session, by, "label.remove", entry_id, question=group.question)

    def note(self, by: str, action: str) -> None:
        """Audit a learning run someone started from the desk."""
        with self.store.guard(), self.store.session() as session, session.begin():
            audit(session, by, action, "desk")

    def _find(self, key: Key) -> LabelGroup:
        group = next((g for g in self.groups() if g.key == key), None)
        if group is None:
            raise NotFoundError("その学習した質問はありません（ページを開き直してください）。")
        return group


def _group(found: dict[Key, LabelGroup], question: str, normalised: str, entry: str,
           audience: str) -> LabelGroup:
    key = (normalised, entry, audience)
    if key not in found:
        found[key] = LabelGroup(question, normalised, entry, audience)
    return found[key]


def _stored(found: dict[Key, LabelGroup], row: QuestionLabel) -> None:
    """A stored row: a trusted label, an accepted weak one, or a removal (which undoes what came before)."""
    group = _group(found, row.question, row.normalised, row.entry_id, row.audience)
    if row.status == LabelStatus.REMOVED:
        group.trusted.clear()
        group.accepted, group.removed = False, True
    elif row.source in TRUSTED:
        group.trusted.add(row.source)
    else:
        group.accepted = True


PERSON_ASKED = "human"  # Turn.intent of 「人と話したい」 (bot/intents.py; the store imports no bot)


def weak_signals(session: Session) -> Iterator[tuple[str, str, str, str, str]]:
    """(question, normalised, entry, audience, conversation) for every answer a resident picked from the
    offered choices and neither 👎'd nor left at once for a person, and every answer they 👍'd."""
    helpful = dict(session.execute(select(Feedback.turn_id, Feedback.helpful)).all())
    query = (select(Turn, Conversation.audience).join(Conversation, Conversation.id == Turn.conversation_id)
             .where(Turn.decision.in_((TurnDecision.ANSWER, TurnDecision.CLARIFY, TurnDecision.ESCALATE)))
             .order_by(Turn.conversation_id, Turn.id))
    previous: Turn | None = None
    current: tuple[Turn, str] | None = None
    for following in chain(session.execute(query).tuples(), [None]):  # streamed, one turn looked ahead
        if current is not None:
            turn, audience = current
            yield from _signal(turn, _same_conversation(turn, previous), helpful.get(turn.id), audience,
                               _same_conversation(turn, following[0] if following else None))
            previous = turn
        current = following


def _same_conversation(turn: Turn, other: Turn | None) -> Turn | None:
    return other if other is not None and other.conversation_id == turn.conversation_id else None


def _signal(turn: Turn, asked: Turn | None, helpful: bool | None, audience: str,
            then: Turn | None = None) -> Iterable[tuple[str, str, str, str, str]]:
    if turn.decision != TurnDecision.ANSWER or not turn.shown_entry_id:
        return ()
    if (asked is not None and asked.decision == TurnDecision.CLARIFY
            and turn.shown_entry_id in (asked.choices or [])):
        if helpful is False or (then is not None and then.intent == PERSON_ASKED):
            return ()  # 👎, or a person asked for right after: the pick did not answer
        return ((asked.question, asked.normalised or asked.question, turn.shown_entry_id, audience,
                 turn.conversation_id),)
    if helpful:
        return ((turn.question, turn.normalised or turn.question, turn.shown_entry_id, audience,
                 turn.conversation_id),)
    return ()


def grouped_by_question(groups: Iterable[LabelGroup]) -> dict[tuple[str, str], list[LabelGroup]]:
    """Usable groups per (normalised question, audience): one labelled question each, with every entry."""
    found: dict[tuple[str, str], list[LabelGroup]] = defaultdict(list)
    for group in groups:
        if group.usable:
            found[(group.normalised, group.audience)].append(group)
    return found
