"""``xent entropy``, ``kl`` and ``js`` of a file: one value per row (``--reduction none``),
or a :class:`~xent.results.DistributionSummary`. They format; they never compute.

Per row: csv ``row,<key>,line`` (``source_row`` for a JSON document's rows), JSON Lines,
plain one number a line, table aligned text. The summary: plain the reduced number, json
an object, csv a row per class (its mean and summed term) and a last row ``(all)``.
"""

from __future__ import annotations

import csv
import json
import math

from ..units import counted
from .numbers import full_precision, json_number
from .text import require_encodable, visible, write_json

TITLES = {
    "entropy": "Entropy H(Q) = −Σ Q(i)·log Q(i)",
    "kl": "KL(P‖Q) = Σ P(i)·log(P(i)/Q(i))",
    "js": "JS(P,Q) = ½ KL(P‖M) + ½ KL(Q‖M), M = (P+Q)/2",
}
JS_NOTE = (
    "the Jensen-Shannon divergence; SciPy's jensenshannon is a row's √JS, its distance: "
    "mean_js_distance is their mean, js_distance the √ of the mean divergence"
)
SUMMARY_HEADER = ["class", "rows", "mean", "sum", "std", "min", "max", "unit"]


class DistributionRowWriter:
    """Each chunk's per-row values, written as they come, in input order."""

    def __init__(self, fmt: str, out, key: str, *, numbered: str = "line", precision=4):
        self.fmt, self.out, self.key, self.precision = fmt, out, key, precision
        self.where = "line" if numbered == "line" else "source_row"
        self.rows = 0
        self.started = False

    def _start(self) -> None:
        self.started = True
        if self.fmt == "csv":
            csv.writer(self.out, lineterminator="\n").writerow(["row", self.key, self.where])
        elif self.fmt == "table":
            self.out.write(f"{'row':>8}  {self.where:>10}  {self.key.replace('_', ' '):>16}\n")

    def write(self, values, lines) -> None:
        if not self.started:
            self._start()
        first = self.rows + 1
        self.rows += len(values)
        rows = range(first, self.rows + 1)
        values, lines = values.tolist(), lines.tolist()
        if self.fmt == "plain":
            self.out.write("".join(full_precision(x) + "\n" for x in values))
        elif self.fmt == "csv":
            csv.writer(self.out, lineterminator="\n").writerows(
                zip(rows, map(full_precision, values), lines)
            )
        elif self.fmt == "json":
            self.out.write(
                "".join(
                    json.dumps({"row": r, self.key: json_number(x), self.where: n}) + "\n"
                    for r, x, n in zip(rows, values, lines)
                )
            )
        else:
            from .numbers import number

            self.out.write(
                "".join(
                    f"{r:>8}  {n:>10}  {number(x, self.precision):>16}\n"
                    for r, x, n in zip(rows, values, lines)
                )
            )

    def finish(self) -> None:
        if not self.started and self.fmt in ("csv", "table"):
            self._start()


def _js_distance(summary) -> float | None:
    if summary.kind != "js" or summary.reduction == "sum" or not summary.rows:
        return None
    return math.sqrt(summary.mean) if summary.mean >= 0 else None


def distribution_summary_to_dict(summary) -> dict:
    data = {"source": summary.source, summary.key: json_number(summary.value)}
    if summary.kind == "js":
        distance = _js_distance(summary)
        data["js_distance"] = None if distance is None else json_number(distance)
        data["mean_js_distance"] = None if distance is None else json_number(summary.mean_distance)
    data.update(
        reduction=summary.reduction,
        rows=summary.rows,
        mean=json_number(summary.mean),
        sum=json_number(summary.sum),
        std=json_number(summary.std),
        min=json_number(summary.min),
        max=json_number(summary.max),
        infinite_rows=summary.infinite,
        unit=summary.unit,
        base=summary.base,
        skipped={
            "rows": summary.skipped,
            "first": summary.skipped_lines,
            "numbered_by": summary.numbered,
        },
        **_per_class(summary),
        notes=([JS_NOTE] if summary.kind == "js" else []) + _floor_notes(summary),
    )
    if _below_zero(summary):  # float noise below 0 is a rounding floor, not a divergence
        for key in ("min", "mean", "sum", summary.key):
            if key in data and isinstance(data[key], float) and data[key] < 0:
                data[key] = 0.0
    return data


def _per_class(summary) -> dict:
    """ "classes" and "per_class": every class, or the largest mean terms and
    "classes_left_out" (:mod:`.classes_shown`)."""
    from .classes_shown import shown

    chosen, left_out = shown(list(summary.class_means))
    names = [summary.classes[i] for i in chosen]
    part: dict = {
        "classes": names,
        "per_class": [
            {"class": summary.classes[i], "mean_contribution": json_number(summary.class_means[i])}
            for i in chosen
        ],
    }
    if left_out:
        part["classes_left_out"] = left_out
    return part


def _below_zero(summary) -> bool:
    """A divergence (KL, JS: never negative) whose smallest row came out below 0: the
    float rounding of values that are equal, or nearly."""
    return summary.kind in ("kl", "js") and summary.rows > 0 and summary.min < 0


def _floor_notes(summary) -> list[str]:
    if not _below_zero(summary):
        return []
    return [
        f"the smallest row's {summary.kind.upper()} came out {summary.min:.3g}: float rounding "
        "below the floor of 0 (a divergence is never negative), reported as 0"
    ]


def render_distribution_summary(summary, fmt: str, out, *, precision: int = 4) -> None:
    if fmt == "plain":
        out.write(full_precision(summary.value) + "\n")
    elif fmt == "json":
        data = distribution_summary_to_dict(summary)
        write_json(data, out)
    elif fmt == "csv":
        require_encodable(out, [*summary.classes, summary.unit], "class name")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(SUMMARY_HEADER)
        n = summary.rows
        for name, mean in zip(summary.classes, summary.class_means):
            writer.writerow(
                [name, n, full_precision(mean), full_precision(mean * n), "", "", "", summary.unit]
            )
        cells = (summary.mean, summary.sum, summary.std, summary.min, summary.max)
        writer.writerow(["(all)", n, *map(full_precision, cells), summary.unit])
    elif fmt == "table":
        from rich.console import Console

        Console(file=out).print(distribution_summary_renderable(summary, precision))
    else:
        raise ValueError(f"unknown format {fmt!r}")


def _class_terms(summary, precision: int) -> list:
    """The per-class table of mean terms (the classes that matter, with a note of how many
    are left out)."""
    from rich.text import Text

    from .classes_shown import left_out_note
    from .classes_shown import shown as shown_classes
    from .layout import Column, bar, fitted_table
    from .numbers import number

    finite = [m for m in summary.class_means if math.isfinite(m)]
    largest = max(finite, default=0.0)
    chosen, left_out = shown_classes(list(summary.class_means))
    rows = [
        [
            name,
            number(mean, precision),
            bar(mean / largest if largest > 0 and mean > 0 else 0.0)
            if math.isfinite(mean)
            else bar(math.inf),
        ]
        for name, mean in ((summary.classes[i], summary.class_means[i]) for i in chosen)
    ]
    columns = [Column("class", "left"), Column("mean term"), Column("", "left", is_bar=True)]
    parts: list = [fitted_table(columns, rows)]
    if left_out:
        parts.append(Text(left_out_note(left_out, "mean term"), style="dim"))
    return parts


def distribution_summary_renderable(summary, precision: int = 4):
    from rich.console import Group
    from rich.text import Text

    from ..units import base_label
    from .layout import Column, fitted_table
    from .numbers import number

    unit = summary.unit
    title = f"{TITLES[summary.kind]} of {visible(summary.source)}: "
    title += counted(summary.rows, "row")
    parts: list = [Text(title, style="bold")]
    label = summary.key.replace("_", " ")
    floor = _below_zero(summary)

    def shown_value(x: float) -> str:
        return number(max(x, 0.0) if floor else x, precision)

    grid = [
        [f"mean {label}", shown_value(summary.mean), unit],
        ["sum", shown_value(summary.sum), unit],
        ["standard deviation", number(summary.std, precision), unit],
        ["min / max", f"{shown_value(summary.min)} / {number(summary.max, precision)}", unit],
    ]
    distance = _js_distance(summary)
    if distance is not None:
        grid.append(
            [
                "mean JS distance",
                number(summary.mean_distance, precision),
                "mean of the rows' √JS (SciPy's jensenshannon)",
            ]
        )
        grid.append(["√ of the mean JS", number(distance, precision), "√(mean JS divergence)"])
    if summary.skipped:
        shown = ", ".join(map(str, summary.skipped_lines))
        more = ", ..." if summary.skipped > len(summary.skipped_lines) else ""
        grid.append(["skipped", f"{summary.skipped:,}", f"{summary.numbered}s {shown}{more}"])
    columns = [Column("", "left", "bold"), Column(""), Column("", "left", "dim", is_note=True)]
    parts.append(fitted_table(columns, grid, grid=True))
    parts += _class_terms(summary, precision)
    for note in _floor_notes(summary):
        parts.append(Text(note, style="dim"))
    parts.append(Text(f"in {unit} (log base {base_label(summary.base)})", style="dim"))
    if summary.kind == "js":
        parts.append(Text(JS_NOTE, style="dim"))
    return Group(*parts)
