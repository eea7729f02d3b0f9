"""The report's loss histogram as an SVG picture: rows by loss, a log scale when one bar
dwarfs the rest, the mean marked, what lies beyond the last bar said in the caption."""

from __future__ import annotations

import math
from html import escape
from typing import NamedTuple

from ..units import counted
from .numbers import number
from .text import html_text


def _nice_ticks(upper: float, count: int = 6) -> list[float]:
    raw = upper / count
    power = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    step = next(s * power for s in (1, 2, 2.5, 5, 10) if s * power >= raw)
    ticks, v = [], 0.0
    while v <= upper + 1e-12:
        ticks.append(round(v, 10))
        v += step
    return ticks


class _Frame(NamedTuple):
    """The plot area of the histogram: where a loss (x) and a count of rows (y) are drawn."""

    left: int
    top: int
    width: int
    height: int
    upper: float  # the loss at the right edge
    tallest: int  # the count at the top
    log: bool = False  # the rows on a log scale: log(1 + count)

    def x(self, v: float) -> float:
        return self.left + v / self.upper * self.width

    def y(self, count: float) -> float:
        if self.log:
            return (
                self.top + self.height - math.log1p(count) / math.log1p(self.tallest) * self.height
            )
        return self.top + self.height - count / self.tallest * self.height

    def ticks(self) -> list[int]:
        """The counts marked on the y-axis: 0, 1, 10, 100, ... on a log scale."""
        if not self.log:
            return [int(t) for t in _nice_ticks(self.tallest, 4) if t == int(t)]
        return [0] + [10**i for i in range(int(math.log10(self.tallest)) + 1)]


# The rows go on a log scale when the tallest bar is this many times the next one: a first
# bin of 600 rows out of 719 would flatten the other bars to a line.
LOG_SCALE_RATIO = 5


def loss_histogram_svg(histogram, summary, width: int = 560, height: int = 360) -> str:
    """Bars of the rows per loss bin, the mean as a red line, the rows beyond as a note."""
    bars, beyond = histogram.coarse()
    pad_left, pad_right, pad_top, pad_bottom = 56, 20, 40, 52
    plot_w, plot_h = width - pad_left - pad_right, height - pad_top - pad_bottom
    unit = escape(summary.unit)
    out = [
        f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'font-family="sans-serif" font-size="12" role="img">',
        f"<title>Histogram of the per-row losses of {html_text(summary.source)}</title>",
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="14">'
        f"Loss per row ({counted(histogram.rows, 'row')})</text>",
    ]
    log = False
    if bars:
        counts = sorted((count for _, _, count in bars), reverse=True)
        tallest = counts[0] or 1
        log = len(counts) > 1 and counts[1] > 0 and tallest >= LOG_SCALE_RATIO * counts[1]
        frame = _Frame(pad_left, pad_top, plot_w, plot_h, bars[-1][1], tallest, log)
        out += _histogram_bars(bars, frame, unit)
        if math.isfinite(summary.mean) and summary.mean <= frame.upper:
            out += _mean_line(summary.mean, frame)
    out.append(
        f'<rect x="{pad_left}" y="{pad_top}" width="{plot_w}" height="{plot_h}" fill="none" '
        'stroke="black"/>'
    )
    out.append(
        f'<text x="{pad_left + plot_w / 2}" y="{height - 14}" text-anchor="middle">'
        f"loss −log Q(label) ({unit})</text>"
    )
    out.append(
        f'<text x="14" y="{pad_top + plot_h / 2}" text-anchor="middle" '
        f'transform="rotate(-90 14 {pad_top + plot_h / 2})">'
        f"{'rows (log scale)' if log else 'rows'}</text>"
    )
    out.append("</svg>")
    svg = "\n".join(out)
    caption = _histogram_caption(bars, beyond, summary, unit, log)
    return f'<figure id="loss-histogram">{svg}<figcaption>{caption}</figcaption></figure>'


def _histogram_bars(bars, frame: _Frame, unit: str) -> list[str]:
    """A rectangle per non-empty bin, then the ticks of the loss and of the rows."""
    x, y = frame.x, frame.y
    bottom = frame.top + frame.height
    out = []
    for low, high, count in bars:
        if count:
            out.append(
                f'<rect class="bar" x="{x(low):.2f}" y="{y(count):.2f}" '
                f'width="{max(x(high) - x(low) - 1, 0.5):.2f}" '
                f'height="{bottom - y(count):.2f}" fill="#4c78a8" '
                f'fill-opacity="0.8"><title>[{low:g}, {high:g}) {unit}: {count:,} rows'
                "</title></rect>"
            )
    for tick in _nice_ticks(frame.upper):
        out.append(
            f'<text x="{x(tick):.1f}" y="{bottom + 16}" text-anchor="middle">{tick:g}</text>'
        )
    for tick in frame.ticks():
        out.append(
            f'<text x="{frame.left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">'
            f"{int(tick):,}</text>"
        )
        out.append(
            f'<line x1="{frame.left}" x2="{frame.left + frame.width}" y1="{y(tick):.1f}" '
            f'y2="{y(tick):.1f}" stroke="#eee"/>'
        )
    return out


def _mean_line(mean: float, frame: _Frame) -> list[str]:
    """The mean loss as a dashed red line, labelled on the side with room."""
    mx = frame.x(mean)
    anchor = "end" if mx > frame.left + frame.width * 0.75 else "start"
    shift = -4 if anchor == "end" else 4
    return [
        f'<line class="mean" x1="{mx:.2f}" x2="{mx:.2f}" y1="{frame.top}" '
        f'y2="{frame.top + frame.height}" stroke="#e45756" stroke-width="2" '
        'stroke-dasharray="5 3"/>',
        f'<text x="{mx + shift:.2f}" y="{frame.top + 14}" fill="#c0392b" font-weight="bold" '
        'paint-order="stroke" stroke="white" stroke-width="3" '
        f'text-anchor="{anchor}">mean {number(mean, 4)}</text>',
    ]


def _histogram_caption(bars, beyond: int, summary, unit: str, log: bool = False) -> str:
    """The bins' width, what the red line is, the scale, and the rows beyond the last
    bar (the infinite losses among them)."""
    note = ""
    if beyond:
        note = f" {counted(beyond, 'row')} {'lies' if beyond == 1 else 'lie'} beyond the last bar"
        if summary.infinite:
            note += f" ({summary.infinite:,} of them infinite: probability 0 for the label)."
        else:
            note += f" (the largest loss is {number(summary.max, 4)} {unit})."
    if log:
        note += " The rows are on a log scale: the tallest bar would flatten the others."
    width_text = f"{bars[1][0]:g}" if len(bars) > 1 else ""
    return (
        f"Fixed bins of {width_text} {unit}; the red line is the mean.{note}"
        if width_text
        else f"The red line is the mean.{note}"
    )
