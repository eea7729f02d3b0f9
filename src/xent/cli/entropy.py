"""``xent entropy``: the entropy of a distribution, from arguments or a file."""

# No `from __future__ import annotations`: Typer reads the parameters' types at every
# start, and string annotations would each be compiled and evaluated then.

from typing import List, Optional

import typer

from ..errors import UsageError
from ..units import parse_base
from . import options as o
from .app import XentCommand, app, render_report


@app.command(cls=XentCommand)
def entropy(
    pred: Optional[List[str]] = typer.Option(
        None,
        "--pred",
        "-p",
        metavar="Q1,Q2,...",
        help="A probability distribution, one value per class. Repeat for several.",
    ),
    logits: Optional[List[str]] = typer.Option(
        None, "--logits", metavar="Z1,Z2,...", help="Logits instead of --pred (softmax)."
    ),
    classes: Optional[str] = o.ClassesOption,
    file: Optional[str] = o.FileOption,
    input_format: Optional[o.InputFormat] = o.InputFormatOption,
    delimiter: Optional[str] = o.DelimiterOption,
    ignore_columns: Optional[str] = o.IgnoreColumnsOption,
    on_error: o.OnError = o.OnErrorOption,
    from_logits: bool = o.FromLogitsOption,
    base: str = o.BaseOption,
    fmt: o.OutputFormat = o.FormatOption,
    precision: int = o.PrecisionOption,
    reduction: o.Reduction = o.ReductionOption,
    renormalize: bool = o.RenormalizeOption,
    output: Optional[str] = o.OutputOption,
    save_svg: Optional[str] = o.SaveSvgOption,
    save_html: Optional[str] = o.SaveHtmlOption,
) -> None:
    """Entropy H(Q) = −Σ Q(i)·log Q(i) of a distribution: its uncertainty.

    \b
    Example (the article's prediction, 1.3492 nats):
      xent entropy --pred 0.4,0.3,0.05,0.05,0.2

    \b
    Counts (as scipy.stats.entropy), and a file of a distribution per row (every column
    not in --ignore-columns is a class):
      xent entropy --pred 10,20,30 --renormalize
      xent entropy -i dists.csv -r none -f csv
    """
    from ..options import ScoreOptions

    if from_logits and logits:
        raise UsageError("--from-logits reads --pred as logits: give --pred, not --logits")
    options = ScoreOptions(
        logits=from_logits or bool(logits),
        base=parse_base(base),
        renormalize=renormalize,
        skip_bad_rows=on_error is o.OnError.skip,
    )
    path = o.stdin_or_file(
        file,
        bool(pred or logits),
        "no input: give --pred (or --logits), a file with --file, or pipe a file in "
        "(see 'xent entropy --help')",
    )
    if path is not None:
        from .files import distribution_file_command

        read = o.read_options(input_format, delimiter, ignore_columns, classes, on_error)
        view = o.View(fmt, precision, reduction.value, save_svg, save_html)
        return distribution_file_command(path, "entropy", options, read, view)

    from ..pipeline import vector_report
    from ..readers.arguments import distribution_chunk

    vectors, option = o.predictions(pred, logits)
    chunk, notes = distribution_chunk(
        vectors, list(o.names(classes, "--classes")) or None, option=option
    )
    report = vector_report(
        chunk, options, reduction=reduction.value, notes=notes, labels=[""] * len(vectors)
    )
    render_report(report, fmt, precision, svg=save_svg, html=save_html)
