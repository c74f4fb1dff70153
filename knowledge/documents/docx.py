"""Word documents: heading styles (Heading 1 / 見出し 1) for sections, core properties for the title."""

from __future__ import annotations

import re
from pathlib import Path

from knowledge.core.errors import SourceError
from knowledge.documents.sections import ParsedDocument, SectionBuilder

_HEADING_STYLE = re.compile(r"^(?:heading|見出し)\s*(\d)$", re.IGNORECASE)


def _heading_level(style_name: str) -> int:
    if style_name.lower() == "title":
        return 1
    match = _HEADING_STYLE.match(style_name.strip())
    return int(match.group(1)) if match else 0


def read_docx(path: Path) -> ParsedDocument:
    """Paragraphs in order; tables appended as 「cell ｜ cell」 lines. Word has no pages to report."""
    import docx

    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises zipfile, KeyError, lxml errors for broken files
        raise SourceError(f"{path}: not a readable .docx document ({exc})") from exc
    builder = SectionBuilder()
    for paragraph in document.paragraphs:
        level = _heading_level(paragraph.style.name if paragraph.style is not None else "")
        if level and paragraph.text.strip():
            builder.heading(level, paragraph.text)
        else:
            builder.text(paragraph.text)
    for table in document.tables:
        for row in table.rows:
            builder.text(" ｜ ".join(cell.text.strip() for cell in row.cells))
    parsed = builder.finish()
    if document.core_properties.title:
        parsed.meta["title"] = document.core_properties.title
    return parsed
