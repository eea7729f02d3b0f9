"""``table`` for a file: the summary, the per-class table and the worst rows, with Rich; each
table fits the terminal (:mod:`xent.render.layout`)."""

from __future__ import annotations

import math

from rich.console import Console, Group, RenderableType
from rich.text import Text

from ..units import base_label, counted
from .layout import Column, bar, fitted_table
from .numbers import number, undefined
from .summary_output import TIE_NOTE, adaptive_bound_text
from .text import visible


def _percent(x: float) -> str:
    return "–" if math.isnan(x) else f"{100 * x:.1f}%"


def summary_renderable(summary, precision: int = 4) -> Group:
    """The summary, the per-class table, then the groups, sequences, worst rows and files
    that the summary holds, and the notes."""
    rows = counted(summary.rows, "token" if summary.task == "tokens" else "row")
    title = f"Cross-entropy of {visible(summary.source)}: {rows}"
    parts: list[RenderableType] = [Text(title, style="bold")]
    parts.append(summary_grid(summary, precision))
    if summary.task != "tokens":  # a language model's tokens: no classes
        parts.append(per_class_table(summary, precision))
    if summary.language is not None or summary.top_k_entropy is not None:
        from .language_output import language_parts

        parts += language_parts(summary, precision)
    if summary.group_by is not None:
        parts.append(groups_table(summary, precision))
    documents = summary.language is not None and summary.language.documents
    if summary.sequences is not None and not documents:  # else the language part says it
        parts += sequences_parts(summary.sequences, precision)
    if summary.worst:
        parts.append(worst_table(summary, precision))
    if summary.files is not None:
        parts.append(files_table(summary, precision))
    parts.append(Text(f"in {summary.unit} (log base {base_label(summary.base)})", style="dim"))
    ci = summary.ci
    if ci is not None:
        parts.append(
            Text(
                f"[low, high]: {100 * ci.level:g}% intervals, {ci.described}",
                style="dim",
            )
        )
    if summary.metrics is not None and summary.metrics.k != 1:
        parts.append(Text(TIE_NOTE, style="dim"))
    parts += [Text(visible(note), style="dim") for note in summary.notes]
    return Group(*parts)


def summary_grid(summary, precision: int):
    """The summary statistics, a row each (name, value, note), with a column of intervals
    under ``--ci``."""
    unit = summary.unit
    grid = [
        ["mean cross-entropy", number(summary.mean, precision), unit],
        ["sum", number(summary.sum, precision), unit],
        ["standard deviation", number(summary.std, precision), unit],
        ["min / max", f"{number(summary.min, precision)} / {number(summary.max, precision)}", unit],
        ["perplexity", number(summary.perplexity, precision), ""],
    ]
    if summary.task != "tokens":
        grid.append(["accuracy (arg-max)", _percent(summary.accuracy), ""])
    if summary.metrics is not None:
        grid += _metric_rows(summary.metrics, precision)
    ci = summary.ci
    if ci is not None:
        _add_intervals(grid, ci, precision)
    sk = summary.skill
    if sk is not None:
        grid.append(["base rate H(labels)", number(sk.base_rate, precision), unit])
        grid.append(
            ["pseudo-R² (McFadden)", number(sk.pseudo_r2, precision), "1 − loss / base rate"]
        )
        grid.append(["information gain", number(sk.information_gain_bits, precision), "bits a row"])

    if summary.ignored:
        grid.append(["ignored", f"{summary.ignored:,}", "rows, in no statistic"])
    if summary.skipped:
        shown = ", ".join(map(str, summary.skipped_lines))
        more = ", ..." if summary.skipped > len(summary.skipped_lines) else ""
        grid.append(["skipped", f"{summary.skipped:,}", f"{summary.numbered}s {shown}{more}"])
    columns = [Column("", "left", "bold"), Column(""), Column("", "left", "dim", is_note=True)]
    if ci is not None:
        columns.append(Column(f"{100 * ci.level:g}% interval", "left"))
        grid = [row + [""] * (4 - len(row)) for row in grid]
    return fitted_table(columns, grid, grid=True)


def _metric_rows(m, precision: int) -> list[list[str]]:
    """Top-k accuracy, the Brier score and the calibration errors."""
    grid = []
    if m.k != 1:
        grid.append([f"top-{m.k} accuracy", _percent(m.top_k_accuracy), ""])
    brier = "sklearn binary, 0 to 1" if m.brier_convention == "binary" else "Σ (Q − P)², 0 to 2"
    grid.append(["Brier score", number(m.brier_score, precision), brier])
    grid.append(["calibration error", number(m.ece, precision), f"ECE, {m.bins} bins"])
    grid.append(["max calibration error", number(m.mce, precision), "MCE, largest bin gap"])
    grid.append(["RMS calibration error", number(m.rms_calibration_error, precision), ""])
    bound = adaptive_bound_text(m)
    grid.append(
        [
            "equal-mass ECE",
            number(m.adaptive_ece, precision),
            f"{m.bins} bins of equal weight" + (f", {bound}" if bound else ""),
        ]
    )
    if not math.isnan(m.classwise_ece):
        grid.append(["classwise ECE", number(m.classwise_ece, precision), "mean over classes"])
    if not math.isnan(m.binary_ece):
        grid.append(["binary ECE", number(m.binary_ece, precision), "P(class 1) vs label"])
    return grid


# The rows of the summary that have an interval: the key in ci.bounds, and how it is shown
# (None: as a percentage).
INTERVALS = {
    "mean cross-entropy": ("mean_cross_entropy", number),
    "perplexity": ("perplexity", number),
    "accuracy (arg-max)": ("accuracy", None),
    "Brier score": ("brier_score", number),
    "calibration error": ("ece", number),
}


def _add_intervals(grid: list[list[str]], ci, precision: int) -> None:
    """A fourth cell on each row of the grid: its interval, or empty."""
    for row in grid:
        key = INTERVALS.get(row[0]) or (
            ("top_k_accuracy", None) if row[0].startswith("top-") else None
        )
        if key is None or key[0] not in ci.bounds:
            row.append("")
            continue
        lo, hi = ci.bounds[key[0]]
        show = _percent if key[1] is None else (lambda x: number(x, precision))
        row.append(f"[{show(lo)}, {show(hi)}]")


def per_class_table(summary, precision: int):
    """A row per class: its rows, mean loss, share of the loss (with a bar) and accuracy."""
    columns = [
        Column("class", "left"),
        Column("rows"),
        Column("mean loss"),
        Column("share of loss"),
        Column("", "left", is_bar=True),
        Column("accuracy"),
    ]
    from .classes_shown import left_out_note, shown

    largest = max((c.share for c in summary.per_class if math.isfinite(c.share)), default=0.0)
    chosen, left_out = shown([c.share for c in summary.per_class])
    listed = [summary.per_class[i] for i in chosen]
    rows = [
        [
            c.name,
            f"{c.rows:,}",
            number(c.mean, precision) if c.rows else "–",
            _percent(c.share),
            bar(c.share / largest if largest > 0 else 0.0),
            _percent(c.accuracy),
        ]
        for c in listed
    ]
    table = fitted_table(columns, rows)
    if not left_out:
        return table
    from rich.console import Group
    from rich.text import Text

    return Group(table, Text(left_out_note(left_out), style="dim"))


def sequences_parts(seq, precision: int) -> list[RenderableType]:
    """``--sequence-column``: a title, and the corpus and mean per-sequence perplexities."""
    grid = [
        [
            "corpus perplexity",
            number(seq.corpus_perplexity, precision),
            "base^(mean token loss)",
        ],
        [
            "mean per-sequence perplexity",
            number(seq.mean_sequence_perplexity, precision),
            "mean of base^(each sequence's mean loss)",
        ],
    ]
    columns = [Column("", "left", "bold"), Column(""), Column("", "left", "dim", is_note=True)]
    title = f"{seq.sequences:,} sequences ({visible(seq.column)}), {seq.tokens:,} tokens"
    return [Text(title, style="bold"), fitted_table(columns, grid, grid=True)]


def worst_table(summary, precision: int):
    """The rows with the highest loss, where they were, their label and arg-max."""
    if summary.task == "tokens":  # a token has no label or arg-max here: its loss alone
        columns = [Column(name) for name in ("token", summary.numbered, "cross-entropy")]
        cells = [
            [str(w.row), str(w.line), number(w.cross_entropy, precision)] for w in summary.worst
        ]
        return fitted_table(columns, cells, title="worst tokens")
    columns = [
        Column(name, "left" if name in ("label", "predicted") else "right")
        for name in ("row", summary.numbered, "label", "predicted", "cross-entropy")
    ]
    rows = [
        [str(w.row), str(w.line), w.label, w.predicted, number(w.cross_entropy, precision)]
        for w in summary.worst
    ]
    return fitted_table(columns, rows, title="worst rows")


def files_table(summary, precision: int):
    """``--by-file``: each file's rows and mean loss."""
    columns = [Column("file", "left"), Column("rows"), Column("mean loss")]
    rows = [
        [visible(f.source), f"{f.rows:,}", number(f.mean, precision) if f.rows else "–"]
        for f in summary.files
    ]
    return fitted_table(columns, rows, title="by file")


def groups_table(summary, precision: int):
    """A row per group, highest mean loss first."""
    ci = summary.ci
    columns = [
        Column(visible(summary.group_by), "left"),
        Column("rows"),
        Column("mean loss"),
        Column("perplexity"),
        Column("accuracy"),
        Column("pseudo-R²"),
    ]
    if ci is not None:
        columns.append(Column(f"{100 * ci.level:g}% CI", "left"))
    rows = []
    for name, group in summary.groups:
        row = [
            visible(name),
            f"{group.rows:,}",
            number(group.mean, precision),
            number(group.perplexity, precision),
            _percent(group.accuracy),
            "–"
            if group.skill is None or math.isnan(group.skill.pseudo_r2)
            else number(group.skill.pseudo_r2, precision),
        ]
        if ci is not None:
            if group.ci is None:  # one row: no interval (as the JSON's null and its note)
                row.append(undefined("one row" if group.rows < 2 else ""))
            else:
                lo, hi = group.ci.bounds["mean_cross_entropy"]
                row.append(f"[{number(lo, precision)}, {number(hi, precision)}]")
        rows.append(row)
    return fitted_table(columns, rows, title=f"by {visible(summary.group_by)}")


def render_summary_table(summary, out, *, precision: int = 4, console: Console | None = None):
    console = console or Console(file=out)
    console.print(summary_renderable(summary, precision))
