"""The reliability diagram of a summary: per equal-width confidence bin, the mean
confidence, the accuracy, the rows and a 95% Wilson interval for the accuracy.

- :func:`reliability_renderable`: a Rich table for a terminal, one line per bin with a text
  bar of the accuracy against a ``|`` at the mean confidence (where a calibrated bin's bar
  would end: the diagonal), and ``-`` over the interval: readable without colour.
- :func:`reliability_svg`: a hand-written SVG picture (no plot library: a few rectangles
  and lines are all a reliability diagram needs, and it opens in any browser).

They format; the numbers come from :meth:`xent.totals.Totals.reliability`.
"""

from __future__ import annotations

import math
from typing import NamedTuple
from xml.sax.saxutils import escape

from ..units import counted
from .numbers import number
from .text import visible, xml_safe

DIAGRAM_WIDTH = 20
LEGEND = (
    "bar: accuracy of the bin; |: its mean confidence (a calibrated bin's bar ends at "
    "its |); -: the 95% Wilson interval of the accuracy"
)


def text_bar(confidence: float, accuracy: float, low: float, high: float, width: int) -> str:
    """``width`` cells over [0, 1]: ``█`` up to the accuracy, ``-`` over the rest of the
    interval, ``|`` at the mean confidence, ``·`` elsewhere."""
    if math.isnan(accuracy):
        return " " * width
    cells = []
    for i in range(width):
        lo, hi = i / width, (i + 1) / width
        middle = (lo + hi) / 2
        if middle < accuracy:
            cell = "█"
        elif low <= hi and high >= lo:
            cell = "-"
        else:
            cell = "·"
        cells.append(cell)
    at = min(width - 1, int(confidence * width))
    cells[at] = "|"
    return "".join(cells)


def _label(low: float, high: float) -> str:
    return f"{low:.2f}–{high:.2f}"


def reliability_renderable(summary, precision: int = 4):
    from rich.console import Group
    from rich.text import Text

    from .layout import Column, fitted_table

    m = summary.metrics
    title = f"Reliability of {visible(summary.source)}: {counted(summary.rows, 'row')}"
    parts: list = [Text(title, style="bold")]
    if m is None:
        parts.append(Text("no rows with probabilities: no diagram", style="dim"))
        return Group(*parts)
    columns = [
        Column("bin", "left"),
        Column("rows"),
        Column("confidence"),
        Column("accuracy"),
        Column("95% interval"),
        Column("0" + " " * (DIAGRAM_WIDTH - 2) + "1", "left"),
    ]
    rows = []
    for low, high, count, _, conf, acc, w_low, w_high in m.reliability:
        if not count:
            continue
        rows.append(
            [
                _label(low, high),
                f"{count:,}",
                number(conf, precision),
                number(acc, precision),
                f"{number(w_low, 3)}–{number(w_high, 3)}",
                text_bar(conf, acc, w_low, w_high, DIAGRAM_WIDTH),
            ]
        )
    parts.append(fitted_table(columns, rows))
    parts.append(
        Text(
            f"ECE {number(m.ece, precision)}, MCE {number(m.mce, precision)}, "
            f"{m.bins} equal-width bins (low, high] (the first holds 0); a bar short of "
            "its | is over-confident",
            style="dim",
        )
    )
    parts.append(Text(LEGEND, style="dim"))
    return Group(*parts)


def render_reliability_table(summary, out, *, precision: int = 4) -> None:
    from rich.console import Console

    Console(file=out).print(reliability_renderable(summary, precision))


class _Square(NamedTuple):
    """The plot: a square of side ``plot`` at ``pad`` from the top left, 0 to 1 both ways."""

    pad: int
    plot: int

    def x(self, v: float) -> float:
        return self.pad + v * self.plot

    def y(self, v: float) -> float:
        return self.pad + (1 - v) * self.plot


def reliability_svg(summary, size: int = 480) -> str:
    """The diagram as an SVG document: bars of accuracy per bin, the 95% Wilson interval
    as a whisker, the mean confidence as a dot on the bar's top line, the diagonal, and a
    strip of the rows per bin below."""
    m = summary.metrics
    pad, strip = 56, 60
    square = _Square(pad, size - 2 * pad)
    x, y = square.x, square.y
    height = size + strip
    name = xml_safe(escape(visible(summary.source)))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{height}" '
        f'viewBox="0 0 {size} {height}" font-family="sans-serif" font-size="12">',
        f"<title>Reliability diagram of {name}</title>",
        f'<rect width="{size}" height="{height}" fill="white"/>',
        f'<text x="{size / 2}" y="24" text-anchor="middle" font-size="14">'
        f"Reliability of {name} ({counted(summary.rows, 'row')})</text>",
    ]
    out += _axes(square, size)
    if m is not None:
        out += _bins(m.reliability, square, strip)
        out.append(
            f'<text x="{pad}" y="{pad - 8}">ECE {m.ece:.4f}, MCE {m.mce:.4f}, {m.bins} bins</text>'
        )
        out.append(
            f'<text x="{size / 2}" y="{height - 6}" text-anchor="middle" font-size="11" '
            'fill="#555">bars: accuracy, whiskers: 95% Wilson, dots: mean confidence, '
            "grey: rows per bin</text>"
        )
    out.append(
        f'<line class="diagonal" x1="{x(0)}" y1="{y(0)}" x2="{x(1)}" y2="{y(1)}" '
        'stroke="gray" stroke-dasharray="4 3"/>'
    )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _axes(square: _Square, size: int) -> list[str]:
    """The frame, the ticks at 0, 0.2, ..., 1 and the names of the axes."""
    pad, plot, x, y = square.pad, square.plot, square.x, square.y
    out = [f'<rect x="{pad}" y="{pad}" width="{plot}" height="{plot}" fill="none" stroke="black"/>']
    for i in range(6):
        v = i / 5
        out.append(
            f'<text x="{x(v):.1f}" y="{pad + plot + 16}" text-anchor="middle">{v:.1f}</text>'
        )
        out.append(f'<text x="{pad - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v:.1f}</text>')
    out.append(f'<text x="{size / 2}" y="{pad + plot + 34}" text-anchor="middle">confidence</text>')
    out.append(
        f'<text x="16" y="{size / 2}" text-anchor="middle" '
        f'transform="rotate(-90 16 {size / 2})">accuracy</text>'
    )
    return out


def _bins(reliability, square: _Square, strip: int) -> list[str]:
    """Per bin: the accuracy bar, its Wilson whisker and confidence dot (non-empty bins),
    and its rows in the strip below."""
    pad, plot, x, y = square.pad, square.plot, square.x, square.y
    out = []
    largest = max((r[2] for r in reliability), default=0) or 1
    for low, high, count, _, conf, acc, w_low, w_high in reliability:
        left, width = x(low), (high - low) * plot
        if count:
            out.append(
                f'<rect class="accuracy" x="{left:.2f}" y="{y(acc):.2f}" '
                f'width="{width:.2f}" height="{acc * plot:.2f}" fill="#4c78a8" '
                f'fill-opacity="0.75" stroke="white"><title>({low:.3g}, {high:.3g}]: '
                f"{count} rows, confidence {conf:.4f}, accuracy {acc:.4f}, 95% "
                f"{w_low:.4f}–{w_high:.4f}</title></rect>"
            )
            centre = left + width / 2
            out.append(
                f'<line class="interval" x1="{centre:.2f}" x2="{centre:.2f}" '
                f'y1="{y(w_low):.2f}" y2="{y(w_high):.2f}" stroke="black"/>'
            )
            out.append(
                f'<circle class="confidence" cx="{x(conf):.2f}" cy="{y(acc):.2f}" r="3" '
                'fill="#e45756"/>'
            )
        bar = count / largest * (strip - 20)
        base = pad + plot + strip + 40 - 20
        out.append(
            f'<rect class="count" x="{left:.2f}" y="{base - bar:.2f}" width="{width:.2f}" '
            f'height="{bar:.2f}" fill="#999"/>'
        )
    return out


def save_reliability_svg(summary, path: str) -> None:
    from ..atomic import atomic_text_file

    text = reliability_svg(summary)
    with atomic_text_file(path, source=path) as stream:
        stream.write(text)
