"""``xent compute``: the cross-entropy of labels and predictions, from arguments or a file.

Arguments and files are two sources of one evaluation: this module reads the options into
an :class:`~xent.evaluation.Evaluation`, hands it to :func:`xent.api.evaluate` and renders
what comes back.
"""

# No `from __future__ import annotations`: Typer reads the parameters' types at every
# start, and string annotations would each be compiled and evaluated then.

import typer

from ..errors import UsageError
from . import params as p
from . import params_calibration as pc
from . import params_language as lp
from . import parse, shared
from .app import XentCommand, app, render_report
from .choices import CountsPer, GateOn, OutputFormat, Reduction


@app.command(cls=XentCommand, epilog=p.DETAILS_EPILOG)
@shared.expand
def compute(
    ctx: typer.Context,
    paths: p.PathsArgument = None,
    labels: p.LabelsOption = None,
    pred: p.PredOption = None,
    logits: p.LogitsOption = None,
    classes: p.ClassesOption = None,
    file: p.FilesOption = None,
    by_file: p.ByFileOption = False,
    cluster: p.ClusterOption = None,
    workers: p.WorkersOption = None,
    reading=shared.LABELED_READING,
    conventions=shared.CONVENTIONS,
    multi_label: p.MultiLabelOption = False,
    temperature: pc.TemperatureOption = None,
    calibration: pc.CalibrationOption = None,
    top_k: p.TopKOption = 1,
    bins: p.BinsOption = 15,
    worst: p.WorstOption = 0,
    reliability: p.ReliabilityOption = False,
    reliability_svg: p.ReliabilitySvgOption = None,
    intervals=shared.INTERVALS,
    group_by: p.GroupByOption = None,
    sequence_column: p.SequenceColumnOption = None,
    vocab_size: lp.VocabSizeOption = None,
    byte_column: lp.ByteColumnOption = None,
    word_column: lp.WordColumnOption = None,
    counts_per: lp.CountsPerOption = CountsPer.row,
    fail_above: p.FailAboveOption = None,
    gate_on: pc.GateOnOption = GateOn.estimate,
    base: p.BaseOption = "e",
    fmt: p.FormatOption = OutputFormat.auto,
    precision: p.PrecisionOption = 4,
    classes_shown: p.ClassesShownOption = "20",
    reduction: p.ReductionOption = Reduction.mean,
    output: p.OutputOption = None,
    save_svg: p.SaveSvgOption = None,
    save_html: p.SaveHtmlOption = None,
) -> None:
    """Cross-entropy H(P,Q) = −Σ P(i)·log Q(i) of a label P and a prediction Q.

    \b
    Examples:
      xent compute --labels dog --pred 0.4,0.3,0.05,0.05,0.2   (the article's dog)
      xent compute --file preds.csv                  (summary and per-class table)
      cat preds.jsonl | xent compute -r none -f csv  (one loss per row)
      xent compute -i preds.csv --ci 0.95 --fail-above 0.5   (an interval; exit 3 above 0.5)
    """
    from .. import api

    on = parse.choice(gate_on)  # refused before anything is read
    check_interval_options(ctx.params, on)
    if ctx.params["from_logits"] and logits:
        raise UsageError("--from-logits reads --pred as logits: give --pred, not --logits")
    params, view = ctx.params, parse.view(ctx.params)
    files = parse.input_files(
        params,
        bool(labels or pred or logits),
        "no input: give --labels and --pred (or --logits), a file with --file, "
        "or pipe a file in (see 'xent compute --help')",
    )
    if files is None:  # vectors: one chunk, scored as a file is
        evaluation = parse.evaluation(params, None, metrics=view.fmt != "plain")
        refuse_for_vectors(params)  # after the values' own checks
        report = api.evaluate(evaluation, parse.vectors(params, evaluation.score))
        render_report(report, view.fmt, view.precision, svg=view.svg, html=view.html)
        bounds = report.ci.bounds.get("mean_cross_entropy") if report.ci else None
        if params.get("ci") is not None:
            say_no_interval(report, view.fmt)
        return gate(fail_above, report.cross_entropy, view.reduction, report.unit, on, bounds)
    from .files import score_files, summary_format, wants_metrics

    shown = summary_format(view)
    evaluation = parse.evaluation(params, files, metrics=wants_metrics(view, shown))
    summary = score_files(evaluation, files, view, shown)
    bounds = summary.ci.bounds.get("mean_cross_entropy") if summary.ci else None
    return gate(fail_above, summary.cross_entropy, view.reduction, summary.unit, on, bounds)


# What the rows given as arguments cannot take, and why (each refused when given, rather
# than ignored): (parameter, its default, the reason).
NOT_FOR_VECTORS = (
    ("by_file", False, "reads several files"),
    ("cluster", None, "scores files on a cluster"),
    ("workers", None, "sets the workers of --cluster local, which scores files"),
    ("logprobs_mode", "auto", "says how a logprobs file is laid out"),
    ("counts_per", "row", "says whose a file's byte and word counts are"),
    ("vocab_size", None, "bounds the entropy of a logprobs file's top_logprobs"),
    ("worst", 0, "picks a file's worst rows, and every row given as arguments is listed"),
)


def check_interval_options(params: dict, on: str) -> None:
    """The gate's rules (``--gate-on``, ``--fail-above``); ``--bootstrap`` and ``--seed``
    say how ``--ci`` draws its interval: without it they are refused (files and vectors
    alike), not ignored."""
    from ..rules import check_gate

    ci, reduction = params.get("ci"), parse.choice(params.get("reduction"))
    check_gate(on, params.get("fail_above"), gate="fail_above", ci=ci, reduction=reduction)
    parse.refuse_drawing(params)


def refuse_for_vectors(params: dict) -> None:
    """One line for an option that means nothing for rows given as arguments."""
    for name, default, why in NOT_FOR_VECTORS:
        if parse.choice(params.get(name)) != default:
            raise UsageError(f"{why}: give --file, or leave it out", parameter=name)
    if params.get("ci") is not None and parse.choice(params.get("fmt")) == "csv":
        raise UsageError(
            "-f csv writes one line per row given as arguments, with no place for an "
            "interval: use -f table, json or plain (or give --file)",
            parameter="ci",
        )


def say_no_interval(report, fmt) -> None:
    """``-f plain`` prints the number alone: with ``--ci`` on one row, why there is no
    interval beside it goes to stderr (as for a file of one row)."""
    from .app import error_line, output_format

    if output_format(fmt) == "plain":
        from ..results import no_interval

        why = no_interval(report.notes)
        if why is not None:
            error_line(why)


def gate(
    limit: float | None,
    loss: float,
    reduction: str,
    unit: str,
    on: str = "estimate",
    bounds: tuple[float, float] | None = None,
) -> None:
    """``--fail-above X``: after the output, exit 3 when the reduced loss is above X (with
    ``--gate-on upper``/``lower``, that bound of its ``--ci`` interval)."""
    import math

    if limit is None:
        return
    what = "summed" if reduction == "sum" else "mean"
    figure = f"the {what} cross-entropy"
    if on != "estimate":
        figure = f"the {on} bound of the {what} cross-entropy's interval"
        loss = math.nan if bounds is None else bounds[on == "upper"]
    if loss > limit or math.isnan(loss):
        from ..errors import GateFailed

        why = "no interval could be computed" if math.isnan(loss) and bounds is None else ""
        raise GateFailed(
            f"gate failed: {why or f'{figure} {loss!r} {unit} is above {limit!r}'}",
            source="--fail-above",
        )
