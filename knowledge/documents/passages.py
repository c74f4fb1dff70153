"""From a parsed document to passage records that keep their section path, source file and page."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from knowledge.core.errors import SourceError
from knowledge.documents.docx import read_docx
from knowledge.documents.html import read_html
from knowledge.documents.markdown import read_markdown
from knowledge.documents.pdf import read_pdf
from knowledge.documents.sections import ParsedDocument, Section
from knowledge.faq import RowError, parse_audience, parse_date, parse_url
from knowledge.records import LoadResult, Problem, Record

READERS: dict[str, Callable[[Path], ParsedDocument]] = {
    ".md": read_markdown, ".markdown": read_markdown, ".html": read_html, ".htm": read_html,
    ".pdf": read_pdf, ".docx": read_docx,
}
DOCUMENT_SUFFIXES = frozenset(READERS)
PASSAGE_MAX_CHARS = 600
SIDECAR_SUFFIXES = (".meta.json", ".meta.yaml", ".meta.yml")


def read_sidecar(path: Path) -> dict[str, str]:
    """Metadata for formats that cannot carry it themselves: `manual.pdf.meta.yaml` beside `manual.pdf`."""
    for suffix in SIDECAR_SUFFIXES:
        sidecar = path.with_name(path.name + suffix)
        if sidecar.exists():
            text = sidecar.read_text(encoding="utf-8-sig")
            try:
                data = json.loads(text) if suffix == ".meta.json" else yaml.safe_load(text)
            except (json.JSONDecodeError, yaml.YAMLError) as exc:
                raise SourceError(f"{sidecar}: not valid {suffix[6:].upper()} ({exc})") from exc
            return {str(k): str(v) for k, v in (data or {}).items() if v is not None}
    return {}


def chunk(text: str, limit: int = PASSAGE_MAX_CHARS) -> list[str]:
    """Split long section text at line breaks so each passage stays answer-sized."""
    pieces: list[str] = []
    current = ""
    for line in text.splitlines():
        if current and len(current) + len(line) > limit:
            pieces.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    return pieces + [current] if current else pieces


def _passages(path: Path, meta: dict[str, str], sections: list[Section]) -> list[Record]:
    title = meta.get("title") or path.stem
    common: dict[str, Any] = {
        "kind": "passage", "category": meta.get("category", ""), "department": meta.get("department", ""),
        "contact": meta.get("contact", ""), "url": parse_url("url", meta.get("url")),
        "owner": meta.get("owner", ""), "audience": parse_audience(meta.get("audience")), "source": str(path),
        "valid_from": parse_date("valid_from", meta.get("valid_from")),
        "valid_until": parse_date("valid_until", meta.get("valid_until")),
    }
    records: list[Record] = []
    for section in sections:
        path_titles = tuple(t for t in (title, *section.path) if t)
        path_titles = path_titles[1:] if len(path_titles) > 1 and path_titles[1] == title else path_titles
        for piece in chunk(section.text):
            location = f"page {section.page}" if section.page else f"section {' > '.join(section.path)}"
            records.append(Record(
                id=f"{path.stem}#{len(records) + 1:03d}", question=" > ".join(path_titles), answer=piece,
                section_path=path_titles, page=section.page, location=location, **common))
    return records


def load_document(path: Path, today: date) -> LoadResult:
    """Every passage of one manual, with problems for empty pages and bad metadata."""
    source = str(path)
    document = READERS[path.suffix.lower()](path)
    meta = {**document.meta, **read_sidecar(path)}
    result = LoadResult()
    result.problems.extend(
        Problem(source, f"page {page}", "text", "no extractable text (a scan needs OCR first)", "warning")
        for page in document.empty_pages)
    try:
        result.records.extend(_passages(path, meta, document.sections))
    except RowError as exc:
        result.problems.append(Problem(source, "metadata", exc.field, str(exc)))
        return result
    if not result.records:
        result.problems.append(Problem(source, "", "text",
                                       "no text found; nothing was loaded from this file"))
    expiry = result.records[0].valid_until if result.records else None
    if expiry and expiry < today:
        result.problems.append(Problem(source, "metadata", "valid_until",
                                       f"expired on {expiry}; loaded but never answered", "warning"))
    return result
