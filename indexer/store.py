"""Versioned index directories, replaced atomically.

    INDEX_DIR/
      CURRENT                  name of the live version (replaced with os.replace), unless a
                               database keeps it (bot/store/index_versions.py)
      HISTORY                  one JSON line per activation: version, when, where, why
      versions/<version>/      manifest.json, records.jsonl, units.npz, bm25-*.npz, dense.faiss
      versions/.staging-*      a build in progress; removed when it fails, ignored when it dies

A build writes a complete version beside the live one and only then points CURRENT at it, so an
interrupted build leaves the old index serving. Old versions are kept for rollback. Where the live
version's name is kept is the store's `VersionPointer`: the CURRENT file here, or the database every
worker shares.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from knowledge.errors import CorruptIndexError, IndexNotFoundError

MANIFEST = "manifest.json"
CURRENT = "CURRENT"
HISTORY = "HISTORY"


@dataclass(frozen=True, slots=True)
class Activation:
    """One time a version was made live: by a build, or again by `madoguchi index use`."""

    version: str
    at: datetime
    by: str
    note: str


def activation(version: str, note: str) -> Activation:
    """An activation happening now, in this process."""
    return Activation(version, datetime.now(timezone.utc), f"{socket.gethostname()} pid {os.getpid()}", note)


class VersionPointer(Protocol):
    """Where the name of the live version is kept, with the history of activations."""

    where: str

    def read(self) -> str | None:
        """The live version's name, or None if none was ever activated."""

    def write(self, change: Activation) -> None:
        """Make `change.version` live for every reader, and remember it."""

    def history(self, limit: int) -> list[Activation]:
        """The latest activations, newest first."""


class PointerFile:
    """The CURRENT file in the index directory: enough when every worker reads the same directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.where = str(root / CURRENT)

    def read(self) -> str | None:
        try:
            return (self.root / CURRENT).read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None

    def write(self, change: Activation) -> None:
        pointer = self.root / f".{CURRENT}.tmp"
        with open(pointer, "w", encoding="utf-8") as handle:
            handle.write(change.version + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(pointer, self.root / CURRENT)
        with open(self.root / HISTORY, "a", encoding="utf-8") as log:
            log.write(json.dumps({**asdict(change), "at": change.at.isoformat()}, ensure_ascii=False) + "\n")

    def history(self, limit: int) -> list[Activation]:
        try:
            lines = (self.root / HISTORY).read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        rows = [json.loads(line) for line in lines[::-1][:limit] if line.strip()]
        return [Activation(r["version"], datetime.fromisoformat(r["at"]), r["by"], r["note"]) for r in rows]


class IndexStore:
    """The directory that holds every version of one city's index, and the pointer to the live one."""

    def __init__(self, root: Path, pointer: VersionPointer | None = None) -> None:
        self.root = root
        self.versions = root / "versions"
        self.pointer: VersionPointer = pointer or PointerFile(root)

    def current_version(self) -> str:
        """Name of the live version; IndexNotFoundError if nothing was ever built here, CorruptIndexError if
        the pointer names a version this directory lacks (never built here, or not copied here yet)."""
        name = self.pointer.read()
        if name is None:
            raise IndexNotFoundError(
                f"no index in {self.root}; build one with: madoguchi index build --index-dir {self.root}")
        if not (self.versions / name / MANIFEST).is_file():
            raise CorruptIndexError(f"{self.pointer.where} names version {name!r}, which is not in {self.versions} "
                                    "(not built here, or not yet copied to this machine)")
        return name

    def current_dir(self) -> Path:
        """Folder of the live version."""
        return self.versions / self.current_version()

    def manifest(self, version: str | None = None) -> dict[str, Any]:
        """The manifest of a version (default: the live one)."""
        folder = self.versions / version if version else self.current_dir()
        try:
            return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise CorruptIndexError(f"{folder / MANIFEST} cannot be read ({exc}); rebuild the index") from exc

    def list_versions(self) -> list[str]:
        """Complete versions, oldest first (names sort by build time)."""
        if not self.versions.is_dir():
            return []
        return sorted(p.name for p in self.versions.iterdir() if (p / MANIFEST).is_file() and not p.name.startswith("."))

    @contextmanager
    def staging(self) -> Iterator[Path]:
        """A fresh folder to build into; removed if the build raises."""
        self.versions.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=".staging-", dir=self.versions))
        try:
            yield folder
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise

    def publish(self, staged: Path, version: str) -> Path:
        """Move a finished build into place and make it live in one atomic step."""
        final = self.versions / version
        os.replace(staged, final)
        self.activate(version, "built")
        return final

    def activate(self, version: str, note: str = "made live again") -> None:
        """Point the live version at one in this directory (also how a rollback is done)."""
        if not (self.versions / version / MANIFEST).is_file():
            raise IndexNotFoundError(f"no version {version!r} in {self.versions}")
        self.pointer.write(activation(version, note))

    def prune(self, keep: int) -> list[str]:
        """Remove all but the newest `keep` versions (never the live one) and leftover staging folders."""
        live = self.current_version()
        removed = [v for v in self.list_versions()[:-keep] if v != live]
        for name in removed:
            shutil.rmtree(self.versions / name, ignore_errors=True)
        for leftover in self.versions.glob(".staging-*"):
            shutil.rmtree(leftover, ignore_errors=True)
        return removed
