"""Signals that reach past the exact words (indexer/expansion.py), on the sample city's index built by the
CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from indexer.expansion import NEIGHBOURS_FILE, VECTORS_FILE, TermNeighbours, char_bigrams, cosines
from indexer.runtime import load_runtime
from indexer.search import SIGNALS
from knowledge.records import Audience
from testing.live_index import sample_settings

pytestmark = pytest.mark.integration


def signal_of(index_dir: Path, model_cache: Path, text: str, entry: str) -> dict[str, float]:
    runtime = load_runtime(sample_settings(index_dir, data_dir=model_cache))
    retrieval = runtime.retriever.run(text, Audience.RESIDENT)
    ids = [runtime.index.records[i].id for i in retrieval.candidates]
    best = SIGNALS.index("bm25x_answer")
    top3 = [ids[i] for i in np.argsort(-retrieval.signals[:, best], kind="stable")[:3]]
    assert entry in top3, f"the entry is among the first three by expanded BM25: {top3}"
    return dict(zip(SIGNALS, map(float, retrieval.signals[ids.index(entry)]), strict=True))


def test_a_word_no_entry_uses_finds_the_entry_through_its_nearest_city_word(sample_index_dir: Path,
                                                                             model_cache: Path) -> None:
    signals = signal_of(sample_index_dir, model_cache, "入籍したい", "R029")  # entries say 婚姻 and 結婚
    assert signals["bm25_answer"] == 0.0 and signals["bm25x_answer"] > 0.0


def test_the_city_words_neighbours_are_found_at_build_time_and_kept_in_the_version(
        sample_index_dir: Path) -> None:
    version = (sample_index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    folder = sample_index_dir / "versions" / version
    assert (folder / NEIGHBOURS_FILE).stat().st_size > 0 and (folder / VECTORS_FILE).stat().st_size > 0
    assert "neighbours.json" in (folder / "manifest.json").read_text(encoding="utf-8")  # checksummed


def test_character_bigrams_stay_inside_words_and_keep_a_lone_character() -> None:
    assert char_bigrams("住民票、猫") == ["⁂住民", "⁂民票", "⁂猫"]


def test_several_new_words_get_the_neighbours_each_gets_alone() -> None:
    rng = np.random.default_rng(7)
    table = rng.normal(size=(1300, 300)).astype(np.float32)  # three blocks, the last one partial
    table /= np.linalg.norm(table, axis=1, keepdims=True)
    words = [f"w{i}" for i in range(len(table))]
    near = table[[3, 600, 1299]] + rng.normal(0, 0.02, size=(3, 300)).astype(np.float32)
    vectors = np.vstack([near / np.linalg.norm(near, axis=1, keepdims=True), np.zeros((1, 300), np.float32)])
    asked = ["a", "b", "c", "none"]

    def encode(terms: list[str]) -> np.ndarray:
        return vectors[[asked.index(t) for t in terms]]

    together = TermNeighbours({}, words, table).unknown(asked, encode)
    alone = {t: TermNeighbours({}, words, table).unknown([t], encode)[t] for t in asked}
    assert together == alone and together["none"] is None
    assert [found[0][0] for found in (together["a"], together["b"], together["c"])] == ["w3", "w600", "w1299"]
    assert all(row.tobytes() == (table @ vector).tobytes()
               for row, vector in zip(cosines(table, vectors), vectors, strict=True))
