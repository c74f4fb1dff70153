"""A resident who types exactly what one entry lists as its question or a paraphrase gets that entry: asked
verbatim, 6 % of the sample city's questions and paraphrases put another entry first, and 「転居届の出し方」
(a paraphrase of the entry for moving within the city) was answered with the entry on moving before the move.
Through `madoguchi ask --batch` on the sample city."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from indexer.exact import ExactWording
from tests.test_honest_confidence import ask_batch, outcome

pytestmark = pytest.mark.integration


def test_an_entrys_own_paraphrase_typed_word_for_word_is_answered_with_that_entry(
        cli: CliRunner, sample_index_dir: Path, tmp_path: Path) -> None:
    lines = ask_batch(cli, sample_index_dir, tmp_path, ["転居届の出し方", "土日に市役所あいてる？",
                                                       "土日に市役所 あいてる?", "でんち すてかた"])
    assert [(ids[0], decision) for ids, decision, _ in map(outcome, lines)] == [("R006", "answer")] + \
        [("R014", "answer")] * 2 + [("R115", "answer")]  # a kana paraphrase, as typed


def test_wording_two_entries_share_or_a_bare_word_belongs_to_neither() -> None:
    exact = ExactWording([("休日窓口", 1), ("休日窓口", 2), ("税金", 3), ("転居届の出し方", 4)])
    assert exact.owner("休日窓口") is None and exact.owner("税金") is None
    assert exact.owner("転居届の出し方？") == 4 and exact.owner("転居届の 出し方") == 4
