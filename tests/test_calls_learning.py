"""A call answered with an entry teaches the bot, on SQLite and the real PostgreSQL: the caller's words,
logged with 「この回答で対応」 at the desk, are read by `madoguchi learn --from-desk` and are a paraphrase of
that entry in the next published index version, which the bot then answers with.

The city is the sample city without its FAQ's own paraphrases, whose desk already holds the labels of the
sample's labelled questions (tests/test_learn_from_desk.py), so the guard has enough questions to judge by.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bot.learning.desk import question_id
from bot.learning.labels import is_held_out
from channels.cli.app import app as cli_app
from channels.server import create_app
from indexer.learned import PARAPHRASES
from knowledge.core.settings import Settings
from testing.database import STORES, postgres_schema_url
from testing.desk import add_user, csrf_of, sign_in, visitor
from testing.learning import UNANSWERED, bare_city, env, seed_labels  # noqa: F401 (fixtures)

pytestmark = pytest.mark.integration

QUESTION, ENTRY = UNANSWERED[1], UNANSWERED[2]


@pytest.fixture(scope="module", params=STORES)
def store_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('calls-learn') / 'store.db'}"
        return
    yield from postgres_schema_url()


@pytest.fixture(scope="module")
def city(bare_city: tuple[Path, Path], store_url: str, model_cache: Path,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, Path]]:
    """The bare city served with a desk and an agent: (app, index dir)."""
    sources, built = bare_city
    index_dir = tmp_path_factory.mktemp("calls-index") / "index"
    shutil.copytree(built, index_dir)
    seed_labels(store_url)
    settings = Settings(data_dir=model_cache, index_dir=index_dir, database_url=store_url, sources=[sources],
                        index_poll_seconds=0, rate_per_session=1000, rate_per_address=10_000)
    application = create_app(settings)
    with TestClient(application):
        add_user(store_url, model_cache, "agent1", "agent")
        yield application, index_dir


def ask(app: object, text: str) -> dict:
    return TestClient(app).post("/api/v1/ask", json={"text": text, "session_id": uuid.uuid4().hex}).json()  # type: ignore[arg-type]


def test_a_call_answered_with_an_entry_is_a_paraphrase_after_the_next_publish(
        city: tuple[object, Path], store_url: str, model_cache: Path) -> None:
    app, index_dir = city
    normalised = app.state.madoguchi.bot.runtime.normaliser.run(QUESTION).terms  # type: ignore[attr-defined]
    assert not is_held_out(question_id(" ".join(normalised),
                                       "resident")), "the question is on the training side"
    before = ask(app, QUESTION)
    assert before["decision"] != "answer", before
    agent = visitor(app)
    assert sign_in(agent, "agent1").status_code == 303
    logged = agent.post("/desk/calls", data={"csrf": csrf_of(agent, "/desk/search"), "question": QUESTION,
                                             "outcome": "answered", "entry_id": ENTRY, "handling": "140"})
    assert logged.status_code == 303, logged.text
    learned = CliRunner().invoke(cli_app, ["learn", "--from-desk", "--index-dir", str(index_dir)],
                                 env={"MADOGUCHI_DATA_DIR": str(model_cache),
                                      "MADOGUCHI_DATABASE_URL": store_url})
    assert learned.exit_code == 0 and "published index" in learned.output, learned.output
    folder = index_dir / "versions" / app.state.madoguchi.bot.runtime.store.current_version()  # type: ignore[attr-defined]
    paraphrases = [json.loads(line)
                   for line in (folder / PARAPHRASES).read_text(encoding="utf-8").splitlines()]
    assert {"entry": ENTRY, "text": QUESTION} in [{"entry": p["entry"], "text": p["text"]}
                                                  for p in paraphrases]
    app.state.index_watcher.poll()  # type: ignore[attr-defined]
    after = ask(app, QUESTION)
    first = (after["answer"]["id"] if after["decision"] == "answer"
             else after.get("choices", [{}])[0].get("id"))
    assert (after["decision"] in ("answer", "clarify"), first) == (True, ENTRY), after
