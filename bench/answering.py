"""Answering quality and speed on the real-city evaluation data (dev split), one CPU core.

    python -m bench.answering [--folds 5] [--runs DIR]

Builds indexes from ../shared/eval/localgovfaq/faq.csv and faq-reduced.csv, then reports, in one run:
  - plain Sudachi BM25 over question+answer (the baseline), the raw reciprocal-rank fusion of `search`;
  - the untrained z-score sum of the lexical signals, the reference the shipped fusion must beat;
  - the shipped decision model (day-one fusion, confidence learned on the sample city only): how it
    generalises;
  - k-fold cross-validation on the dev queries: ranker and confidence models fitted on the other folds
    (full corpus), thresholds tuned on the other folds (reduced corpus), scored on the held-out fold;
  - answer() latency p50/p95 over the dev queries on the full index.
Run files are written for ../shared/eval/score.py to check. Skips with a message if the data is absent.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from bot.engine import Bot  # noqa: E402
from bot.evaluate import run_batch, score_lines, write_jsonl  # noqa: E402
from bot.features import CANDIDATE_FEATURES  # noqa: E402
from bot.labelled import LabelledQuery, read_labelled  # noqa: E402
from bot.model import DecisionModel, shipped_model_file  # noqa: E402
from bot.service.publishing import build_from_settings  # noqa: E402
from bot.train import collect, rank_examples, train  # noqa: E402
from bot.tune import choose, outcomes, reliability  # noqa: E402
from indexer.bm25 import BM25Index  # noqa: E402
from indexer.runtime import Runtime, load_runtime  # noqa: E402
from indexer.search import reciprocal_rank_fusion  # noqa: E402
from knowledge.core.settings import Settings  # noqa: E402

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "eval" / "localgovfaq"
METRICS = ("hit@1", "hit@3", "hit@10", "mrr@10", "ndcg@10")
DECISIONS = ("answered_right", "clarified_right", "wrong_answer", "escalated_when_unanswerable",
             "escalated_when_answerable")


def runtime_for(corpus: Path, data_dir: Path) -> Runtime:
    """Build (once) and load the index of one corpus."""
    settings = Settings(data_dir=data_dir, index_dir=data_dir / corpus.stem, sources=[corpus])
    build_from_settings(settings)
    return load_runtime(settings)


def bm25_baseline(runtime: Runtime, queries: list[LabelledQuery]) -> list[dict]:
    """Sudachi BM25 over question+answer as one document: the baseline to beat."""
    normaliser, records = runtime.normaliser, runtime.index.records
    bm25 = BM25Index().fit([normaliser.run(f"{r.question}\n{r.answer}").search_terms for r in records])
    lines = []
    for query in queries:
        scores = bm25.scores(normaliser.run(query.text).search_terms)
        top = np.argsort(-scores, kind="stable")[:10]
        lines.append({"id": query.id, "decision": "answer", "results": [{"id": records[i].id} for i in top]})
    return lines


def rrf_lines(runtime: Runtime, queries: list[LabelledQuery]) -> list[dict]:
    """The unweighted fusion `madoguchi search` shows."""
    lines = []
    for query in queries:
        retrieval = runtime.retriever.run(query.text, query.audience)
        order = np.argsort(-reciprocal_rank_fusion(retrieval.signals), kind="stable")[:10]
        ids = [runtime.index.records[retrieval.candidates[i]].id for i in order]
        lines.append({"id": query.id, "decision": "answer", "results": [{"id": i} for i in ids]})
    return lines


Z_SUM = ("z_bm25_best", "z_bm25_answer", "z_bm25x_question", "z_bm25x_answer", "z_bm25_bigram")


def zsum_lines(runtime: Runtime, queries: list[LabelledQuery]) -> list[dict]:
    """The untrained reference the shipped fusion must beat: the sum of the lexical signals' standard
    scores."""
    columns = [CANDIDATE_FEATURES.index(name) for name in Z_SUM]
    lines = []
    for example in collect(runtime, queries):
        order = np.argsort(-example.features[:, columns].sum(axis=1), kind="stable")[:10]
        lines.append({"id": example.query.id, "decision": "answer",
                      "results": [{"id": example.ids[i]} for i in order]})
    return lines


def cross_validate(full: Runtime, reduced: Runtime, queries: list[LabelledQuery],
                   reduced_queries: list[LabelledQuery], folds: int) -> tuple[list[dict], list[dict]]:
    """Held-out ranking lines (full corpus) and decision lines (reduced corpus) over k folds."""
    full_examples, reduced_examples = collect(full, queries), collect(reduced, reduced_queries)
    fold_of = {q.id: n % folds for n, q in enumerate(sorted(queries, key=lambda q: int(q.id)))}
    ranking, decisions = [], []
    for fold in range(folds):
        model = train([e for e in full_examples if fold_of[e.query.id] != fold])
        tuning = [e for e in reduced_examples if fold_of[e.query.id] != fold]
        model.thresholds, _ = choose(outcomes(rank_examples(tuning, model.ranker), model.top1, model.top3))
        held_full = [q for q in queries if fold_of[q.id] == fold]
        held_reduced = [q for q in reduced_queries if fold_of[q.id] == fold]
        ranking += run_batch(Bot(full, model), held_full)
        decisions += run_batch(Bot(reduced, model), held_reduced)
        print(f"fold {fold}: answer ≥ {model.thresholds.answer}, clarify ≥ {model.thresholds.clarify}",
              file=sys.stderr)
    return ranking, decisions


def shipped_reliability(runtime: Runtime, model: DecisionModel, queries: list[LabelledQuery]) -> list[str]:
    """How the shipped model's P(top 1 answers) holds on a city it never saw."""
    results = outcomes(rank_examples(collect(runtime, queries), model.ranker), model.top1, model.top3)
    rows = ["| confidence ≥ | queries | share right | mean confidence |", "|---:|---:|---:|---:|"]
    rows += [f"| {c:.1f} | {n} | {r:.3f} | {m:.3f} |"
             for c, n, r, m in reliability(results.top1, results.top1_right)]
    return rows


def latency(bot: Bot, queries: list[LabelledQuery]) -> tuple[float, float]:
    """p50 and p95 of answer() in milliseconds (after one warm-up call)."""
    bot.answer(queries[0].text)
    times = []
    for query in queries:
        started = time.perf_counter()
        bot.answer(query.text)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), float(np.percentile(times, 95))


def row(name: str, metrics: dict[str, float], keys: tuple[str, ...]) -> str:
    return f"| {name} | " + " | ".join(f"{metrics[k]:.3f}" for k in keys) + " |"


def main() -> None:
    """Run everything and print Markdown for BENCHMARKS.md."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--runs", type=Path, default=Path("runs"))
    args = parser.parse_args()
    if not (DATA / "faq.csv").exists():
        print(f"skipped: evaluation data not found at {DATA}")
        return
    import torch

    torch.set_num_threads(1)
    args.runs.mkdir(exist_ok=True)
    queries, reduced_queries = (read_labelled(DATA / "queries.jsonl"),
                                read_labelled(DATA / "queries-reduced.jsonl"))
    with tempfile.TemporaryDirectory() as tmp:
        full, reduced = runtime_for(DATA / "faq.csv",
                                    Path(tmp)), runtime_for(DATA / "faq-reduced.csv", Path(tmp))
        shipped = DecisionModel.load(shipped_model_file(full.index.records))
        runs = {"bm25 (question+answer)": bm25_baseline(full, queries),
                "rrf (madoguchi search)": rrf_lines(full, queries),
                "untrained z-score sum (5 lexical signals)": zsum_lines(full, queries),
                "shipped model (sample city)": run_batch(Bot(full, shipped), queries)}
        shipped_decisions = run_batch(Bot(reduced, shipped), reduced_queries)
        cv_ranking, cv_decisions = cross_validate(full, reduced, queries, reduced_queries, args.folds)
        runs[f"{args.folds}-fold CV on dev"] = cv_ranking
        p50, p95 = latency(Bot(full, shipped), queries)
        calibration = shipped_reliability(full, shipped, queries)
    print("| run | " + " | ".join(METRICS) + " |\n|---|" + "---:|" * len(METRICS))
    for name, lines in runs.items():
        print(row(name, score_lines(queries, lines), METRICS))
    print("\n| decisions on the reduced corpus | " + " | ".join(DECISIONS) + " |\n|---|"
          + "---:|" * len(DECISIONS))
    for name, lines in (("shipped model (sample city)", shipped_decisions),
                        (f"{args.folds}-fold CV", cv_decisions)):
        print(row(name, score_lines(reduced_queries, lines), DECISIONS))
        write_jsonl(lines, args.runs / f"reduced-{name.split()[0]}.jsonl")
    write_jsonl(cv_ranking, args.runs / "full-cv.jsonl")
    print("\nreliability of the shipped model's P(top 1 answers) on the dev queries (full corpus):\n")
    print("\n".join(calibration))
    print(f"\nanswer() latency over {len(queries)} queries, {len(full.index.records)} entries, one core: "
          f"p50 {p50:.1f} ms, p95 {p95:.1f} ms")


if __name__ == "__main__":
    main()
