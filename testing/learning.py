"""The sample city without its own paraphrases, and the labelled questions learning starts from."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from bot.labelled import read_labelled
from bot.store import ConversationStore
from bot.store.tables import QuestionLabel
from channels.cli.app import app
from knowledge.core.settings import SAMPLE_CITY

LABELLED = SAMPLE_CITY.parent / "labelled" / "minato.jsonl"


UNANSWERED = ("q028", "洪水の危険区域がのってる地図、紙でほしい", "R161")  # escalated before learning


def invoke(env: dict[str, str], *args: str) -> Result:
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result


def snapshot(index_dir: Path) -> tuple[str, str, list[str]]:
    """The live version, the history of activations and the versions on disk."""
    history = (index_dir / "HISTORY").read_text(encoding="utf-8") if (index_dir / "HISTORY").exists() else ""
    return ((index_dir / "CURRENT").read_text(encoding="utf-8"), history,
            sorted(p.name for p in (index_dir / "versions").iterdir()))


@pytest.fixture(scope="module")
def env(model_cache: Path) -> dict[str, str]:
    return {"MADOGUCHI_DATA_DIR": str(model_cache)}


def strip_alt_questions(city: Path, rows: slice = slice(None)) -> set[str]:
    """Empty the alternative questions of these rows of each of the city's FAQ tables (all by default); the
    ids of those entries."""
    stripped = set()
    for table in sorted((city / "faq").glob("*.csv")):
        with open(table, encoding="utf-8") as handle:
            every = list(csv.DictReader(handle))
        for row in every[rows]:
            row["alt_questions"] = ""
            stripped.add(row["id"])
        with open(table, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(every[0]))
            writer.writeheader()
            writer.writerows(every)
    return stripped


@pytest.fixture(scope="module")
def bare_city(tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]) -> tuple[Path, Path]:
    """The sample city without the FAQ's own paraphrases, and its index: (sources, index dir)."""
    city = tmp_path_factory.mktemp("bare") / "city"
    shutil.copytree(SAMPLE_CITY, city)
    strip_alt_questions(city)
    index_dir = city.parent / "index"
    invoke(env, "index", "build", str(city), "--index-dir", str(index_dir))
    return city, index_dir


def seed_labels(store_url: str) -> None:
    """The labels earlier desk work left: every labelled sample question but the one this test asks."""
    store = ConversationStore(store_url).migrate()
    with store.session() as session, session.begin():
        for query in read_labelled(LABELLED):
            for entry in (e
                          for e, grade in query.relevant.items() if grade == 2 and query.id != UNANSWERED[0]):
                session.add(QuestionLabel(question=query.text, normalised=query.text, entry_id=entry,
                                          audience=query.audience.value, source="agent", by="earlier"))
    store.engine.dispose()


def split_city(table: Path, target: Path, per_entry: int = 3) -> tuple[list[dict], list[dict]]:
    """Every other entry of a sample FAQ table as a city of its own (its paraphrases emptied): (labelled
    questions, unlabelled probes). The kept entries' first `per_entry` paraphrases become questions they
    answer; the removed entries' questions and first paraphrases become questions nothing in this city
    answers, every fourth removed entry's kept apart as probes the learning never sees. (A fixed number per
    entry keeps the city the tests were written for when the sample FAQ gains wordings.)"""
    with open(table, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    kept, removed = rows[0::2], rows[1::2]
    (target / "faq").mkdir(parents=True)
    with open(target / "faq" / table.name, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({**row, "alt_questions": ""} for row in kept)
    labelled = [{"id": f"{row['id']}-a{n}", "text": text, "relevant": {row["id"]: 2}}
                for row in kept
                for n, text in enumerate(list(filter(None, row["alt_questions"].split("|")))[:per_entry])]
    probes: list[dict] = []
    for position, row in enumerate(removed):
        texts = [row["question"], *list(filter(None, row["alt_questions"].split("|")))[:per_entry]]
        asked = [{"id": f"{row['id']}-u{n}", "text": text, "relevant": {}} for n, text in enumerate(texts)]
        (probes if position % 4 == 0 else labelled).extend(asked)
    return labelled, probes
