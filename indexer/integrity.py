"""Whether an index version is still what its build wrote.

A version travels (an origin share, a copy between servers) and sits on disk for months; a changed
`records.jsonl` could hand staff-only answers to residents, and a damaged vector file answers wrongly
without failing. So a build records a SHA-256 of every file and the hash of its records in the manifest,
and every load checks both before a version may serve. Versions built before checksums were recorded
are checked by their records' hash only, with a warning to rebuild.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from knowledge.core.errors import CorruptIndexError
from knowledge.records import Record

log = logging.getLogger("madoguchi.index")
CHECKSUMS = "checksums"
MANIFEST = "manifest.json"
_CHUNK = 1 << 20


def corpus_hash(records: list[Record]) -> str:
    """Same records in the same order → same hash, whatever machine built them."""
    digest = hashlib.sha256()
    for record in records:
        digest.update(json.dumps(record.to_json(), ensure_ascii=False, sort_keys=True).encode())
    return digest.hexdigest()[:16]


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of one file, read in chunks (vector files can be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def file_checksums(folder: Path) -> dict[str, str]:
    """SHA-256 of every file of a version but its manifest, which records them."""
    return {p.name: file_sha256(p) for p in sorted(folder.iterdir()) if p.is_file() and p.name != MANIFEST}


def verify_files(folder: Path, manifest: dict[str, Any]) -> None:
    """CorruptIndexError naming the first file that is missing or differs from what the build wrote."""
    recorded = manifest.get(CHECKSUMS)
    if not recorded:
        log.warning("%s was built before madoguchi recorded file checksums: only its records are checked; "
                    "rebuild it (madoguchi index build) to protect every file", folder)
        return
    for name, expected in recorded.items():
        path = folder / name
        if not path.is_file():
            raise CorruptIndexError(f"{path} is missing; rebuild the index")
        if file_sha256(path) != expected:
            raise CorruptIndexError(f"{path} is not the file the build wrote (its SHA-256 differs from the "
                                    "manifest): changed or damaged since; rebuild the index or use "
                                    "another version")


def verify_records(folder: Path, manifest: dict[str, Any], records: list[Record]) -> None:
    """CorruptIndexError when the records loaded do not hash to the manifest's corpus_hash."""
    if corpus_hash(records) != manifest.get("corpus_hash"):
        raise CorruptIndexError(f"{folder / 'records.jsonl'} does not match the manifest's "
                                "corpus_hash: the records were changed after the build; rebuild the index "
                                "or use another version")
