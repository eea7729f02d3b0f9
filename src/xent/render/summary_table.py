"""``table`` for a file: the summary, the per-class table and the worst rows, with Rich."""

from __future__ import annotations

import math
from typing import cast

from rich import box
from rich.console import Console, Group, JustifyMethod, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ..units import base_label
from .rich_table import bar, number


def _percent(x: float) -> str:
    return "–" if math.isnan(x) else f"{100 * x:.1f}%"


def summary_renderable(summary, precision: int = 4) -> Group:
    unit = summary.unit
    title = f"Cross-entropy of {escape(summary.source)}: {summary.rows:,} rows"
    parts: list[RenderableType] = [Text(title, style="bold")]
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(justify="right")
    grid.add_column(style="dim")
    grid.add_row("mean cross-entropy", number(summary.mean, precision), unit)
    grid.add_row("sum", number(summary.sum, precision), unit)
    grid.add_row("standard deviation", number(summary.std, precision), unit)
    grid.add_row(
        "min / max", f"{number(summary.min, precision)} / {number(summary.max, precision)}", unit
    )
    grid.add_row("perplexity", number(summary.perplexity, precision), "")
    grid.add_row("accuracy (arg-max)", _percent(summary.accuracy), "")
    m = summary.metrics
    if m is not None:
        if m.k != 1:
            grid.add_row(f"top-{m.k} accuracy", _percent(m.top_k_accuracy), "")
        grid.add_row("Brier score", number(m.brier_score, precision), "Σ (Q − P)², 0 to 2")
        grid.add_row("calibration error", number(m.ece, precision), f"ECE, {m.bins} bins")
    if summary.ignored:
        grid.add_row("ignored", f"{summary.ignored:,}", "rows, in no statistic")
    if summary.skipped:
        shown = ", ".join(map(str, summary.skipped_lines))
        more = ", ..." if summary.skipped > len(summary.skipped_lines) else ""
        grid.add_row("skipped", f"{summary.skipped:,}", f"{summary.numbered}s {shown}{more}")
    parts.append(grid)

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for name, justify in (
        ("class", "left"),
        ("rows", "right"),
        ("mean loss", "right"),
        ("share of loss", "right"),
        ("", "left"),
        ("accuracy", "right"),
    ):
        table.add_column(name, justify=cast(JustifyMethod, justify), no_wrap=not name)
    largest = max((c.share for c in summary.per_class if math.isfinite(c.share)), default=0.0)
    for c in summary.per_class:
        table.add_row(
            escape(c.name),
            f"{c.rows:,}",
            number(c.mean, precision) if c.rows else "–",
            _percent(c.share),
            bar(c.share / largest if largest > 0 else 0.0),
            _percent(c.accuracy),
        )
    parts.append(table)

    if summary.worst:
        worst = Table(box=box.SIMPLE_HEAD, pad_edge=False, title="worst rows", title_justify="left")
        for name in ("row", summary.numbered, "label", "predicted", "cross-entropy"):
            worst.add_column(name, justify="left" if name in ("label", "predicted") else "right")
        for w in summary.worst:
            worst.add_row(
                str(w.row),
                str(w.line),
                escape(w.label),
                escape(w.predicted),
                number(w.cross_entropy, precision),
            )
        parts.append(worst)
    parts.append(Text(f"in {unit} (log base {base_label(summary.base)})", style="dim"))
    parts += [Text(note, style="dim") for note in summary.notes]
    return Group(*parts)


def render_summary_table(summary, out, *, precision: int = 4, console: Console | None = None):
    console = console or Console(file=out)
    console.print(summary_renderable(summary, precision))
