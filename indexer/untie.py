"""A city's own word vectors: chiVe with the city's words untied and trained on its FAQ entries (recipe U).

ja-ginza's chiVe maps 480k words onto 20k vectors, so words a city tells apart share one (住民票, 戸籍謄本,
死亡届, 出生届 and 本籍 do), and the dense signal cannot tell them apart. Here every chiVe word the model's
own tokenizer finds in the city's FAQ questions and answers gets a row of its own, started from its chiVe
row, and those rows are trained contrastively on pairs made from the entries (indexer/untie_pairs.py); every
other word keeps its chiVe row, frozen. The result is the same kind of model directory as the default one:
served by NumPy without torch (indexer/static.py), and used by setting MADOGUCHI_MODEL to it. Training needs
torch, runs on one CPU thread and is deterministic for a seed: about a minute of CPU for 1,800 entries.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from indexer.build import Progress, no_progress
from indexer.chive import ginza_vocab_dir, read_chive, write_word_vector_model
from indexer.static import sudachi_rows
from indexer.untie_pairs import EntryRows, answer_sentences, entry_rows, epoch_batches
from knowledge.core.errors import ConfigurationError
from knowledge.records import Record

# also makes the model's fingerprint follow its weights (vocab.json is hashed by size)
RECIPE_FILE = "untied.json"


@dataclass(frozen=True, slots=True)
class Recipe:
    """How the rows are trained; the defaults are the study's recipe U."""

    epochs: int = 12
    seed: int = 0
    batch_size: int = 128
    learning_rate: float = 1e-3
    scale: float = 20.0  # MultipleNegativesRankingLoss's similarity scale


@dataclass(frozen=True, slots=True)
class Untied:
    """What was trained, for the operator and the model directory's record of itself."""

    entries: int
    words: int
    shared_rows: int  # chiVe rows that two or more of the city's words had in common
    steps: int
    cpu_seconds: float


class CorpusRows:
    """chiVe's vocabulary as the untied model will number it: while open, each word found gets the next row
    of its own; once closed, any other word is its chiVe row moved past the city's rows. Fed to
    `sudachi_rows`, it gives the untied rows of a text directly, through the very tokenizer that serves the
    model."""

    def __init__(self, vocab: dict[str, int]) -> None:
        self.vocab, self.open = vocab, True
        self.own: dict[str, int] = {}

    def get(self, word: str) -> int | None:
        row = self.vocab.get(word)
        if row is None:
            return None
        own = self.own.get(word)
        if own is None and self.open:
            own = self.own[word] = len(self.own)
        return own if own is not None else len(self.own) + row

    def rows(self, text: str) -> list[int]:
        """Untied rows of a text's content words."""
        return sudachi_rows(self, text)

    def untied_vocab(self) -> dict[str, int]:
        """Every chiVe word → its untied row."""
        count = len(self.own)
        return {word: self.own.get(word, count + row) for word, row in self.vocab.items()}

    def untied_table(self, table: np.ndarray) -> np.ndarray:
        """The city's words' rows (copies of their chiVe rows), then chiVe's whole table."""
        first = np.fromiter((self.vocab[word] for word in self.own), dtype=np.int64, count=len(self.own))
        return np.concatenate([table[first], table]).astype(np.float32)

    def shared_rows(self) -> int:
        """How many chiVe rows stood for two or more of the city's words."""
        return sum(1 for n in Counter(self.vocab[word] for word in self.own).values() if n > 1)


def city_entries(records: list[Record], corpus: CorpusRows) -> list[EntryRows]:
    """The FAQ entries as rows. Questions and answers name the city's words; sentences are read after the
    vocabulary is closed, so a word Sudachi splits differently inside one sentence does not get a row."""
    faqs = [r for r in records if r.kind == "faq" and r.question.strip()]
    pages = [(corpus.rows(r.question), corpus.rows(f"{r.question}\n{r.answer}")) for r in faqs]
    corpus.open = False
    return [entry_rows(question, page, answer_sentences(r.answer), corpus.rows)
            for r, (question, page) in zip(faqs, pages, strict=True) if question]


@contextmanager
def one_thread() -> Iterator[None]:
    """Torch on one thread while training: the same sums in the same order on every machine, so a seed gives
    the same model, and a city's server keeps its other core for residents."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _trainable(table: np.ndarray, scale: float) -> tuple[Any, Any]:
    """The project's own module over `table`, its weights trainable, and MultipleNegativesRankingLoss on
    it."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from sentence_transformers.sentence_transformer.modules import Normalize

    from indexer.wordvectors import SudachiWordVectors

    module = SudachiWordVectors({}, table)
    module.embedding.weight.requires_grad_(True)
    return module, MultipleNegativesRankingLoss(SentenceTransformer(modules=[module, Normalize()],
                                                                    device="cpu"),
                                                scale=scale)


def train_rows(table: np.ndarray, trainable: int, entries: list[EntryRows], recipe: Recipe,
               progress: Progress = no_progress) -> tuple[np.ndarray, int]:
    """Train the first `trainable` rows with Adam (the other rows' gradient is zeroed, so Adam never moves
    them); the trained table and the number of steps."""
    import torch

    module, loss = _trainable(table, recipe.scale)
    weight = module.embedding.weight
    optimiser = torch.optim.Adam([weight], lr=recipe.learning_rate, fused=True)  # no temporaries of the table
    rng, steps = np.random.default_rng(recipe.seed), 0
    for epoch in range(recipe.epochs):
        for anchors, positives in (zip(*batch, strict=True)
                                   for batch in epoch_batches(entries, rng, recipe.batch_size)):
            optimiser.zero_grad(set_to_none=False)
            loss([module.features(anchors), module.features(positives)], None).backward()
            weight.grad[trainable:] = 0
            optimiser.step()
            steps += 1
        progress("training", epoch + 1, recipe.epochs)
    return weight.detach().numpy().copy(), steps


def untie_model(records: list[Record], target: Path, recipe: Recipe = Recipe(),
                progress: Progress = no_progress) -> Untied:
    """Train the city's model from its records and write it to `target`, which must not exist yet (an index
    built with a model must never find other vectors under the same name)."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ConfigurationError(f"{target} is not empty: give a new folder for the model")
    started = time.process_time()
    vocab, table = read_chive(ginza_vocab_dir())
    corpus = CorpusRows(vocab)
    entries = city_entries(records, corpus)
    if not entries:
        raise ConfigurationError("no FAQ entry with a question the model knows a word of: "
                                 "nothing to train on")
    with one_thread():
        trained, steps = train_rows(corpus.untied_table(table), len(corpus.own), entries, recipe, progress)
    untied = Untied(len(entries), len(corpus.own), corpus.shared_rows(), steps, time.process_time() - started)
    write_word_vector_model(corpus.untied_vocab(), trained, target,
                            {RECIPE_FILE: _record(recipe, untied, trained)})
    return untied


def _record(recipe: Recipe, untied: Untied, trained: np.ndarray) -> bytes:
    digest = hashlib.sha256(np.ascontiguousarray(trained).tobytes()).hexdigest()
    facts = {"recipe": asdict(recipe), **asdict(untied), "weights_sha256": digest}
    del facts["cpu_seconds"]  # the same seed and entries give the same file, so the same fingerprint
    return json.dumps(facts, ensure_ascii=False, indent=1).encode("utf-8")
