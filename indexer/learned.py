"""What a city's labelled questions taught, kept inside each index version.

`madoguchi learn` turns residents' and staff's resolved questions into paraphrases of the entries that
answer them, and may refit the decision model. Both are written into the version folder it publishes:

    versions/<version>/learned-paraphrases.jsonl   {"entry", "text", "label"} per line
    versions/<version>/decision-model.json         the model refitted on those labels (absent if not)

A later build (`madoguchi index build`, a desk publish) carries them over from the live version, so what
was learned stays without any flag or setting, and `madoguchi index use <older>` rolls both back together:
the next build then carries over what the older version held. The model is kept as plain JSON here; the
answering engine reads it (bot/engine.py), so the indexer does not depend on the bot.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexer.store import IndexStore
from knowledge.core.errors import CorruptIndexError, IndexNotFoundError

log = logging.getLogger("madoguchi.index")
PARAPHRASES = "learned-paraphrases.jsonl"
MODEL = "decision-model.json"


@dataclass(frozen=True, slots=True)
class Paraphrase:
    """A labelled question indexed as another way to ask an entry; `label` is the question's id."""

    entry: str
    text: str
    label: str


@dataclass(frozen=True, slots=True)
class Learned:
    """Learned paraphrases and, when a refitted model passed its guard, that model's JSON."""

    paraphrases: tuple[Paraphrase, ...] = ()
    model: dict[str, Any] | None = None
    by_entry: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        grouped: dict[str, list[str]] = defaultdict(list)
        for paraphrase in self.paraphrases:
            grouped[paraphrase.entry].append(paraphrase.text)
        object.__setattr__(self, "by_entry", {entry: tuple(texts) for entry, texts in grouped.items()})

    def of(self, entry: str) -> tuple[str, ...]:
        """The learned paraphrases of one entry, in the order they were learned."""
        return self.by_entry.get(entry, ())

    def save(self, folder: Path) -> None:
        """Write into a version folder being built."""
        with open(folder / PARAPHRASES, "w", encoding="utf-8") as handle:
            for p in self.paraphrases:
                handle.write(json.dumps({"entry": p.entry, "text": p.text, "label": p.label},
                                        ensure_ascii=False) + "\n")
        if self.model is not None:
            (folder / MODEL).write_text(json.dumps(self.model, ensure_ascii=False, indent=1),
                                        encoding="utf-8")

    @classmethod
    def read(cls, folder: Path) -> Learned:
        """What a version folder holds; a version built before learning existed holds nothing."""
        try:
            lines = (folder / PARAPHRASES).read_text(encoding="utf-8").splitlines() \
                if (folder / PARAPHRASES).is_file() else []
            rows = tuple(Paraphrase(str(r["entry"]), str(r["text"]), str(r.get("label", "")))
                         for r in map(json.loads, filter(str.strip, lines)))
            model = (json.loads((folder / MODEL).read_text(encoding="utf-8")) if (folder / MODEL).is_file()
                     else None)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CorruptIndexError(f"{folder}: learned paraphrases or model cannot be read ({exc})") from exc
        return cls(rows, model)


def carried(store: IndexStore) -> Learned:
    """What the live version learned, for the next build to keep; nothing when no version is live (or the
    named one is not on this machine). A damaged learned file stops the build: the live version keeps
    serving."""
    try:
        folder = store.current_dir()
    except (IndexNotFoundError, CorruptIndexError) as exc:
        log.info("no learned paraphrases carried over: %s", exc)
        return Learned()
    return Learned.read(folder)
