"""The shape every document reader produces: metadata and sections under a heading path."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Section:
    """Text under one heading, with the headings above it (「第3章 > 転入届」) and its page if known."""

    path: tuple[str, ...]
    text: str
    page: int | None = None


@dataclass(slots=True)
class ParsedDocument:
    """What a reader got out of a file, before it becomes records."""

    meta: dict[str, str] = field(default_factory=dict)
    sections: list[Section] = field(default_factory=list)
    empty_pages: list[int] = field(default_factory=list)


class SectionBuilder:
    """Collects text lines under the current heading path as a reader walks a document."""

    def __init__(self) -> None:
        self.document = ParsedDocument()
        self._path: list[tuple[int, str]] = []
        self._lines: list[str] = []
        self._page: int | None = None

    def heading(self, level: int, title: str, page: int | None = None) -> None:
        """Close the running section and open one under a heading of this level (1 = top)."""
        self.flush()
        self._path = [(lvl, text) for lvl, text in self._path if lvl < level] + [(level, title.strip())]
        self._page = page

    def text(self, line: str, page: int | None = None) -> None:
        """Add a line of body text to the running section."""
        if line.strip():
            self._lines.append(line.strip())
            self._page = self._page if self._page is not None else page

    def flush(self) -> None:
        """Emit the running section if it has any text."""
        if self._lines:
            path = tuple(title for _, title in self._path)
            self.document.sections.append(Section(path, "\n".join(self._lines), self._page))
        self._lines, self._page = [], None

    def finish(self) -> ParsedDocument:
        """Close the last section and return everything collected."""
        self.flush()
        return self.document
