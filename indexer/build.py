"""Building an index version from loaded records: normalise, embed, write, publish."""

from __future__ import annotations

import gc
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib.metadata import version as package_version
from typing import Any

import numpy as np

from indexer.bigrams import bigram_index
from indexer.bm25 import BM25Index
from indexer.dense import FaissVectorIndex
from indexer.embedding import Embedder
from indexer.expansion import TermNeighbours
from indexer.index import BIGRAM, FIELDS, FORMAT_VERSION, READING, KnowledgeIndex, city_wording, record_units
from indexer.integrity import corpus_hash
from indexer.kana import KanaReadings
from indexer.learned import Learned, carried
from indexer.normalise import TextNormaliser, forget_build_texts
from indexer.parse_ahead import parsed_ahead
from indexer.store import IndexStore
from knowledge.records import Record

Progress = Callable[[str, int, int], None]
EMBED_BATCH = 512


def no_progress(stage: str, done: int, total: int) -> None:  # noqa: ARG001 (the Progress signature)
    """The default progress callback: report nothing."""
    return None


class IndexBuilder:
    """Construct cheaply; `run()` does the work and returns the published version's manifest.

    Terms and vectors are remembered by text for the builder's lifetime, so `madoguchi learn`, which
    assembles one index per fold of its labels, normalises and embeds each entry once."""

    def __init__(self, normaliser: TextNormaliser, embedder: Embedder,
                 progress: Progress = no_progress) -> None:
        self.normaliser, self.embedder, self.progress = normaliser, embedder, progress
        self._terms: dict[str, list[str]] = {}
        self._vectors: dict[str, np.ndarray] = {}
        self._neighbours: tuple[tuple[str, ...], TermNeighbours] = ((), TermNeighbours())

    def _units(self, records: list[Record], learned: Learned) -> tuple[list[str], np.ndarray, np.ndarray]:
        texts, owners, fields = [], [], []
        for number, record in enumerate(records):
            for field, text in record_units(record, learned.of(record.id)):
                texts.append(text)
                owners.append(number)
                fields.append(FIELDS.index(field))
        return texts, np.array(owners, dtype=np.int32), np.array(fields, dtype=np.int8)

    def _search_terms(self, text: str) -> list[str]:
        if text not in self._terms:
            self._terms[text] = self.normaliser.run(text).search_terms
        return self._terms[text]

    def _lexical(self, texts: list[str], fields: np.ndarray) -> dict[str, BM25Index]:
        """The BM25 of each field, of the questions' readings and of the answers' character bigrams. The
        bigrams come first: they need no parse, so a worker parsing ahead (indexer/parse_ahead.py) starts
        meanwhile."""
        answers = np.flatnonzero(fields == FIELDS.index("answer"))
        pairs = bigram_index([texts[i] for i in answers])
        terms = []
        for done, text in enumerate(texts, start=1):
            terms.append(self._search_terms(text))
            if done % 200 == 0 or done == len(texts):
                self.progress("normalise", done, len(texts))
        lexical = {f: BM25Index().fit([terms[i] for i in np.flatnonzero(fields == n)])
                   for n, f in enumerate(FIELDS)}
        questions = np.flatnonzero(fields <= FIELDS.index("paraphrase"))
        lexical[READING] = BM25Index().fit([self.normaliser.reading_grams(texts[i]) for i in questions])
        lexical[BIGRAM] = pairs
        return lexical

    def _term_neighbours(self, pages: BM25Index, aside: ThreadPoolExecutor) -> Callable[[], TermNeighbours]:
        """Each page word's nearest page words (indexer/expansion.py): the words are embedded here, their
        cosines compared in `aside` (NumPy, without the GIL) while this thread goes on. The same pages give
        the same lists, so `madoguchi learn`'s one index per fold finds them once."""
        words = tuple(pages.vocabulary)
        if words != self._neighbours[0]:
            searched = aside.submit(TermNeighbours.search, words, TermNeighbours.embed(words, self.embedder))
            return lambda: self._remember(words, searched.result())
        return lambda: self._neighbours[1]

    def _remember(self, words: tuple[str, ...], neighbours: TermNeighbours) -> TermNeighbours:
        self._neighbours = (words, neighbours)
        self.progress("neighbours", len(words), len(words))
        return neighbours

    def _dense(self, texts: list[str]) -> FaissVectorIndex:
        fresh = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        for start in range(0, len(fresh), EMBED_BATCH):
            batch = fresh[start:start + EMBED_BATCH]
            self._vectors.update(zip(batch, self.embedder.encode_documents(batch), strict=True))
            self.progress("embed", min(start + EMBED_BATCH, len(fresh)), len(fresh))
        if not texts:
            return FaissVectorIndex.build(np.zeros((0, self.embedder.dimensions), dtype=np.float32))
        return FaissVectorIndex.build(np.vstack([self._vectors[t] for t in texts]))

    def _manifest(self, records: list[Record], units: np.ndarray, sources: dict[str, Any], seconds: float,
                  learned: Learned, built_from: Sequence[str]) -> dict:
        built = datetime.now(UTC)
        corpus = corpus_hash(records)
        return {
            "format_version": FORMAT_VERSION, "version": f"{built:%Y%m%dT%H%M%S%fZ}-{corpus[:8]}",
            "built_at": built.isoformat(timespec="seconds"), "build_seconds": round(seconds, 3),
            "madoguchi": package_version("madoguchi"), "model": self.embedder.describe(),
            "tokenizer": self.normaliser.config(), "corpus_hash": corpus, "sources": sources,
            "built_from": list(built_from),
            "counts": {"records": len(records),
                       "units": {f: int((units == n).sum()) for n, f in enumerate(FIELDS)},
                       "kinds": dict(Counter(r.kind for r in records)),
                       "audiences": dict(Counter(r.audience.value for r in records))},
            "learned": {"paraphrases": len(learned.paraphrases), "decision_model": learned.model is not None},
        }

    def assemble(self, records: list[Record], sources: dict[str, Any],
                 learned: Learned = Learned(), built_from: Sequence[str] = ()) -> KnowledgeIndex:
        """The index of these records and learned paraphrases, in memory (`run` publishes one)."""
        started = time.perf_counter()
        with no_cycle_collection(), ThreadPoolExecutor(1, thread_name_prefix="neighbours") as aside:
            texts, owners, fields = self._units(records, learned)
            with parsed_ahead((t for t in texts if t not in self._terms), self.normaliser.split_mode):
                lexical = self._lexical(texts, fields)
            neighbours = self._term_neighbours(lexical["answer"], aside)
            dense = self._dense(texts)
            kana = KanaReadings.of(city_wording(records, learned), lexical["answer"])
            found = neighbours()
        seconds = time.perf_counter() - started
        manifest = self._manifest(records, fields, sources, seconds, learned, built_from)
        return KnowledgeIndex(manifest, records, owners, fields, lexical, dense, kana, learned, found)

    def run(self, records: list[Record], store: IndexStore, sources: dict[str, Any], keep: int = 3,
            learned: Learned | None = None, note: str = "built", built_from: Sequence[str] = ()) -> dict:
        """Build (keeping what the live version learned, unless told what to keep) and publish; `built_from`
        names the files or folders read, for the next build that is given none."""
        index = self.assemble(records, sources, carried(store) if learned is None else learned, built_from)
        try:
            return publish_index(index, store, keep, note)
        finally:
            forget_build_texts()


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Python's cycle collector paused: a build makes millions of tuples and strings and no reference cycles,
    and the collector would walk them again and again (5% of a real city's build). It runs as before
    afterwards."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def publish_index(index: KnowledgeIndex, store: IndexStore, keep: int, note: str) -> dict:
    """Write into a staging folder, then publish it atomically; the old version stays live until then, and
    stays on disk after it (however old: it may have been made live again by hand), so `index use` can go
    back to it."""
    previous = store.pointer.read()
    with store.staging() as staged:
        index.save(staged)
        store.publish(staged, index.manifest["version"], note)
    store.prune(keep, also_keep=previous)
    return index.manifest
