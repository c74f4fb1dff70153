"""A large city's lines are parsed by a second process while the build parses from the other end: the index
must be byte for byte the one the build makes alone, whichever side parsed a line and if the worker dies.

The sample city is below the size at which the worker starts, so these tests lower the threshold.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import indexer.normalise
import indexer.parse_ahead
import indexer.sudachi
from channels.cli.app import app
from indexer.parse_ahead import ParseAhead
from indexer.sudachi import SudachiSplitter, shared_splitter
from knowledge.core.settings import SAMPLE_CITY
from testing.parsed_lines import index_files, numbers_file, sample_lines

pytestmark = pytest.mark.integration


def fresh_caches() -> None:
    """No line, text or worker's parse left from an earlier build in this process."""
    shared_splitter.cache_clear()
    indexer.normalise.normalise_width.cache_clear()


def build(cli: CliRunner, tmp_path: Path, name: str) -> dict[str, str]:
    """`madoguchi index build` of the sample city and lines with joined numbers; the files' SHA-256."""
    numbers = numbers_file(tmp_path)
    fresh_caches()
    index_dir = tmp_path / name
    result = cli.invoke(app, ["index", "build", str(SAMPLE_CITY), str(numbers),
                              "--index-dir", str(index_dir)])
    assert result.exit_code == 0, result.output
    return index_files(index_dir)


def parses_here(monkeypatch: pytest.MonkeyPatch, delay: float = 0.0) -> list[str]:
    """The lines this process parses from now on, each `delay` seconds slower (the worker, another process,
    is not slowed, so it supplies most lines)."""
    here: list[str] = []
    parse = SudachiSplitter.parse

    def counted(self: SudachiSplitter, line: str) -> indexer.sudachi.Parsed:
        here.append(line)
        time.sleep(delay)
        return parse(self, line)

    monkeypatch.setattr(SudachiSplitter, "parse", counted)
    return here


def test_a_build_with_the_worker_writes_the_files_of_a_build_without_it(
        cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(indexer.parse_ahead, "MIN_CHARS", 10**9)
    every_line = parses_here(monkeypatch)
    alone = build(cli, tmp_path, "alone")
    monkeypatch.setattr(indexer.parse_ahead, "MIN_CHARS", 0)
    here = parses_here(monkeypatch, delay=0.002)
    shared = build(cli, tmp_path, "shared")
    assert "bm25-answer.npz" in alone and "dense.faiss" in alone and "kana-readings.json" in alone
    assert shared == alone
    assert len(here) < len(every_line) / 2  # the worker parsed most lines


@pytest.mark.parametrize("failure", ["exits at once", "cannot start"])
def test_a_worker_that_fails_changes_nothing(
        cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: str) -> None:
    monkeypatch.setattr(indexer.parse_ahead, "MIN_CHARS", 10**9)
    alone = build(cli, tmp_path, "alone")
    monkeypatch.setattr(indexer.parse_ahead, "MIN_CHARS", 0)
    if failure == "exits at once":
        monkeypatch.setattr(indexer.parse_ahead, "WORKER", ["-c", "import sys; sys.exit(3)"])
    else:
        monkeypatch.setattr(sys, "executable", str(tmp_path / "no-python"))
    assert build(cli, tmp_path, "failed") == alone


def test_the_worker_sends_each_line_as_this_process_parses_it() -> None:
    lines = list(dict.fromkeys(line for text in sample_lines() for line in indexer.sudachi.pieces(text)))
    ahead, deadline = ParseAhead("A"), time.monotonic() + 120
    ahead.send(lines)
    while ahead.get(lines[0]) is None:  # the worker's last line: every other one has arrived before it
        assert time.monotonic() < deadline, "the worker sent nothing"
        time.sleep(0.05)
    splitter = SudachiSplitter("A")
    assert [ahead.get(line) for line in lines] == [splitter.parse(line) for line in lines]
