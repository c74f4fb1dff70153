"""Deterministic synthetic knowledge bases for the scaling suite: real sentences, recombined.

Each passage is 2–5 distinct-in-order sentences drawn with a fixed seed from the sample city's FAQ entries,
manuals and rules (our own text, always present). Every passage is embedded by the model itself; vectors
can be kept in a work folder so a rerun does not embed a million passages again.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import numpy as np

from indexer.embedding import Embedder
from knowledge.core.settings import SAMPLE_CITY
from knowledge.sources import load_sources

SENTENCE_END = re.compile(r"(?<=[。！？])|\n+")
SEED = 20261125
MIN_SENTENCES, MAX_SENTENCES = 2, 5
EMBED_BATCH = 2048


def sentence_pool() -> list[str]:
    """Distinct sentences of the sample city's questions, answers and passages, in a stable order."""
    seen: dict[str, None] = {}
    for record in load_sources([SAMPLE_CITY]).records:
        for text in (record.question, record.answer):
            for sentence in SENTENCE_END.split(text):
                if len(sentence.strip()) >= 8:
                    seen.setdefault(sentence.strip(), None)
    return list(seen)


def passage_plan(sentences: int, size: int, seed: int = SEED) -> np.ndarray:
    """(size, MAX_SENTENCES) sentence numbers of distinct passages, -1 where a passage is shorter.

    A smaller plan is a prefix of a larger one (same seed), so one embedding run serves every size.
    """
    drawn = int(size * 1.2) + 100
    plan = np.random.default_rng(seed).integers(0, sentences, size=(drawn, MAX_SENTENCES), dtype=np.int32)
    lengths = np.random.default_rng(seed + 1).integers(MIN_SENTENCES, MAX_SENTENCES + 1, size=drawn)
    plan[np.arange(MAX_SENTENCES)[None, :] >= lengths[:, None]] = -1
    _, first = np.unique(plan, axis=0, return_index=True)
    return plan[np.sort(first)[:size]]


def passage_text(plan_row: np.ndarray, sentences: list[str]) -> str:
    """The text of one planned passage."""
    return "\n".join(sentences[i] for i in plan_row if i >= 0)


def embed_passages(embedder: Embedder, plan: np.ndarray, sentences: list[str]) -> tuple[np.ndarray, float]:
    """Unit vectors of every passage through the model, and the rate in passages per second."""
    out = np.zeros((len(plan), embedder.dimensions), dtype=np.float32)
    started = time.perf_counter()
    for start in range(0, len(plan), EMBED_BATCH):
        texts = [passage_text(row, sentences) for row in plan[start:start + EMBED_BATCH]]
        out[start:start + len(texts)] = embedder.encode_documents(texts)
        if (start // EMBED_BATCH) % 50 == 0:
            print(f"  embedded {start + len(texts):,}/{len(plan):,}", file=sys.stderr, flush=True)
    return out, len(plan) / (time.perf_counter() - started)


def cached_vectors(embedder: Embedder, size: int, work: Path) -> tuple[np.ndarray, float | None]:
    """Vectors of the first `size` passages, embedded once per work folder; the rate when embedded now."""
    for cache in sorted(work.glob(f"passages-{SEED}-*.npy"), key=lambda p: int(p.stem.rsplit("-", 1)[1])):
        if int(cache.stem.rsplit("-", 1)[1]) >= size:
            return np.load(cache, mmap_mode="r")[:size], None
    cache = work / f"passages-{SEED}-{size}.npy"
    sentences = sentence_pool()
    vectors, rate = embed_passages(embedder, passage_plan(len(sentences), size), sentences)
    np.save(cache, vectors)
    return vectors, rate
