"""``xent calibrate``: a :class:`~xent.calibration.TemperatureFit` as plain, json, csv or a
Rich table. They format; they never compute."""

from __future__ import annotations

import csv

from ..units import counted
from .numbers import full_precision, json_number, number
from .text import write_json

FIELDS = (
    "temperature",
    "rows",
    "loss_before",
    "loss_after",
    "calibration_loss",
    "refinement_loss",
    "ece_before",
    "ece_after",
    "mce_before",
    "mce_after",
    "accuracy",
    "bins",
)


METHODS = {
    "temperature": "temperature scaling (Guo et al. 2017): T minimising the NLL of softmax(z/T)",
    "vector": "vector scaling (Guo et al. 2017): a scale w and a bias b per class minimising "
    "the NLL of softmax(w·z + b)",
}
IN_SAMPLE = "in-sample: fitted and evaluated on the same rows"


def fit_to_dict(fit, source: str, unit: str) -> dict:
    """The JSON of a fit: the numbers before and after (``in_sample``: of the rows it was
    fitted on), and the calibration itself as ``--save-calibration`` writes it."""
    from ..calibrators import to_dict

    data: dict = {"source": source}
    for name in FIELDS:
        value = getattr(fit, name)
        data[name] = value if isinstance(value, int) else json_number(value)
    if fit.method != "temperature":
        data["temperature"] = None
    calibration = to_dict(fit.calibration, "")
    del calibration["xent_version"], calibration["format"]
    data.update(
        unit=unit,
        base=fit.base,
        passes=fit.passes,
        method=METHODS[fit.method],
        in_sample=fit.in_sample,
        calibration=calibration,
        notes=list(fit.notes),
    )
    return data


def render_fit(fit, fmt: str, out, *, source: str, unit: str, precision: int = 4) -> None:
    """plain: the fitted parameters (T; for vector scaling a line per class: name, w,
    b, tab-separated); json, csv, or the table."""
    if fmt == "plain" and fit.method == "vector":
        c = fit.calibration
        for name, w, b in zip(c.classes, c.scales, c.biases):
            out.write(f"{name}\t{full_precision(w)}\t{full_precision(b)}\n")
    elif fmt == "plain":
        out.write(full_precision(fit.temperature) + "\n")
    elif fmt == "json":
        write_json(fit_to_dict(fit, source, unit), out)
    elif fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([*FIELDS, "unit", "method", "in_sample"])
        writer.writerow(
            [
                v if isinstance(v, int) else full_precision(v)
                for v in (getattr(fit, name) for name in FIELDS)
            ]
            + [unit, fit.method, str(fit.in_sample).lower()]
        )
    else:
        _table(fit, out, source, unit, precision)


def _table(fit, out, source: str, unit: str, precision: int) -> None:
    """The Rich table: the fitted parameters, then each number before → after, said to
    be in-sample."""
    from rich.console import Console, Group
    from rich.text import Text

    from .layout import Column, fitted_table
    from .text import visible

    def n(x):
        return number(x, precision)

    vector = fit.method == "vector"
    best = "the fit" if vector else "T"
    grid = _parameters(fit, n) + [
        ["loss", f"{n(fit.loss_before)} → {n(fit.loss_after)}", f"{unit}, in-sample"],
        ["  calibration part", n(fit.calibration_loss), f"{unit}: removed by {best}"],
        ["  the rest", n(fit.refinement_loss), f"{unit}: the loss at {best}"],
        ["ECE", f"{n(fit.ece_before)} → {n(fit.ece_after)}", f"{fit.bins} bins, in-sample"],
        ["MCE", f"{n(fit.mce_before)} → {n(fit.mce_after)}", "largest bin gap"],
        ["accuracy", f"{100 * fit.accuracy:.1f}%", "before (unchanged by T)"],
    ]
    if vector:
        grid[-1][2] = "before (the scales may change it)"
    columns = [Column("", "left", "bold"), Column(""), Column("", "left", "dim")]
    title = "Vector scaling" if vector else "Temperature scaling"
    parts: list = [
        Text(f"{title} of {visible(source)}: {counted(fit.rows, 'row')}", style="bold"),
        fitted_table(columns, grid, grid=True),
        Text(f"before → after is {IN_SAMPLE}", style="dim"),
        *(Text(visible(note), style="dim") for note in fit.notes),
    ]
    Console(file=out).print(Group(*parts))


SHOWN = 10  # classes whose scale and bias the table lists (json has them all)


def _parameters(fit, n) -> list[list[str]]:
    """The table's rows of the fitted parameters."""
    from .text import visible

    if fit.method != "vector":
        return [["temperature T", n(fit.temperature), "Q = softmax(z / T)"]]
    c = fit.calibration
    rows = [["scale, bias", "", "Q = softmax(w·z + b)"]]
    for name, w, b in list(zip(c.classes, c.scales, c.biases))[:SHOWN]:
        rows.append([f"  {visible(name)}", f"{n(w)}, {n(b)}", ""])
    if len(c.classes) > SHOWN:
        rows.append(["  ...", "", f"{len(c.classes) - SHOWN} more classes (json lists all)"])
    return rows


class PredictionWriter:
    """``--output FILE``: the recalibrated rows as CSV, the label and the probabilities
    (a binary file's one column, P(class 1)), each number in full precision."""

    def __init__(self, stream, label_column: str, weight_column: str | None) -> None:
        self.stream = stream
        self.writer = csv.writer(stream, lineterminator="\n")
        self.label_column, self.weight_column = label_column, weight_column
        self.started = False

    def __call__(self, chunk) -> None:
        if not self.started:
            names = [chunk.classes[1]] if chunk.task == "binary" else list(chunk.classes)
            weight = [self.weight_column] if self.weight_column else []
            self.writer.writerow([self.label_column, *weight, *names])
            self.started = True
        classes = chunk.classes
        weights = chunk.sample_weights
        for i in range(len(chunk)):
            weight = [full_precision(weights[i])] if self.weight_column else []
            self.writer.writerow(
                [classes[chunk.labels[i]], *weight, *map(full_precision, chunk.values[i])]
            )
