"""The call center's phone through the desk's front door (TestClient), on SQLite and the real PostgreSQL: the
agents' search, logging a call three ways, calls as labels and review material, calls in the statistics and
their CSV, and an agent without staff visibility searching with the red-team probes residents get."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bot.learning.desk import desk_queries
from bot.store import ConversationStore
from bot.store.labels import LabelStore
from bot.store.tables import Call, Conversation, Escalation, OutboxMessage, QuestionLabel, Turn
from channels.server import create_app
from knowledge.core.settings import Settings
from testing.database import STORES, postgres_schema_url
from testing.desk import add_user, csrf_of, signed_in, visitor
from testing.hostile import STAFF, red_team_queries

pytestmark = pytest.mark.integration

ASKED = "転入届に必要なものは？ 折り返しは090-1234-5678へ"
STAFF_QUESTION = "年次有給休暇の残日数はどこで確認できますか"


@pytest.fixture(scope="module", params=STORES)
def store_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('desk-calls') / 'store.db'}"
        return
    yield from postgres_schema_url()


@pytest.fixture(scope="module")
def app(sample_index_dir: Path, store_url: str, model_cache: Path) -> Iterator[object]:
    settings = Settings(data_dir=model_cache, index_dir=sample_index_dir, database_url=store_url,
                        index_poll_seconds=0, rate_per_session=1000, rate_per_address=10_000)
    application = create_app(settings)
    with TestClient(application):
        for name, role in (("agent1", "agent"), ("editor1", "editor")):
            add_user(store_url, model_cache, name, role)
        yield application


def log(client: TestClient, **fields: str):  # type: ignore[no-untyped-def]
    return client.post("/desk/calls", data={"csrf": csrf_of(client, "/desk/search"), **fields})


def rows(store_url: str, table: type, *where: object) -> list:  # type: ignore[type-arg]
    engine = create_engine(store_url)
    with Session(engine) as session:
        found = list(session.scalars(select(table).where(*where)))
    engine.dispose()
    return found


def call_of(store_url: str, location: str, outcome: str) -> Call:
    """The newest call with this outcome (the redirect names no call id: the page is the search again)."""
    assert location.startswith(f"/desk/search?done={outcome}"), location
    return sorted(rows(store_url, Call, Call.outcome == outcome), key=lambda c: c.created_at)[-1]


def best_entry(client: TestClient, question: str) -> str:
    found = re.search(r'name="entry_id" value="([^"]+)"',
                      client.get("/desk/search", params={"q": question}).text)
    assert found, question
    return found.group(1)


def test_the_search_shows_ranked_entries_with_department_contact_validity_and_why(app: object) -> None:
    page = signed_in(app, "agent1").get("/desk/search", params={"q": "転入届に必要なもの"})
    assert page.status_code == 200
    text = page.text
    first = text.index('data-entry="R001"')
    assert first < text.index('data-entry="', first + 1), "the bot's best entry comes first"
    assert "市民課 市民窓口係 電話 0123-45-1101" in text and "一致した語" in text and "転入" in text
    assert "公開期間" in text and "確信度" in text and "回答をコピー" in text
    assert 'autofocus' in text and '<script src="/static/desk-search.js" defer></script>' in text
    fragment = signed_in(app, "agent1").get("/desk/search/results", params={"q": "転入届に必要なもの"})
    assert 'data-entry="R001"' in fragment.text and "<html" not in fragment.text


def test_a_manual_found_by_search_is_named_by_its_file_not_the_servers_path(app: object) -> None:
    """Every agent, contracted staff included, reads the results: the server's folders are not theirs."""
    text = signed_in(app, "agent1").get("/desk/search", params={"q": "粗大ごみ"}).text
    named = re.findall(r"資料: ([^）]*)）", text)
    assert named and all("/" not in name for name in named), named


def test_search_and_calls_need_a_signed_in_agent_and_every_call_form_its_csrf_token(app: object) -> None:
    assert visitor(app).get("/desk/search").status_code == 303
    assert visitor(app).get("/desk/search/results?q=x").status_code == 303
    agent = signed_in(app, "agent1")
    refused = agent.post("/desk/calls",
                         data={"question": "転入届", "outcome": "answered", "entry_id": "R001"})
    assert refused.status_code == 403 and "CSRF" in refused.text
    assert agent.get("/desk/search", params={"q": "x" * 501}).status_code == 422


def test_a_call_answered_with_an_entry_is_a_masked_phone_conversation_and_a_trusted_label(
        app: object, store_url: str) -> None:
    agent = signed_in(app, "agent1")
    logged = log(agent, question=ASKED, outcome="answered", entry_id="R001", handling="95")
    assert logged.status_code == 303
    call = call_of(store_url, logged.headers["location"], "answered")
    assert (call.agent, call.entry_id, call.department,
            call.handling_seconds) == ("agent1", "R001", "市民課", 95)
    [conversation] = rows(store_url, Conversation, Conversation.id == call.conversation_id)
    [turn] = rows(store_url, Turn, Turn.id == call.turn_id)
    assert conversation.channel == "phone" and turn.decision == "answer" and turn.shown_entry_id == "R001"
    assert "090-1234-5678" not in turn.question + turn.normalised and "[電話番号]" in turn.question
    [label] = rows(store_url, QuestionLabel, QuestionLabel.turn_id == turn.id)
    assert (label.entry_id, label.source, label.by, label.audience) == ("R001", "agent", "agent1", "resident")
    store = ConversationStore(store_url)
    learned = {q.text: set(q.relevant) for q in desk_queries(LabelStore(store))}
    store.engine.dispose()
    assert learned[turn.question] == {"R001"}
    assert "「この回答で対応」を記録しました" in agent.get(logged.headers["location"]).text


def test_a_forwarded_call_goes_to_a_department_of_the_directory(app: object, store_url: str) -> None:
    agent = signed_in(app, "agent1")
    assert '<option value="ごみ減量推進課">ごみ減量推進課（ごみ減量推進課 電話 0123-45-1401' in \
        agent.get("/desk/search", params={"q": "ソファを捨てたい"}).text
    unknown = log(agent, question="ソファを捨てたい", outcome="forwarded", department="宇宙開発課")
    assert unknown.status_code == 400 and "担当課を一覧から選んでください" in unknown.text
    assert log(agent, question="ソファを捨てたい", outcome="forwarded").status_code == 400
    logged = log(agent, question="ソファを捨てたい", outcome="forwarded", department="ごみ減量推進課")
    call = call_of(store_url, logged.headers["location"], "forwarded")
    assert (call.department, call.entry_id, call.handling_seconds) == ("ごみ減量推進課", None, None)
    [turn] = rows(store_url, Turn, Turn.id == call.turn_id)
    assert turn.decision == "forward" and not rows(store_url, QuestionLabel, QuestionLabel.turn_id == turn.id)


def test_an_unresolved_call_opens_an_escalation_in_the_queue(app: object, store_url: str) -> None:
    agent = signed_in(app, "agent1")
    logged = log(agent, question="隣の家の木の枝が越境して困っている", outcome="unresolved",
                 callback_phone="090-1111-2222")
    call = call_of(store_url, logged.headers["location"], "unresolved")
    assert f"escalation={call.escalation_id}" in logged.headers["location"]
    [escalation] = rows(store_url, Escalation, Escalation.id == call.escalation_id)
    assert (escalation.channel, escalation.status,
            escalation.contact_phone) == ("phone", "new", "090-1111-2222")
    assert rows(store_url, OutboxMessage, OutboxMessage.escalation_id == call.escalation_id)
    assert call.escalation_id in agent.get("/desk").text
    page = agent.get(f"/desk/escalations/{call.escalation_id}").text
    assert "隣の家の木の枝が越境して困っている" in page and "090-1111-2222" in page
    assert "電話で対応できず" in page and "not resolved" not in page  # the reason in the desk's words


def test_an_entry_or_department_the_agent_may_not_see_cannot_be_logged(app: object) -> None:
    agent = signed_in(app, "agent1")
    staff_entry = next(r for r in STAFF if r.kind == "faq")
    assert log(agent, question=STAFF_QUESTION, outcome="answered", entry_id=staff_entry.id).status_code == 404
    assert log(agent, question=STAFF_QUESTION, outcome="forwarded", department="人事課").status_code == 400
    assert log(agent, question="x", outcome="answered", entry_id="NO-SUCH").status_code == 404
    assert log(agent, question="x", outcome="answered").status_code == 400
    assert log(agent, question="x", outcome="answered", entry_id="R001", handling="-3").status_code == 400
    assert log(agent, question="x", outcome="maybe").status_code == 422


def leaks(html: str, query: str = "") -> list[str]:
    """Staff records in a page: their id as a result, their answer's opening words (apart from the probe the
    page echoes back, which may be made of them), or the staff badge."""
    html = html.replace(str(escape(query)), "") if query else html
    return [r.id for r in STAFF if f'data-entry="{r.id}"' in html or r.answer[:20] in html] + \
        (["職員向け"] if "職員向け</span>" in html else [])


def test_an_agent_without_staff_visibility_never_sees_a_staff_entry(app: object) -> None:
    agent = signed_in(app, "agent1")
    probes = red_team_queries()
    assert len(probes) >= 50
    for text in probes:
        found = agent.get("/desk/search/results", params={"q": text[:500]})
        assert found.status_code == 200, found.text
        assert not leaks(found.text, text[:500]), (text, leaks(found.text, text[:500]))
    assert "人事課" not in agent.get("/desk/search", params={"q": STAFF_QUESTION}).text


def test_an_editor_sees_staff_entries_with_the_staff_badge(app: object) -> None:
    page = signed_in(app, "editor1").get("/desk/search", params={"q": STAFF_QUESTION}).text
    assert 'data-entry="S001"' in page and "職員向け</span>" in page


def test_calls_count_in_the_statistics_and_csv_beside_chat(app: object, store_url: str) -> None:
    agent = signed_in(app, "agent1")
    before = agent.get("/desk/stats.csv").content.decode("utf-8-sig")
    chat_before = figure(before, "質問数（あいさつ・お礼を除く）")
    log(agent, question="児童手当はいつ振り込まれる？", outcome="answered",
        entry_id=best_entry(agent, "児童手当の支給日"), handling="120")
    log(agent, question="粗大ごみの出し方", outcome="forwarded", department="ごみ減量推進課", handling="60")
    after = agent.get("/desk/stats.csv").content.decode("utf-8-sig")
    assert figure(after, "質問数（あいさつ・お礼を除く）") == chat_before, "calls are not the bot's questions"
    assert figure(after, "電話の件数") == figure(before, "電話の件数") + 2
    assert figure(after, "電話: この回答で対応") >= 1 and figure(after, "電話: 担当課へ転送") >= 1
    assert figure(after, "電話の通話時間の中央値（秒）") is not None
    assert "日付（電話）" in after and "担当課（電話）" in after and "ごみ減量推進課" in after
    assert re.search(r"削減できた職員の時間（推計・時間）.*電話", after)
    page = agent.get("/desk/stats").text
    assert "電話" in page and "知識ベースで答えた電話の割合" in page


def figure(text: str, label: str) -> float | None:
    """One summary figure of the statistics CSV."""
    for row in csv.reader(io.StringIO(text)):
        if row and row[0] == label:
            return float(row[1]) if row[1] else None
    raise AssertionError(f"no {label} in the CSV")


def test_calls_nothing_answered_feed_the_review_clusters(app: object) -> None:
    agent, editor = signed_in(app, "agent1"), signed_in(app, "editor1")
    words = f"マンホールのふたが外れている {uuid.uuid4().hex[:4]}"
    log(agent, question=words, outcome="forwarded", department="ごみ減量推進課")
    review = editor.get("/desk/review").text
    assert words.split()[0] in review and "電話で転送" in review


def test_an_unresolved_call_is_named_alike_on_the_button_the_escalation_and_the_review(
        app: object, store_url: str) -> None:
    agent, editor = signed_in(app, "agent1"), signed_in(app, "editor1")
    words = f"隣の空き家の草が伸びている {uuid.uuid4().hex[:4]}"
    assert "対応できず（引き継ぎを作る）" in agent.get("/desk/search", params={"q": words}).text
    logged = log(agent, question=words, outcome="unresolved")
    call = call_of(store_url, logged.headers["location"], "unresolved")
    assert "電話で対応できず" in agent.get(f"/desk/escalations/{call.escalation_id}").text
    review = editor.get("/desk/review").text
    assert words.split()[0] in review and "電話で対応できず" in review
