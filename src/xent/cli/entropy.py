"""``xent entropy``: the entropy of a distribution."""

from __future__ import annotations

from typing import List, Optional

import typer

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
    """
    from ..options import ScoreOptions
    from ..pipeline import vector_report
    from ..readers.arguments import distribution_chunk

    vectors, option = o.predictions(pred, logits)
    options = ScoreOptions(logits=bool(logits), base=parse_base(base), renormalize=renormalize)
    chunk, notes = distribution_chunk(
        vectors, list(o.names(classes, "--classes")) or None, option=option
    )
    report = vector_report(
        chunk, options, reduction=reduction.value, notes=notes, labels=[""] * len(vectors)
    )
    render_report(report, fmt, precision, svg=save_svg, html=save_html)
