"""`madoguchi model untie`: the sample city's words get vectors of their own, trained from its entries, and
the model directory is served like the default one, in NumPy, with sentence-transformers' vectors.

Trained for 3 epochs (24 steps) so each training takes seconds; the full recipe is measured on the real city
(BENCHMARKS.md)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from channels.cli.app import app
from indexer.embedding import StaticEmbedder, embedder_from_settings, model_embedder
from knowledge.core.settings import Settings
from testing.fresh import COMMANDS, HEAVY, loaded, run_fresh
from testing.static_texts import reference, thousand_texts

pytestmark = pytest.mark.integration

# one chiVe vector; all in the sample city
SHARED_IN_CHIVE = ("住民票", "戸籍謄本", "死亡届", "出生届", "本籍")
ONE_IN_THE_CITY = ("印鑑登録", "朱肉")  # one chiVe vector; 朱肉 is not a word of the sample city
EPOCHS = "3"


def untie(model_cache: Path, target: Path) -> Path:
    result = CliRunner().invoke(app,
                                ["model", "untie", "--out", str(target), "--epochs", EPOCHS, "--seed", "0"],
                                env={"MADOGUCHI_DATA_DIR": str(model_cache)})
    assert result.exit_code == 0, result.output
    return target


@pytest.fixture(scope="module")
def untied(model_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample city's untied model, trained once for this module."""
    return untie(model_cache, tmp_path_factory.mktemp("untied") / "minato")


def vectors(folder: Path, words: tuple[str, ...]) -> np.ndarray:
    embedder = model_embedder(folder, folder.name)
    assert isinstance(embedder, StaticEmbedder)
    return embedder.encode_queries(list(words))


def test_words_that_shared_a_chive_vector_get_their_own_and_other_words_keep_theirs(
        untied: Path, model_cache: Path) -> None:
    chive = embedder_from_settings(Settings(data_dir=model_cache)).folder
    before, after = vectors(chive, SHARED_IN_CHIVE), vectors(untied, SHARED_IN_CHIVE)
    assert np.abs(before - before[0]).max() == 0  # as ja-ginza ships it: five words, one vector
    cosines = after @ after.T
    assert cosines[np.triu_indices(len(SHARED_IN_CHIVE), 1)].max() < 0.999
    before, after = vectors(chive, ONE_IN_THE_CITY), vectors(untied, ONE_IN_THE_CITY)
    assert float(after[0] @ before[0]) < 0.999 and np.abs(after[1] - before[1]).max() <= 1e-6
    facts = json.loads((untied / "untied.json").read_text(encoding="utf-8"))
    assert facts["words"] > 1000 and facts["shared_rows"] > 100 and facts["steps"] == 8 * int(EPOCHS)


def test_the_untied_model_runs_in_numpy_with_sentence_transformers_vectors(untied: Path) -> None:
    embedder = model_embedder(untied, untied.name)
    assert isinstance(embedder, StaticEmbedder)
    texts = thousand_texts()
    assert np.abs(embedder.encode_documents(texts) - reference(untied, texts)).max() <= 1e-6


def test_the_same_seed_and_entries_give_the_same_model(untied: Path, tmp_path: Path,
                                                       model_cache: Path) -> None:
    again = untie(model_cache, tmp_path / "again")
    for name in ("model.safetensors", "vocab.json", "untied.json"):
        assert (again / name).read_bytes() == (untied / name).read_bytes(), name


def test_a_folder_that_holds_files_is_never_overwritten(cli: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("the city's", encoding="utf-8")
    result = cli.invoke(app, ["model", "untie", "--out", str(tmp_path)])
    assert result.exit_code != 0 and "not empty" in str(result.exception)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


@pytest.mark.system  # a fresh interpreter, as tests/test_lean_runtime.py
def test_index_build_and_ask_use_the_configured_untied_model_without_torch(
        untied: Path, tmp_path: Path) -> None:
    index_dir = str(tmp_path / "index")
    commands = [["index", "build", "--index-dir", index_dir],
                ["ask", "住民票の写しがほしい", "--index-dir", index_dir],
                ["index", "info", "--index-dir", index_dir]]
    env = {"MADOGUCHI_MODEL": str(untied), "MADOGUCHI_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}"}
    modules, printed = run_fresh(COMMANDS, json.dumps(commands), env=env)
    assert "住民票" in printed and '"name": "minato"' in printed  # the manifest names the untied model
    assert loaded(modules, *HEAVY) == []
