"""Charts drawn on the server as SVG: no JavaScript, no CDN, nothing to download on a closed network.

Every chart has a <title> and <desc> (announced by screen readers through role="img"), and comes
with the same figures as an HTML table. Labels come from data (department names, channels), so
every text is escaped and stripped of characters XML cannot carry. Colours and sizes are SVG
presentation attributes, never `style=`: the desk's Content-Security-Policy has no 'unsafe-inline'.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#000000", "#999933")
INK, GRID, FONT = "#1a1a1a", "#c8ccd2", 14
SVG = "http://www.w3.org/2000/svg"
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
Format = Callable[[float], str]


@dataclass(frozen=True, slots=True)
class Chart:
    """The picture and its text alternative, both safe to put into a page as they are."""

    title: str
    svg: Markup
    table: Markup


def text(value: object) -> str:
    """Escaped for XML/HTML text and attributes, without characters XML 1.0 forbids."""
    return escape(_NOT_XML.sub("", str(value)), quote=True)


def whole(value: float) -> str:
    """Counts: 1,234."""
    return f"{value:,.0f}"


def nice_step(largest: float, whole_numbers: bool = True) -> float:
    """A gridline step of 1, 2 or 5 × 10ⁿ giving at most four steps up to `largest` (counts step by ≥ 1)."""
    rough = max(largest, 1e-9) / 4
    power = 10 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    return max(step, 1.0) if whole_numbers else step


def gridlines(largest: float, whole_numbers: bool = True) -> list[float]:
    """Values of the gridlines, from 0 to the first step at or above the largest value."""
    step = nice_step(largest, whole_numbers)
    return [step * n for n in range(max(1, math.ceil(largest / step - 1e-9)) + 1)]


def _open(chart_id: str, title: str, description: str, width: int, height: int) -> list[str]:
    ident = text(chart_id)
    return [(f'<svg xmlns="{SVG}" class="chart" width="100%" viewBox="0 0 {width} {height}" role="img" '
             f'aria-labelledby="{ident}-title {ident}-desc" font-size="{FONT}" fill="{INK}">'),
            f'<title id="{ident}-title">{text(title)}</title>',
            f'<desc id="{ident}-desc">{text(description)}</desc>']


def _bar(x: float, y: float, width: float, height: float, colour: str, tip: str) -> str:
    """One filled rectangle whose tooltip (and accessible name) says what it stands for."""
    return (f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" fill="{colour}">'
            f"<title>{text(tip)}</title></rect>")


def _table(caption: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> Markup:
    head = "".join(f'<th scope="col">{text(h)}</th>' for h in headers)
    cells = ("".join(f"<td>{text(c)}</td>" for c in row[1:]) for row in rows)
    body = "".join(f'<tr><th scope="row">{text(row[0])}</th>{rest}</tr>'
                   for row, rest in zip(rows, cells, strict=True))
    return Markup(f'<table class="chart-data"><caption>{text(caption)}</caption>'
                  f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def bar_chart(chart_id: str, title: str, description: str, labels: Sequence[str], values: Sequence[float],
              unit: str, fmt: Format = whole, scale_to: float | None = None) -> Chart:
    """Horizontal bars, one per label (long labels read best on the left); `scale_to` fixes the axis end."""
    left, right, row_height = 220, 90, 30
    width, height = 760, 40 + row_height * max(len(labels), 1)
    lines = gridlines(scale_to or max(values, default=0))
    top = lines[-1]
    parts = _open(chart_id, title, description, width, height)
    parts += _value_grid(left, width - right, 10, height - 26, lines, fmt, vertical=True)
    for row, (label, value) in enumerate(zip(labels, values, strict=True)):
        y, length = 10 + row * row_height, (width - left - right) * value / top
        parts.append(f'<text x="{left - 8}" y="{y + 19}" text-anchor="end">{text(_short(label, 14))}</text>'
                     + _bar(left, y + 4, length, row_height - 10, PALETTE[0], f"{label}: {fmt(value)}{unit}")
                     + f'<text x="{left + length + 6:.1f}" y="{y + 19}">{text(fmt(value))}</text>')
    parts.append("</svg>")
    rows = [(label, f"{fmt(value)}{unit}") for label, value in zip(labels, values, strict=True)]
    return Chart(title, Markup("".join(parts)), _table(title, ("", unit.strip() or "値"), rows))


def stacked_chart(chart_id: str, title: str, description: str, categories: Sequence[str],
                  series: Mapping[str, Sequence[float]], unit: str, fmt: Format = whole) -> Chart:
    """Columns per category (e.g. day), stacked by series (e.g. channel), with a legend."""
    left, bottom, width, height = 60, 60, 760, 320
    totals = [sum(values[i] for values in series.values()) for i in range(len(categories))]
    lines = gridlines(max(totals, default=0))
    top = lines[-1]
    parts = _open(chart_id, title, description, width, height)
    parts += _value_grid(left, width - 10, 30, height - bottom, lines, fmt, vertical=False)
    slot, scale = (width - 10 - left) / max(len(categories), 1), (height - bottom - 30) / top
    for i in range(len(categories)):
        parts += _column(series, i, left + slot * i, slot, height - bottom, scale, unit, fmt)
    parts += _category_labels(categories, left, slot, height - bottom + 18)
    parts += _legend(list(series), left, height - 18)
    parts.append("</svg>")
    rows = [(c, *(fmt(series[s][i]) for s in series), fmt(totals[i])) for i, c in enumerate(categories)]
    return Chart(title, Markup("".join(parts)), _table(title, ("", *series, "合計"), rows))


def _column(series: Mapping[str, Sequence[float]], index: int, x: float, slot: float, base: float,
            scale: float, unit: str, fmt: Format) -> list[str]:
    parts, y = [], base
    for colour, (name, values) in zip(_colours(), series.items(), strict=False):
        height = values[index] * scale
        y -= height
        if height > 0:
            tip = f"{name}: {fmt(values[index])}{unit}"
            parts.append(_bar(x + slot * 0.15, y, slot * 0.7, height, colour, tip))
    return parts


def _category_labels(categories: Sequence[str], left: float, slot: float, y: float) -> list[str]:
    """At most about twelve labels under the columns, evenly spaced, so they never overlap."""
    every = max(1, math.ceil(len(categories) / 12))
    return [f'<text x="{left + slot * (i + 0.5):.1f}" y="{y}" text-anchor="middle">{text(_short(c, 10))}</'
            'text>'
            for i, c in enumerate(categories) if i % every == 0]


def _value_grid(start: float, end: float, top: float, base: float, lines: list[float], fmt: Format,
                vertical: bool) -> list[str]:
    """Gridlines with their values: along x for bar charts (vertical lines), along y otherwise."""
    parts = []
    for value in lines:
        share = value / lines[-1]
        if vertical:
            x = start + (end - start) * share
            parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{base}" stroke="{GRID}"/>'
                         f'<text x="{x:.1f}" y="{base + 18}" text-anchor="middle">{text(fmt(value))}</text>')
        else:
            y = base - (base - top) * share
            parts.append(f'<line x1="{start}" y1="{y:.1f}" x2="{end}" y2="{y:.1f}" stroke="{GRID}"/>'
                         f'<text x="{start - 6}" y="{y + 5:.1f}" text-anchor="end">{text(fmt(value))}</text>')
    return parts


def _legend(names: list[str], x: float, y: float) -> list[str]:
    parts = []
    for offset, (colour, name) in enumerate(zip(_colours(), names, strict=False)):
        left = x + offset * 130
        parts.append(f'<rect x="{left}" y="{y - 12}" width="14" height="14" fill="{colour}"/>'
                     f'<text x="{left + 20}" y="{y}">{text(_short(name, 8))}</text>')
    return parts


def _colours() -> Sequence[str]:
    return PALETTE * 4


def _short(label: str, limit: int) -> str:
    """Cut long labels for the picture (the table keeps them whole)."""
    return label if len(label) <= limit else label[: limit - 1] + "…"
