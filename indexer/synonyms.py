"""Synonym groups in Sudachi's synonym-dictionary format, applied as shared group terms.

A query term and a document term in the same group both gain the term `≡<file>:<group>`, so
「引っ越し」 in a question finds 「転居」 in an FAQ without rewriting either text.

Turning every headword into terms goes through Sudachi and touches most of its connection matrix, once per
process. The terms are kept in a small file (the caller names it by what else they depend on: split mode,
dictionary, normaliser), so a worker starting on the same synonym files reads them instead.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.core.errors import ConfigurationError

log = logging.getLogger("madoguchi.index")
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
    def from_files(cls, paths: Iterable[Path], to_terms: Callable[[str], list[str]],
                   remembered: Path | None = None) -> SynonymTable:
        """Read each file; `to_terms` turns a headword into terms the same way queries are turned.
        `remembered`: where the terms of these files' headwords are kept between processes (used only for the
        same files)."""
        table, raws = cls(), []
        digest = hashlib.sha256()
        for path in paths:
            try:
                raw = path.read_bytes()
            except OSError as exc:
                raise ConfigurationError(f"synonym file {path} cannot be read ({exc})") from exc
            digest.update(path.stem.encode("utf-8") + b"\0" + raw)  # the stem names the group terms
            raws.append((path.stem, raw))
        table.fingerprint = digest.hexdigest()[:16]
        terms = RememberedTerms(remembered, table.fingerprint, to_terms)
        for namespace, raw in raws:
            table._add_rows(namespace, csv.reader(raw.decode("utf-8-sig").splitlines()), terms)
        terms.keep()
        return table

    def _add_rows(self, namespace: str, rows: Iterable[list[str]],
                  to_terms: Callable[[str], list[str]]) -> None:
        for row in rows:
            if len(row) < 9 or not row[0].strip() or row[2] == _NEVER_EXPAND:
                continue
            group = f"≡{namespace}:{row[0].strip()}"
            terms = tuple(to_terms(row[8]))
            self.members[group].add(row[8])
            if terms and len(terms) <= MAX_PHRASE_TERMS and row[2] != _NOT_A_TRIGGER:
                self.groups[terms].add(group)
                self.starts[terms[0]].add(len(terms))


class RememberedTerms:
    """`to_terms` with its answers for one set of synonym files read from, and written to, a JSON file."""

    def __init__(self, path: Path | None, fingerprint: str, to_terms: Callable[[str], list[str]]) -> None:
        self.path, self.fingerprint, self.to_terms = path, fingerprint, to_terms
        self.known: dict[str, list[str]] = {}
        self.added = False
        try:
            stored = json.loads(path.read_text(encoding="utf-8")) if path and path.is_file() else {}
            if stored.get("fingerprint") == fingerprint:
                self.known = {str(k): [str(t) for t in v] for k, v in stored["terms"].items()}
        except (OSError, ValueError, KeyError, AttributeError, TypeError) as exc:
            log.warning("synonym terms in %s not used (%s); reading the synonym files through Sudachi", path,
                        exc)

    def __call__(self, headword: str) -> list[str]:
        if headword not in self.known:
            self.known[headword], self.added = self.to_terms(headword), True
        return self.known[headword]

    def keep(self) -> None:
        """Write the terms for the next process (replaced whole, so a reader never sees half a file)."""
        if self.path is None or not self.added:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(prefix=".synonym-terms-", dir=self.path.parent)
        except OSError as exc:
            log.info("synonym terms not kept in %s (%s); the next process reads them again", self.path, exc)
            return
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump({"fingerprint": self.fingerprint, "terms": self.known}, out, ensure_ascii=False)
            os.replace(name, self.path)
        except OSError as exc:
            Path(name).unlink(missing_ok=True)
            log.info("synonym terms not kept in %s (%s); the next process reads them again", self.path, exc)
