"""Scaling: exact (flat) against approximate (HNSW) dense search on synthetic knowledge bases, one core.

For each size, one vector per generated passage (bench/synthetic.py) goes through madoguchi's own
`FaissVectorIndex.build`, once forced flat and once forced to a graph. Measured: build seconds, the file
on disk, resident memory of the index loaded in a fresh process, query latency one query at a time
(k = 10, and k = 400: what the retriever asks for on a large index) with the sample city's 299 labelled
questions as queries, and the graph's recall@10 against the flat index's answers.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from bench.report import ROOT
from bench.scale_report import CANDIDATES, Row, section
from bench.synthetic import cached_vectors, embed_passages, passage_plan, sentence_pool
from bench.timing import Latencies, timed
from bot.labelled import read_labelled
from indexer import dense
from indexer.dense import FaissVectorIndex
from indexer.embedding import SentenceTransformerEmbedder, embedder_from_settings
from knowledge.core.settings import Settings

QUERIES = ROOT / "knowledge" / "samples" / "labelled" / "minato.jsonl"
EF_SWEEP = (32, 64, 128, 256, 512)
_RSS_CHILD = """
import sys
from pathlib import Path
import numpy as np
from indexer.dense import FaissVectorIndex
def rss():
    return int(next(l for l in open("/proc/self/status") if l.startswith("VmRSS")).split()[1]) / 1024
before = rss()
index = FaissVectorIndex.load(Path(sys.argv[1]))
index.search(np.ones((1, index.dimensions), dtype=np.float32), 10)
print(rss() - before)
"""


def timed_search(index: FaissVectorIndex, queries: np.ndarray, k: int) -> tuple[float, float, np.ndarray]:
    """CPU p50 and p95 in ms of one-query-at-a-time search after a warm-up (bench/timing.py), and the ids."""
    index.search(queries[:10], k)
    latency, found = Latencies(), []
    for query in queries:
        cpu, wall, (_, ids) = timed(lambda query=query: index.search(query[None, :], k))
        latency.add(cpu, wall)
        found.append(ids[0])
    return latency.p50(), latency.p95(), np.array(found)


def resident_mb(path: Path) -> float:
    """Memory the loaded index adds to a fresh process (the index alone, not Python or FAISS)."""
    out = subprocess.run([sys.executable, "-c", _RSS_CHILD, str(path)], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    return float(out.stdout.strip().splitlines()[-1])


def recall_at_10(found: np.ndarray, truth: np.ndarray) -> float:
    """Share of the exact top 10 that the approximate search also returned."""
    return float(np.mean([len(set(f[:10]) & set(t[:10])) / 10 for f, t in zip(found, truth, strict=True)]))


def measure(vectors: np.ndarray, queries: np.ndarray, kind: str, truth: np.ndarray | None,
            work: Path) -> tuple[Row, np.ndarray, FaissVectorIndex]:
    """Build, save, load elsewhere, and search one index kind over the vectors."""
    started = time.perf_counter()
    index = FaissVectorIndex.build(vectors, approximate_above=len(vectors) if kind == "flat" else 0)
    seconds = time.perf_counter() - started
    path = work / f"{kind}-{len(vectors)}.faiss"
    index.save(path)
    p50, p95, found = timed_search(index, queries, 10)
    p95_candidates = timed_search(index, queries, CANDIDATES)[1]
    recall = 1.0 if truth is None else recall_at_10(found, truth)
    row = Row(len(vectors), kind, seconds, path.stat().st_size / 2**20, resident_mb(path), p50, p95,
              p95_candidates, recall)
    path.unlink()
    print(f"  {row}", file=sys.stderr, flush=True)
    return row, found, index


Sweep = list[tuple[int, float, float]]


def ef_sweep(index: FaissVectorIndex, queries: np.ndarray, truth: np.ndarray) -> Sweep:
    """(efSearch, recall@10, p95 ms) of the graph at several search breadths: what the default rests on."""
    shipped, results = dense.HNSW_EF_SEARCH, []
    try:
        for ef in EF_SWEEP:
            dense.HNSW_EF_SEARCH = ef
            _, p95, found = timed_search(index, queries, 10)
            results.append((ef, recall_at_10(found, truth), p95))
    finally:
        dense.HNSW_EF_SEARCH = shipped
    return results


def embedding_rate(embedder: SentenceTransformerEmbedder, passages: int = 2000) -> float:
    """Passages per second through the model on one core, on a fresh sample (not the cache)."""
    sentences = sentence_pool()
    return embed_passages(embedder, passage_plan(len(sentences), passages, seed=1), sentences)[1]


def run_size(size: int, embedder: SentenceTransformerEmbedder, queries: np.ndarray,
             work: Path) -> tuple[list[Row], Sweep]:
    """Flat first (its answers are the truth), then the graph and its efSearch sweep."""
    print(f"scale: {size:,} passages", file=sys.stderr, flush=True)
    vectors = np.ascontiguousarray(cached_vectors(embedder, size, work)[0])
    flat_row, truth, _ = measure(vectors, queries, "flat", None, work)
    graph_row, _, graph = measure(vectors, queries, "hnsw", truth, work)
    return [flat_row, graph_row], ef_sweep(graph, queries, truth)


def run(sizes: list[int], work: Path) -> str:
    """Every size, smallest first; the section for BENCHMARKS.md."""
    embedder = embedder_from_settings(Settings()).warm_up()
    queries = embedder.encode_queries([q.text for q in read_labelled(QUERIES)])
    rate, rows, sweep = embedding_rate(embedder), [], []
    for size in sorted(sizes):
        size_rows, sweep = run_size(size, embedder, queries, work)
        rows += size_rows
    return section(rows, sweep, rate, len(sentence_pool()), len(queries))
