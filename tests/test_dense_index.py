"""The dense index: exact search for a city's knowledge base, an HNSW graph past the size where it pays."""

from __future__ import annotations

import json
from pathlib import Path

import faiss
import numpy as np
import pytest
from typer.testing import CliRunner

from channels.cli.app import app
from indexer import dense, search
from indexer.dense import APPROXIMATE_ABOVE, FaissVectorIndex
from indexer.search import EXACT_DENSE_LIMIT
from indexer.store import IndexStore
from knowledge.core.settings import SAMPLE_CITY
from knowledge.records import Audience
from knowledge.sources import load_sources
from testing.fakes import memory_retriever


def unit_vectors(rows: int, seed: int = 0, dimensions: int = 48) -> np.ndarray:
    """Random unit-length float32 rows: the hardest case for a graph (no clusters to follow)."""
    vectors = np.random.default_rng(seed).standard_normal((rows, dimensions)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def exact_top(vectors: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """The true k nearest rows by inner product."""
    return np.argsort(-(queries @ vectors.T), axis=1, kind="stable")[:, :k]


def test_small_knowledge_bases_are_searched_exactly() -> None:
    vectors, queries = unit_vectors(800), unit_vectors(30, seed=1)
    index = FaissVectorIndex.build(vectors, approximate_above=1000)
    _, found = index.search(queries, 10)
    assert index.kind == "flat"
    assert (found == exact_top(vectors, queries, 10)).all()


def test_knowledge_bases_past_the_threshold_get_a_graph() -> None:
    assert FaissVectorIndex.build(unit_vectors(1000), approximate_above=1000).kind == "flat"
    assert FaissVectorIndex.build(unit_vectors(1001), approximate_above=1000).kind == "hnsw"


def test_the_graph_finds_what_exact_search_finds() -> None:
    vectors, queries = unit_vectors(6000), unit_vectors(100, seed=2)
    _, found = FaissVectorIndex.build(vectors, approximate_above=0).search(queries, 10)
    truth = exact_top(vectors, queries, 10)
    recall = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth, strict=True)])
    assert recall >= 0.95


def test_the_graph_returns_every_candidate_retrieval_asks_for() -> None:
    index = FaissVectorIndex.build(unit_vectors(3000), approximate_above=0)
    _, found = index.search(unit_vectors(5, seed=3), 400)
    assert (found >= 0).all() and found.shape == (5, 400)
    assert all(len(set(row)) == 400 for row in found)


def test_scores_for_every_unit_stay_exact_on_a_graph() -> None:
    vectors, query = unit_vectors(1500), unit_vectors(1, seed=4)
    index = FaissVectorIndex.build(vectors, approximate_above=0)
    assert np.allclose(index.all_scores(query), vectors @ query[0], atol=1e-6)


@pytest.mark.parametrize("approximate_above", [10_000, 100])
def test_a_saved_index_loads_with_its_kind_and_answers(tmp_path: Path, approximate_above: int) -> None:
    vectors, queries = unit_vectors(2000), unit_vectors(20, seed=5)
    built = FaissVectorIndex.build(vectors, approximate_above=approximate_above)
    built.save(tmp_path / "dense.faiss")
    loaded = FaissVectorIndex.load(tmp_path / "dense.faiss")
    assert (loaded.kind, loaded.size, loaded.dimensions) == (built.kind, 2000, 48)
    assert (loaded.search(queries, 10)[1] == built.search(queries, 10)[1]).all()


def test_an_index_written_before_graphs_existed_still_loads(tmp_path: Path) -> None:
    vectors = unit_vectors(300)
    old = faiss.IndexFlatIP(48)
    old.add(vectors)
    faiss.write_index(old, str(tmp_path / "dense.faiss"))
    loaded = FaissVectorIndex.load(tmp_path / "dense.faiss")
    assert loaded.kind == "flat"
    assert np.allclose(loaded.all_scores(vectors[7]), vectors @ vectors[7], atol=1e-6)


def test_the_graph_starts_where_retrieval_stops_scoring_every_unit() -> None:
    """Below the limit the retriever scores all units exactly (no use for a graph); above it, it asks for
    the nearest few hundred, which must come from the graph, not a flat scan of the whole index."""
    assert APPROXIMATE_ABOVE == EXACT_DENSE_LIMIT


def search_ids(cli: CliRunner, index_dir: Path) -> list[str]:
    """The ranked ids `madoguchi search --json` prints."""
    result = cli.invoke(app, ["search", "住民票の写しがほしい", "--index-dir", str(index_dir), "--json"])
    assert result.exit_code == 0, result.output
    return [json.loads(line)["id"] for line in result.output.splitlines() if line.strip()]


@pytest.mark.integration
def test_a_city_index_built_as_a_graph_searches_like_the_exact_one(
        cli: CliRunner, sample_index_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dense, "APPROXIMATE_ABOVE", 10)
    result = cli.invoke(app, ["index", "build", "--index-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert FaissVectorIndex.load(IndexStore(tmp_path).current_dir() / "dense.faiss").kind == "hnsw"
    assert FaissVectorIndex.load(IndexStore(sample_index_dir).current_dir() / "dense.faiss").kind == "flat"
    assert search_ids(cli, tmp_path) == search_ids(cli, sample_index_dir)


def test_past_the_exact_limit_retrieval_scores_the_units_the_index_finds_nearest(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Above the limit each record's dense signal comes from its units among the nearest DENSE_CANDIDATES:
    never more than the exact score, the same for the record the exact scores put first."""
    retriever = memory_retriever(load_sources([SAMPLE_CITY]).records)
    exact = retriever.run("住民票の写しがほしい", Audience.RESIDENT)
    monkeypatch.setattr(search, "EXACT_DENSE_LIMIT", 10)
    nearest = retriever.run("住民票の写しがほしい", Audience.RESIDENT)
    exact_dense = dict(zip(exact.candidates.tolist(), exact.signals[:, 3:6], strict=True))
    for record, row in zip(nearest.candidates.tolist(), nearest.signals[:, 3:6], strict=True):
        assert (row <= exact_dense[record] + 1e-6).all()
    best = int(exact.candidates[exact.signals[:, 3:6].max(axis=1).argmax()])
    found = dict(zip(nearest.candidates.tolist(), nearest.signals[:, 3:6], strict=True))
    np.testing.assert_allclose(found[best], exact_dense[best], atol=1e-6)
    assert (nearest.signals[:, 3:6] == 0).any() and not (exact.signals[:, 3:6] == 0).all()
