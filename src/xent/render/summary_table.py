"""``table`` for a file: the summary, the per-class table and the worst rows, with Rich; each
table fits the terminal (:mod:`xent.render.layout`)."""

from __future__ import annotations

import math

from rich.console import Console, Group
from rich.text import Text

from ..units import base_label
from .layout import Column, bar, fitted_table
from .numbers import number
from .text import visible


def _percent(x: float) -> str:
    return "–" if math.isnan(x) else f"{100 * x:.1f}%"


def summary_renderable(summary, precision: int = 4) -> Group:
    unit = summary.unit
    title = f"Cross-entropy of {visible(summary.source)}: {summary.rows:,} rows"
    parts = [Text(title, style="bold")]
    grid = [
        ["mean cross-entropy", number(summary.mean, precision), unit],
        ["sum", number(summary.sum, precision), unit],
        ["standard deviation", number(summary.std, precision), unit],
        ["min / max", f"{number(summary.min, precision)} / {number(summary.max, precision)}", unit],
        ["perplexity", number(summary.perplexity, precision), ""],
        ["accuracy (arg-max)", _percent(summary.accuracy), ""],
    ]
    m = summary.metrics
    if m is not None:
        if m.k != 1:
            grid.append([f"top-{m.k} accuracy", _percent(m.top_k_accuracy), ""])
        grid.append(["Brier score", number(m.brier_score, precision), "Σ (Q − P)², 0 to 2"])
        grid.append(["calibration error", number(m.ece, precision), f"ECE, {m.bins} bins"])
        grid.append(["max calibration error", number(m.mce, precision), "MCE, largest bin gap"])
        grid.append(["RMS calibration error", number(m.rms_calibration_error, precision), ""])
        grid.append(
            [
                "equal-mass ECE",
                number(m.adaptive_ece, precision),
                f"{m.bins} bins of equal weight, ± {number(m.adaptive_ece_bound, 2)}",
            ]
        )
        if not math.isnan(m.classwise_ece):
            grid.append(["classwise ECE", number(m.classwise_ece, precision), "mean over classes"])
        if not math.isnan(m.binary_ece):
            grid.append(["binary ECE", number(m.binary_ece, precision), "P(class 1) vs label"])
    if summary.ignored:
        grid.append(["ignored", f"{summary.ignored:,}", "rows, in no statistic"])
    if summary.skipped:
        shown = ", ".join(map(str, summary.skipped_lines))
        more = ", ..." if summary.skipped > len(summary.skipped_lines) else ""
        grid.append(["skipped", f"{summary.skipped:,}", f"{summary.numbered}s {shown}{more}"])
    columns = [Column("", "left", "bold"), Column(""), Column("", "left", "dim")]
    parts.append(fitted_table(columns, grid, grid=True))

    columns = [
        Column("class", "left"),
        Column("rows"),
        Column("mean loss"),
        Column("share of loss"),
        Column("", "left", is_bar=True),
        Column("accuracy"),
    ]
    largest = max((c.share for c in summary.per_class if math.isfinite(c.share)), default=0.0)
    rows = [
        [
            c.name,
            f"{c.rows:,}",
            number(c.mean, precision) if c.rows else "–",
            _percent(c.share),
            bar(c.share / largest if largest > 0 else 0.0),
            _percent(c.accuracy),
        ]
        for c in summary.per_class
    ]
    parts.append(fitted_table(columns, rows))

    if summary.worst:
        columns = [
            Column(name, "left" if name in ("label", "predicted") else "right")
            for name in ("row", summary.numbered, "label", "predicted", "cross-entropy")
        ]
        rows = [
            [str(w.row), str(w.line), w.label, w.predicted, number(w.cross_entropy, precision)]
            for w in summary.worst
        ]
        parts.append(fitted_table(columns, rows, title="worst rows"))
    if summary.files is not None:
        columns = [Column("file", "left"), Column("rows"), Column("mean loss")]
        rows = [
            [visible(f.source), f"{f.rows:,}", number(f.mean, precision) if f.rows else "–"]
            for f in summary.files
        ]
        parts.append(fitted_table(columns, rows, title="by file"))
    parts.append(Text(f"in {unit} (log base {base_label(summary.base)})", style="dim"))
    parts += [Text(visible(note), style="dim") for note in summary.notes]
    return Group(*parts)


def render_summary_table(summary, out, *, precision: int = 4, console: Console | None = None):
    console = console or Console(file=out)
    console.print(summary_renderable(summary, precision))
