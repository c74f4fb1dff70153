"""Sudachi's morphemes are described once per dictionary word: the index must not change because of it.

A build walks hundreds of thousands of morphemes; madoguchi remembers what each dictionary word gives search
(its unit, finer parts and reading) by surface and word. Numbers Sudachi joins (29 in 29日 and in 第29条) are
read differently in each place, so they must never come from that memory.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import indexer.normalise
import indexer.sudachi
from channels.cli.app import app
from indexer.sudachi import SudachiSplitter, shared_splitter
from knowledge.core.settings import SAMPLE_CITY
from testing.parsed_lines import NUMBERS, index_files, numbers_file, sample_lines

pytestmark = pytest.mark.integration

def without_word_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every morpheme described afresh, as before the memory, and no cached line or text from earlier."""
    monkeypatch.setattr(indexer.sudachi, "OWN_WORDS", 0)
    monkeypatch.setattr(indexer.sudachi, "REMEMBER_OWN_UNITS", False)
    shared_splitter.cache_clear()
    indexer.normalise.normalise_width.cache_clear()


def parse_all(lines: list[str]) -> list[tuple[object, str]]:
    splitter = SudachiSplitter("A")
    return [(splitter.units(line), splitter.reading(line)) for line in lines]


def test_remembered_words_give_the_units_and_readings_of_a_fresh_parse(
        monkeypatch: pytest.MonkeyPatch) -> None:
    remembered = parse_all(sample_lines())
    without_word_memory(monkeypatch)
    fresh = parse_all(sample_lines())
    assert remembered == fresh
    readings = dict(zip(NUMBERS, (reading for _, reading in fresh), strict=False))
    assert "ニココノ" in readings["29日に届きます"] and "ニキュウ" in readings["老人福祉法第29条による"]


def test_a_build_writes_the_same_index_files_with_and_without_the_word_memory(
        cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    numbers = numbers_file(tmp_path)
    built = {}
    for name in ("remembered", "fresh"):
        if name == "fresh":
            without_word_memory(monkeypatch)
        index_dir = tmp_path / name
        result = cli.invoke(app,
                            ["index", "build", str(SAMPLE_CITY), str(numbers), "--index-dir", str(index_dir)])
        assert result.exit_code == 0, result.output
        built[name] = index_files(index_dir)
    assert "bm25-answer.npz" in built["fresh"] and "dense.faiss" in built["fresh"]
    assert built["remembered"] == built["fresh"]


def test_decoding_only_the_fields_the_walk_reads_changes_no_unit_or_reading(
        monkeypatch: pytest.MonkeyPatch) -> None:
    partial = parse_all(sample_lines())
    monkeypatch.setattr(indexer.sudachi, "used_fields", lambda fine_mode: None)  # every field, as before
    assert parse_all(sample_lines()) == partial


def test_not_asking_sudachi_to_split_its_own_words_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    skipped = parse_all(sample_lines())
    monkeypatch.setattr(indexer.sudachi, "UNSPLIT", 1 << 32)  # every word asked for its finer split
    assert parse_all(sample_lines()) == skipped
