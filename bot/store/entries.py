"""FAQ entries managed in the desk, one `entry_versions` row per version, never rewritten.

A version is a draft, approved, rejected or retired. What residents get is an entry's newest
*decision* (approved or retired, by version number): approved means live, retired means gone. So
rolling back is a new approved copy of an old version, retiring is a new retired copy, and the
history stays whole. Each entry has at most one open draft, edited in place; approving it gives it
the next version number if decisions were made meanwhile. Every action is audited.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from contextlib import contextmanager, suppress
from typing import TypeVar

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.database import rows_touched
from bot.store.entry_fields import EntryFields, clean_text
from bot.store.escalations import CALLBACK_NOTE, EscalationStore, audit
from bot.store.labels import label_escalation
from bot.store.repository import ConversationStore
from bot.store.states import EscalationStatus, LabelSource, VersionStatus
from bot.store.tables import AuditEntry, EntryVersion, utcnow
from bot.store.views import EntryVersionView
from knowledge.core.errors import ConflictError, NotFoundError, RequestError
from knowledge.records import Record

DECIDED = (VersionStatus.APPROVED, VersionStatus.RETIRED)
DECISION_ACTIONS: dict[str, str] = {VersionStatus.APPROVED: "entry.approve",
                                    VersionStatus.REJECTED: "entry.reject"}
DESK_ID = re.compile(r"^D(\d+)$")
Version = TypeVar("Version", EntryVersion, EntryVersionView)  # a row inside a transaction, a copy outside


def live_of(versions: list[Version]) -> Version | None:
    """The version residents get: the newest decision, when it is an approval."""
    decided = [v for v in versions if v.status in DECIDED]
    newest = max(decided, key=lambda v: v.version, default=None)
    return newest if newest is not None and newest.status == VersionStatus.APPROVED else None


def open_draft(versions: list[Version]) -> Version | None:
    """The entry's draft being edited, if any."""
    return next((v for v in versions if v.status == VersionStatus.DRAFT), None)


SENT_AGAIN = ("このファイルは、この画面からすでに読み込みました（再読み込みで同じ送信がもう一度届きました）。"
              "何も変えていません。もう一度読み込むときは、ファイルを選び直して「読み込んで公開する」を押してください。")


CHANGED_SINCE = ("この下書きは、このページを開いた後にほかの人が保存しました"
                 "（下の変更点と監査ログを確かめてください）。あなたの入力はフォームに残しています。"
                 "確かめてからもう一度保存すると、あなたの内容になります。")


def draft_mark(draft: EntryVersion | EntryVersionView | None) -> str:
    """What an entry form was opened on: the open draft's content digest, "" when it had none."""
    return EntryFields.of(draft).mark() if draft is not None else ""


class EntryStore:
    """Drafts, approvals, rollbacks and the live entries, over the conversation store's database."""

    def __init__(self, store: ConversationStore) -> None:
        self.store = store

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        with self.store.guard(), self.store.session() as session:
            try:
                with session.begin():
                    yield session
            except IntegrityError as exc:  # the (entry_id, version) key: someone else acted first
                raise ConflictError(
                    "同時にほかの人がこの FAQ を変更しました。ページを開き直してください。") from exc

    @staticmethod
    def _versions(session: Session, entry_id: str) -> list[EntryVersion]:
        query = select(EntryVersion).where(EntryVersion.entry_id == entry_id).order_by(EntryVersion.version)
        return list(session.scalars(query))

    @staticmethod
    def _add(session: Session, entry_id: str, version: int, status: VersionStatus, content: EntryFields,
             actor: str, **extra: object) -> EntryVersionView:
        decided = {"approver": actor, "approved_at": utcnow()} if status in DECIDED else {}
        row = EntryVersion(entry_id=entry_id, version=version, status=status, author=actor,
                           **content.cleaned().as_columns(), **decided, **extra)
        session.add(row)
        session.flush()
        return EntryVersionView.of(row)

    @staticmethod
    def _next(versions: list[EntryVersion]) -> int:
        return max((v.version for v in versions), default=0) + 1

    def _new_id(self, session: Session, taken: Collection[str]) -> str:
        """The next free D-number, skipping ids the city's files already use."""
        numbers = [int(m.group(1)) for entry_id in session.scalars(select(EntryVersion.entry_id).distinct())
                   if (m := DESK_ID.match(entry_id))]
        number = max(numbers, default=0) + 1
        while f"D{number:04d}" in taken:
            number += 1
        return f"D{number:04d}"

    def draft_from_escalation(self, escalation_id: str, author: str,
                              taken: Collection[str] = ()) -> EntryVersionView:
        """A new entry's draft: the resident's words as question and paraphrase, the agent's reply as answer.
        Promoting the same escalation twice returns the entry made the first time."""
        desk = EscalationStore(self.store)
        escalation = desk.get(escalation_id)
        replied = escalation.status in (EscalationStatus.ANSWERED, EscalationStatus.CLOSED)
        if not replied or escalation.reply_text in ("", CALLBACK_NOTE):
            raise ConflictError("FAQ にできるのは、文章で返信した引き継ぎだけです。")
        question = desk.resident_question(escalation_id)
        content = EntryFields(question, escalation.reply_text, (question,), department=escalation.department,
                              audience=escalation.audience or "resident", owner=escalation.department)
        with self._transaction() as session:
            earlier = session.scalars(select(EntryVersion).where(EntryVersion.escalation_id == escalation_id)
                                      .order_by(EntryVersion.version.desc())).first()
            if earlier is not None:
                return EntryVersionView.of(earlier)
            entry_id = self._new_id(session, taken)
            audit(session, author, "entry.promote", entry_id, escalation=escalation_id)
            return self._add(session, entry_id, 1, VersionStatus.DRAFT, content, author,
                             escalation_id=escalation_id)

    def new_entry(self, content: EntryFields, author: str, taken: Collection[str] = (),
                  note: str = "") -> EntryVersionView:
        """A draft of a brand-new entry (e.g. from a cluster of unanswered questions)."""
        with self._transaction() as session:
            entry_id = self._new_id(session, taken)
            audit(session, author, "entry.new", entry_id, note=note)
            return self._add(session, entry_id, 1, VersionStatus.DRAFT, content, author, note=note)

    def save_draft(self, entry_id: str, content: EntryFields, author: str,
                   base_record: Record | None = None, seen: str | None = None) -> EntryVersionView:
        """Edit the entry's open draft in place, or open one. The audit names the fields the edit changed:
        against the draft, else what residents see (the live version, or the file's `base_record`). `seen`:
        the `draft_mark` the form was opened on; ConflictError when the draft has changed since."""
        content = content.cleaned()
        with self._transaction() as session:
            versions = self._versions(session, entry_id)
            draft = open_draft(versions)
            if seen is not None and seen != draft_mark(draft):
                raise ConflictError(CHANGED_SINCE)
            base = draft or live_of(versions)
            before = EntryFields.of(base) if base else (EntryFields.from_record(base_record).cleaned()
                                                        if base_record else None)
            audit(session, author, "entry.save", entry_id, fields=content.changed_fields(before))
            if draft is None:
                return self._add(session, entry_id, self._next(versions), VersionStatus.DRAFT, content,
                                 author)
            for column, value in content.as_columns().items():
                setattr(draft, column, value)
            # the author stays who opened the draft; later edits are audited
            return EntryVersionView.of(draft)

    def add_paraphrase(self, entry_id: str, text: str, actor: str,
                       base_record: Record | None = None) -> EntryVersionView:
        """A draft of the entry with one more paraphrase. The base is its open draft, its live version, or
        — for an entry that so far exists only in the city's files — that file's record."""
        if not clean_text(text):
            raise RequestError("言い換えが空です。")
        with self.store.guard(), self.store.session() as session:
            versions = self._versions(session, entry_id)
        base = open_draft(versions) or live_of(versions)
        if base is not None:
            content = EntryFields.of(base)
        elif base_record is not None:
            content = EntryFields.from_record(base_record)
        else:
            raise NotFoundError(f"FAQ {entry_id} はありません。")
        return self.save_draft(entry_id, content.with_paraphrase(text), actor, base_record)

    def _decide(self, entry_id: str, actor: str, status: VersionStatus, note: str = "") -> EntryVersionView:
        """Approve or reject the open draft; an approval goes after every earlier decision."""
        with self._transaction() as session:
            versions = self._versions(session, entry_id)
            draft = open_draft(versions)
            if draft is None:
                raise ConflictError(f"FAQ {entry_id} に承認を待つ下書きはありません。")
            if status is VersionStatus.APPROVED:
                EntryFields.of(draft).ready_to_publish()
            number = self._next(versions) if draft.version < max(v.version
                                                                 for v in versions) else draft.version
            still_draft = (EntryVersion.id == draft.id) & (EntryVersion.status == VersionStatus.DRAFT)
            decision = {"status": status, "version": number, "approver": actor, "approved_at": utcnow(),
                        "note": note or draft.note}
            decide = update(EntryVersion).where(still_draft).values(**decision)
            won = rows_touched(session.execute(decide)) == 1
            if not won:
                raise ConflictError("先にほかの人がこの下書きを承認または却下しました。"
                                    "ページを開き直してください。")
            audit(session, actor, DECISION_ACTIONS[status], entry_id, version=number)
            session.refresh(draft)
            if status is VersionStatus.APPROVED and draft.escalation_id:
                self._label_origin(session, draft.escalation_id, entry_id, actor)
            return EntryVersionView.of(draft)

    @staticmethod
    def _label_origin(session: Session, escalation_id: str, entry_id: str, actor: str) -> None:
        """An approved FAQ made from an escalation: the resident's question becomes a label of it."""
        with suppress(RequestError):  # the escalation or its question is gone (purged); the approval stands
            label_escalation(session, escalation_id, entry_id, LabelSource.APPROVED, actor)

    def approve(self, entry_id: str, approver: str) -> EntryVersionView:
        """Make the open draft the live version."""
        return self._decide(entry_id, approver, VersionStatus.APPROVED)

    def reject(self, entry_id: str, actor: str, note: str = "") -> EntryVersionView:
        """Close the open draft without publishing it."""
        return self._decide(entry_id, actor, VersionStatus.REJECTED, note)

    def retire(self, entry_id: str, actor: str) -> EntryVersionView:
        """Take the entry out of the bot (also hiding a file record with its id), as a new version."""
        with self._transaction() as session:
            versions = self._versions(session, entry_id)
            live = live_of(versions)
            if live is None:
                raise ConflictError(f"FAQ {entry_id} は公開されていません。")
            audit(session, actor, "entry.retire", entry_id, version=self._next(versions))
            number = self._next(versions)
            return self._add(session, entry_id, number, VersionStatus.RETIRED, EntryFields.of(live), actor)

    def rollback(self, entry_id: str, version: int, actor: str) -> EntryVersionView:
        """A new approved version with the content of an earlier approved one."""
        with self._transaction() as session:
            versions = self._versions(session, entry_id)
            old = next((v for v in versions if v.version == version), None)
            if old is None or old.status != VersionStatus.APPROVED:
                raise NotFoundError(f"FAQ {entry_id} に承認済みの版 {version} はありません。")
            if live_of(versions) is old:
                raise ConflictError(f"版 {version} はすでに公開中です。")
            number = self._next(versions)
            audit(session, actor, "entry.rollback", entry_id, to=version, version=number)
            return self._add(session, entry_id, number, VersionStatus.APPROVED, EntryFields.of(old), actor,
                             note=f"版 {version} に戻す")

    def import_entries(self, rows: list[tuple[str, EntryFields]], actor: str, source: str,
                       sent: str = "") -> list[EntryVersionView]:
        """Approved versions for rows a person brought in from a spreadsheet, in one transaction. `sent`
        names one upload form: the same form sent again (a browser's reload) is refused, since it would put
        the file's rows back over versions approved since."""
        made = []
        with self._transaction() as session:
            if sent:
                if session.scalar(select(AuditEntry.id).where(AuditEntry.action == "kb.import",
                                                              AuditEntry.target == sent).limit(1)):
                    raise ConflictError(SENT_AGAIN)
                audit(session, actor, "kb.import", sent, source=source, rows=len(rows))
            for entry_id, content in rows:
                content.ready_to_publish()
                number = self._next(self._versions(session, entry_id))
                audit(session, actor, "entry.import", entry_id, version=number, source=source)
                made.append(self._add(session, entry_id, number, VersionStatus.APPROVED, content, actor,
                                      note=f"{source} から読み込み"))
        return made

    def history(self, entry_id: str) -> list[EntryVersionView]:
        """Every version of one entry, oldest first."""
        with self.store.guard(), self.store.session() as session:
            return [EntryVersionView.of(row) for row in self._versions(session, entry_id)]

    def _all(self, *statuses: VersionStatus) -> dict[str, list[EntryVersionView]]:
        query = select(EntryVersion).order_by(EntryVersion.entry_id, EntryVersion.version)
        if statuses:
            query = query.where(EntryVersion.status.in_(statuses))
        grouped: dict[str, list[EntryVersionView]] = {}
        with self.store.guard(), self.store.session() as session:
            for row in session.scalars(query):
                grouped.setdefault(row.entry_id, []).append(EntryVersionView.of(row))
        return grouped

    def drafts(self) -> list[EntryVersionView]:
        """Every open draft, oldest first: the editors' queue."""
        return sorted((rows[0] for rows in self._all(VersionStatus.DRAFT).values()),
                      key=lambda v: v.created_at)

    def live_versions(self) -> list[EntryVersionView]:
        """The live version of every live managed entry."""
        return [live for rows in self._all(*DECIDED).values() if (live := live_of(rows)) is not None]

    def retired_ids(self) -> set[str]:
        """Entries whose newest decision is to retire them."""
        return {entry_id for entry_id, rows in self._all(*DECIDED).items() if live_of(rows) is None}

    def live_records(self) -> list[Record]:
        """Live entries as index records (source "desk", location "version N")."""
        return [EntryFields.of(v).to_record(v.entry_id, f"version {v.version}") for v in self.live_versions()]
