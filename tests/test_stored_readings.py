"""Kana readings are read through Sudachi when an index is built and kept in the version, so a worker loading
the version leaves Sudachi's dictionary alone; a version built before they were kept still loads and reads
kana questions as it always did."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

import indexer.kana
from indexer.index import city_wording
from indexer.kana import READINGS_FILE, KanaReadings
from indexer.runtime import load_runtime
from indexer.sudachi import SudachiSplitter
from testing.live_index import copy_index, sample_settings

pytestmark = pytest.mark.integration

KANA_QUESTIONS = {"じどうてあて": "児童手当", "じゅうみんひょうのうつし": "住民票の写し",
                  "そだいごみ": "粗大ごみ"}


def forbid_sudachi_in_kana(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(fine_mode: str = "A") -> SudachiSplitter:
        raise AssertionError(f"the kana readings asked Sudachi (mode {fine_mode}) while the index was loaded")
    monkeypatch.setattr(indexer.kana, "shared_splitter", refuse)


def without_stored_readings(index_dir: Path) -> None:
    """Make a version look as if built before readings were stored: no file, none in the checksums."""
    [version] = (index_dir / "versions").iterdir()
    (version / READINGS_FILE).unlink()
    manifest = json.loads((version / "manifest.json").read_text(encoding="utf-8"))
    del manifest["checksums"][READINGS_FILE]
    (version / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")


def test_a_loaded_index_takes_its_kana_readings_from_the_version_not_from_sudachi(
        sample_index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as patched:
        forbid_sudachi_in_kana(patched)
        runtime = load_runtime(sample_settings(sample_index_dir))
    index = runtime.index
    read_now = KanaReadings.of(city_wording(index.records, index.learned), index.lexical["answer"])
    assert list(runtime.retriever.kana.words.items()) == list(read_now.words.items()), ("same words, "
                                                                                        "same order")
    assert runtime.retriever.kana.inflected == read_now.inflected
    for kana, kanji in KANA_QUESTIONS.items():
        assert runtime.retriever.kana.rewrite(kana) == kanji


def test_a_version_built_before_readings_were_stored_reads_them_at_load(
        sample_index_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    legacy = copy_index(sample_index_dir, tmp_path / "legacy")
    without_stored_readings(legacy)
    stored = load_runtime(sample_settings(sample_index_dir)).retriever.kana
    with caplog.at_level(logging.INFO, logger="madoguchi.index"):
        read = load_runtime(sample_settings(legacy)).retriever.kana
    assert list(read.words.items()) == list(stored.words.items()) and read.inflected == stored.inflected
    assert any("no stored kana readings" in r.getMessage() for r in caplog.records)
    for kana, kanji in KANA_QUESTIONS.items():
        assert read.rewrite(kana) == kanji
