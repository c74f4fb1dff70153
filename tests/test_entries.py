"""Desk-managed FAQ entries at the store level, on SQLite and the real PostgreSQL: versions, rollback,
retirement, paraphrases of file-only entries, the audit log, and what the next index build contains."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.answer import Answer, Decision
from bot.intents import Intent
from bot.service.publishing import load_knowledge
from bot.store import ConversationStore
from bot.store.entries import EntryStore
from bot.store.entry_fields import EntryFields
from bot.store.escalations import EscalationStore
from bot.store.tables import AuditEntry, Escalation
from channels.cli.app import app as cli_app
from indexer.index import load_index
from indexer.store import IndexStore
from knowledge.core.errors import ConflictError, NotFoundError, RequestError
from knowledge.core.settings import SAMPLE_CITY, Settings
from testing.database import STORES, postgres_schema_url
from testing.turns import record_turn

pytestmark = pytest.mark.integration

RESIDENT_WORDS = "公園でドローンを飛ばしてもいいですか"
AGENT_REPLY = ("市の公園では、ドローンの飛行を原則として禁止しています。"
               "撮影などで必要なときは公園緑地課にご相談ください。")


@pytest.fixture(scope="module", params=STORES)
def store(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConversationStore]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('entries') / 'store.db'}"
        yield ConversationStore(url).migrate()
        return
    for url in postgres_schema_url():
        opened = ConversationStore(url).migrate()
        yield opened
        opened.engine.dispose()


@pytest.fixture()
def entries(store: ConversationStore) -> EntryStore:
    return EntryStore(store)


def answered_escalation(store: ConversationStore, reply: str = AGENT_REPLY,
                        department: str = "公園緑地課") -> str:
    """A resident's question the bot handed over, claimed and answered by an agent."""
    handed_over = Answer(Decision.ESCALATE, Intent.QUESTION, 0.05, "担当者におつなぎします",
                         reason="no match")
    stored = record_turn(store, f"web:{uuid.uuid4().hex}", "web", "resident", RESIDENT_WORDS, RESIDENT_WORDS,
                         handed_over)
    assert stored.escalation_id
    desk = EscalationStore(store)
    desk.claim(stored.escalation_id, "agent1")
    desk.reply(stored.escalation_id, "agent1", reply)
    with store.session() as session, session.begin():
        session.get(Escalation, stored.escalation_id).department = department  # as if from the best candidate
    return stored.escalation_id


def content(question: str, answer: str = "回答", **more: object) -> EntryFields:
    return EntryFields(question, answer, **more)  # type: ignore[arg-type]


def test_promoting_an_answer_drafts_the_residents_words_and_the_agents_reply(store: ConversationStore,
                                                                             entries: EntryStore) -> None:
    escalation_id = answered_escalation(store)
    draft = entries.draft_from_escalation(escalation_id, "agent1")
    assert (draft.status, draft.version, draft.author) == ("draft", 1, "agent1")
    assert draft.question == RESIDENT_WORDS and draft.paraphrases == [RESIDENT_WORDS]
    assert draft.answer == AGENT_REPLY and draft.department == "公園緑地課" and draft.audience == "resident"
    assert draft.escalation_id == escalation_id and draft.entry_id.startswith("D")
    again = entries.draft_from_escalation(escalation_id, "agent2")
    assert again.entry_id == draft.entry_id, "promoting twice must not make a second entry"


def test_promote_refuses_an_escalation_without_a_reply(store: ConversationStore, entries: EntryStore) -> None:
    handed_over = Answer(Decision.ESCALATE, Intent.QUESTION, 0.0, "担当者におつなぎします", reason="no match")
    stored = record_turn(store, f"web:{uuid.uuid4().hex}", "web", "resident", "まだ答えのない質問", "",
                         handed_over)
    with pytest.raises(ConflictError):
        entries.draft_from_escalation(str(stored.escalation_id), "agent1")


def test_new_ids_skip_ids_used_by_the_citys_files(entries: EntryStore) -> None:
    first = entries.new_entry(content("最初の質問"), "editor1")
    number = int(first.entry_id[1:])
    taken = {f"D{number + 1:04d}", f"D{number + 2:04d}"}
    second = entries.new_entry(content("次の質問"), "editor1", taken=taken)
    assert second.entry_id == f"D{number + 3:04d}"


def test_one_open_draft_is_edited_in_place_and_approval_needs_an_answer(entries: EntryStore) -> None:
    draft = entries.new_entry(content("ゴミの日が知りたい", ""), "agent1")
    with pytest.raises(RequestError):
        entries.approve(draft.entry_id, "editor1")
    edited = entries.save_draft(draft.entry_id, content("ゴミの日が知りたい", "地区ごとに違います。"),
                                "agent2")
    assert (edited.id, edited.version, edited.author) == (draft.id, 1,
                                                          "agent1"), "edited in place, author kept"
    approved = entries.approve(draft.entry_id, "editor1")
    assert (approved.status, approved.approver, approved.version) == ("approved", "editor1", 1)
    with pytest.raises(ConflictError):
        entries.approve(draft.entry_id, "editor1")


def test_rollback_is_a_new_version_and_history_is_never_rewritten(entries: EntryStore) -> None:
    entry_id = entries.new_entry(content("質問", "最初の回答"), "agent1").entry_id
    entries.approve(entry_id, "editor1")
    entries.save_draft(entry_id, content("質問", "間違った回答"), "agent1")
    entries.approve(entry_id, "editor1")
    rolled = entries.rollback(entry_id, 1, "editor1")
    assert (rolled.version, rolled.status, rolled.answer) == (3, "approved", "最初の回答")
    history = entries.history(entry_id)
    assert [(v.version, v.status, v.answer) for v in history] == [
        (1, "approved", "最初の回答"), (2, "approved", "間違った回答"), (3, "approved", "最初の回答")]
    assert [r.location for r in entries.live_records() if r.id == entry_id] == ["version 3"]
    with pytest.raises(ConflictError):
        entries.rollback(entry_id, 3, "editor1")
    with pytest.raises(NotFoundError):
        entries.rollback(entry_id, 99, "editor1")


def test_a_draft_approved_after_a_rollback_becomes_the_newest_version(entries: EntryStore) -> None:
    entry_id = entries.new_entry(content("質問", "一"), "agent1").entry_id
    entries.approve(entry_id, "editor1")
    entries.save_draft(entry_id, content("質問", "二"), "agent1")
    entries.approve(entry_id, "editor1")
    entries.save_draft(entry_id, content("質問", "三（下書き）"), "agent1")
    entries.rollback(entry_id, 1, "editor1")
    approved = entries.approve(entry_id, "editor1")
    assert approved.version == 5
    assert [r.answer for r in entries.live_records() if r.id == entry_id] == ["三（下書き）"]


def test_retire_takes_the_entry_out_and_rollback_brings_it_back(entries: EntryStore) -> None:
    entry_id = entries.new_entry(content("廃止された制度", "終了しました"), "agent1").entry_id
    entries.approve(entry_id, "editor1")
    retired = entries.retire(entry_id, "editor1")
    assert (retired.version, retired.status) == (2, "retired")
    assert entry_id in entries.retired_ids()
    assert entry_id not in {r.id for r in entries.live_records()}
    with pytest.raises(ConflictError):
        entries.retire(entry_id, "editor1")
    entries.rollback(entry_id, 1, "editor1")
    assert entry_id in {r.id for r in entries.live_records()} and entry_id not in entries.retired_ids()


def test_a_paraphrase_for_an_entry_that_exists_only_in_the_files_starts_from_the_file_record(
        entries: EntryStore) -> None:
    file_record = next(r for r in load_knowledge(Settings(), None).records if r.id == "R001")
    draft = entries.add_paraphrase("R001", "引っ越しの届けに何を持っていく？", "agent1", file_record)
    assert draft.question == file_record.question and draft.answer == file_record.answer
    assert draft.paraphrases == [*file_record.paraphrases, "引っ越しの届けに何を持っていく？"]
    again = entries.add_paraphrase("R001", "転入 持ち物 一覧", "agent2")
    assert again.id == draft.id and again.paraphrases[-1] == "転入 持ち物 一覧"
    with pytest.raises(NotFoundError):
        entries.add_paraphrase("NO-SUCH-ENTRY", "何か", "agent1")


def test_every_action_is_in_the_audit_log(store: ConversationStore, entries: EntryStore) -> None:
    entry_id = entries.new_entry(content("監査の確認", "はい"), "agent9").entry_id
    entries.approve(entry_id, "editor9")
    entries.retire(entry_id, "editor9")
    entries.rollback(entry_id, 1, "editor9")
    entries.save_draft(entry_id, content("監査の確認", "いいえ"), "agent9")
    entries.reject(entry_id, "editor9", "不要")
    with store.session() as session:
        logged = [(a.actor, a.action) for a in session.scalars(
            select(AuditEntry).where(AuditEntry.target == entry_id).order_by(AuditEntry.id))]
    assert logged == [("agent9", "entry.new"), ("editor9", "entry.approve"), ("editor9", "entry.retire"),
                      ("editor9", "entry.rollback"), ("agent9", "entry.save"), ("editor9", "entry.reject")]


def test_an_edit_of_a_live_entry_is_logged_with_the_fields_it_changed(store: ConversationStore,
                                                                      entries: EntryStore) -> None:
    """Without an open draft the edit is compared with what residents see, not with nothing (which logged
    every field as changed)."""
    entry_id = entries.new_entry(content("監査の項目", "はい"), "agent9").entry_id
    entries.approve(entry_id, "editor9")
    entries.save_draft(entry_id, content("監査の項目", "いいえ"), "agent9")
    with store.session() as session:
        saved = session.scalars(select(AuditEntry).where(AuditEntry.target == entry_id,
                                                         AuditEntry.action == "entry.save")).one()
    assert saved.detail["fields"] == ["answer"]


def test_desk_entries_replace_file_records_and_retired_ones_hide_them(entries: EntryStore) -> None:
    entries.save_draft("R002", content("転入届はいつまでに出せばよいですか。", "窓口で確かめた新しい回答"),
                       "agent1")
    entries.approve("R002", "editor1")
    entries.save_draft("R003", content("消す予定の FAQ", "x"), "agent1")
    entries.approve("R003", "editor1")
    entries.retire("R003", "editor1")
    merged = {r.id: r for r in load_knowledge(Settings(), entries).records}
    assert merged["R002"].answer == "窓口で確かめた新しい回答" and merged["R002"].source == "desk"
    assert "R003" not in merged
    assert merged["R001"].source.endswith(".csv"), "entries the desk never touched still come from the files"


def test_index_build_from_the_cli_keeps_the_desks_approved_entries(tmp_path: Path, cli: CliRunner) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    entries = EntryStore(ConversationStore(url).migrate())
    made = entries.new_entry(content("窓口だけにある質問", "窓口だけにある回答"), "agent1")
    entries.approve(made.entry_id, "editor1")
    result = cli.invoke(cli_app, ["index", "build", str(SAMPLE_CITY), "--index-dir", str(tmp_path / "index")],
                        env={"MADOGUCHI_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    settings = Settings(index_dir=tmp_path / "index")
    manifest = IndexStore(settings.resolved_index_dir).manifest()
    records = load_index(IndexStore(settings.resolved_index_dir), manifest["model"],
                         manifest["tokenizer"]).by_id
    assert records[made.entry_id].answer == "窓口だけにある回答" and records[made.entry_id].source == "desk"
    assert "desk" in result.output
