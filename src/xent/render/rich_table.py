"""``table``: the per-class contribution table, drawn with Rich for people on a terminal.

Rich is imported here, not at start-up. It decides colour from the terminal, ``NO_COLOR``
and ``FORCE_COLOR``; we don't second-guess it. User text (class names, labels) is escaped
before it goes into markup.
"""

from __future__ import annotations

import math

from rich import box
from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ..units import base_label

BAR_WIDTH = 10
_EIGHTHS = " ▏▎▍▌▋▊▉"


def number(x: float, precision: int) -> str:
    """Fixed decimals for ordinary sizes, scientific for tiny or huge ones, 0 for zero."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    if x == 0 or x == 1:
        return str(int(x))  # one-hot labels read best as 0 and 1
    if 10.0**-precision <= abs(x) < 1e6:
        return f"{x:.{precision}f}"
    return f"{x:.{precision}g}" if abs(x) >= 1e6 else f"{x:.{max(precision - 2, 1)}e}"


def bar(fraction: float, width: int = BAR_WIDTH) -> str:
    """A horizontal bar of ``fraction`` (0 to 1) of ``width`` cells, in eighths."""
    if not math.isfinite(fraction):
        return "█" * width
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    full, part = divmod(eighths, 8)
    return ("█" * full + (_EIGHTHS[part] if part else "")).ljust(width)


def _summary(
    rows: list[tuple[str, float] | tuple[str, float, str]], unit: str, precision: int
) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(justify="right")
    grid.add_column(style="dim")
    for name, value, *shown_unit in rows:
        grid.add_row(name, number(value, precision), shown_unit[0] if shown_unit else unit)
    return grid


def class_table(report, sample: int, precision: int) -> Table:
    """One row per class: P, Q, -log Q, the contribution P * (-log Q) and its bar."""
    rows = report.rows
    entropy_kind = report.kind == "entropy"
    contribution = rows.contribution[sample]
    finite = contribution[contribution < math.inf]
    scale = max(float(finite.max()) if finite.size else 0.0, 0.0)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("class")
    if not entropy_kind:
        table.add_column("P (label)", justify="right")
    table.add_column("Q" if not entropy_kind else "P", justify="right")
    table.add_column("−log Q" if not entropy_kind else "−log P", justify="right")
    table.add_column("P·(−log Q)" if not entropy_kind else "−P·log P", justify="right")
    table.add_column("", no_wrap=True, style="cyan")
    for i, name in enumerate(report.classes):
        c = float(contribution[i])
        share = (c / scale if scale else 0.0) if math.isfinite(c) else math.inf
        values = [] if entropy_kind else [number(rows.p[sample, i], precision)]
        values += [
            number(rows.q[sample, i], precision),
            number(rows.neg_log_q[sample, i], precision),
        ]
        true_class = not entropy_kind and rows.p[sample, i] > 0
        table.add_row(
            escape(name) + (" ◀" if true_class else ""),
            *values,
            number(c, precision),
            bar(share) if c > 0 else "",
            style="bold green" if true_class else None,
        )
    return table


def sample_table(report, precision: int) -> Table:
    """One row per sample, then the reduction."""
    rows = report.rows
    entropy_kind = report.kind == "entropy"
    how = "mean" if report.reduction == "none" else report.reduction
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_footer=True)
    table.add_column("#", justify="right", footer=how)
    if not entropy_kind:
        table.add_column("label", footer="")
        table.add_column("H(P,Q)", justify="right", footer=number(report.cross_entropy, precision))
    table.add_column(
        "H(P)" if not entropy_kind else "H",
        justify="right",
        footer=number(report.entropy, precision),
    )
    if not entropy_kind:
        table.add_column("KL(P‖Q)", justify="right", footer=number(report.kl_divergence, precision))
    table.add_column("perplexity", justify="right", footer=number(report.perplexity, precision))
    for i in range(report.n_samples):
        cells = [str(i + 1)]
        if not entropy_kind:
            cells += [escape(report.labels[i]), number(rows.cross_entropy[i], precision)]
        cells.append(number(rows.entropy[i], precision))
        if not entropy_kind:
            cells.append(number(rows.kl_divergence[i], precision))
        cells.append(number(rows.perplexity[i], precision))
        table.add_row(*cells)
    return table


def report_renderable(report, precision: int = 4) -> Group:
    """The whole picture of a report, for a console to print (or record)."""
    unit = report.unit
    parts: list[RenderableType] = []
    totals: list[tuple[str, float] | tuple[str, float, str]]
    if report.n_samples == 1:
        if report.kind == "entropy":
            title = "Entropy H(P) = −Σ P(i)·log P(i)"
            totals = [("entropy H(P)", report.entropy), ("perplexity", report.perplexity, "")]
        else:
            title = f"Cross-entropy H(P,Q) = −Σ P(i)·log Q(i), label {escape(report.labels[0])}"
            totals = [
                ("cross-entropy H(P,Q)", report.cross_entropy),
                ("entropy H(P)", report.entropy),
                ("KL(P‖Q) = H(P,Q) − H(P)", report.kl_divergence),
                ("perplexity", report.perplexity, ""),
            ]
        parts += [Text(title, style="bold"), class_table(report, 0, precision)]
    else:
        what = "Entropy" if report.kind == "entropy" else "Cross-entropy"
        parts += [
            Text(f"{what} of {report.n_samples} samples", style="bold"),
            sample_table(report, precision),
        ]
        totals = []
    if totals:
        parts.append(_summary(totals, unit, precision))
    else:
        parts.append(Text(f"in {unit} (log base {base_label(report.base)})", style="dim"))
    metrics = getattr(report, "metrics", None)
    if metrics:  # beside the loss of a batch
        shown: list[tuple[str, float] | tuple[str, float, str]] = [
            (f"top-{metrics['k']} accuracy", metrics["top_k_accuracy"], ""),
            ("Brier score", metrics["brier_score"], ""),
            (f"ECE ({metrics['bins']} bins)", metrics["ece"], ""),
        ]
        parts.append(_summary(shown, "", precision))
    parts += [Text(note, style="dim") for note in report.notes]
    return Group(*parts)


def render_table(report, out, *, precision: int = 4, console: Console | None = None) -> None:
    console = console or Console(file=out)
    console.print(report_renderable(report, precision))
