"""``xent entropy``: the entropy of a distribution."""

from __future__ import annotations

import os
from typing import List, Optional

import typer

from ..errors import InvalidProbabilities
from ..units import parse_base
from .app import (
    BaseOption,
    ClassesOption,
    FormatOption,
    OutputFormat,
    OutputOption,
    PrecisionOption,
    Reduction,
    ReductionOption,
    RenormalizeOption,
    SaveHtmlOption,
    SaveSvgOption,
    XentCommand,
    app,
    locate,
    predictions,
    render_report,
    sources,
)


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
    classes: Optional[str] = ClassesOption,
    base: str = BaseOption,
    fmt: OutputFormat = FormatOption,
    precision: int = PrecisionOption,
    reduction: Reduction = ReductionOption,
    renormalize: bool = RenormalizeOption,
    output: Optional[str] = OutputOption,
    save_svg: Optional[str] = SaveSvgOption,
    save_html: Optional[str] = SaveHtmlOption,
) -> None:
    """Entropy H(Q) = −Σ Q(i)·log Q(i) of a distribution: its uncertainty.

    \b
    Example (the article's prediction, 1.3492 nats):
      xent entropy --pred 0.4,0.3,0.05,0.05,0.2
    """
    from ..readers.arguments import resolve_classes
    from ..report import entropy_report

    log_base = parse_base(base)
    vectors, option = predictions(pred, logits)
    if len(vectors[0]) == 1:
        vectors = [[1.0 - v[0], v[0]] if pred else [0.0, v[0]] for v in vectors]
    names, note = resolve_classes(len(vectors[0]), option=classes, environ=os.environ)
    try:
        report = entropy_report(
            vectors,
            names,
            base=log_base,
            reduction=reduction.value,
            logits=bool(logits),
            renormalize=renormalize,
            notes=[note] if note else None,
        )
    except InvalidProbabilities as error:
        raise locate(error, {"label": [], "pred": sources(option, len(vectors))}) from None
    render_report(report, fmt, precision, svg=save_svg, html=save_html)
