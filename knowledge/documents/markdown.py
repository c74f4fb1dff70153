"""Markdown manuals: YAML front matter for metadata, ATX and setext headings for sections."""

from __future__ import annotations

from pathlib import Path

import yaml
from markdown_it import MarkdownIt

from knowledge.core.errors import SourceError
from knowledge.documents.sections import ParsedDocument, SectionBuilder


def split_front_matter(text: str, path: Path) -> tuple[dict[str, str], str]:
    """Separate a leading `---` YAML block from the body."""
    if not text.startswith("---"):
        return {}, text
    head, sep, body = text[3:].partition("\n---")
    if not sep:
        raise SourceError(f"{path}: front matter starts with --- but never ends with a --- line")
    try:
        meta = yaml.safe_load(head) or {}
    except yaml.YAMLError as exc:
        raise SourceError(f"{path}: front matter is not valid YAML ({exc})") from exc
    if not isinstance(meta, dict):
        raise SourceError(f"{path}: front matter must be key: value lines")
    return {str(k): str(v) for k, v in meta.items() if v is not None}, body.partition("\n")[2]


def read_markdown(path: Path) -> ParsedDocument:
    """Sections under each heading; code, lists and tables kept as plain text lines."""
    meta, body = split_front_matter(path.read_text(encoding="utf-8-sig"), path)
    builder = SectionBuilder()
    tokens = MarkdownIt("commonmark").enable("table").parse(body)
    pending_level = 0
    for token in tokens:
        if token.type == "heading_open":
            pending_level = int(token.tag[1])
        elif token.type == "inline" and pending_level:
            builder.heading(pending_level, token.content)
            pending_level = 0
        elif token.type in ("inline", "fence", "code_block"):
            builder.text(token.content)
    document = builder.finish()
    document.meta = meta
    return document
