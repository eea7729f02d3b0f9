"""``xent calibrate``: fit a temperature to a prediction file (:mod:`xent.calibration`)."""

# No `from __future__ import annotations`: Typer reads the parameters' types at every
# start, and string annotations would each be compiled and evaluated then.

from typing import Annotated, Optional

import typer

from . import params as p
from . import params_calibration as pc
from . import parse, shared
from .app import XentCommand, app, output_format
from .choices import Calibrator, OutputFormat

PredictionsOption = typer.Option(
    "--output",
    "-o",
    metavar="FILE",
    help="Write the recalibrated predictions to FILE as CSV (the label, the probabilities "
    "at the fitted T), replaced atomically when the command succeeds.",
    rich_help_panel=p.OUTPUT,
)


@app.command(cls=XentCommand)
@shared.expand
def calibrate(
    ctx: typer.Context,
    file: p.FileOption = None,
    reading=shared.LABELED_READING,
    classes: p.ClassesOption = None,
    from_logits: p.FromLogitsOption = False,
    clip: p.ClipOption = None,
    renormalize: p.RenormalizeOption = False,
    sample_weights: p.SampleWeightsOption = None,
    ignore_index: p.IgnoreIndexOption = None,
    ignore_label: p.IgnoreLabelOption = None,
    bins: p.BinsOption = 15,
    base: p.BaseOption = "e",
    fmt: p.FormatOption = OutputFormat.auto,
    precision: p.PrecisionOption = 4,
    predictions: Annotated[Optional[str], PredictionsOption] = None,
    save_calibration: pc.SaveCalibrationOption = None,
    method: pc.MethodOption = Calibrator.temperature,
) -> None:
    """Temperature scaling: the T that minimises the NLL of softmax(z / T), from logits or
    log-probabilities, streamed (two reads fit T, a third scores and writes Q_T); or
    vector scaling (--method vector). Before → after is in-sample: fitted and scored on
    the same rows.

    \b
    Examples:
      xent calibrate --file preds.csv
      xent calibrate --file logits.csv --from-logits -o calibrated.csv -f json
      xent calibrate -i valid.csv --save-calibration cal.json   (fit on one file)
      xent compute -i test.csv --calibration cal.json          (apply to another)
    """
    import sys

    from ..readers.files import source_name
    from ..render.calibration_output import render_fit
    from ..units import unit_name

    path = file or "-"
    evaluation = parse.evaluation(
        ctx.params,
        [path],
        "temperature",
        recalibrate=predictions is not None,
        calibrator=parse.choice(method),
    )
    fit = _fit(evaluation, path, predictions, ctx.params["label_column"], sample_weights)
    if save_calibration is not None:
        _save(fit.calibration, save_calibration)
    render_fit(
        fit,
        output_format(fmt),
        sys.stdout,
        source=source_name(path),
        unit=unit_name(evaluation.score.base),
        precision=precision,
    )


def _fit(evaluation, path: str, predictions: str | None, label_column: str, weights):
    """The fit of :func:`xent.api.evaluate`; with ``--output FILE``, the recalibrated rows
    written to FILE as they are scored (replaced atomically when all is well)."""
    from .. import api

    if predictions is None:
        return api.evaluate(evaluation, path)
    from ..atomic import atomic_text_file
    from ..render.calibration_output import PredictionWriter

    with atomic_text_file(predictions, source=predictions) as stream:
        writer = PredictionWriter(stream, label_column, weights)
        return api.evaluate(evaluation, path, on_rows=writer)


def _save(calibration, path: str) -> None:
    """``--save-calibration FILE``: the calibration as JSON, replaced atomically."""
    from .._version import version
    from ..atomic import atomic_text_file
    from ..calibrators import to_dict
    from ..render.text import write_json

    with atomic_text_file(path, source="--save-calibration") as stream:
        write_json(to_dict(calibration, version()), stream)
