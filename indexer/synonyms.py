"""Synonym groups in Sudachi's synonym-dictionary format, applied as shared group terms.

A query term and a document term in the same group both gain the term `≡<file>:<group>`, so
「引っ越し」 in a question finds 「転居」 in an FAQ without rewriting either text.
"""

from __future__ import annotations

import csv
import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.core.errors import ConfigurationError

MAX_PHRASE_TERMS = 6
_NEVER_EXPAND = "2"
_NOT_A_TRIGGER = "1"


@dataclass(slots=True)
class SynonymTable:
    """Term sequences (as the normaliser produces them) → the group terms they stand for."""

    groups: dict[tuple[str, ...], set[str]] = field(default_factory=lambda: defaultdict(set))
    starts: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    members: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    fingerprint: str = ""

    def expand(self, terms: Sequence[str]) -> list[tuple[str, str]]:
        """(group term, the words that triggered it) for every phrase of up to six terms."""
        found: list[tuple[str, str]] = []
        for start, term in enumerate(terms):
            if term not in self.starts:
                continue
            for length in sorted(self.starts[term]):
                phrase = tuple(terms[start:start + length])
                found.extend((group, "".join(phrase)) for group in sorted(self.groups.get(phrase, ())))
        return found

    @classmethod
    def from_files(cls, paths: Iterable[Path], to_terms: Callable[[str], list[str]]) -> SynonymTable:
        """Read each file; `to_terms` turns a headword into terms the same way queries are turned."""
        table = cls()
        digest = hashlib.sha256()
        for path in paths:
            try:
                raw = path.read_bytes()
            except OSError as exc:
                raise ConfigurationError(f"synonym file {path} cannot be read ({exc})") from exc
            digest.update(raw)
            table._add_rows(path.stem, csv.reader(raw.decode("utf-8-sig").splitlines()), to_terms)
        table.fingerprint = digest.hexdigest()[:16]
        return table

    def _add_rows(self, namespace: str, rows: Iterable[list[str]], to_terms: Callable[[str], list[str]]) -> None:
        for row in rows:
            if len(row) < 9 or not row[0].strip() or row[2] == _NEVER_EXPAND:
                continue
            group = f"≡{namespace}:{row[0].strip()}"
            terms = tuple(to_terms(row[8]))
            self.members[group].add(row[8])
            if terms and len(terms) <= MAX_PHRASE_TERMS and row[2] != _NOT_A_TRIGGER:
                self.groups[terms].add(group)
                self.starts[terms[0]].add(len(terms))
