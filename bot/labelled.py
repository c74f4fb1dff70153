"""Labelled queries: what residents and staff asked, and which entries answer it.

One JSON object per line: {"id", "text", "relevant": {entry_id: grade}, "expect"?, "audience"?}. Grade 2
means the entry answers the question, 1 that it is related. `expect` is `answer`, `escalate` or
`either`; when absent it is `answer` if a grade-2 entry exists and `escalate` otherwise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.core.errors import SourceError
from knowledge.records import Audience


@dataclass(frozen=True, slots=True)
class LabelledQuery:
    """One labelled question."""

    id: str
    text: str
    relevant: dict[str, int] = field(default_factory=dict)
    expect: str = "answer"
    audience: Audience = Audience.RESIDENT

    @property
    def answerable(self) -> bool:
        """A grade-2 entry exists."""
        return any(grade == 2 for grade in self.relevant.values())


def _parse(line: str, where: str, audience: Audience) -> LabelledQuery:
    try:
        item = json.loads(line)
        relevant = {str(k): int(v) for k, v in (item.get("relevant") or {}).items()}
        default = "answer" if 2 in relevant.values() else "escalate"
        return LabelledQuery(str(item["id"]), str(item["text"]), relevant, item.get("expect", default),
                             Audience(item.get("audience", audience)))
    except (json.JSONDecodeError, KeyError, ValueError, TypeError, AttributeError) as exc:
        raise SourceError(f"{where}: expected {{\"id\", \"text\", \"relevant\"}} ({exc})") from exc


def read_labelled(path: Path, audience: Audience = Audience.RESIDENT) -> list[LabelledQuery]:
    """Every line of a labelled file; a bad line stops with its line number. `audience`: for lines that
    name none."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError as exc:
        raise SourceError(f"{path}: cannot be read ({exc})") from exc
    return [_parse(line, f"{path}, line {n}", audience)
            for n, line in enumerate(lines, start=1) if line.strip()]


def read_queries(path: Path) -> list[tuple[str, str]]:
    """(id, text) of a batch file: labelled or not, other fields ignored."""
    return [(q.id, q.text) for q in read_labelled(path)]
