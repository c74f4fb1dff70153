"""How well the review queue groups questions of the same need, per similarity threshold.

    python -m bench.review_clusters

Three checks, B-cubed precision / recall / F1 (precision: how pure a question's cluster is; recall:
how much of its need's other questions share its cluster). Same need = same best relevant entry.
  1. paraphrase pools: 40 draws of 25 sample-city needs, each with 1–4 of its wordings (FAQ question,
     paraphrases, labelled queries) — the shape of a week's review queue;
  2. the sample city's labelled queries, all at once per audience: 299 questions, nearly all of
     different but neighbouring needs (answerless ones count as needs of their own) — the false-merge test;
  3. held out, when ../shared/eval is present: a real city's 257 resident questions (152 needs).
The shipped THRESHOLD is the one with the best F1 on (1) among those with precision ≥ 0.9 on (1) and (2).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from bot.review import THRESHOLD, cluster_questions  # noqa: E402
from indexer.embedding import embedder_from_settings  # noqa: E402
from indexer.normalise import normalise_width  # noqa: E402
from indexer.runtime import normaliser_from_settings  # noqa: E402
from knowledge.core.settings import Settings  # noqa: E402
from knowledge.faq import load_faq_table  # noqa: E402
from knowledge.sources import load_sources  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LABELLED = ROOT / "knowledge" / "samples" / "labelled" / "minato.jsonl"
REAL_CITY = ROOT.parent / "shared" / "eval" / "localgovfaq"
THRESHOLDS = [round(t, 2) for t in np.arange(0.25, 0.61, 0.05)]
Embed = Callable[[list[str]], tuple[np.ndarray, list[frozenset[str]]]]


def bcubed(labels: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """Mean over questions of the share of its cluster in its need, and of its need in its cluster."""
    precision = recall = 0.0
    for i in range(len(labels)):
        cluster, need = labels == labels[i], truth == truth[i]
        precision += (cluster & need).sum() / cluster.sum()
        recall += (cluster & need).sum() / need.sum()
    return precision / len(labels), recall / len(labels)


def labels_of(groups: list[list[int]], size: int, offset: int = 0) -> np.ndarray:
    labels = np.zeros(size, dtype=np.int64)
    for number, members in enumerate(groups):
        labels[members] = number + offset
    return labels


def score(parts: list[tuple[np.ndarray, list[frozenset[str]], np.ndarray]], centre: np.ndarray,
          threshold: float) -> tuple[float, float]:
    """Cluster each part apart (as audiences are), score all parts together."""
    labels, truths, offset = [], [], 0
    for vectors, terms, truth in parts:
        groups = cluster_questions([""] * len(truth), vectors, centre, terms, threshold)
        labels.append(labels_of(groups, len(truth), offset))
        truths.append(truth)
        offset += len(groups)
    return bcubed(np.concatenate(labels), np.concatenate(truths))


def table(name: str, runs: list[list[tuple[np.ndarray, list[frozenset[str]], np.ndarray]]],
          centre: np.ndarray) -> dict[float, float]:
    """Print P/R/F1 per threshold (averaged over runs); returns precision per threshold."""
    print(f"\n{name}\n| threshold | precision | recall | F1 |\n|---|---|---|---|")
    precisions = {}
    for threshold in THRESHOLDS:
        p, r = np.mean([score(parts, centre, threshold) for parts in runs], axis=0)
        precisions[threshold] = p
        mark = " ← shipped" if abs(threshold - THRESHOLD) < 1e-9 else ""
        print(f"| {threshold:.2f}{mark} | {p:.3f} | {r:.3f} | {2 * p * r / (p + r):.3f} |")
    return precisions


def pools(embed: Embed, settings: Settings) -> tuple[list, np.ndarray]:
    """Paraphrase pools of the sample city, and the centre from its questions."""
    records = load_sources(settings.sources).records
    faq = [r for r in records if r.kind == "faq"]
    wordings: dict[str, list[str]] = {r.id: [r.question, *r.paraphrases] for r in faq}
    for row in map(json.loads, LABELLED.read_text(encoding="utf-8").splitlines()):
        if row["relevant"] and (need := max(row["relevant"], key=row["relevant"].get)) in wordings:
            wordings[need].append(row["text"])
    texts, owners = [t for ws in wordings.values() for t in ws], [n for n, ws in wordings.items() for _ in ws]
    vectors, terms = embed(texts)
    owners_array, rng, runs = np.array(owners), np.random.default_rng(0), []
    for _ in range(40):
        chosen: list[int] = []
        for need in rng.choice(sorted(wordings), 25, replace=False):
            found = np.flatnonzero(owners_array == need)
            chosen.extend(rng.choice(found, min(len(found), int(rng.integers(1, 5))), replace=False))
        runs.append([(vectors[chosen], [terms[i] for i in chosen], owners_array[chosen])])
    return runs, embed([r.question for r in records])[0].mean(axis=0)


def labelled(embed: Embed) -> list:
    """The labelled queries, one part per audience."""
    rows = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines()]
    parts = []
    for audience in ("resident", "staff"):
        mine = [r for r in rows if r["audience"] == audience]
        vectors, terms = embed([r["text"] for r in mine])
        truth = np.array([max(r["relevant"], key=r["relevant"].get) if r["relevant"] else f"none:{r['id']}"
                          for r in mine])
        parts.append((vectors, terms, truth))
    return [parts]


def real_city(embed: Embed) -> tuple[list, np.ndarray] | None:
    """The held-out real city, or None when the evaluation data is absent."""
    if not (REAL_CITY / "queries.jsonl").exists():
        print(f"\n(skipped the real-city check: {REAL_CITY} is absent)", file=sys.stderr)
        return None
    lines = (REAL_CITY / "queries.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    rows = [r for r in rows if r["relevant"]]
    vectors, terms = embed([r["text"] for r in rows])
    truth = np.array([max(r["relevant"], key=r["relevant"].get) for r in rows])
    faq = load_faq_table(REAL_CITY / "faq.csv", date.today()).records
    return [[(vectors, terms, truth)]], embed([r.question for r in faq])[0].mean(axis=0)


def main() -> None:
    """Print the three tables in Markdown, ready for BENCHMARKS.md."""
    settings = Settings()
    embedder, normaliser = embedder_from_settings(settings).warm_up(), normaliser_from_settings(settings)

    def embed(texts: list[str]) -> tuple[np.ndarray, list[frozenset[str]]]:
        clean = [normalise_width(t) for t in texts]
        return embedder.encode_queries(clean), [frozenset(normaliser.run(t).search_terms) for t in clean]

    runs, centre = pools(embed, settings)
    table("1. paraphrase pools (40 × 25 needs)", runs, centre)
    table("2. sample labelled queries (299, per audience)", labelled(embed), centre)
    held_out = real_city(embed)
    if held_out is not None:
        table("3. real city, held out (257 questions, 152 needs)", *held_out)


if __name__ == "__main__":
    main()
