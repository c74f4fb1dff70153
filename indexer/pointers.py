"""Where the live index version is named: the index directory's CURRENT file here, or the database every
server shares (bot/store/index_versions.py); either keeps the history of activations."""

from __future__ import annotations

import json
import os
import socket
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Protocol

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
    return Activation(version, datetime.now(UTC), f"{socket.gethostname()} pid {os.getpid()}", note)


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
        found = (parsed for line in reversed(lines) if (parsed := _activation(line)) is not None)
        return list(islice(found, limit))


def _activation(line: str) -> Activation | None:
    """One HISTORY line; a line cut short by a crash is skipped, not fatal."""
    try:
        row = json.loads(line)
        return Activation(row["version"], datetime.fromisoformat(row["at"]), row["by"], row["note"])
    except (ValueError, KeyError, TypeError):
        return None
