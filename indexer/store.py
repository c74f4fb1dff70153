"""Versioned index directories, replaced atomically.

    INDEX_DIR/
      CURRENT                  name of the live version (replaced with os.replace), unless a
                               database keeps it (bot/store/index_versions.py)
      HISTORY                  one JSON line per activation: version, when, where, why
      versions/<version>/      manifest.json, records.jsonl, units.npz, bm25-*.npz, dense.faiss
      versions/.staging-*      a build in progress; removed when it fails, ignored when it dies
      versions/.incoming-*     a version being copied in from the origin, renamed into place when whole

A build writes a complete version beside the live one and only then points CURRENT at it, so an
interrupted build leaves the old index serving. Old versions are kept for rollback. Where the live
version's name is kept is the store's `VersionPointer` (indexer/pointers.py): the CURRENT file here, or
the database every worker shares. The optional origin is a second folder of the same layout that every
server can read, through which versions travel from the server that built them to the others.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from indexer.pointers import PointerFile, VersionPointer, activation
from knowledge.core.errors import CorruptIndexError, IndexNotFoundError, IndexStoreError

MANIFEST = "manifest.json"
STALE_COPY_SECONDS = 3600


def copy_version(source: Path, versions: Path) -> None:
    """Copy a complete version folder into `versions` under a hidden name, then rename it into place, so
    that nobody ever reads half a copy; another process that copied it first wins."""
    versions.mkdir(parents=True, exist_ok=True)
    incoming = Path(tempfile.mkdtemp(prefix=".incoming-", dir=versions))
    try:
        shutil.copytree(source, incoming, dirs_exist_ok=True)
        os.replace(incoming, versions / source.name)
    except OSError:
        shutil.rmtree(incoming, ignore_errors=True)
        if not (versions / source.name / MANIFEST).is_file():
            raise


class IndexStore:
    """The directory that holds every version of one city's index, and the pointer to the live one.

    With an `origin` (a folder every server can read: a network share, a mounted bucket) a build also
    copies its version there before making it live, and a server fetches the live version from there
    when its own directory lacks it, so artifacts are built once and reach every server by themselves."""

    def __init__(self, root: Path, pointer: VersionPointer | None = None, origin: Path | None = None) -> None:
        self.root = root
        self.versions = root / "versions"
        self.pointer: VersionPointer = pointer or PointerFile(root)
        self.origin = origin

    def current_version(self) -> str:
        """Name of the live version; IndexNotFoundError if nothing was ever built here, CorruptIndexError if
        the pointer names a version neither this directory nor the origin holds (not copied here yet)."""
        name = self.pointer.read()
        if name is None and not isinstance(self.pointer, PointerFile) and self.list_versions():
            raise IndexNotFoundError(
                f"{self.pointer.where} names no live version, although {self.versions} holds built ones: for "
                "one city of a server of several, set MADOGUCHI_INDEX_NAME to the city's id")
        if name is None:
            raise IndexNotFoundError(
                f"no index in {self.root}; build one with: madoguchi index build --index-dir {self.root}")
        if not self.has(name):
            raise CorruptIndexError(f"{self.pointer.where} names version {name!r}, which is not in "
                                    f"{self.versions} (not built here, or not yet copied to this machine)"
                                    + (f" nor in {self.origin}" if self.origin else ""))
        return name

    def has(self, version: str) -> bool:
        """Whether the version is complete here, fetching it from the origin first if it is only there."""
        if (self.versions / version / MANIFEST).is_file():
            return True
        if self.origin is None or not (self.origin / "versions" / version / MANIFEST).is_file():
            return False
        try:
            copy_version(self.origin / "versions" / version, self.versions)
        except OSError as exc:
            raise CorruptIndexError(
                f"version {version!r} cannot be copied from {self.origin} ({exc})") from exc
        return True

    def current_dir(self) -> Path:
        """Folder of the live version."""
        return self.versions / self.current_version()

    def manifest(self, version: str | None = None) -> dict[str, Any]:
        """The manifest of a version (default: the live one)."""
        folder = self.versions / version if version else self.current_dir()
        try:
            return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:  # ValueError: not JSON, or not even UTF-8
            raise CorruptIndexError(f"{folder / MANIFEST} cannot be read ({exc}); rebuild the index") from exc

    def list_versions(self) -> list[str]:
        """Complete versions, oldest first (names sort by build time)."""
        if not self.versions.is_dir():
            return []
        return sorted(p.name for p in self.versions.iterdir() if (p / MANIFEST).is_file()
                      and not p.name.startswith("."))

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

    def publish(self, staged: Path, version: str, note: str = "built") -> Path:
        """Move a finished build into place (and to the origin), then make it live in one atomic step."""
        final = self.versions / version
        os.replace(staged, final)
        if self.origin is not None:
            try:
                copy_version(final, self.origin / "versions")
            except OSError as exc:
                raise IndexStoreError(f"version {version} was built but cannot be copied to {self.origin} "
                                      f"({exc}); it is not live, the servers keep the one they "
                                      "serve") from exc
        self.activate(version, note)
        return final

    def activate(self, version: str, note: str = "made live again") -> None:
        """Point the live version at one in this directory or the origin (also how a rollback is done)."""
        if not self.has(version):
            raise IndexNotFoundError(f"no version {version!r} in {self.versions}"
                                     + (f" or {self.origin / 'versions'}" if self.origin else ""))
        self.pointer.write(activation(version, note))

    def prune(self, keep: int, also_keep: str | None = None) -> list[str]:
        """Remove all but the newest `keep` versions (never the live one, nor `also_keep`: the one live
        before a publish) here and in the origin, and leftovers of interrupted builds and copies."""
        live = self.current_version()
        removed = [v for v in self.list_versions()[:-keep] if v not in (live, also_keep)]
        for folder in [self.versions, *([self.origin / "versions"] if self.origin else [])]:
            for name in removed:
                shutil.rmtree(folder / name, ignore_errors=True)
            sweep(folder)
        return removed


def sweep(versions: Path) -> None:
    """Remove dead builds (the caller holds the build lock) and copies abandoned for an hour (a copy in
    progress in another process is left alone)."""
    for leftover in [*versions.glob(".staging-*"), *versions.glob(".incoming-*")]:
        try:
            abandoned = time.time() - leftover.stat().st_mtime > STALE_COPY_SECONDS
        except FileNotFoundError:
            continue
        if leftover.name.startswith(".staging-") or abandoned:
            shutil.rmtree(leftover, ignore_errors=True)
