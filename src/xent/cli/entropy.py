"""``xent entropy``: the entropy of a distribution, from arguments or a file."""

# No `from __future__ import annotations`: Typer reads the parameters' types at every
# start, and string annotations would each be compiled and evaluated then.

from typing import Annotated, List, Optional

import typer

from ..errors import UsageError
from . import params as p
from . import parse, shared
from .app import XentCommand, app, render_report
from .choices import OutputFormat, Reduction


@app.command(cls=XentCommand)
@shared.expand
def entropy(
    ctx: typer.Context,
    pred: Annotated[
        Optional[List[str]],
        typer.Option(
            "--pred",
            "-p",
            metavar="Q1,Q2,...",
            help="A probability distribution, one value per class. Repeat for several.",
        ),
    ] = None,
    logits: Annotated[
        Optional[List[str]],
        typer.Option("--logits", metavar="Z1,Z2,...", help="Logits instead of --pred (softmax)."),
    ] = None,
    classes: p.ClassesOption = None,
    file: p.FileOption = None,
    reading=shared.READING,
    from_logits: p.FromLogitsOption = False,
    base: p.BaseOption = "e",
    fmt: p.FormatOption = OutputFormat.auto,
    precision: p.PrecisionOption = 4,
    classes_shown: p.ClassesShownOption = "20",
    reduction: p.ReductionOption = Reduction.mean,
    renormalize: p.RenormalizeOption = False,
    output: p.OutputOption = None,
    save_svg: p.SaveSvgOption = None,
    save_html: p.SaveHtmlOption = None,
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
    from .. import api

    if from_logits and logits:
        raise UsageError("--from-logits reads --pred as logits: give --pred, not --logits")
    path = parse.stdin_or_file(
        file,
        bool(pred or logits),
        "no input: give --pred (or --logits), a file with --file, or pipe a file in "
        "(see 'xent entropy --help')",
    )
    evaluation = parse.evaluation(ctx.params, None if path is None else [path], "entropy")
    if path is not None:
        from .files import score_distributions

        return score_distributions(evaluation, path, parse.view(ctx.params))
    vectors, option = parse.predictions(pred, logits)
    classes_given = list(parse.names(classes, "--classes")) or None
    report = api.evaluate(evaluation, api.Distributions(vectors, None, classes_given, option))
    render_report(report, fmt, precision, svg=save_svg, html=save_html)
