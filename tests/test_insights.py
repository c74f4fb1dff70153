"""Review queue and statistics: conversations seeded through the API, figures read back through the data
layer and the desk pages, on SQLite and the real PostgreSQL."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, update

from bot.store import ConversationStore
from bot.store.insights import JST, Insights, Period, today_jst
from bot.store.tables import Escalation, Turn
from channels.server import create_app
from indexer.normalise import normalise_width
from knowledge.core.settings import Settings
from testing.database import store_url  # noqa: F401 (fixture: an SQLite file, then a PostgreSQL schema)
from testing.desk import add_user, sign_in, visitor

pytestmark = pytest.mark.integration

MINUTES = 6
CLUSTERS = {"sodaigomi": ["粗大ごみの出し方を教えて", "粗大ごみを捨てたい", "粗大ゴミの収集を申し込みたい"],
            "jidouteate": ["児童手当はいつ振り込まれる？", "児童手当の振込日を知りたい"]}
LIKED = ["転入届に必要なものは？", "犬の登録はどこでする？"]
UNANSWERABLE = "犬のしつけ教室はありますか"  # nothing answers it; its department is plain (生活衛生課)
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Seeded:
    """What the seeding sent and what the API said back."""

    app: object
    store_url: str
    decisions: dict[str, str] = field(default_factory=dict)
    turns: dict[str, int] = field(default_factory=dict)
    thumbs: dict[str, bool] = field(default_factory=dict)
    escalations: list[str] = field(default_factory=list)


def ask(client: TestClient, seeded: Seeded, text: str) -> dict:
    session = f"insights-{len(seeded.decisions):04d}"
    reply = client.post("/api/v1/ask", json={"text": text, "session_id": session})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    seeded.decisions[text], seeded.turns[text] = body["decision"], body["turn_id"]
    if body.get("escalation"):
        seeded.escalations.append(body["escalation"]["id"])
    return body


def rate(client: TestClient, seeded: Seeded, text: str, helpful: bool) -> None:
    session = f"insights-{list(seeded.decisions).index(text):04d}"
    body = {"session_id": session, "turn_id": seeded.turns[text], "helpful": helpful}
    sent = client.post("/api/v1/feedback", json=body)
    assert sent.status_code == 204, sent.text
    seeded.thumbs[text] = helpful


def seed(client: TestClient, seeded: Seeded) -> None:
    """Paraphrases of two needs (👎 where the bot answered, so all are up for review), two liked answers,
    one question nobody answers, a greeting and a request for a person."""
    for text in [*CLUSTERS["sodaigomi"], *CLUSTERS["jidouteate"]]:
        if ask(client, seeded, text)["decision"] == "answer":
            rate(client, seeded, text, False)
    for text in LIKED:
        ask(client, seeded, text)
        rate(client, seeded, text, True)
    for text in (UNANSWERABLE, "こんにちは", "人と話したい"):
        ask(client, seeded, text)


def answer_escalation(app: object, store_url: str, escalation_id: str, minutes: int) -> None:
    """An agent claims and replies in the desk; the hand-over is then dated `minutes` before the reply."""
    agent = visitor(app)
    sign_in(agent, "agent1")
    token = CSRF.search(agent.get(f"/desk/escalations/{escalation_id}").text)
    assert token
    for action, data in (("claim", {}), ("reply", {"text": "市のしつけ教室はありません。"
                                                           "動物愛護センターの講習会をご案内します。"})):
        done = agent.post(f"/desk/escalations/{escalation_id}/{action}", data={"csrf": token.group(1),
                                                                                **data})
        assert done.status_code == 303, done.text
    engine = create_engine(store_url)
    with engine.begin() as connection:
        answered = connection.execute(select(Escalation.answered_at)
                                      .where(Escalation.id == escalation_id)).scalar_one()
        connection.execute(update(Escalation).where(Escalation.id == escalation_id)
                           .values(created_at=answered - timedelta(minutes=minutes)))
    engine.dispose()


def move_turn(store_url: str, turn_id: int, moment: datetime) -> None:
    engine = create_engine(store_url)
    with engine.begin() as connection:
        connection.execute(update(Turn).where(Turn.id == turn_id).values(created_at=moment))
    engine.dispose()


def late_evening_utc(days_ago: int) -> datetime:
    """00:30 in Japan on (today − days_ago + 1), which is still the previous day in UTC."""
    day = today_jst() - timedelta(days=days_ago - 1)
    return datetime.combine(day, time(0, 30), JST).astimezone(UTC)


@pytest.fixture(scope="module")
def seeded(sample_index_dir: Path, store_url: str, model_cache: Path) -> Iterator[Seeded]:
    settings = Settings(data_dir=model_cache, index_dir=sample_index_dir, database_url=store_url,
                        rate_per_session=1000, rate_per_address=10_000, desk_login_rate_per_address=1000,
                        index_poll_seconds=0, minutes_per_inquiry=MINUTES)
    app = create_app(settings)
    with TestClient(app) as client:
        for name, role in (("agent1", "agent"), ("editor1", "editor")):
            add_user(store_url, model_cache, name, role)
        result = Seeded(app, store_url)
        seed(client, result)
        answer_escalation(app, store_url, result.escalations[0], 42)
        move_turn(store_url, result.turns[LIKED[1]], late_evening_utc(3))
        yield result


def insights(seeded: Seeded) -> Insights:
    return Insights(ConversationStore(seeded.store_url))


def stored(text: str) -> str:
    """Questions are stored width-normalised (and masked)."""
    return normalise_width(text)


def questions(seeded: Seeded) -> list[str]:
    return [t for t, d in seeded.decisions.items() if d != "smalltalk"]


def count(seeded: Seeded, decision: str) -> int:
    return sum(1 for d in seeded.decisions.values() if d == decision)


def test_rates_count_questions_and_leave_greetings_out(seeded: Seeded) -> None:
    decided = insights(seeded).decisions(Period.last_days(30))
    assert seeded.decisions["こんにちは"] == "smalltalk"
    assert decided.questions == len(questions(seeded)) == 9
    expected = tuple(count(seeded, d) for d in ("answer", "clarify", "escalate"))
    assert (decided.answered, decided.clarified, decided.escalated) == expected
    assert decided.rate(decided.answered) == pytest.approx(decided.answered / 9)


def test_questions_are_counted_on_the_japanese_calendar_day(seeded: Seeded) -> None:
    per_day = insights(seeded).questions_per_day(Period.last_days(30))
    moved_to = today_jst() - timedelta(days=2)
    assert per_day[(moved_to, "web")] == 1
    assert (moved_to - timedelta(days=1), "web") not in per_day
    assert per_day[(today_jst(), "web")] == len(questions(seeded)) - 1


def test_a_period_starts_and_ends_at_japanese_midnight(seeded: Seeded) -> None:
    moved_to = today_jst() - timedelta(days=2)
    assert insights(seeded).decisions(Period(moved_to, moved_to)).questions == 1
    day_before = moved_to - timedelta(days=1)
    assert insights(seeded).decisions(Period(day_before, day_before)).questions == 0


def test_a_period_that_ended_before_the_questions_counts_nothing(seeded: Seeded) -> None:
    before = Period(today_jst() - timedelta(days=60), today_jst() - timedelta(days=31))
    assert insights(seeded).decisions(before).questions == 0
    assert insights(seeded).decisions(before).rate(0) is None


def test_thumbs_up_rate_counts_feedback_given(seeded: Seeded) -> None:
    up, down = insights(seeded).feedback(Period.last_days(30))
    assert (up, down) == (sum(seeded.thumbs.values()), sum(not h for h in seeded.thumbs.values()))
    assert up == 2 and down >= 2


def test_escalations_by_department_with_the_median_time_to_answer(seeded: Seeded) -> None:
    loads = insights(seeded).escalations_by_department(Period.last_days(30))
    assert sum(load.escalations for load in loads) == len(seeded.escalations) == count(seeded, "escalate")
    [answered] = [load for load in loads if load.answered]
    assert answered.department == "生活衛生課" and answered.median_minutes == 42.0
    assert insights(seeded).median_time_to_answer(Period.last_days(30)) == 42.0


def test_entries_shown_are_counted_by_entry(seeded: Seeded) -> None:
    shown = insights(seeded).shown_entries(90)
    assert sum(shown.values()) == count(seeded, "answer")
    assert "R081" in shown


def test_review_turns_are_the_doubtful_questions_only(seeded: Seeded) -> None:
    found = {t.question for t in insights(seeded).review_turns(Period.last_days(30))}
    assert found == {stored(q) for q in (*CLUSTERS["sodaigomi"], *CLUSTERS["jidouteate"], UNANSWERABLE)}


def page(seeded: Seeded, user: str | None, path: str):  # type: ignore[no-untyped-def]
    client = visitor(seeded.app)
    if user:
        assert sign_in(client, user).status_code == 303
    return client, client.get(path)


def clusters_of(text: str) -> list[str]:
    return re.findall(r'<section class="cluster".*?</section>', text, re.S)


def test_review_groups_paraphrases_into_clusters_with_counts(seeded: Seeded) -> None:
    _, response = page(seeded, "editor1", "/desk/review")
    assert response.status_code == 200
    sections = [html.unescape(s) for s in clusters_of(response.text)]
    assert len(sections) == 3
    assert "3 件" in sections[0] and all(stored(q) in sections[0] for q in CLUSTERS["sodaigomi"])
    assert "2 件" in sections[1] and all(stored(q) in sections[1] for q in CLUSTERS["jidouteate"])
    assert 'action="/desk/entries/R081/paraphrases"' in sections[1] and "👎 2" in sections[1]
    assert stored(UNANSWERABLE) in sections[2] and 'action="/desk/entries/new"' in sections[2]
    assert "人と話したい" not in response.text and "こんにちは" not in response.text


def test_a_review_question_becomes_a_paraphrase_draft_of_the_suggested_entry(seeded: Seeded) -> None:
    client, response = page(seeded, "editor1", "/desk/review")
    section = clusters_of(response.text)[1]
    text, token = re.search(r'name="text" value="([^"]+)"', section), CSRF.search(response.text)
    assert text and token
    paraphrase = html.unescape(text.group(1))
    sent = client.post("/desk/entries/R081/paraphrases", data={"csrf": token.group(1), "text": paraphrase})
    assert sent.status_code == 303 and sent.headers["location"].startswith("/desk/entries/R081")
    assert paraphrase in html.unescape(client.get("/desk/entries/R081").text)


@pytest.mark.parametrize("path", ["/desk/review", "/desk/health"])
def test_review_and_health_are_for_editors_only(seeded: Seeded, path: str) -> None:
    assert page(seeded, "agent1", path)[1].status_code == 403
    assert page(seeded, None, path)[1].status_code == 303
    assert page(seeded, "editor1", path)[1].status_code == 200


def test_stats_show_the_figures_and_the_hours_saved_with_its_parts(seeded: Seeded) -> None:
    _, response = page(seeded, "agent1", "/desk/stats")
    assert response.status_code == 200
    answered = count(seeded, "answer")
    text = html.unescape(response.text)
    assert (f"約 {answered * MINUTES / 60:,.1f} 時間" in text
            and f"{answered} 件 × 1 件あたり {MINUTES}.0 分" in text)
    assert "42.0 分" in text and text.count("<svg") == 3 and "style=" not in response.text
    unanswered = [q for q in [*CLUSTERS["sodaigomi"], *CLUSTERS["jidouteate"], UNANSWERABLE]
                  if seeded.decisions[q] != "answer"]
    assert unanswered and all(html.escape(stored(q)) in response.text for q in unanswered)


def test_stats_csv_opens_in_excel_with_the_same_figures(seeded: Seeded) -> None:
    _, response = page(seeded, "agent1", "/desk/stats.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    figures = {row[0]: row[1] for row in rows if len(row) == 2}
    assert figures["回答した質問数"] == str(count(seeded, "answer"))
    assert figures["質問数（あいさつ・お礼を除く）"] == "9" and figures[
        "回答までの時間の中央値（分）"] == "42"
    per_day = rows[rows.index(["日付", "ウェブ", "合計"]) + 1:]
    assert sum(int(r[2]) for r in per_day if len(r) == 3 and r[0][:2] == "20") == 9


def test_a_period_that_ends_before_it_starts_is_refused(seeded: Seeded) -> None:
    _, response = page(seeded, "agent1", "/desk/stats?start=2026-05-02&end=2026-05-01")
    assert response.status_code == 400 and "開始日" in response.text

