"""Accessibility checks the browser tests share: axe-core (vendored by the axe-playwright-python package, so
nothing is downloaded) and the WCAG contrast of the focus ring as Chromium computes it."""

from __future__ import annotations

import re
from typing import Any

import pytest


def axe_violations(page: Any) -> list[str]:  # page: playwright.sync_api.Page
    """Every axe-core violation on the page as 「rule: target」 strings; skipped where the package is
    absent."""
    sync = pytest.importorskip("axe_playwright_python.sync_playwright")
    results = sync.Axe().run(page)
    return [f"{v['id']}: {node['target']}" for v in results.response["violations"] for node in v["nodes"]]


def focus_ring_colour(page: Any) -> str:
    """The outline colour of the focused element, as `rgb(r, g, b)`; it must have one."""
    style = page.evaluate("() => { const s = getComputedStyle(document.activeElement);"
                          " return [s.outlineStyle, s.outlineWidth, s.outlineColor]; }")
    assert style[0] != "none" and float(style[1].removesuffix("px")) >= 2, f"no visible focus ring: {style}"
    return str(style[2])


def _channels(colour: str) -> tuple[int, int, int]:
    if colour.startswith("#"):
        return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)
    red, green, blue = (int(float(x)) for x in re.findall(r"[\d.]+", colour)[:3])
    return red, green, blue


def luminance(colour: str) -> float:
    """WCAG 2 relative luminance of `#rrggbb` or `rgb(r, g, b)`."""
    linear = [(c / 255) / 12.92 if c / 255 <= 0.03928 else ((c / 255 + 0.055) / 1.055) ** 2.4
              for c in _channels(colour)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    """WCAG 2 contrast ratio, 1 to 21."""
    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)
