"""``xent report``: a prediction file as one self-contained HTML page
(:mod:`xent.render.report_html`), scored by the one pipeline (:func:`xent.pipeline.score_file`)."""

# No `from __future__ import annotations`: Typer reads the parameters' types at every
# start, and string annotations would each be compiled and evaluated then.

from typing import Annotated

import typer

from ..errors import UsageError
from . import params as p
from . import params_calibration as pc
from . import parse, shared
from .app import Terminal, XentCommand, app

HTML_ONLY = "the report is an HTML page: give -o FILE (or redirect stdout)"
WORST_PER_FILE = (
    "the worst rows' line numbers would be per file: score one file at a time, or give --worst 0"
)
ReportWorstOption = typer.Option(
    "--worst",
    min=0,
    metavar="K",
    help="List the K rows with the highest loss, with their line numbers.",
    rich_help_panel=p.METRICS,
)


@app.command(cls=XentCommand)
@shared.expand
def report(
    ctx: typer.Context,
    paths: p.PathsArgument = None,
    file: p.FilesOption = None,
    reading=shared.LABELED_READING,
    classes: p.ClassesOption = None,
    conventions=shared.CONVENTIONS,
    multi_label: p.MultiLabelOption = False,
    temperature: pc.TemperatureOption = None,
    calibration: pc.CalibrationOption = None,
    top_k: p.TopKOption = 1,
    bins: p.BinsOption = 15,
    worst: Annotated[int, ReportWorstOption] = 10,
    intervals=shared.INTERVALS,
    base: p.BaseOption = "e",
    precision: p.PrecisionOption = 4,
    output: p.OutputOption = None,
) -> None:
    """An HTML report of a prediction file: the summary, the per-class table, the
    reliability diagram, a histogram of the per-row losses and the worst rows, in one
    self-contained page (inline CSS and SVG: it opens offline, nothing is fetched).

    \b
    Examples:
      xent report preds.csv -o report.html
      xent report logits.parquet --from-logits --ci 0.95 -o report.html
    """
    import sys

    from .. import api
    from ..histogram import LossHistogram
    from ..readers.sources import expand_paths
    from ..render.report_html import report_html
    from .files import progress_bar

    terminal = Terminal.detect()
    files = parse.input_files(
        ctx.params, False, "no input: give a prediction file (xent report preds.csv -o report.html)"
    ) or ["-"]
    if output is None and terminal.stdout_is_tty:
        raise UsageError(HTML_ONLY, source="--output")
    evaluation = parse.evaluation(ctx.params, files, metrics=True)
    expanded = expand_paths(files)
    evaluation.check_files(len(expanded), worst_hint=WORST_PER_FILE)
    histogram = LossHistogram()
    with progress_bar(expanded, terminal) as progress:
        summary = api.evaluate(evaluation, expanded, on_rows=histogram, progress=progress)
    sys.stdout.write(report_html(summary, histogram, precision=precision))
    sys.stdout.flush()
