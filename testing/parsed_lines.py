"""Lines that test Sudachi's parsing and the index files a build writes, for the tests that prove a faster
build writes the same index (tests/test_parse_cache.py, tests/test_parse_ahead.py)."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

from indexer.store import IndexStore
from knowledge.core.settings import SAMPLE_CITY

NUMBERS = ["29日に届きます", "老人福祉法第29条による", "第14条の届出は14時まで", "電話は06-6489-6348です"]


def sample_lines() -> list[str]:
    """Every question and answer of the sample city, and lines whose joined numbers read differently."""
    lines = list(NUMBERS)
    for path in sorted((SAMPLE_CITY / "faq").glob("*.csv")):
        for row in csv.DictReader(path.open(encoding="utf-8")):
            lines += [row["question"], row["answer"]]
    return lines


def numbers_file(folder: Path) -> Path:
    """A CSV of entries whose joined numbers read differently (29日, 第29条), built beside the sample
    city."""
    path = folder / "numbers.csv"
    path.write_text("id,question,answer\n" + "".join(f"N{i},{text}?,{text}。{NUMBERS[-1]}\n"
                                                      for i, text in enumerate(NUMBERS)), encoding="utf-8")
    return path


def index_files(index_dir: Path) -> dict[str, str]:
    """SHA-256 of every file of the live version but its manifest (which holds the build time)."""
    folder = index_dir / "versions" / IndexStore(index_dir).current_version()
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in folder.iterdir() if p.name != "manifest.json"}
