"""Manuals and internal rules (Markdown, HTML, PDF, DOCX) split into passages by their headings."""

from knowledge.documents.passages import DOCUMENT_SUFFIXES, load_document

__all__ = ["DOCUMENT_SUFFIXES", "load_document"]
