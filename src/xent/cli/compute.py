"""``xent compute``: the cross-entropy of labels and predictions."""

from __future__ import annotations

import os
from typing import List, Optional

import typer

from ..errors import InvalidProbabilities, UsageError
from ..units import parse_base
from .app import (
    BaseOption,
    ClassesOption,
    FormatOption,
    OutputFormat,
    PrecisionOption,
    Reduction,
    ReductionOption,
    RenormalizeOption,
    SaveHtmlOption,
    SaveSvgOption,
    app,
    locate,
    predictions,
    render_report,
    sources,
)


@app.command()
def compute(
    labels: Optional[List[str]] = typer.Option(
        None,
        "--labels",
        "-l",
        metavar="LABEL",
        help="The true class: a name (dog), an index (0), or one value per class "
        "(1,0,0,0,0 one-hot; 0.9,0.1,0,0,0 soft). Repeat once per --pred, or give one for all.",
    ),
    pred: Optional[List[str]] = typer.Option(
        None,
        "--pred",
        "-p",
        metavar="Q1,Q2,...",
        help="Predicted probabilities, one per class (a single value: binary, P(class 1)). "
        "Repeat for several samples.",
    ),
    logits: Optional[List[str]] = typer.Option(
        None,
        "--logits",
        metavar="Z1,Z2,...",
        help="Logits instead of --pred (softmax by log-sum-exp; one value: sigmoid).",
    ),
    classes: Optional[str] = ClassesOption,
    base: str = BaseOption,
    fmt: OutputFormat = FormatOption,
    precision: int = PrecisionOption,
    reduction: Reduction = ReductionOption,
    clip: Optional[float] = typer.Option(
        None,
        "--clip",
        metavar="EPS",
        help="Clip predictions to [EPS, 1-EPS] first, like scikit-learn and Keras "
        "(avoids an infinite loss when Q(i) = 0).",
    ),
    renormalize: bool = RenormalizeOption,
    save_svg: Optional[str] = SaveSvgOption,
    save_html: Optional[str] = SaveHtmlOption,
) -> None:
    """Cross-entropy H(P,Q) = −Σ P(i)·log Q(i) of a label P and a prediction Q.

    \b
    Example (the article's dog, 0.9163 nats):
      xent compute --labels dog --pred 0.4,0.3,0.05,0.05,0.2
    """
    from ..readers.arguments import parse_label, resolve_classes
    from ..report import cross_entropy_report

    log_base = parse_base(base)
    if clip is not None and not 0 < clip < 0.5:
        raise UsageError(
            f"{clip!r} is not a clip value: use a small number such as 1e-15", source="--clip"
        )
    vectors, pred_option = predictions(pred, logits)
    if not labels:
        raise UsageError(
            "no label: give the true class with --labels (a name, an index, or one value per class)"
        )
    if len(labels) not in (1, len(vectors)):
        raise UsageError(
            f"{len(labels)} labels for {len(vectors)} predictions: give one label for all, "
            "or one per prediction",
            source="--labels",
        )
    binary = len(vectors[0]) == 1
    n_classes = 2 if binary else len(vectors[0])
    names, note = resolve_classes(n_classes, option=classes, environ=os.environ)
    if binary:
        # One value is the probability (or logit) of the second class.
        vectors = [[1.0 - v[0], v[0]] if pred else [0.0, v[0]] for v in vectors]
    label_sources = sources("--labels", len(labels))
    targets = [
        parse_label(text, names, source=src, binary=binary)
        for text, src in zip(labels, label_sources)
    ]
    if len(targets) == 1 and len(vectors) > 1:
        targets, labels, label_sources = (
            targets * len(vectors),
            list(labels) * len(vectors),
            label_sources * len(vectors),
        )
    try:
        report = cross_entropy_report(
            targets,
            list(labels),
            names,
            pred=vectors if pred else None,
            logits=vectors if logits else None,
            base=log_base,
            reduction=reduction.value,
            clip=clip,
            renormalize=renormalize,
            notes=[note] if note else None,
        )
    except InvalidProbabilities as error:
        hint = (
            ""
            if renormalize or error.what != "prediction"
            else " (--renormalize divides by the sum)"
        )
        error.message += hint
        raise locate(
            error, {"label": label_sources, "pred": sources(pred_option, len(vectors))}
        ) from None
    render_report(report, fmt, precision, svg=save_svg, html=save_html)
