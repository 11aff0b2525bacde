"""Bar charts of the back office, drawn as inline SVG: nothing loaded, no script, no style.

One drawing for every chart (the consent statistics' choices per day, the retention purge's
rows removed per run): bars side by side, oldest on the left, each made of stacked segments
from the bottom up. The margins are sized from the labels they hold (the highest value on
the left, half the widest label below on each side) so nothing is cut at the edges; the labels
below the bars are spaced so that no two overlap and the last one is always shown. Every text
is escaped; colours are written as presentation attributes (``fill``), never as an inline
``style`` (the CSP forbids it). The drawing scales down with its column through its
``viewBox`` (``gardien/backoffice.css``).
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

#: The size of every text of the chart, in SVG units.
FONT_SIZE = 11
#: The least room between two labels below the bars, and between a label and an edge.
LABEL_GAP = 10.0
EDGE = 3.0
#: The widest a bar's slot gets when there are few bars (they stay bars, not blocks).
MAX_STEP = 28.0
#: At most about this many labels below the bars, however many bars.
MAX_LABELS = 8

INK = "#1b1f23"
AXIS = "#57606a"
GRID = "#d0d7de"


@dataclass(frozen=True)
class Column:
    """One bar: its label below the axis ("30/11", or "" for none), its segments from the
    bottom up as ``(value, colour)``, the text shown when it is pointed at, and the least
    height it is drawn with (0: a column of zero is not drawn; above 0: a column of zero is
    drawn that high in the colour of its last segment, a low one is raised to it)."""

    label: str
    segments: Sequence[tuple[float, str]]
    tooltip: str = ""
    min_height: float = 0.0

    @property
    def total(self) -> float:
        return sum(value for value, _ in self.segments)


def text_width(text: str, size: int = FONT_SIZE) -> float:
    """A generous estimate of the width of a short label (digits, "/") in a sans-serif."""
    return len(text) * size * 0.62


def number(value: float) -> str:
    """A value of the axis: an integer without decimals, else at most four significant
    digits."""
    return str(int(value)) if float(value).is_integer() else f"{value:.4g}"


def _label_positions(
    columns: Sequence[Column], centres: Sequence[float], size: int
) -> list[tuple[float, str]]:
    """The labels shown below the bars, with their centres: the last column's, and others
    from the first on, as far apart as a regular spacing wants (at most ``MAX_LABELS``) and
    never closer than their half widths and ``LABEL_GAP``."""
    labelled = [(c, col.label) for c, col in zip(centres, columns, strict=True) if col.label]
    if not labelled:
        return []
    *others, last = labelled
    span = (centres[-1] - centres[0]) / MAX_LABELS

    def clear(a: tuple[float, str], b: tuple[float, str]) -> bool:
        need = (text_width(a[1], size) + text_width(b[1], size)) / 2 + LABEL_GAP
        return b[0] - a[0] >= (need if b is last else max(need, span))

    chosen: list[tuple[float, str]] = []
    for candidate in others:
        if chosen and not clear(chosen[-1], candidate):
            continue
        if not clear(candidate, last):
            break
        chosen.append(candidate)
    return [*chosen, last]


def bars(
    columns: Sequence[Column],
    *,
    title: str,
    width: int = 720,
    height: int = 220,
    css_class: str = "chart",
) -> str:
    """Stacked vertical bars as an inline ``<svg>`` element, described by ``title``.

    The y axis shows 0 and the highest column total, with a dashed line at the highest;
    every column has the same scale, so its segments add up to its total's height.
    """
    for column in columns:
        if any(value < 0 or not math.isfinite(value) for value, _ in column.segments):
            raise ValueError(f"a bar's values are counts, not {column.segments!r}")
    size = FONT_SIZE
    highest = max((column.total for column in columns), default=0)
    top_label = number(highest)
    widest = max((text_width(column.label, size) for column in columns), default=0.0)
    top, bottom = 16, 24
    left = math.ceil(max(text_width(top_label, size) + 12, widest / 2 + EDGE))
    right = math.ceil(max(widest / 2 + EDGE, 12))
    plot_width = max(width - left - right, 1)
    plot_height = height - top - bottom
    base = top + plot_height
    step = min(plot_width / max(len(columns), 1), MAX_STEP)
    bar = max(step * 0.8, 1.0)

    def e(text: str) -> str:
        return html.escape(text, quote=True)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{e(css_class)}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{e(title)}">',
        f"<title>{e(title)}</title>",
        f'<line x1="{left}" y1="{base}" x2="{width - right}" y2="{base}" stroke="{AXIS}" '
        'stroke-width="1"/>',
        f'<text x="{left - 6}" y="{base}" text-anchor="end" font-size="{size}" '
        f'fill="{INK}">0</text>',
    ]
    if highest:
        parts += [
            f'<line x1="{left}" y1="{top}" x2="{width - right}" y2="{top}" stroke="{GRID}" '
            'stroke-width="1" stroke-dasharray="3 3"/>',
            f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="{size}" '
            f'fill="{INK}">{e(top_label)}</text>',
        ]
    for i, column in enumerate(columns):
        x = left + i * step + (step - bar) / 2
        total = column.total
        drawn = plot_height * total / highest if highest else 0.0
        tall = min(max(drawn, column.min_height), plot_height)
        if total:
            segments = [(tall * v / total, colour) for v, colour in column.segments if v]
        elif tall and column.segments:
            segments = [(tall, column.segments[-1][1])]
        else:
            segments = []
        rects = []
        below, lifted = float(base), 0.0
        for h, colour in segments:  # rounded edges, so the segments add up to the column
            lifted += h
            edge = round(base - lifted, 1)
            if edge == below:  # too small to draw at this scale
                continue
            rects.append(
                f'<rect x="{x:.1f}" y="{edge:.1f}" width="{bar:.1f}" '
                f'height="{below - edge:.1f}" fill="{e(colour)}"/>'
            )
            below = edge
        if not rects:  # nothing to point at
            continue
        tooltip = f"<title>{e(column.tooltip)}</title>" if column.tooltip else ""
        parts.append(f"<g>{tooltip}{''.join(rects)}</g>")
    centres = [left + i * step + step / 2 for i in range(len(columns))]
    for centre, label in _label_positions(columns, centres, size):
        half = text_width(label, size) / 2
        centre = min(max(centre, half + EDGE), width - half - EDGE)
        parts.append(
            f'<text x="{centre:.1f}" y="{height - 7}" text-anchor="middle" '
            f'font-size="{size}" fill="{INK}">{e(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
