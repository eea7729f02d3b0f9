"""``xent report``: a prediction file as one self-contained HTML page
(:mod:`xent.render.report_html`), scored by the one pipeline (:func:`xent.pipeline.score_file`)."""

# No `from __future__ import annotations`: Typer reads the parameters' types at every
# start, and string annotations would each be compiled and evaluated then.

from typing import List, Optional

import typer

from ..errors import UsageError
from . import options as o
from .app import Terminal, XentCommand, app

ReportWorstOption = typer.Option(
    10,
    "--worst",
    min=0,
    metavar="K",
    help="List the K rows with the highest loss, with their line numbers.",
    rich_help_panel=o.METRICS,
)


@app.command(cls=XentCommand)
def report(
    paths: Optional[List[str]] = o.PathsArgument,
    file: Optional[List[str]] = o.FileOption,
    pred_array: Optional[str] = o.PredArrayOption,
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
    label_smoothing: float = o.LabelSmoothingOption,
    weights: Optional[str] = o.WeightsOption,
    sample_weights: Optional[str] = o.SampleWeightsOption,
    ignore_index: Optional[int] = o.IgnoreIndexOption,
    ignore_label: Optional[str] = o.IgnoreLabelOption,
    multi_label: bool = o.MultiLabelOption,
    top_k: int = o.TopKOption,
    bins: int = o.BinsOption,
    worst: int = ReportWorstOption,
    ci: Optional[float] = o.CiOption,
    bootstrap: int = o.BootstrapOption,
    seed: int = o.SeedOption,
    base: str = o.BaseOption,
    precision: int = o.PrecisionOption,
    output: Optional[str] = o.OutputOption,
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

    from ..histogram import LossHistogram
    from ..pipeline import score_file
    from ..readers.sources import expand_paths
    from ..render.report_html import report_html
    from .files import progress_bar

    terminal = Terminal.detect()
    files = [*(file or ()), *(paths or ())]
    if not files:
        if terminal.stdin_is_tty:
            raise UsageError(
                "no input: give a prediction file (xent report preds.csv -o report.html)"
            )
        files = ["-"]
    if output is None and terminal.stdout_is_tty:
        raise UsageError(
            "the report is an HTML page: give -o FILE (or redirect stdout)", source="--output"
        )
    expanded = expand_paths(files)
    if len(expanded) > 1 and worst:
        raise UsageError(
            "the worst rows' line numbers would be per file: score one file at a time, or "
            "give --worst 0",
            source="--worst",
        )
    options = o.score_options(
        logits=from_logits,
        base=base,
        clip=clip,
        renormalize=renormalize,
        label_smoothing=label_smoothing,
        weights=weights,
        ignore_index=ignore_index,
        ignore_label=ignore_label,
        multi_label=multi_label,
        top_k=top_k,
        bins=bins,
        worst=worst,
        on_error=on_error,
        ci=ci,
        replicates=bootstrap,
        seed=seed,
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
        multi_label=multi_label,
        pred_array=pred_array,
    )
    histogram = LossHistogram()
    with progress_bar(expanded, terminal) as progress:
        summary = score_file(
            expanded, options, read, metrics=True, on_rows=histogram, progress=progress
        )
    sys.stdout.write(report_html(summary, histogram, precision=precision))
    sys.stdout.flush()
