"""The desk's queue, escalation page and admin pages through TestClient; the claim race on both stores."""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from bot.store import ConversationStore
from bot.store.escalations import EscalationStore
from bot.store.tables import AuditEntry, Conversation, Escalation, Turn
from channels.cli.app import app as cli_app
from knowledge.core.errors import ConflictError
from testing.database import STORES, postgres_schema_url
from testing.desk import PASSWORD, add_user, csrf_of, form_of, sign_in, signed_in, visitor
from testing.desk_city import LINE_SECRET, app, ask, store_url, stored  # noqa: F401 (fixtures)
from testing.line import signed, text_event, webhook
from testing.recorder import Recorder

pytestmark = pytest.mark.integration


def form(client: TestClient, path: str, **fields: str):  # type: ignore[no-untyped-def]
    return client.post(path, data={"csrf": csrf_of(client), **fields})


def test_a_new_escalation_is_in_the_queue_with_counts_and_filters(app: object) -> None:
    escalation_id = ask(app, "担当者と話したい")
    agent = signed_in(app, "agent1")
    queue = agent.get("/desk").text
    assert f"/desk/escalations/{escalation_id}" in queue and "担当者と話したい" in queue
    assert re.search(r"未対応</a>: <strong>[1-9]\d*</strong>", queue)
    assert escalation_id not in agent.get("/desk", params={"channel": "line"}).text
    assert escalation_id not in agent.get("/desk", params={"status": "answered"}).text
    assert escalation_id not in agent.get("/desk", params={"hours": "1"}).text
    assert escalation_id in agent.get("/desk", params={"status": "new", "channel": "web", "hours": "0"}).text


def test_the_queue_filter_works_as_the_form_sends_it(app: object) -> None:
    """The form always sends every field, 経過 empty unless typed, and offers 電話 among the channels."""
    escalation_id = ask(app, "担当者と話したい")
    agent = signed_in(app, "agent1")
    as_sent = agent.get("/desk", params={"status": "all", "channel": "", "department": "", "hours": ""})
    assert as_sent.status_code == 200 and escalation_id in as_sent.text
    phone = agent.get("/desk", params={"status": "all", "channel": "phone", "department": "", "hours": ""})
    assert phone.status_code == 200 and escalation_id not in phone.text
    wrong = agent.get("/desk", params={"status": "all", "channel": "", "department": "", "hours": "二時間"})
    assert wrong.status_code == 400 and "経過は 0 から" in wrong.text


def test_the_escalation_page_shows_transcript_candidates_and_contact(app: object, store_url: str) -> None:
    escalation_id = ask(app, "住民票の写しがほしい", "担当者と話したい")
    api = TestClient(app)  # type: ignore[arg-type]
    conversation = stored(store_url, escalation_id).conversation_id.removeprefix("web:")
    api.post(f"/api/v1/escalations/{escalation_id}/contact", json={
        "session_id": conversation, "name": "港 花子", "email": "hanako@example.jp", "phone": "090-1234-5678",
        "preferred": "phone"})
    page = signed_in(app, "agent1").get(f"/desk/escalations/{escalation_id}").text
    assert "住民票の写しがほしい" in page and "担当者と話したい" in page
    assert "港 花子" in page and "hanako@example.jp" in page and "090-1234-5678" in page and "電話" in page
    assert "ボットの候補" in page and re.search(r"<td>1</td>\s*<td>[^（<]*住民票", page)


def test_the_agent_sees_the_residents_thumbs_down_comment_and_what_they_wrote_after_the_hand_over(
        app: object) -> None:
    api, session = TestClient(app), uuid.uuid4().hex  # type: ignore[arg-type]
    answered = api.post("/api/v1/ask", json={"text": "燃えるごみの日はいつですか",
                                             "session_id": session}).json()
    assert api.post("/api/v1/feedback", json={
        "session_id": session, "turn_id": answered["turn_id"], "helpful": False,
        "comment": "地区の収集日が知りたい。090-9999-8888に電話ください"}).status_code == 204
    handed = api.post("/api/v1/ask", json={"text": "担当者と話したい", "session_id": session}).json()
    api.post("/api/v1/ask", json={"text": "あと、住所は港町3-4-5です", "session_id": session})
    page = signed_in(app, "agent1").get(f"/desk/escalations/{handed['escalation']['id']}").text
    assert "住民の評価: 👎 地区の収集日が知りたい。[電話番号]に電話ください" in page
    later = page.split('id="later"')[1].split("</ol>")[0]
    assert "あと、[住所]です" in later and "3-4-5" not in page


def test_a_reply_written_before_the_resident_wrote_more_is_held_until_the_agent_has_seen_it(
        app: object, store_url: str) -> None:
    api, session = TestClient(app), uuid.uuid4().hex  # type: ignore[arg-type]
    handed = api.post("/api/v1/ask", json={"text": "担当者と話したい", "session_id": session}).json()
    escalation_id = handed["escalation"]["id"]
    agent = signed_in(app, "agent1")
    assert form(agent, f"/desk/escalations/{escalation_id}/claim").status_code == 303
    opened = form_of(agent, f"/desk/escalations/{escalation_id}")
    api.post("/api/v1/ask", json={"text": "必要なのは30冊で、絵本が中心です", "session_id": session})
    held = form(agent, f"/desk/escalations/{escalation_id}/reply", text="10冊まで借りられます。",
                seen=opened["seen"])
    assert held.status_code == 409 and "住民が書き足しています" in held.text
    assert "必要なのは30冊で" in held.text and "10冊まで借りられます。" in held.text
    assert stored(store_url, escalation_id).status == "claimed"
    again = form_of(agent, f"/desk/escalations/{escalation_id}")
    sent = form(agent, f"/desk/escalations/{escalation_id}/reply", text="30冊まで団体で借りられます。",
                seen=again["seen"])
    assert sent.status_code == 303


def test_a_hand_over_asked_for_in_words_gets_the_department_of_the_question_before_it(
        app: object, store_url: str) -> None:
    """「担当者と話したい」 searches nothing; the queue's department filter and the statistics count it under
    the department the resident's question was about."""
    escalation_id = ask(app, "燃えるごみの日はいつですか", "担当者と話したい")
    assert stored(store_url, escalation_id).department == "ごみ減量推進課"


def test_a_candidate_no_longer_in_the_index_is_shown_as_such(app: object, store_url: str) -> None:
    escalation_id = ask(app, "住民票の写しがほしい", "担当者と話したい")
    engine = create_engine(store_url)
    with engine.begin() as connection:
        conversation = stored(store_url, escalation_id).conversation_id
        connection.execute(update(Turn).where(Turn.conversation_id == conversation, Turn.intent == "question")
                           .values(candidates=[{"id": "REMOVED-404", "score": 1.5}]))
    engine.dispose()
    page = signed_in(app, "agent1").get(f"/desk/escalations/{escalation_id}").text
    assert "（今の索引にありません）" in page and "REMOVED-404" in page


def test_claim_and_reply_on_the_web_waits_for_the_residents_next_visit(app: object, store_url: str) -> None:
    escalation_id = ask(app, "担当者と話したい")
    agent = signed_in(app, "agent1")
    claimed = form(agent, f"/desk/escalations/{escalation_id}/claim")
    assert claimed.status_code == 303
    replied = form(agent, f"/desk/escalations/{escalation_id}/reply",
                   text="窓口は平日 8:30 から開いています。")
    assert replied.status_code == 303
    page = agent.get(replied.headers["location"]).text
    assert "返信を保存しました" in page and "次にチャットを開いたときに表示" in page
    escalation = stored(store_url, escalation_id)
    assert (escalation.status, escalation.delivery,
            escalation.claimed_by) == ("answered", "waiting", "agent1")
    assert form(agent, f"/desk/escalations/{escalation_id}/close").status_code == 303
    assert stored(store_url, escalation_id).status == "closed"


def test_a_claim_is_released_by_its_agent_or_freed_by_an_editor_when_the_agent_is_away(
        app: object, store_url: str) -> None:
    escalation_id = ask(app, "担当者と話したい")
    agent1, agent2, boss = (signed_in(app, name) for name in ("agent1", "agent2", "boss"))
    assert form(agent1, f"/desk/escalations/{escalation_id}/claim").status_code == 303
    assert "担当を外す" not in agent2.get(f"/desk/escalations/{escalation_id}").text
    assert form(agent2, f"/desk/escalations/{escalation_id}/release").status_code == 409
    released = form(agent1, f"/desk/escalations/{escalation_id}/release")
    assert released.status_code == 303 and "担当を外しました" in agent1.get(released.headers["location"]).text
    back = stored(store_url, escalation_id)
    assert (back.status, back.claimed_by) == ("new", None)
    assert form(agent2, f"/desk/escalations/{escalation_id}/claim").status_code == 303
    assert "agent2さんの担当を外す" in boss.get(f"/desk/escalations/{escalation_id}").text
    assert form(boss, f"/desk/escalations/{escalation_id}/release").status_code == 303
    assert form(agent1, f"/desk/escalations/{escalation_id}/claim").status_code == 303
    replied = form(agent1, f"/desk/escalations/{escalation_id}/reply", text="お待たせしました。")
    assert replied.status_code == 303
    engine = create_engine(store_url)
    with Session(engine) as session:
        freed = [(a.actor, a.detail.get("agent")) for a in session.scalars(
            select(AuditEntry).where(AuditEntry.action == "release", AuditEntry.target == escalation_id))]
    engine.dispose()
    assert freed == [("agent1", "agent1"), ("boss", "agent2")]


def test_a_reply_the_resident_has_read_is_never_replaced_by_a_second_one(app: object,
                                                                        store_url: str) -> None:
    """Until the widget fetched it the agent may still correct the reply; afterwards a second one would
    replace on the desk what the resident read, and the widget shows one reply per hand-over."""
    escalation_id = ask(app, "担当者と話したい")
    agent = signed_in(app, "agent1")
    form(agent, f"/desk/escalations/{escalation_id}/claim")
    form(agent, f"/desk/escalations/{escalation_id}/reply", text="第一報: 窓口は平日に開いています。")
    assert form(agent, f"/desk/escalations/{escalation_id}/reply",
                text="訂正: 窓口は平日 8:30 から開いています。").status_code == 303
    session = stored(store_url, escalation_id).conversation_id.removeprefix("web:")
    read = TestClient(app).get("/api/v1/replies", params={"session_id": session})  # type: ignore[arg-type]
    assert [r["text"] for r in read.json()["replies"]] == ["訂正: 窓口は平日 8:30 から開いています。"]
    assert read.json()["replies"][0]["answered_at"].endswith("+00:00")  # never read as local time

    again = form(agent, f"/desk/escalations/{escalation_id}/reply", text="もう一度: 土曜も開いています。")
    assert again.status_code == 409 and "住民はこの引き継ぎへの返信を受け取っています" in again.text
    called = form(agent, f"/desk/escalations/{escalation_id}/callback", note="電話で補足した")
    assert called.status_code == 409
    page = agent.get(f"/desk/escalations/{escalation_id}").text
    assert f'action="/desk/escalations/{escalation_id}/reply"' not in page
    assert "訂正: 窓口は平日 8:30 から開いています。" in page
    assert stored(store_url, escalation_id).reply_text == "訂正: 窓口は平日 8:30 から開いています。"


def test_the_second_agent_is_told_who_is_already_on_it(app: object, store_url: str) -> None:
    escalation_id = ask(app, "担当者と話したい")
    assert form(signed_in(app, "agent1"), f"/desk/escalations/{escalation_id}/claim").status_code == 303
    late = form(signed_in(app, "agent2"), f"/desk/escalations/{escalation_id}/claim")
    assert late.status_code == 409 and "既にagent1さんが対応中です" in late.text
    assert stored(store_url, escalation_id).claimed_by == "agent1"
    refused = form(signed_in(app, "agent2"), f"/desk/escalations/{escalation_id}/reply", text="横取り")
    assert refused.status_code == 409 and stored(store_url, escalation_id).reply_text == ""


def test_dropping_needs_a_reason_and_keeps_it(app: object, store_url: str) -> None:
    escalation_id = ask(app, "担当者と話したい")
    agent = signed_in(app, "agent1")
    blank = form(agent, f"/desk/escalations/{escalation_id}/drop", reason="   ")
    assert blank.status_code == 400 and "取り下げる理由を書いてください" in blank.text
    assert form(agent, f"/desk/escalations/{escalation_id}/drop", reason="試験の送信").status_code == 303
    assert (stored(store_url, escalation_id).status,
            stored(store_url, escalation_id).drop_reason) == ("dropped", "試験の送信")


def test_a_phone_callback_is_recorded_without_sending_anything(app: object, store_url: str) -> None:
    escalation_id = ask(app, "担当者と話したい")
    agent = signed_in(app, "agent1")
    form(agent, f"/desk/escalations/{escalation_id}/claim")
    assert form(agent, f"/desk/escalations/{escalation_id}/callback", note="").status_code == 303
    assert "電話で折り返し済み" in agent.get(f"/desk/escalations/{escalation_id}").text
    assert stored(store_url, escalation_id).delivery == "callback"


def test_a_line_reply_goes_from_waiting_to_sent_and_can_show_undelivered(app: object, store_url: str,
                                                                         recorder: Recorder) -> None:
    client = TestClient(app)  # type: ignore[arg-type]
    assert signed(client, webhook(text_event("担当者と話したい")), secret=LINE_SECRET).status_code == 200
    engine = create_engine(store_url)
    with Session(engine) as session:
        escalation_id = session.scalars(select(Escalation.id).where(Escalation.channel == "line")).one()
    engine.dispose()
    agent = signed_in(app, "agent1")
    form(agent, f"/desk/escalations/{escalation_id}/claim")
    page = agent.get(form(agent, f"/desk/escalations/{escalation_id}/reply", text="LINE でお返事します。")
                     .headers["location"]).text
    assert "送信待ち" in page or "送信済み" in page
    deadline = time.monotonic() + 30
    while stored(store_url, escalation_id).delivery != "delivered" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert '<dd id="delivery">送信済み（LINE）</dd>' in agent.get(f"/desk/escalations/{escalation_id}").text
    EscalationStore(ConversationStore(store_url)).set_delivery(escalation_id, "undelivered")
    assert "未達" in agent.get(f"/desk/escalations/{escalation_id}").text


def test_an_unknown_escalation_is_a_404_page(app: object) -> None:
    response = signed_in(app, "agent1").get("/desk/escalations/0123456789abcdef0123456789abcdef")
    assert response.status_code == 404 and "<h1>見つかりません</h1>" in response.text


def test_an_admin_creates_changes_and_disables_accounts_and_it_is_audited(
        app: object, store_url: str) -> None:
    boss = signed_in(app, "boss")
    weak = form(boss, "/desk/admin/users", username="newbie", password="short", role="agent")
    assert weak.status_code == 400 and "12 文字以上" in weak.text
    assert form(boss, "/desk/admin/users", username="newbie", password=PASSWORD,
                role="agent").status_code == 303
    newbie = signed_in(app, "newbie")
    assert form(boss, "/desk/admin/users/newbie/role", role="editor").status_code == 303
    assert "見直し" in newbie.get("/desk").text  # the editor's menu, at once
    assert form(boss, "/desk/admin/users/newbie/disable").status_code == 303
    assert newbie.get("/desk").status_code == 303 and sign_in(visitor(app), "newbie").status_code == 401
    assert form(boss, "/desk/admin/users/boss/disable").status_code == 409
    audit = boss.get("/desk/admin/audit").text
    assert audit.index("アカウントの無効化") < audit.index("役割の変更") < audit.index("アカウントの作成")


def test_the_audit_log_is_paged_newest_first(app: object, store_url: str) -> None:
    boss = signed_in(app, "boss")
    token = csrf_of(boss)
    assert boss.post("/desk/admin/users", data={"csrf": token, "username": "flipper", "password": PASSWORD,
                                                "role": "agent"}).status_code == 303
    for n in range(52):
        role = ("editor", "agent")[n % 2]
        assert boss.post("/desk/admin/users/flipper/role", data={"csrf": token,
                                                                 "role": role}).status_code == 303
    first, second = boss.get("/desk/admin/audit").text, boss.get("/desk/admin/audit?page=2").text
    assert first.count("<tr>") == 1 + 50 and 'rel="next"' in first and 'rel="prev"' not in first
    assert 'rel="prev"' in second
    newest = re.search(r"<td>boss</td>\s*<td>役割の変更</td>\s*<td>flipper</td>\s*"
                       r"<td>役割: (\w+)、前の役割: (\w+)</td>", first)
    assert newest and newest.groups() == ("担当者", "編集者")


def test_the_audit_log_answers_who_changed_an_account_without_paging_through_sign_ins(
        app: object, store_url: str) -> None:
    boss = signed_in(app, "boss")
    assert form(boss, "/desk/admin/users", username="auditee", password=PASSWORD,
                role="agent").status_code == 303
    assert form(boss, "/desk/admin/users/auditee/role", role="editor").status_code == 303
    for _ in range(3):
        signed_in(app, "boss")  # sign-ins: what buried account changes
    found = boss.get("/desk/admin/audit", params={"target": "auditee", "kind": "accounts"}).text
    rows = re.findall(r"<td>(アカウントの作成|役割の変更|ログイン)</td>\s*<td>auditee</td>", found)
    assert rows == ["役割の変更", "アカウントの作成"] and "2 件中" in found
    assert "絞り込みをやめる" in found and 'value="auditee"' in found
    signins = boss.get("/desk/admin/audit", params={"actor": "boss", "kind": "signins"}).text
    assert "役割の変更" not in signins and "<td>ログイン</td>" in signins
    assert boss.get("/desk/admin/audit", params={"kind": "everything"}).status_code == 422


def test_the_first_desk_edit_of_an_entry_from_the_files_is_audited_with_what_it_changed(app: object) -> None:
    """Compared with the file's record, not with nothing (which named every field), and a save that changes
    nothing says so rather than 「変えた項目:」 and no more."""
    boss, path = signed_in(app, "boss"), "/desk/entries/R106"
    edited = form_of(boss, path) | {"answer": "監査の確かめのための新しい回答です。"}
    assert boss.post(path, data=edited).status_code == 303
    assert boss.post(path, data=form_of(boss, path)).status_code == 303
    found = boss.get("/desk/admin/audit", params={"target": "R106", "kind": "faq"}).text
    assert re.findall(r"変えた項目: ([^<]*)</td>", found) == ["なし（内容は同じ）", "回答"]


def test_a_save_from_a_form_opened_before_someone_elses_save_is_refused_with_the_typed_text_kept(
        app: object) -> None:
    agent1, agent2, path = signed_in(app, "agent1"), signed_in(app, "agent2"), "/desk/entries/R107"
    first, second = form_of(agent1, path), form_of(agent2, path)
    assert agent1.post(path, data=first | {"answer": "一人目が直した回答です。"}).status_code == 303
    late = agent2.post(path, data=second | {"paraphrases": second["paraphrases"] + "\n二人目の言い換え"})
    assert late.status_code == 409 and "ほかの人が保存しました" in late.text
    assert "二人目の言い換え" in late.text  # what the second agent typed is still in the form
    assert form_of(agent2, path)["answer"] == "一人目が直した回答です。"
    again = agent2.post(path, data=form_of(agent2, path) | {"paraphrases": "二人目の言い換え"})
    assert again.status_code == 303
    assert form_of(agent1, path)["answer"] == "一人目が直した回答です。"


def test_the_cli_changes_passwords_and_disables_accounts(app: object, store_url: str,
                                                         model_cache: Path) -> None:
    add_user(store_url, model_cache, "cliuser", "agent")
    env = {"MADOGUCHI_DATABASE_URL": store_url, "MADOGUCHI_DATA_DIR": str(model_cache)}
    runner = CliRunner()
    changed = runner.invoke(cli_app, ["desk", "user", "password", "cliuser", "--password-stdin"],
                            input="a-brand-new-passphrase\n", env=env)
    assert changed.exit_code == 0, changed.output
    assert sign_in(visitor(app), "cliuser").status_code == 401
    assert sign_in(visitor(app), "cliuser", "a-brand-new-passphrase").status_code == 303
    assert runner.invoke(cli_app, ["desk", "user", "disable", "cliuser"], env=env).exit_code == 0
    listing = runner.invoke(cli_app, ["desk", "user", "list"], env=env).output
    assert re.search(r"cliuser\s*│\s*agent\s*│\s*disabled", listing)
    assert sign_in(visitor(app), "cliuser", "a-brand-new-passphrase").status_code == 401
    assert runner.invoke(cli_app, ["desk", "user", "enable", "cliuser"], env=env).exit_code == 0
    assert sign_in(visitor(app), "cliuser", "a-brand-new-passphrase").status_code == 303
    # the desk lets no one change their own role and sends an administrator here for it
    assert runner.invoke(cli_app, ["desk", "user", "role", "cliuser", "editor"], env=env).exit_code == 0
    assert re.search(r"cliuser\s*│\s*editor\s*│\s*active", runner.invoke(
        cli_app, ["desk", "user", "list"], env=env).output)
    assert runner.invoke(cli_app, ["desk", "user", "role", "cliuser", "boss"], env=env).exit_code != 0
    weak = runner.invoke(cli_app, ["desk", "user", "add", "weak", "--password-stdin"], input="short\n",
                         env=env)
    assert weak.exit_code != 0


WEAK_PASSWORDS = {"aaaaaaaaaaaa": "同じ文字の繰り返し", "ａａａａａａａａａａａａ": "同じ文字の繰り返し",
                  "abcabcabcabc": "同じ並びの繰り返し", "123456789012": "のような並び",
                  "abcdefghijkl": "のような並び",
                  "lkjhgfdsapoi": "のような並び", "aabbcaabbcca": "3 種類だけ",
                  "Password2026!": "よく使われる",
                  "admin-admin-12": "よく使われる", "weakling-desk-2026": "ユーザー名を含んで",
                  "1q2w3e4r5t6y": "のような並び", "zaq12wsxcde3": "のような並び",
                  "qwertyuiop12": "並びに数文字を足した", "Aa123456789!": "並びに数文字を足した"}


def test_trivially_weak_passwords_are_refused_with_the_reason_in_the_admin_page_and_the_cli(
        app: object, store_url: str, model_cache: Path) -> None:
    boss = signed_in(app, "boss")
    env = {"MADOGUCHI_DATABASE_URL": store_url, "MADOGUCHI_DATA_DIR": str(model_cache)}
    runner = CliRunner()
    for password, reason in WEAK_PASSWORDS.items():
        page = form(boss, "/desk/admin/users", username="weakling", password=password, role="admin")
        assert (page.status_code == 400 and "推測されやすいので使えません" in page.text
                and reason in page.text), password
        cli = runner.invoke(cli_app,
                            ["desk", "user", "add", "weakling", "--role", "admin", "--password-stdin"],
                            input=password + "\n", env=env)
        assert cli.exit_code != 0 and reason in str(cli.exception), (password, cli.output)
    changed = runner.invoke(cli_app, ["desk", "user", "password", "boss", "--password-stdin"],
                            input="zzzzzzzzzzzz\n", env=env)
    assert changed.exit_code != 0 and "同じ文字の繰り返し" in str(changed.exception)
    assert sign_in(visitor(app), "boss").status_code == 303, "the old password still works"
    assert form(boss, "/desk/admin/users", username="weakling", password="kawa-zoi 9 no sakura",
                role="admin").status_code == 303


def seeded_escalation(store: ConversationStore) -> str:
    """An escalation inserted directly: the race below is about the store, not the bot."""
    conversation, escalation_id = f"web:{uuid.uuid4().hex}", uuid.uuid4().hex
    with store.session() as session, session.begin():
        session.add(Conversation(id=conversation, channel="web", audience="resident"))
        session.flush()
        session.add(Escalation(id=escalation_id, conversation_id=conversation, reason="test", channel="web"))
    return escalation_id


@pytest.fixture(params=STORES)
def race_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ConversationStore]:
    if request.param == "sqlite":
        store = ConversationStore(f"sqlite:///{tmp_path / 'race.db'}").migrate()
        yield store
    else:
        for url in postgres_schema_url():
            store = ConversationStore(url).migrate()
            yield store
            store.engine.dispose()


def test_only_one_of_many_agents_racing_wins_the_claim(race_store: ConversationStore) -> None:
    desk, escalation_id = EscalationStore(race_store), seeded_escalation(race_store)
    start, winners, losers = threading.Barrier(8), [], []

    def try_claim(agent: str) -> None:
        start.wait()
        try:
            desk.claim(escalation_id, agent)
            winners.append(agent)
        except ConflictError:
            losers.append(agent)

    threads = [threading.Thread(target=try_claim, args=(f"agent{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1 and len(losers) == 7
    assert desk.get(escalation_id).claimed_by == winners[0]
    with race_store.session() as session:
        claims = list(session.scalars(select(AuditEntry).where(AuditEntry.action == "claim",
                                                               AuditEntry.target == escalation_id)))
    assert [c.actor for c in claims] == winners
