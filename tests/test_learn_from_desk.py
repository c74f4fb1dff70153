"""Learning from the desk's labels, on SQLite and the real PostgreSQL: a question the bot handed over, marked
「この FAQ で答えられる」 by an agent, is answered with that entry after 「学習して公開」; a staff question
never becomes a resident paraphrase; a label of a retired entry is dropped; `madoguchi learn --from-desk`
reads the same labels.

The city is the sample city without its FAQ's own paraphrases (as most cities start), whose desk already
holds the labels of the sample's labelled questions, as a city's desk would after some months of work.
"""

from __future__ import annotations

import json
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bot.answer import Answer, Decision
from bot.intents import Intent
from bot.learning.desk import question_id
from bot.learning.labels import is_held_out
from bot.store import ConversationStore
from channels.cli.app import app as cli_app
from channels.server import create_app
from indexer.learned import PARAPHRASES
from knowledge.core.settings import Settings
from testing.database import STORES, postgres_schema_url
from testing.desk import add_user, csrf_of, signed_in
from testing.learning import LABELLED, UNANSWERED, bare_city, env, seed_labels, snapshot  # noqa: F401 (fixtures)
from testing.turns import record_turn

pytestmark = pytest.mark.integration

STAFF_WORDS = "出張の旅費の精算のしかたを知りたい"  # on the training side of the split
RETIRED_WORDS = "公園で花火をしてもいいですか"


@pytest.fixture(scope="module", params=STORES)
def store_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('learn-desk') / 'store.db'}"
        return
    yield from postgres_schema_url()


@pytest.fixture(scope="module")
def served(bare_city: tuple[Path, Path], store_url: str, model_cache: Path,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, Path]]:
    """The bare city served with a desk: (app, index dir)."""
    city, built = bare_city
    index_dir = tmp_path_factory.mktemp("desk-index") / "index"
    shutil.copytree(built, index_dir)
    seed_labels(store_url)
    settings = Settings(data_dir=model_cache, index_dir=index_dir, database_url=store_url, sources=[city],
                        index_poll_seconds=0, rate_per_session=1000, rate_per_address=10_000)
    application = create_app(settings)
    with TestClient(application):
        for name, role in (("agent1", "agent"), ("editor1", "editor")):
            add_user(store_url, model_cache, name, role)
        yield application, index_dir


def form(client: TestClient, path: str, **fields: str):  # type: ignore[no-untyped-def]
    return client.post(path, data={"csrf": csrf_of(client), **fields})


def ask(app: object, text: str, session: str) -> dict:
    return TestClient(app).post("/api/v1/ask", json={"text": text, "session_id": session}).json()  # type: ignore[arg-type]


def caught_up(app: object) -> None:
    """Every background publish done and its version served (as every worker's watcher would)."""
    desk = getattr(app.state, "desk", None)  # type: ignore[attr-defined]
    publisher = desk.publishing if desk is not None else None
    assert publisher is None or publisher.wait(600)
    app.state.index_watcher.poll()  # type: ignore[attr-defined]


def retired_label(app: object) -> str:
    """A desk FAQ made from an escalation, approved (its question becomes a label), then retired."""
    session = uuid.uuid4().hex
    ask(app, RETIRED_WORDS, session)
    escalation_id = ask(app, "担当者と話したい", session)["escalation"]["id"]
    agent, editor = signed_in(app, "agent1"), signed_in(app, "editor1")
    form(agent, f"/desk/escalations/{escalation_id}/claim")
    form(agent, f"/desk/escalations/{escalation_id}/reply",
         text="公園での花火は、手持ち花火に限り認めています。")
    entry_id = form(agent, f"/desk/escalations/{escalation_id}/promote").headers["location"].split("/")[
        -1].split("?")[0]
    assert form(editor, f"/desk/entries/{entry_id}/approve").status_code == 303
    caught_up(app)
    assert form(editor, f"/desk/entries/{entry_id}/retire", confirmed="1").status_code == 303
    caught_up(app)
    return entry_id


def staff_label(app: object, store_url: str, entry: str) -> None:
    """A staff member's question (from the staff channel) that an agent marks with a resident entry."""
    store = ConversationStore(store_url)
    handed = Answer(Decision.ESCALATE, Intent.QUESTION, 0.05, "担当者におつなぎします", reason="no match")
    stored = record_turn(store, f"slack:{uuid.uuid4().hex}", "slack", "staff", STAFF_WORDS, STAFF_WORDS,
                         handed)
    store.engine.dispose()
    agent = signed_in(app, "agent1")
    assert form(agent, f"/desk/escalations/{stored.escalation_id}/label", entry_id=entry).status_code == 303


@pytest.fixture(scope="module")
def learned_from_desk(served: tuple[object, Path], store_url: str) -> dict:
    """Before, the click, the other labels, 「学習して公開」, after."""
    app, index_dir = served
    question, entry = UNANSWERED[1], UNANSWERED[2]
    session = uuid.uuid4().hex
    before = ask(app, question, session)
    escalation_id = ask(app, "担当者と話したい", session)["escalation"]["id"]
    agent = signed_in(app, "agent1")
    page = agent.get(f"/desk/escalations/{escalation_id}").text
    assert re.search(rf'name="entry_id" value="{entry}"', page), "the right entry is among the candidates"
    assert form(agent, f"/desk/escalations/{escalation_id}/label", entry_id=entry).status_code == 303
    retired = retired_label(app)
    staff_label(app, store_url, entry)
    editor = signed_in(app, "editor1")
    assert form(editor, "/desk/learned/publish").status_code == 303
    assert app.state.desk.learner.wait(900)  # type: ignore[attr-defined]
    result_page = editor.get("/desk/learned").text
    caught_up(app)
    after = ask(app, question, uuid.uuid4().hex)
    folder = index_dir / "versions" / app.state.madoguchi.bot.runtime.index.manifest["version"]  # type: ignore[attr-defined]
    paraphrases = [json.loads(line)
                   for line in (folder / PARAPHRASES).read_text(encoding="utf-8").splitlines()]
    return {"before": before, "after": after, "page": result_page, "paraphrases": paraphrases,
            "retired": retired,
            "normalised": app.state.madoguchi.bot.runtime.normaliser.run(question).terms}  # type: ignore[attr-defined]


def test_a_desk_click_becomes_a_paraphrase_the_bot_uses_after_learning(learned_from_desk: dict) -> None:
    found = learned_from_desk
    assert not is_held_out(question_id(" ".join(found["normalised"]), "resident"))
    assert found["before"]["decision"] != "answer", found["before"]
    assert "公開しました" in found["page"], found["page"]
    assert {"entry": UNANSWERED[2], "text": UNANSWERED[1]} in [
        {"entry": p["entry"], "text": p["text"]} for p in found["paraphrases"]]
    after = found["after"]  # answered, or offered first when the refitted thresholds are stricter
    first = (after["answer"]["id"] if after["decision"] == "answer"
             else after.get("choices", [{}])[0].get("id"))
    assert (after["decision"] in ("answer", "clarify"), first) == (True, UNANSWERED[2]), after
    assert after["confidence"] > found["before"]["confidence"], (found["before"], after)


def test_the_entry_page_shows_what_was_learned_for_it(learned_from_desk: dict,
                                                      served: tuple[object, Path]) -> None:
    page = signed_in(served[0], "agent1").get(f"/desk/entries/{UNANSWERED[2]}").text
    learned = page.split('id="learned-paraphrases"')[1].split("</ul>")[0]
    assert UNANSWERED[1] in learned


def test_a_staff_question_never_becomes_a_resident_paraphrase(learned_from_desk: dict) -> None:
    assert STAFF_WORDS not in {p["text"] for p in learned_from_desk["paraphrases"]}
    kept_off = re.search(r"職員の質問 (\d+) 件", learned_from_desk["page"])
    assert kept_off and int(kept_off.group(1)) >= 1


def test_a_label_of_a_retired_entry_is_dropped(learned_from_desk: dict) -> None:
    assert learned_from_desk["retired"] not in {p["entry"] for p in learned_from_desk["paraphrases"]}
    assert RETIRED_WORDS not in {p["text"] for p in learned_from_desk["paraphrases"]}
    dropped = re.search(r"外したラベル (\d+) 件", learned_from_desk["page"])
    assert dropped and int(dropped.group(1)) >= 1


def test_learn_from_desk_on_the_command_line_reads_the_same_labels(
        learned_from_desk: dict, served: tuple[object, Path], store_url: str, model_cache: Path) -> None:
    _, index_dir = served
    before = snapshot(index_dir)
    env = {"MADOGUCHI_DATA_DIR": str(model_cache), "MADOGUCHI_DATABASE_URL": store_url}
    result = CliRunner().invoke(cli_app, ["learn", "--from-desk", "--index-dir", str(index_dir), "--dry-run"],
                                env=env)
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "hit@1" in output and re.search(r"dropped [1-9]\d* label", output)
    assert re.search(r"[1-9]\d* staff question label\(s\) kept off", output)
    assert snapshot(index_dir) == before


def test_the_learning_result_is_told_in_japanese(learned_from_desk: dict) -> None:
    result = learned_from_desk["page"].split('id="learn-result"')[1].split("</table>")[0]
    assert "今の公開版" in result and "間違った回答" in result and "1位が正解" in result
    for english in ("serving now", "learned paraphrases", "refitted", "would", "might", "wrong_answer"):
        assert english not in result, result


def test_every_learning_candidate_and_every_reason_to_refuse_one_has_desk_words() -> None:
    from bot.learning import loop
    from bot.learning.guard import Because
    from channels.desk.learned import NAME_LABELS, REFUSAL_WORDS

    names = {loop.SERVING, loop.PARAPHRASES, loop.REFITTED, loop.RECALIBRATED, loop.CALIBRATED}
    assert names <= set(NAME_LABELS) and set(Because) <= set(REFUSAL_WORDS)
