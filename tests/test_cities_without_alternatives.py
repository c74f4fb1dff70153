"""A city whose FAQ entries carry no alternative questions answers with the shipped model learned without
them.

On the sample city most of the confidence comes from how well an entry's alternative questions match; on a
city that writes none (many cities' FAQ tables are question and answer only) the model learned with them was
too unsure to answer directly (BENCHMARKS.md, 2026-12-05).
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.model import DEFAULT_MODEL_FILE, WITHOUT_ALTERNATIVES_MODEL_FILE, shipped_model_file
from channels.cli.app import app
from indexer.integrity import CHECKSUMS, MANIFEST, file_checksums
from indexer.learned import MODEL
from knowledge.core.settings import PACKAGE_DIR
from knowledge.records import Record

pytestmark = pytest.mark.integration

SAMPLE_CITY = PACKAGE_DIR / "samples" / "minato"
# a resident's words for four of the sample city's entries (tests/data/unseen_questions.jsonl)
ASKED = {"市営住宅に入りたい": "R190", "古着はどうやって出せばいいですか": "R113",
         "生活保護を受けたいのですが": "R155", "医療費控除の手続きを教えて": "R124"}


def without_alternatives(city: Path, folder: Path) -> Path:
    """A copy of the city whose FAQ tables have an empty alt_questions column."""
    shutil.copytree(city, folder)
    for table in (folder / "faq").glob("*.csv"):
        with open(table, encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        with open(table, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows({**row, "alt_questions": ""} for row in rows)
    return folder


@pytest.fixture(scope="module")
def plain_city_index(model_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = without_alternatives(SAMPLE_CITY, tmp_path_factory.mktemp("plain") / "minato")
    index_dir = folder.parent / "index"
    result = CliRunner().invoke(app, ["index", "build", str(folder), "--index-dir", str(index_dir)],
                                env={"MADOGUCHI_DATA_DIR": str(model_cache)})
    assert result.exit_code == 0, result.output
    return index_dir


def asked(cli: CliRunner, index_dir: Path, tmp_path: Path, env: dict[str, str]) -> dict[str, tuple[str, str]]:
    """(decision, first entry) of each question, from `madoguchi ask --batch`."""
    questions, answers = tmp_path / "asked.jsonl", tmp_path / "answers.jsonl"
    questions.write_text("".join(json.dumps({"id": text, "text": text}, ensure_ascii=False) + "\n"
                                 for text in ASKED), encoding="utf-8")
    result = cli.invoke(app, ["ask", "--batch", str(questions), "--index-dir", str(index_dir),
                              "--out", str(answers)], env=env)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in answers.read_text(encoding="utf-8").splitlines()]
    return {line["id"]: (line["decision"], line["results"][0]["id"]) for line in lines}


def test_a_city_without_alternative_questions_answers_directly_what_the_other_model_only_offers_as_a_choice(
        cli: CliRunner, plain_city_index: Path, model_cache: Path, tmp_path: Path) -> None:
    env = {"MADOGUCHI_DATA_DIR": str(model_cache)}
    own = asked(cli, plain_city_index, tmp_path, env)
    assert own == {text: ("answer", entry) for text, entry in ASKED.items()}
    first_model = {**env, "MADOGUCHI_DECISION_MODEL": str(DEFAULT_MODEL_FILE)}
    offered = asked(cli, plain_city_index, tmp_path, first_model)
    assert {decision for decision, _ in offered.values()} == {"clarify"}


def test_a_city_answers_with_the_model_learned_on_entries_like_its_own() -> None:
    entry = Record("1", "faq", "住民票の写しがほしい", "市民課で発行します。")
    written = Record("2", "faq", "転入届に必要なものは", "本人確認書類です。", ("転入 持ち物",))
    passage = Record("m#1", "passage", "転入の窓口", "1階の市民課です。")
    assert shipped_model_file([written, written, entry]) == DEFAULT_MODEL_FILE
    assert shipped_model_file([written, entry]) == DEFAULT_MODEL_FILE  # half of them is enough
    assert shipped_model_file([written, entry, entry]) == WITHOUT_ALTERNATIVES_MODEL_FILE
    assert shipped_model_file([passage, passage, written]) == DEFAULT_MODEL_FILE  # passages never carry any
    assert shipped_model_file([passage]) == WITHOUT_ALTERNATIVES_MODEL_FILE


def test_index_info_names_the_decision_model_that_answers(cli: CliRunner, plain_city_index: Path,
                                                         sample_index_dir: Path, model_cache: Path) -> None:
    env = {"MADOGUCHI_DATA_DIR": str(model_cache)}

    def named(index_dir: Path, extra: dict[str, str]) -> str:
        result = cli.invoke(app, ["index", "info", "--index-dir", str(index_dir)], env={**env, **extra})
        assert result.exit_code == 0, result.output
        return str(json.loads(result.output)["decision_model"])

    assert named(plain_city_index, {}) == f"shipped: {WITHOUT_ALTERNATIVES_MODEL_FILE.name}"
    assert named(sample_index_dir, {}) == f"shipped: {DEFAULT_MODEL_FILE.name}"
    chosen = {"MADOGUCHI_DECISION_MODEL": str(DEFAULT_MODEL_FILE)}
    assert named(plain_city_index, chosen) == f"MADOGUCHI_DECISION_MODEL: {DEFAULT_MODEL_FILE}"


def test_a_learned_model_this_madoguchi_cannot_use_is_named_and_the_shipped_one_answers(
        cli: CliRunner, plain_city_index: Path, model_cache: Path, tmp_path: Path) -> None:
    """A version whose stored learned model was made for other features (an older madoguchi's `learn`): index
    info must name the model that really answers, not the stored one."""
    env = {"MADOGUCHI_DATA_DIR": str(model_cache)}
    index_dir = tmp_path / "index"
    shutil.copytree(plain_city_index, index_dir)
    info = cli.invoke(app, ["index", "info", "--index-dir", str(index_dir)], env=env)
    folder = index_dir / "versions" / json.loads(info.output)["version"]
    foreign = {**json.loads(WITHOUT_ALTERNATIVES_MODEL_FILE.read_text(encoding="utf-8")),
               "candidate_features": ["a feature this madoguchi does not compute"]}
    (folder / MODEL).write_text(json.dumps(foreign), encoding="utf-8")
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    manifest[CHECKSUMS] = file_checksums(folder)
    (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")

    info = cli.invoke(app, ["index", "info", "--index-dir", str(index_dir)], env=env)
    named = json.loads(info.output)["decision_model"]
    shipped = WITHOUT_ALTERNATIVES_MODEL_FILE.name
    assert named.startswith(f"shipped: {shipped} (the model madoguchi learn stored cannot be used: ")
    assert "trained for other features" in named
    assert asked(cli, index_dir, tmp_path, env) == asked(cli, plain_city_index, tmp_path, env)
