"""Batch runs over question files: what staff do with real question logs before going live."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from bot.answer import Session
from bot.engine import Bot
from bot.labelled import LabelledQuery
from bot.metrics import RunLine, decision_metrics, ranking_metrics
from knowledge.records import Audience


def run_line(bot: Bot, query_id: str, text: str, audience: Audience, top_k: int) -> dict[str, Any]:
    """One batch output line: decision, confidence, the ranked entries, and what the resident would have been
    shown: the entry answered with, or the choices offered (「どれにも当てはまらない」 as none)."""
    reply = bot.answer(text, audience, channel="batch", session=Session(), top_k=top_k)
    results = [{"id": c.record.id, "score": round(c.score, 6)} for c in reply.candidates[:top_k]]
    return {"id": query_id, "decision": reply.decision.value, "confidence": round(reply.confidence, 6),
            "results": results, "answer": reply.record.id if reply.record else None,
            "choices": [choice.id for choice in reply.choices]}


def run_batch(bot: Bot, queries: Iterable[LabelledQuery], top_k: int = 10) -> list[dict[str, Any]]:
    """Every query answered as a resident or staff member would be."""
    return [run_line(bot, q.id, q.text, q.audience, top_k) for q in queries]


def write_jsonl(lines: Sequence[dict[str, Any]], path: Path) -> None:
    """One JSON object per line, UTF-8."""
    with open(path, "w", encoding="utf-8") as handle:
        for line in lines:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")


def score_lines(queries: Sequence[LabelledQuery], lines: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Ranking and decision metrics of a batch run."""
    runs = {line["id"]: RunLine(line["id"], line["decision"], tuple(r["id"] for r in line["results"]))
            for line in lines}
    return {**ranking_metrics(queries, runs), **decision_metrics(queries, runs)}
