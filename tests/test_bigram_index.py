"""The build's shortcuts must give the index the plain code gives: the character-bigram BM25 built from code
points, and NFKC with full-width letters narrowed first."""

from __future__ import annotations

import random
import unicodedata

import pytest

from indexer.bigrams import bigram_index
from indexer.bm25 import BM25Index
from indexer.expansion import char_bigrams
from indexer.normalise import nfkc
from testing.parsed_lines import sample_lines

FULL_WIDTH = [chr(c) for c in range(0xFF01, 0xFF5F)] + ["\u3000"]
AWKWARD = [*"あい 、。・ー-/ＡＢab１　\t\n住民票「」𠮷😀ｶﾞ\0", "\u3099", "\ud800"]


def as_strings(index: BM25Index) -> tuple[object, ...]:
    matrix = index.matrix
    return (list(index.vocabulary.items()), index.idf.tobytes(), matrix.shape,
            *((a.dtype.str, a.tobytes()) for a in (matrix.data, matrix.indices, matrix.indptr)))


def assert_same_index(texts: list[str]) -> None:
    assert as_strings(bigram_index(texts)) == as_strings(BM25Index().fit([char_bigrams(t) for t in texts]))


def test_the_bigram_index_of_the_sample_city_is_the_one_counted_string_by_string() -> None:
    lines = sample_lines()
    assert_same_index([f"{question}\n{answer}" for question, answer in zip(lines[::2], lines[1::2],
                                                                            strict=False)])


@pytest.mark.parametrize("texts", [[""], ["", ""], [" "], ["a"], ["、a、"], ["ab", "", "c"], ["。。", "x y"]])
def test_empty_texts_lone_characters_and_separators_alone_index_alike(texts: list[str]) -> None:
    assert_same_index(texts)


def test_random_texts_of_awkward_characters_index_alike() -> None:
    draw = random.Random(20).choice
    for _ in range(500):
        texts = ["".join(draw(AWKWARD) for _ in range(draw(range(9)))) for _ in range(draw(range(1, 5)))]
        assert_same_index(texts)


def test_nfkc_gives_pythons_nfkc_for_every_character() -> None:
    every = (chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    assert [c for c in every if nfkc(c) != unicodedata.normalize("NFKC", c)] == []


def test_nfkc_composes_a_narrowed_letter_with_the_marks_after_it() -> None:
    marks = [chr(c) for c in range(0x300, 0x370)] + ["\u3099", "\u309a", "\uff9e", "\uff9f"]
    texts = [wide + mark + tail for wide in FULL_WIDTH for mark in marks for tail in ("", "\u0323", "ｶ")]
    assert [t for t in texts if nfkc(t) != unicodedata.normalize("NFKC", t)] == []
