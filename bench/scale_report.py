"""The scaling suite's section of BENCHMARKS.md and its plot."""

from __future__ import annotations

from dataclasses import dataclass

from matplotlib.figure import Figure

from bench.report import provenance, save_plot, table
from bench.synthetic import MAX_SENTENCES, MIN_SENTENCES, SEED
from indexer import dense

TARGET_P95_MS, TARGET_RECALL = 50.0, 0.95
CANDIDATES = 400  # how many vectors the engine asks the index for


@dataclass(frozen=True, slots=True)
class Row:
    """One (size, index kind) measurement."""

    size: int
    kind: str
    build_seconds: float
    disk_mb: float
    rss_mb: float
    p50: float
    p95: float
    p95_candidates: float
    recall: float


def rows_table(rows: list[Row]) -> str:
    """One line per (size, kind)."""
    header = ["passages", "index", "build s", "disk MB", "resident MB", "bytes/passage", "p50 ms", "p95 ms",
              f"p95 ms (k={CANDIDATES})", "recall@10 vs flat"]
    lines = [[f"{r.size:,}", r.kind, f"{r.build_seconds:.1f}", f"{r.disk_mb:.0f}", f"{r.rss_mb:.0f}",
              f"{r.rss_mb * 2**20 / r.size:,.0f}", f"{r.p50:.2f}", f"{r.p95:.2f}", f"{r.p95_candidates:.2f}",
              f"{r.recall:.3f}"] for r in rows]
    return table(header, lines)


def sweep_table(sweep: list[tuple[int, float, float]], size: int) -> str:
    """Recall and p95 of the graph at several efSearch values, at the largest size."""
    shipped = dense.HNSW_EF_SEARCH
    lines = [[f"{ef}{' (shipped)' if ef == shipped else ''}", f"{recall:.3f}", f"{p95:.2f}"]
             for ef, recall, p95 in sweep]
    return f"The graph's search breadth at {size:,} passages (k = 10):\n\n" + table(
        ["efSearch", "recall@10 vs flat", "p95 ms"], lines)


def verdict(rows: list[Row]) -> str:
    """The issue's target at the largest size measured."""
    largest = max(r.size for r in rows)
    graph = next(r for r in rows if r.size == largest and r.kind == "hnsw")
    met = graph.p95 <= TARGET_P95_MS and graph.recall >= TARGET_RECALL
    scope = "" if largest >= 1_000_000 else f" (measured up to {largest:,} only: run with --sizes …,1000000)"
    return (f"Target at 1M passages: query p95 ≤ {TARGET_P95_MS:.0f} ms on one core at recall@10 ≥ "
            f"{TARGET_RECALL} against flat. At {largest:,}: HNSW p95 {graph.p95:.2f} ms, recall@10 "
            f"{graph.recall:.3f}, "
            f"{graph.rss_mb * 2**20 / graph.size:,.0f} bytes of memory per passage — "
            f"{'met' if met else 'NOT met'}{scope}.")


def rule(rows: list[Row]) -> str:
    """The size rule and what these measurements say about it."""
    flat = ", ".join(f"{r.p95:.1f} ms at {r.size:,}" for r in rows if r.kind == "flat")
    graph = max(r.p95 for r in rows if r.kind == "hnsw")
    return (f"**Rule** (`indexer/dense.py`): an index of more than {dense.APPROXIMATE_ABOVE:,} vectors is "
            "built as HNSW, smaller ones flat. That is where the retriever stops scoring every unit exactly "
            "(`EXACT_DENSE_LIMIT` in `indexer/search.py`) and asks the index for its nearest "
            f"{CANDIDATES} instead; below it a graph would cost build time and memory and never be searched. "
            f"Flat search grows with size (p95 {flat}) while the graph stays under {graph:.1f} ms; scoring "
            "every unit exactly costs at least a flat scan, so a deployment near the limit that needs faster "
            "answers should lower both limits together.")


def plot(rows: list[Row]) -> str:
    """Latency, memory and build time against size, flat and graph, log scales."""
    figure = Figure(figsize=(12, 3.8))
    panels = figure.subplots(1, 3)
    measures = (("p95", "query p95 ms (k=10)"), ("rss_mb", "resident MB"), ("build_seconds", "build s"))
    for axes, (name, label) in zip(panels, measures, strict=True):
        for kind in ("flat", "hnsw"):
            mine = [r for r in rows if r.kind == kind]
            axes.plot([r.size for r in mine], [getattr(r, name) for r in mine], marker="o", label=kind)
        axes.set(xscale="log", yscale="log", xlabel="passages", title=label)
    panels[0].axhline(TARGET_P95_MS, color="grey", linestyle="--", linewidth=1)
    panels[0].legend()
    return save_plot(figure, "scale")


def section(rows: list[Row], sweep: list[tuple[int, float, float]], rate: float, sentences: int,
            queries: int) -> str:
    """The BENCHMARKS.md section of this suite."""
    sizes = sorted({r.size for r in rows})
    command = f"python -m bench --suite scale --sizes {','.join(str(s) for s in sizes)}"
    return "\n\n".join([
        "## Scaling: flat and HNSW from 10k to 1M passages (issue 7)", provenance(command),
        (f"Synthetic knowledge bases, deterministic (seed {SEED}): each passage is "
         f"{MIN_SENTENCES}–{MAX_SENTENCES} sentences drawn from the {sentences:,} distinct sentences of the "
         "sample city (FAQ answers, manuals, "
         "rules), duplicates dropped, so a smaller base is a prefix of a larger one. What is recombined is "
         "sentences; what is embedded is every passage, whole, by madoguchi's default model (chiVe mean "
         f"of word vectors) at {rate:,.0f} passages/s on one core ({1_000_000 / rate / 60:.0f} min for a "
         "million; "
         "`--work` keeps the vectors for reruns). One vector per passage, 300 dimensions, float32. Queries: "
         f"the sample city's {queries} labelled questions, embedded as queries, one at a time, FAISS and "
         f"torch on one thread. HNSW: M = {dense.HNSW_M}, efConstruction = {dense.HNSW_EF_CONSTRUCTION}, "
         f"efSearch = {dense.HNSW_EF_SEARCH} (raised to k when k is larger), built on one thread. "
         "Resident MB is what loading the saved index adds to a fresh process. Latency is CPU time per "
         "query, median of 3 repeats (bench/timing.py), since the machine's cores are shared."),
        rows_table(rows), sweep_table(sweep, max(sizes)), verdict(rows),
        rule(rows),
        f"![latency, memory and build time against size]({plot(rows)})"])
