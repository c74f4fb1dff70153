"""HTML pages: <h1>–<h6> for sections, <meta name="madoguchi:*"> for metadata, site chrome dropped."""

from __future__ import annotations

from pathlib import Path

from bs4 import BeautifulSoup, Tag

from knowledge.documents.sections import ParsedDocument, SectionBuilder

_CHROME = ("script", "style", "nav", "header", "footer", "aside", "noscript", "form")
_BLOCKS = ("p", "li", "tr", "dt", "dd", "pre", "blockquote", "caption")
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def _meta(soup: BeautifulSoup) -> dict[str, str]:
    meta = {}
    for tag in soup.find_all("meta"):
        name = str(tag.get("name") or "")
        if name.startswith("madoguchi:") and tag.get("content"):
            meta[name.removeprefix("madoguchi:")] = str(tag["content"])
    if soup.title and soup.title.string:
        meta.setdefault("title", soup.title.string.strip())
    return meta


def _block_text(tag: Tag) -> str:
    if tag.name == "tr":
        return " ｜ ".join(cell.get_text(" ", strip=True) for cell in tag.find_all(("th", "td")))
    return tag.get_text(" ", strip=True)


def read_html(path: Path) -> ParsedDocument:
    """Walk headings and text blocks in document order, ignoring navigation and footers."""
    soup = BeautifulSoup(path.read_bytes(), "html.parser")
    meta = _meta(soup)
    for tag in soup.find_all(_CHROME):
        tag.decompose()
    builder = SectionBuilder()
    root = soup.find("main") or soup.body or soup
    for tag in root.find_all(_HEADINGS + _BLOCKS):
        if tag.name in _HEADINGS:
            builder.heading(int(tag.name[1]), tag.get_text(" ", strip=True))
        elif not tag.find_parent(_BLOCKS):
            builder.text(_block_text(tag))
    document = builder.finish()
    document.meta = meta
    return document
