"""Labels from the desk's work, through TestClient on SQLite and the real PostgreSQL: an agent's click and
reply, an approved FAQ's question, weak labels from residents' picks and 👍 that need three conversations
or an editor, the 「学習した質問」 page, its roles and CSRF, and `madoguchi learn` refusing bad options."""

from __future__ import annotations

import html
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from bot.learning.desk import desk_queries
from bot.store import ConversationStore
from bot.store.labels import LabelStore
from bot.store.tables import AuditEntry, QuestionLabel
from channels.cli.app import app as cli_app
from channels.server import create_app
from knowledge.core.settings import Settings
from testing.database import STORES, postgres_schema_url
from testing.desk import add_user, csrf_of, signed_in, visitor
from testing.live_index import copy_index

pytestmark = pytest.mark.integration

PICKED = "ごみの出し方"  # the sample city offers choices for this
THANKED = "子どもの医療費"  # answered directly
ESCALATED = "住民票の写しがほしい"


@pytest.fixture(scope="module", params=STORES)
def store_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('desk-labels') / 'store.db'}"
        return
    yield from postgres_schema_url()


@pytest.fixture(scope="module")
def app(sample_index_dir: Path, store_url: str, model_cache: Path,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    # publishing here touches no other test
    index_dir = copy_index(sample_index_dir, tmp_path_factory.mktemp("desk-labels-index"))
    settings = Settings(data_dir=model_cache, index_dir=index_dir, database_url=store_url,
                        index_poll_seconds=0, rate_per_session=1000, rate_per_address=10_000)
    application = create_app(settings)
    with TestClient(application):
        for name, role in (("agent1", "agent"), ("editor1", "editor")):
            add_user(store_url, model_cache, name, role)
        yield application


def ask(app: object, text: str, session: str | None = None, **more: object) -> dict:
    body = {"text": text, "session_id": session or uuid.uuid4().hex, **more}
    reply = TestClient(app).post("/api/v1/ask", json=body)  # type: ignore[arg-type]
    assert reply.status_code == 200, reply.text
    return reply.json()


def escalation_with_candidates(app: object) -> tuple[str, str]:
    """A resident's question handed over after a search: (escalation id, its best candidate)."""
    session = uuid.uuid4().hex
    first = ask(app, ESCALATED, session)
    last = ask(app, "担当者と話したい", session)
    page = signed_in(app, "agent1").get(f"/desk/escalations/{last['escalation']['id']}").text
    assert "この FAQ で答えられる" in page, page
    return (last["escalation"]["id"],
            first["choices"][0]["id"] if first.get("choices") else first["answer"]["id"])


def form(client: TestClient, path: str, **fields: str):  # type: ignore[no-untyped-def]
    return client.post(path, data={"csrf": csrf_of(client), **fields})


def store_of(store_url: str) -> ConversationStore:
    return ConversationStore(store_url)


def texts_learned(store_url: str) -> dict[str, set[str]]:
    """What `madoguchi learn --from-desk` would read: question text → entries."""
    store = store_of(store_url)
    try:
        return {q.text: set(q.relevant) for q in desk_queries(LabelStore(store))}
    finally:
        store.engine.dispose()


def stored_labels(store_url: str) -> list[QuestionLabel]:
    engine = create_engine(store_url)
    with Session(engine) as session:
        rows = list(session.scalars(select(QuestionLabel).order_by(QuestionLabel.id)))
    engine.dispose()
    return rows


def audited(store_url: str, action: str) -> list[AuditEntry]:
    engine = create_engine(store_url)
    with Session(engine) as session:
        rows = list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))
    engine.dispose()
    return rows


def pick(app: object, text: str, helpful: bool | None = None, then: str = "") -> str:
    """One resident's conversation: ask, pick the first offered choice, optionally 👍/👎 the answer, and
    say `then` next."""
    session = uuid.uuid4().hex
    offered = ask(app, text, session)
    assert offered["decision"] == "clarify", offered
    choice = offered["choices"][0]["id"]
    picked = TestClient(app).post("/api/v1/ask", json={"choice_id": choice, "session_id": session}).json()  # type: ignore[arg-type]
    assert picked["decision"] == "answer" and picked["answer"]["id"] == choice, picked
    if helpful is not None:
        sent = TestClient(app).post("/api/v1/feedback", json={  # type: ignore[arg-type]
            "session_id": session, "turn_id": picked["turn_id"], "helpful": helpful})
        assert sent.status_code == 204, sent.text
    if then:
        ask(app, then, session)
    return choice


def test_an_agents_click_on_a_candidate_is_a_stored_masked_audited_label(app: object, store_url: str) -> None:
    escalation_id, entry = escalation_with_candidates(app)
    agent = signed_in(app, "agent1")
    clicked = form(agent, f"/desk/escalations/{escalation_id}/label", entry_id=entry)
    assert clicked.status_code == 303
    page = agent.get(clicked.headers["location"]).text
    assert "この FAQ で答えられる（記録済み）" in page
    # twice: one label
    assert form(agent, f"/desk/escalations/{escalation_id}/label", entry_id=entry).status_code == 303
    rows = [r for r in stored_labels(store_url) if r.entry_id == entry and r.question == ESCALATED]
    assert [(r.source, r.audience, r.by, r.status)
            for r in rows] == [("agent", "resident", "agent1", "active")]
    assert rows[0].conversation_id and rows[0].turn_id
    assert any(a.target == escalation_id for a in audited(store_url, "label.add"))
    assert entry in texts_learned(store_url)[ESCALATED]


def test_a_hand_over_from_none_of_these_labels_the_question_the_resident_typed_not_the_pick(
        app: object, store_url: str) -> None:
    # not PICKED, whose labels other tests keep weak
    session, typed = uuid.uuid4().hex, "粗大ごみの回収を日曜日にお願いできますか"
    offered = ask(app, typed, session)
    assert offered["decision"] == "clarify", offered
    handed = TestClient(app).post("/api/v1/ask", json={"choice_id": "none", "session_id": session}).json()  # type: ignore[arg-type]
    entry = offered["choices"][0]["id"]
    clicked = form(signed_in(app, "agent1"), f"/desk/escalations/{handed['escalation']['id']}/label",
                   entry_id=entry)
    assert clicked.status_code == 303
    assert [r.question for r in stored_labels(store_url) if r.conversation_id and r.entry_id == entry
            and r.source == "agent" and r.question in (typed, "none")] == [typed]
    assert "none" not in texts_learned(store_url)


def test_a_click_made_by_mistake_is_taken_back_by_its_agent_or_an_editor(app: object, store_url: str) -> None:
    question, session = "印鑑登録の手続きを知りたい", uuid.uuid4().hex
    first = ask(app, question, session)
    entry = first["choices"][0]["id"] if first.get("choices") else first["answer"]["id"]
    escalation_id = ask(app, "担当者と話したい", session)["escalation"]["id"]
    page, agent = f"/desk/escalations/{escalation_id}", signed_in(app, "agent1")
    assert form(agent, f"{page}/label", entry_id=entry).status_code == 303
    assert "取り消す：" in agent.get(page).text
    assert entry in texts_learned(store_url)[question]
    taken_back = form(agent, f"{page}/unlabel", entry_id=entry)
    assert taken_back.status_code == 303
    assert "記録を取り消しました" in agent.get(taken_back.headers["location"]).text
    assert question not in texts_learned(store_url)
    assert any(a.target == escalation_id for a in audited(store_url, "label.unmark"))
    assert form(agent, f"{page}/unlabel", entry_id=entry).status_code == 404, "nothing left to take back"
    editor = signed_in(app, "editor1")
    assert form(editor, f"{page}/label", entry_id=entry).status_code == 303
    assert "取り消す：" not in agent.get(page).text, "an agent does not take back an editor's label"
    assert form(agent, f"{page}/unlabel", entry_id=entry).status_code == 404
    assert question in texts_learned(store_url)
    assert form(editor, f"{page}/unlabel", entry_id=entry).status_code == 303
    assert question not in texts_learned(store_url)


def test_a_label_of_an_entry_the_bot_does_not_have_is_refused(app: object) -> None:
    escalation_id, _ = escalation_with_candidates(app)
    agent = signed_in(app, "agent1")
    assert form(agent, f"/desk/escalations/{escalation_id}/label",
                entry_id="NO-SUCH-ENTRY").status_code == 404


def test_personal_data_in_the_question_is_masked_in_the_label(app: object, store_url: str) -> None:
    session = uuid.uuid4().hex
    ask(app, "住民票の写しがほしい 折り返しは090-1234-5678へ", session)
    handed = ask(app, "担当者と話したい", session)
    entry = "R019"  # 住民票の写しを取りたい: what the agent finds, whatever the bot said
    agent = signed_in(app, "agent1")
    assert form(agent, f"/desk/escalations/{handed['escalation']['id']}/label",
                entry_id=entry).status_code == 303
    editor_page = signed_in(app, "editor1").get("/desk/learned").text
    assert "090-1234-5678" not in editor_page and "[電話番号]" in editor_page
    row = editor_page.split("[電話番号]")[1].split("</tr>")[0]
    assert "0 件" not in row, "no resident picked it: no count of resident conversations"
    assert not any("090-1234-5678" in r.question for r in stored_labels(store_url))


def test_a_reply_quoting_an_entrys_answer_records_that_label(app: object, store_url: str) -> None:
    escalation_id, entry = escalation_with_candidates(app)
    index = app.state.madoguchi.bot.runtime.index  # type: ignore[attr-defined]
    agent = signed_in(app, "agent1")
    assert form(agent, f"/desk/escalations/{escalation_id}/claim").status_code == 303
    reply = f"お問い合わせありがとうございます。{index.record(entry).answer}\nご不明な点はお電話ください。"
    replied = form(agent, f"/desk/escalations/{escalation_id}/reply", text=reply)
    assert replied.status_code == 303
    labels = [r for r in stored_labels(store_url) if r.entry_id == entry and r.source == "agent"]
    assert escalation_id in {a.target for a in audited(store_url, "label.add")} and labels
    told = agent.get(replied.headers["location"]).text
    assert f"FAQ {entry} の回答をそのまま含むので、「この FAQ で答えられる」として記録しました" in told


def test_a_reply_quoting_several_entries_whole_labels_none_of_them(app: object, store_url: str) -> None:
    """The draft made of every source found quotes several answers: which one answers is not said."""
    escalation_id, entry = escalation_with_candidates(app)
    index = app.state.madoguchi.bot.runtime.index  # type: ignore[attr-defined]
    other = next(r for r in index.records if r.kind == "faq" and r.id != entry and len(r.answer) > 40)
    agent = signed_in(app, "agent1")
    form(agent, f"/desk/escalations/{escalation_id}/claim")
    reply = f"{index.record(entry).answer}\n\n{other.answer}"
    assert form(agent, f"/desk/escalations/{escalation_id}/reply", text=reply).status_code == 303
    assert escalation_id not in {a.target for a in audited(store_url, "label.add")}


def test_an_approved_desk_faq_makes_the_residents_question_its_label(app: object, store_url: str) -> None:
    session = uuid.uuid4().hex
    ask(app, "公園で花火をしてもいいですか", session)
    escalation_id = ask(app, "担当者と話したい", session)["escalation"]["id"]
    agent, editor = signed_in(app, "agent1"), signed_in(app, "editor1")
    form(agent, f"/desk/escalations/{escalation_id}/claim")
    form(agent, f"/desk/escalations/{escalation_id}/reply",
         text="公園での花火は、手持ち花火に限り認めています。")
    promoted = form(agent, f"/desk/escalations/{escalation_id}/promote")
    entry_id = promoted.headers["location"].split("/")[-1].split("?")[0]
    assert not [r for r in stored_labels(store_url) if r.entry_id == entry_id]  # a draft is not a label yet
    assert form(editor, f"/desk/entries/{entry_id}/approve").status_code == 303
    rows = [r for r in stored_labels(store_url) if r.entry_id == entry_id]
    assert [(r.source, r.question, r.by)
            for r in rows] == [("approved", "公園で花火をしてもいいですか", "editor1")]
    app.state.desk.publisher.wait(300)  # type: ignore[attr-defined]


def test_weak_labels_need_three_conversations_to_agree(app: object, store_url: str) -> None:
    entry = pick(app, PICKED)
    pick(app, PICKED, helpful=False)  # picked, then 👎: not agreement
    pick(app, PICKED)
    assert PICKED not in texts_learned(store_url), "two conversations are not enough"
    editor_page = signed_in(app, "editor1").get("/desk/learned").text
    assert "まだ使わない" in editor_page and "2 件（3 件から）" in editor_page
    pick(app, PICKED, helpful=True)
    assert texts_learned(store_url)[PICKED] == {entry}


def test_a_pick_left_at_once_for_a_person_is_no_agreement(app: object, store_url: str) -> None:
    """Three residents picked the first choice for 「年金」 and asked for a person right away: the pick did
    not answer them, and it was learned from as if three conversations agreed."""
    for _ in range(3):
        pick(app, "年金", then="人と話したい")
    assert "年金" not in texts_learned(store_url)
    for _ in range(3):  # a next question about something else, even one handed over, takes nothing back
        entry = pick(app, "年金", then="カラオケ大会の優勝賞品は何ですか")
    assert texts_learned(store_url)["年金"] == {entry}


def test_thumbs_up_counts_as_a_weak_label_and_an_editor_can_accept_it(app: object, store_url: str) -> None:
    session = uuid.uuid4().hex
    answered = ask(app, THANKED, session)
    assert answered["decision"] == "answer", answered
    TestClient(app).post("/api/v1/feedback", json={"session_id": session, "turn_id": answered["turn_id"],  # type: ignore[arg-type]
                                                   "helpful": True})
    assert THANKED not in texts_learned(store_url)
    group = next(g for g in LabelStore(store_of(store_url)).groups() if g.question == THANKED)
    editor = signed_in(app, "editor1")
    accepted = form(editor, "/desk/learned/accept", normalised=group.normalised, entry_id=group.entry_id,
                    audience=group.audience)
    assert accepted.status_code == 303
    assert texts_learned(store_url)[THANKED] == {answered["answer"]["id"]}
    assert form(editor, "/desk/learned/remove", normalised=group.normalised, entry_id=group.entry_id,
                audience=group.audience).status_code == 303
    assert THANKED not in texts_learned(store_url)
    assert audited(store_url, "label.accept") and audited(store_url, "label.remove")


def test_the_learned_questions_page_is_for_editors_and_every_form_needs_csrf(app: object) -> None:
    escalation_id, entry = escalation_with_candidates(app)
    agent, editor = signed_in(app, "agent1"), signed_in(app, "editor1")
    assert agent.get("/desk/learned").status_code == 403
    assert form(agent, "/desk/learned/publish").status_code == 403
    assert form(agent, "/desk/learned/accept", normalised="x", entry_id=entry,
                audience="resident").status_code == 403
    assert editor.post("/desk/learned/publish", data={}).status_code == 403
    assert editor.post("/desk/learned/remove", data={"normalised": "x", "entry_id": entry,
                                                     "audience": "resident"}).status_code == 403
    assert agent.post(f"/desk/escalations/{escalation_id}/label", data={"entry_id": entry}).status_code == 403
    assert visitor(app).post(f"/desk/escalations/{escalation_id}/label",
                             data={"entry_id": entry}).status_code == 303
    assert "学習した質問" in editor.get("/desk").text and "学習した質問" not in agent.get("/desk").text


def test_learn_needs_exactly_one_source_of_labels(tmp_path: Path, model_cache: Path) -> None:
    env = {"MADOGUCHI_DATA_DIR": str(model_cache),
           "MADOGUCHI_DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}"}
    neither = CliRunner().invoke(cli_app, ["learn"], env=env)
    assert neither.exit_code == 2 and "--from-desk" in neither.output
    both = CliRunner().invoke(cli_app, ["learn", "--from-desk", "--labelled", str(tmp_path / "x.jsonl")],
                              env=env)
    assert both.exit_code == 2


def test_deleting_a_residents_data_deletes_the_labels_of_their_questions(app: object, store_url: str,
                                                                          model_cache: Path) -> None:
    session = uuid.uuid4().hex
    first = ask(app, "印鑑登録をしたい", session)
    handed = ask(app, "担当者と話したい", session)
    entry = (first.get("choices") or [first.get("answer") or {}])[0]["id"]
    agent = signed_in(app, "agent1")
    assert form(agent, f"/desk/escalations/{handed['escalation']['id']}/label",
                entry_id=entry).status_code == 303
    assert [r for r in stored_labels(store_url) if r.question == "印鑑登録をしたい"]
    env = {"MADOGUCHI_DATA_DIR": str(model_cache), "MADOGUCHI_DATABASE_URL": store_url}
    deleted = CliRunner().invoke(cli_app, ["data", "delete", "--session", session], env=env)
    assert deleted.exit_code == 0, deleted.output
    assert not [r for r in stored_labels(store_url) if r.question == "印鑑登録をしたい"]


def test_the_escalation_names_the_entry_the_bot_answered_with_earlier(app: object) -> None:
    session = uuid.uuid4().hex
    answered = ask(app, "犬を飼い始めたのですが、登録は必要ですか", session)
    handed = ask(app, "担当者と話したい", session)
    shown = answered["answer"]["id"]
    question = app.state.madoguchi.index.record(shown).question  # type: ignore[attr-defined]
    page = signed_in(app, "agent1").get(f"/desk/escalations/{handed['escalation']['id']}").text
    assert f"表示した FAQ: {html.escape(question)}（{shown}）" in page
