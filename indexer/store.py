"""Versioned index directories, replaced atomically.

    INDEX_DIR/
      CURRENT                  name of the live version (replaced with os.replace)
      versions/<version>/      manifest.json, records.jsonl, units.npz, bm25-*.npz, dense.faiss
      versions/.staging-*      a build in progress; removed when it fails, ignored when it dies

A build writes a complete version beside the live one and only then points CURRENT at it, so an
interrupted build leaves the old index serving. Old versions are kept for rollback.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from knowledge.errors import CorruptIndexError, IndexNotFoundError

MANIFEST = "manifest.json"
CURRENT = "CURRENT"


class IndexStore:
    """The directory that holds every version of one city's index."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.versions = root / "versions"

    def current_version(self) -> str:
        """Name of the live version; IndexNotFoundError if nothing was ever built here."""
        try:
            name = (self.root / CURRENT).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            raise IndexNotFoundError(
                f"no index in {self.root}; build one with: madoguchi index build --index-dir {self.root}") from None
        if not (self.versions / name / MANIFEST).is_file():
            raise CorruptIndexError(f"{self.root}/{CURRENT} names version {name!r}, which is missing; rebuild the index")
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
        self.activate(version)
        return final

    def activate(self, version: str) -> None:
        """Point CURRENT at a version (also how a rollback is done)."""
        if not (self.versions / version / MANIFEST).is_file():
            raise IndexNotFoundError(f"no version {version!r} in {self.versions}")
        pointer = self.root / f".{CURRENT}.tmp"
        with open(pointer, "w", encoding="utf-8") as handle:
            handle.write(version + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(pointer, self.root / CURRENT)

    def prune(self, keep: int) -> list[str]:
        """Remove all but the newest `keep` versions (never the live one) and leftover staging folders."""
        live = self.current_version()
        removed = [v for v in self.list_versions()[:-keep] if v != live]
        for name in removed:
            shutil.rmtree(self.versions / name, ignore_errors=True)
        for leftover in self.versions.glob(".staging-*"):
            shutil.rmtree(leftover, ignore_errors=True)
        return removed
