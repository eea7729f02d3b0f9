"""``xent calibrate``: fit a temperature to a prediction file (:mod:`xent.calibration`)."""

# No `from __future__ import annotations`: Typer reads the parameters' types at every
# start, and string annotations would each be compiled and evaluated then.

from typing import Any, Optional

import typer

from . import options as o
from .app import XentCommand, app, output_format

PredictionsOption = typer.Option(
    None,
    "--output",
    "-o",
    metavar="FILE",
    help="Write the recalibrated predictions to FILE as CSV (the label, the probabilities "
    "at the fitted T), replaced atomically when the command succeeds.",
    rich_help_panel=o.OUTPUT,
)


@app.command(cls=XentCommand)
def calibrate(
    file: Optional[str] = o.FileOption,
    input_format: Optional[o.InputFormat] = o.InputFormatOption,
    label_column: str = o.LabelColumnOption,
    label_columns: Optional[str] = o.LabelColumnsOption,
    delimiter: Optional[str] = o.DelimiterOption,
    ignore_columns: Optional[str] = o.IgnoreColumnsOption,
    classes: Optional[str] = o.ClassesOption,
    on_error: o.OnError = o.OnErrorOption,
    from_logits: bool = o.FromLogitsOption,
    clip: Optional[float] = o.ClipOption,
    renormalize: bool = o.RenormalizeOption,
    sample_weights: Optional[str] = o.SampleWeightsOption,
    ignore_index: Optional[int] = o.IgnoreIndexOption,
    ignore_label: Optional[str] = o.IgnoreLabelOption,
    bins: int = o.BinsOption,
    base: str = o.BaseOption,
    fmt: o.OutputFormat = o.FormatOption,
    precision: int = o.PrecisionOption,
    predictions: Optional[str] = PredictionsOption,
) -> None:
    """Temperature scaling: the T that minimises the NLL of softmax(z / T), from logits or
    log-probabilities, streamed (two reads fit T, a third scores and writes Q_T).

    \b
    Examples:
      xent calibrate --file preds.csv
      xent calibrate --file logits.csv --from-logits -o calibrated.csv -f json
    """
    import sys

    from ..calibration import fit_temperature, recalibrate
    from ..errors import UsageError
    from ..readers.files import read_prediction_chunks, source_name
    from ..units import unit_name

    options = o.score_options(
        logits=from_logits,
        base=base,
        clip=clip,
        renormalize=renormalize,
        ignore_index=ignore_index,
        ignore_label=ignore_label,
        bins=bins,
        on_error=on_error,
    )
    read = o.file_read_options(
        input_format=input_format,
        label_column=label_column,
        label_columns=label_columns,
        delimiter_text=delimiter,
        ignore_columns=ignore_columns,
        classes=classes,
        on_error=on_error,
        sample_weights=sample_weights,
        ignore_index=ignore_index,
        ignore_label=ignore_label,
    )
    if predictions is not None and read.label_columns:
        raise UsageError(
            "--output writes one class label per row: soft labels (--label-columns) have none",
            source="--output",
        )
    path = file or "-"
    with _spooled(path) as readable:
        source = source_name(path)

        def chunks():
            return read_prediction_chunks(readable, read)

        fit, _ = fit_temperature(chunks, options, source=source)
        if predictions is None:
            fit = recalibrate(chunks(), options, fit, source=source)
        else:
            from ..atomic import atomic_text_file
            from ..render.calibration_output import PredictionWriter

            with atomic_text_file(predictions, source=predictions) as stream:
                writer = PredictionWriter(stream, label_column, sample_weights)
                fit = recalibrate(chunks(), options, fit, source=source, on_chunk=writer)
    from ..render.calibration_output import render_fit

    render_fit(
        fit,
        output_format(fmt),
        sys.stdout,
        source=source,
        unit=unit_name(options.base),
        precision=precision,
    )


class _spooled:
    """A path to read more than once: the file itself, or stdin copied to a temporary file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.temporary: Any = None

    def __enter__(self) -> str:
        if self.path != "-":
            return self.path
        import shutil
        import sys
        import tempfile

        self.temporary = tempfile.NamedTemporaryFile(prefix="xent-", delete=False)
        with self.temporary as copy:
            shutil.copyfileobj(sys.stdin.buffer, copy)
        return self.temporary.name

    def __exit__(self, *exc) -> None:
        if self.temporary is not None:
            import os

            os.unlink(self.temporary.name)
