"""``table``: the per-class contribution table, drawn with Rich for people on a terminal.

Rich is imported here, not at start-up. It decides colour from the terminal, ``NO_COLOR``
and ``FORCE_COLOR``; we don't second-guess it. User text (class names, labels) is never
markup, and its control characters are shown as escapes; a table too wide for the terminal
drops its bars, then stacks its rows (:mod:`xent.render.layout`): numbers are never cut.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.console import Console, Group, RenderableType
from rich.text import Text

from ..units import base_label
from .layout import BAR_WIDTH, Column, bar, fitted_table
from .numbers import number
from .text import visible

__all__ = ["BAR_WIDTH", "bar", "class_table", "number", "render_table", "report_renderable"]


def _summary(rows: Sequence[tuple[str, float] | tuple[str, float, str]], unit: str, precision: int):
    """A grid of ``(name, value)`` rows in ``unit``, or ``(name, value, its own unit)``."""
    columns = [Column("", "left", "bold"), Column(""), Column("", "left", "dim")]
    cells = [[row[0], number(row[1], precision), row[2] if len(row) == 3 else unit] for row in rows]
    return fitted_table(columns, cells, grid=True)


def class_table(report, sample: int, precision: int):
    """One row per class: P, Q, -log Q, the contribution P * (-log Q) and its bar."""
    rows = report.rows
    entropy_kind = report.kind == "entropy"
    contribution = rows.contribution[sample]
    finite = contribution[contribution < math.inf]
    scale = max(float(finite.max()) if finite.size else 0.0, 0.0)
    columns = [Column("class", "left")]
    if not entropy_kind:
        columns.append(Column("P (label)"))
    columns += [
        Column("Q" if not entropy_kind else "P"),
        Column("−log Q" if not entropy_kind else "−log P"),
        Column("P·(−log Q)" if not entropy_kind else "−P·log P"),
        Column("", "left", "cyan", is_bar=True),
    ]
    cells, styles = [], []
    from .classes_shown import shown

    chosen, _ = shown([float(c) for c in contribution])
    for i in chosen:
        name = report.classes[i]
        c = float(contribution[i])
        share = (c / scale if scale else 0.0) if math.isfinite(c) else math.inf
        values = [] if entropy_kind else [number(rows.p[sample, i], precision)]
        values += [
            number(rows.q[sample, i], precision),
            number(rows.neg_log_q[sample, i], precision),
        ]
        true_class = not entropy_kind and rows.p[sample, i] > 0
        cells.append(
            [
                visible(name) + (" ◀" if true_class else ""),
                *values,
                number(c, precision),
                bar(share) if c > 0 else "",
            ]
        )
        styles.append("bold green" if true_class else None)
    return fitted_table(columns, cells, styles=styles)


def sample_table(report, precision: int):
    """One row per sample, then the reduction."""
    rows = report.rows
    entropy_kind = report.kind == "entropy"
    how = "mean" if report.reduction == "none" else report.reduction
    columns, footer = [Column("#")], [how]
    if not entropy_kind:
        columns += [Column("label", "left"), Column("H(P,Q)")]
        footer += ["", number(report.cross_entropy, precision)]
    columns.append(Column("H(P)" if not entropy_kind else "H"))
    footer.append(number(report.entropy, precision))
    if not entropy_kind:
        columns.append(Column("KL(P‖Q)"))
        footer.append(number(report.kl_divergence, precision))
    columns.append(Column("perplexity"))
    footer.append(number(report.perplexity, precision))
    cells = []
    for i in range(report.n_samples):
        row = [str(i + 1)]
        if not entropy_kind:
            row += [report.labels[i], number(rows.cross_entropy[i], precision)]
        row.append(number(rows.entropy[i], precision))
        if not entropy_kind:
            row.append(number(rows.kl_divergence[i], precision))
        row.append(number(rows.perplexity[i], precision))
        cells.append(row)
    return fitted_table(columns, cells, footer=footer)


def _left_out(contribution) -> list[RenderableType]:
    """The note under a class table that lists only ``--classes-shown`` of the classes."""
    from .classes_shown import left_out_note, shown

    left_out = shown([float(c) for c in contribution])[1]
    return [Text(left_out_note(left_out), style="dim")] if left_out else []


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
            title = f"Cross-entropy H(P,Q) = −Σ P(i)·log Q(i), label {visible(report.labels[0])}"
            totals = [
                ("cross-entropy H(P,Q)", report.cross_entropy),
                ("entropy H(P)", report.entropy),
                ("KL(P‖Q) = H(P,Q) − H(P)", report.kl_divergence),
                ("perplexity", report.perplexity, ""),
            ]
        parts += [Text(title, style="bold"), class_table(report, 0, precision)]
        parts += _left_out(report.rows.contribution[0])
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
    if metrics and report.ci is None:  # beside the loss of a batch (with --ci: below)
        shown = [
            (f"top-{metrics['k']} accuracy", metrics["top_k_accuracy"], ""),
            ("Brier score", metrics["brier_score"], ""),
            (f"ECE ({metrics['bins']} bins)", metrics["ece"], ""),
        ]
        parts.append(_summary(shown, "", precision))
    if report.ci is not None:
        parts += interval_parts(report, precision)
    parts += [Text(visible(note), style="dim") for note in report.notes]
    return Group(*parts)


# The bootstrap's statistics as the vector table names them, in the files' order.
INTERVAL_NAMES = {
    "mean_cross_entropy": "mean cross-entropy",
    "perplexity": "perplexity",
    "accuracy": "top-1 accuracy",
    "top_k_accuracy": "top-{k} accuracy",
    "brier_score": "Brier score",
    "ece": "ECE ({bins} bins)",
}


def interval_parts(report, precision: int) -> list[RenderableType]:
    """``--ci``: each statistic's estimate and its interval, and how they were drawn."""
    ci, metrics = report.ci, getattr(report, "metrics", None) or {}
    k = metrics.get("k", 1)
    estimates = {
        "mean_cross_entropy": math.nan if report.reduction == "sum" else report.cross_entropy,
        "perplexity": report.perplexity,
        "accuracy": metrics.get("top_k_accuracy", math.nan) if k == 1 else math.nan,
        "top_k_accuracy": metrics.get("top_k_accuracy", math.nan),
        "brier_score": metrics.get("brier_score", math.nan),
        "ece": metrics.get("ece", math.nan),
    }
    cells = []
    for name, label in INTERVAL_NAMES.items():
        if name not in ci.bounds or (name == "top_k_accuracy" and k == 1):
            continue
        low, high = ci.bounds[name]
        shown = estimates[name]
        cells.append(
            [
                label.format(k=k, bins=metrics.get("bins", "")),
                "" if math.isnan(shown) else number(shown, precision),
                f"[{number(low, precision)}, {number(high, precision)}]",
            ]
        )
    columns = [
        Column("", "left", "bold"),
        Column(""),
        Column(f"{100 * ci.level:g}% interval", "left"),
    ]
    note = (
        f"[low, high]: {100 * ci.level:g}% intervals, {ci.described}, as for a file of these rows"
    )
    return [fitted_table(columns, cells, grid=True), Text(note, style="dim")]


def render_table(report, out, *, precision: int = 4, console: Console | None = None) -> None:
    console = console or Console(file=out)
    console.print(report_renderable(report, precision))
