"""The pairs a city's own entries teach its word vectors with: no resident's question is needed.

Four kinds, drawn again every epoch for every FAQ entry whose question has a known word (the retrieval study's
recipe U, ../shared/docs/retrieval-study-2026-12.md): the question → question + answer, a random answer
sentence → the question, the first answer sentence → the question, and the question with words dropped → the
question. A batch holds one kind and never two pairs of one entry, so no in-batch negative is a hidden
positive. Texts are word rows already (tokenised once): Sudachi in every step would be most of the training
time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

KINDS = ("q>qa", "s>q", "s1>q", "drop>q")
SENTENCE_END = re.compile(r"(?<=[。！？!?])|\n")
MIN_SENTENCE_CHARS = 4
KEEP_SHARE = (0.4, 0.8)  # each word of a question is kept with a probability drawn from this range

Rows = list[int]
Pair = tuple[Rows, Rows]


def answer_sentences(answer: str) -> list[str]:
    """Sentences cut after 。！？!? and at line breaks; pieces under four characters are headings or
    bullets."""
    pieces = (piece.strip() for piece in SENTENCE_END.split(answer))
    return [piece for piece in pieces if len(piece) >= MIN_SENTENCE_CHARS]


@dataclass(frozen=True, slots=True)
class EntryRows:
    """One FAQ entry as word rows: its question, question + answer (as the index's answer unit), and the
    answer sentences that have a known word, in order."""

    question: Rows
    page: Rows
    sentences: tuple[Rows, ...]


def entry_rows(question: Rows, page: Rows, sentences: list[str], rows: Callable[[str], Rows]) -> EntryRows:
    """The entry with its sentences tokenised; a sentence without a known word teaches nothing and is left
    out."""
    return EntryRows(question, page, tuple(r for text in sentences if (r := rows(text))))


def _dropped(question: Rows, rng: np.random.Generator) -> Rows:
    keep = rng.random(len(question)) < rng.uniform(*KEEP_SHARE)
    if not keep.any():
        keep[rng.integers(len(question))] = True
    return [row for row, kept in zip(question, keep, strict=True) if kept]


def pair_of(kind: str, entry: EntryRows, rng: np.random.Generator) -> Pair | None:
    """(anchor, positive) of one kind for one entry, or None when the entry has no answer sentence for it."""
    if kind == "q>qa":
        return entry.question, entry.page
    if kind == "drop>q":
        return _dropped(entry.question, rng), entry.question
    if not entry.sentences:
        return None
    if kind == "s1>q":
        return entry.sentences[0], entry.question
    return entry.sentences[int(rng.integers(len(entry.sentences)))], entry.question


def epoch_batches(entries: list[EntryRows], rng: np.random.Generator, batch_size: int) -> list[list[Pair]]:
    """One epoch: every kind's pairs shuffled and cut into batches, then the batches of all kinds shuffled."""
    batches: list[list[Pair]] = []
    for kind in KINDS:
        pairs = [pair for entry in entries if (pair := pair_of(kind, entry, rng)) is not None]
        order = rng.permutation(len(pairs))
        batches += [[pairs[i] for i in order[start:start + batch_size]]
                    for start in range(0, len(pairs), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]
