"""``xent compute``: the cross-entropy of labels and predictions, from arguments or a file.

Arguments and files are two sources of the same pipeline (:mod:`xent.pipeline`): this
module only reads the options and hands them on.
"""

# No `from __future__ import annotations`: Typer reads the parameters' types at every
# start, and string annotations would each be compiled and evaluated then.

from typing import List, Optional

from ..errors import UsageError
from . import options as o
from .app import Terminal, XentCommand, app


@app.command(cls=XentCommand)
def compute(
    paths: Optional[List[str]] = o.PathsArgument,
    labels: Optional[List[str]] = o.LabelsOption,
    pred: Optional[List[str]] = o.PredOption,
    logits: Optional[List[str]] = o.LogitsOption,
    classes: Optional[str] = o.ClassesOption,
    file: Optional[List[str]] = o.FileOption,
    by_file: bool = o.ByFileOption,
    cluster: Optional[str] = o.ClusterOption,
    workers: Optional[int] = o.WorkersOption,
    pred_array: Optional[str] = o.PredArrayOption,
    input_format: Optional[o.InputFormat] = o.InputFormatOption,
    label_column: str = o.LabelColumnOption,
    label_columns: Optional[str] = o.LabelColumnsOption,
    delimiter: Optional[str] = o.DelimiterOption,
    ignore_columns: Optional[str] = o.IgnoreColumnsOption,
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
    worst: int = o.WorstOption,
    reliability: bool = o.ReliabilityOption,
    reliability_svg: Optional[str] = o.ReliabilitySvgOption,
    ci: Optional[float] = o.CiOption,
    bootstrap: int = o.BootstrapOption,
    seed: int = o.SeedOption,
    group_by: Optional[str] = o.GroupByOption,
    sequence_column: Optional[str] = o.SequenceColumnOption,
    fail_above: Optional[float] = o.FailAboveOption,
    base: str = o.BaseOption,
    fmt: o.OutputFormat = o.FormatOption,
    precision: int = o.PrecisionOption,
    reduction: o.Reduction = o.ReductionOption,
    output: Optional[str] = o.OutputOption,
    save_svg: Optional[str] = o.SaveSvgOption,
    save_html: Optional[str] = o.SaveHtmlOption,
) -> None:
    """Cross-entropy H(P,Q) = −Σ P(i)·log Q(i) of a label P and a prediction Q.

    \b
    Examples:
      xent compute --labels dog --pred 0.4,0.3,0.05,0.05,0.2   (the article's dog)
      xent compute --file preds.csv                  (summary and per-class table)
      cat preds.jsonl | xent compute -r none -f csv  (one loss per row)
      xent compute --file shards/*.parquet --by-file (many files, one evaluation)
      xent compute -i preds.csv --ci 0.95 --fail-above 0.5   (an interval; exit 3 above 0.5)
    """

    if from_logits and logits:
        raise UsageError("--from-logits reads --pred as logits: give --pred, not --logits")
    options = o.score_options(
        logits=from_logits or bool(logits),
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
    view = o.View(
        fmt, precision, reduction.value, save_svg, save_html, reliability, reliability_svg
    )
    vectors = bool(labels or pred or logits)
    files = [*(file or ()), *(paths or ())]
    if not files and not vectors:
        if Terminal.detect().stdin_is_tty:
            raise UsageError(
                "no input: give --labels and --pred (or --logits), a file with --file, "
                "or pipe a file in (see 'xent compute --help')"
            )
        files = ["-"]
    if not files and (reliability or reliability_svg):
        raise UsageError(
            "the reliability diagram is drawn for a file (--file): its bins need many rows",
            source="--reliability" if reliability else "--reliability-svg",
        )
    if not files:
        from .vectors import score_vectors

        if group_by or sequence_column:
            raise UsageError(
                "--group-by and --sequence-column read a file's columns: give --file",
                source="--group-by" if group_by else "--sequence-column",
            )
        report = score_vectors(labels, pred, logits, classes, options, sample_weights, view)
        return gate(fail_above, report.cross_entropy, view.reduction, report.unit)
    if vectors:
        raise UsageError("give a file or --labels/--pred/--logits vectors, not both")
    if workers is not None and cluster != "local":
        raise UsageError("--workers is for --cluster local", source="--workers")
    from .files import score_file_command

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
    summary = score_file_command(
        files,
        options,
        read,
        view,
        by_file=by_file,
        group_by=group_by,
        sequence_column=sequence_column,
        cluster=cluster,
        workers=workers,
    )
    return gate(fail_above, summary.cross_entropy, view.reduction, summary.unit)


def gate(limit: float | None, loss: float, reduction: str, unit: str) -> None:
    """``--fail-above X``: after the output, exit 3 when the reduced loss is above X."""
    import math

    if limit is None:
        return
    if math.isnan(limit):
        raise UsageError("nan is not a limit", source="--fail-above")
    what = "summed" if reduction == "sum" else "mean"
    if loss > limit or math.isnan(loss):
        from ..errors import GateFailed

        raise GateFailed(
            f"gate failed: the {what} cross-entropy {loss!r} {unit} is above {limit!r}",
            source="--fail-above",
        )
