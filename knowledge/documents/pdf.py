"""PDF manuals: text per page, sections from heading-like lines (第N章, 1.2, ■, 【…】).

PDFs keep no heading structure, so headings are recognised by the numbering patterns Japanese
manuals use. Pages without extractable text (scans) are reported, not silently skipped.
"""

from __future__ import annotations

import re
from pathlib import Path

from knowledge.core.errors import SourceError
from knowledge.documents.sections import ParsedDocument, SectionBuilder

_HEADING_PATTERNS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (1, re.compile(r"^第[0-9０-９一二三四五六七八九十]+[章編部]\s*\S.{0,40}$")),
    (2, re.compile(r"^第[0-9０-９一二三四五六七八九十]+[節条]\s*\S.{0,40}$")),
    (2, re.compile(r"^[0-9０-９]+[.．][0-9０-９]+\s+\S.{0,40}$")),
    (2, re.compile(r"^[■◆●]\s*\S.{0,40}$")),
    (2, re.compile(r"^【[^】]{1,30}】$")),
    (1, re.compile(r"^[0-9０-９]+[.．]\s+\S.{0,40}$")),
)


def heading_level(line: str) -> int:
    """1 or 2 for a line that looks like a manual heading, 0 for body text."""
    text = line.strip()
    if len(text) > 45 or text.endswith(("。", "、")):
        return 0
    return next((level for level, pattern in _HEADING_PATTERNS if pattern.match(text)), 0)


def read_pdf(path: Path) -> ParsedDocument:
    """Walk each page's lines; remember pages that have no text at all."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, OSError, ValueError) as exc:
        raise SourceError(f"{path}: not a readable PDF ({exc})") from exc
    builder = SectionBuilder()
    for number, text in enumerate(pages, start=1):
        if not text.strip():
            builder.document.empty_pages.append(number)
        for line in text.splitlines():
            level = heading_level(line)
            if level:
                builder.heading(level, line, page=number)
            else:
                builder.text(line, page=number)
    document = builder.finish()
    title = reader.metadata.get("/Title") if reader.metadata else None
    if title:
        document.meta["title"] = str(title)
    return document
