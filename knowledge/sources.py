"""Finding a city's knowledge files and loading them all, with one report of every problem."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

from knowledge.core.errors import ProblemsFoundError, SourceError
from knowledge.documents import DOCUMENT_SUFFIXES, load_document
from knowledge.faq import load_faq_table
from knowledge.records import LoadResult, Problem
from knowledge.tables import READERS as TABLE_READERS

SUPPORTED_SUFFIXES = frozenset(TABLE_READERS) | DOCUMENT_SUFFIXES


def discover(paths: Iterable[Path]) -> list[Path]:
    """Every supported file under the given files and folders, in a stable order."""
    found: list[Path] = []
    for path in paths:
        if not path.exists():
            raise SourceError(f"{path}: no such file or folder")
        candidates = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        found.extend(p for p in candidates if p.suffix.lower() in SUPPORTED_SUFFIXES
                     and not p.name.startswith("."))
    return found


def load_file(path: Path, today: date) -> LoadResult:
    """One file's records; a file that cannot be read at all becomes one problem, not a crash."""
    try:
        if path.suffix.lower() in TABLE_READERS:
            return load_faq_table(path, today)
        return load_document(path, today)
    except SourceError as exc:
        return LoadResult(problems=[Problem(str(path), "", "", str(exc).removeprefix(f"{path}: "))])
    except UnicodeDecodeError as exc:
        return LoadResult(problems=[Problem(str(path), f"byte {exc.start}", "",
                                            "UTF-8 の文字として読めません")])


def drop_duplicate_ids(result: LoadResult) -> LoadResult:
    """Keep the first record of each id; report the others with where the first one is."""
    first_seen: dict[str, str] = {}
    kept = LoadResult(problems=list(result.problems), headers=result.headers)
    for record in result.records:
        where = f"{record.source} {record.location}"
        if record.id in first_seen:
            kept.problems.append(Problem(record.source, record.location, result.headers.get("id", "id"),
                                         f"番号 {record.id!r} が重複しています（最初は "
                                         f"{first_seen[record.id]}）", duplicate_id=record.id,
                                         duplicate_of=first_seen[record.id]))
            continue
        first_seen[record.id] = where
        kept.records.append(record)
    return kept


def load_sources(paths: Iterable[Path], today: date | None = None, strict: bool = False) -> LoadResult:
    """All records under the paths. With strict, any problem raises ProblemsFoundError."""
    today = today or date.today()
    files = discover(paths)
    if not files:
        raise SourceError("no FAQ tables or documents found (supported: "
                          + ", ".join(sorted(SUPPORTED_SUFFIXES)) + ")")
    result = LoadResult()
    for path in files:
        result.extend(load_file(path, today))
    result = drop_duplicate_ids(result)
    if strict and result.problems:
        listing = "\n".join(f"  {problem}" for problem in result.problems)
        raise ProblemsFoundError(f"{len(result.problems)} problem(s) found and --strict is on:\n{listing}")
    return result
