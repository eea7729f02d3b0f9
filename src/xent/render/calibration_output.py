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


def fit_to_dict(fit, source: str, unit: str) -> dict:
    data: dict = {"source": source}
    for name in FIELDS:
        value = getattr(fit, name)
        data[name] = value if isinstance(value, int) else json_number(value)
    data.update(
        unit=unit,
        base=fit.base,
        passes=fit.passes,
        method="temperature scaling (Guo et al. 2017): T minimising the NLL of softmax(z/T)",
        notes=list(fit.notes),
    )
    return data


def render_fit(fit, fmt: str, out, *, source: str, unit: str, precision: int = 4) -> None:
    if fmt == "plain":
        out.write(full_precision(fit.temperature) + "\n")
    elif fmt == "json":
        write_json(fit_to_dict(fit, source, unit), out)
    elif fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([*FIELDS, "unit"])
        writer.writerow(
            [
                v if isinstance(v, int) else full_precision(v)
                for v in (getattr(fit, name) for name in FIELDS)
            ]
            + [unit]
        )
    else:
        from rich.console import Console, Group
        from rich.text import Text

        from .layout import Column, fitted_table
        from .text import visible

        def n(x):
            return number(x, precision)

        grid = [
            ["temperature T", n(fit.temperature), "Q = softmax(z / T)"],
            ["loss", f"{n(fit.loss_before)} → {n(fit.loss_after)}", unit],
            ["  calibration part", n(fit.calibration_loss), f"{unit}: removed by T"],
            ["  the rest", n(fit.refinement_loss), f"{unit}: the loss at the best T"],
            ["ECE", f"{n(fit.ece_before)} → {n(fit.ece_after)}", f"{fit.bins} bins"],
            ["MCE", f"{n(fit.mce_before)} → {n(fit.mce_after)}", "largest bin gap"],
            ["accuracy", f"{100 * fit.accuracy:.1f}%", "unchanged by T"],
        ]
        columns = [Column("", "left", "bold"), Column(""), Column("", "left", "dim")]
        parts: list = [
            Text(
                f"Temperature scaling of {visible(source)}: {counted(fit.rows, 'row')}",
                style="bold",
            ),
            fitted_table(columns, grid, grid=True),
            *(Text(visible(note), style="dim") for note in fit.notes),
        ]
        Console(file=out).print(Group(*parts))


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
