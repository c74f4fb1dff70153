"""Dense-only ranking: an embedding model judged alone, on an index built with it.

    MADOGUCHI_MODEL=DIR python -m bench.dense QUERIES.jsonl --index-dir INDEX [--out RUN.jsonl]

Each entry scores its best dense signal (question, paraphrases, question + answer: the `dense:*` columns the
retriever fills for every entry), so the run shows what the model alone ranks, before BM25 or fusion. The run
file is in the format of ../shared/eval/score.py, with every decision `clarify` (no decision is made here).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from bot.evaluate import score_lines, write_jsonl  # noqa: E402
from bot.labelled import LabelledQuery, read_labelled  # noqa: E402
from indexer.runtime import Runtime, load_runtime  # noqa: E402
from indexer.signals import DENSE  # noqa: E402
from knowledge.core.settings import Settings  # noqa: E402

SHOWN = ("hit@1", "hit@3", "hit@10", "mrr@10")


def dense_line(runtime: Runtime, query: LabelledQuery, top_k: int) -> dict[str, Any]:
    """The top entries of one query by their best dense score (ties in index order)."""
    retrieval = runtime.retriever.run(query.text, query.audience)
    best = retrieval.signals[:, list(DENSE)].max(axis=1)
    order = np.argsort(-best, kind="stable")[:top_k]
    results = [{"id": runtime.index.records[retrieval.candidates[i]].id, "score": round(float(best[i]), 6)}
               for i in order]
    return {"id": query.id, "decision": "clarify", "results": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("queries", type=Path)
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    runtime, queries = load_runtime(Settings(index_dir=args.index_dir)), read_labelled(args.queries)
    lines = [dense_line(runtime, query, 10) for query in queries]
    if args.out:
        write_jsonl(lines, args.out)
    scores = score_lines(queries, lines)
    print(f"{runtime.embedder.describe()['name']}: " + " ".join(f"{m} {scores[m]:.3f}" for m in SHOWN))


if __name__ == "__main__":
    main()
