"""``xent explain``: the cross-entropy of one label, written out step by step."""

from __future__ import annotations

import os
import sys
from enum import Enum
from typing import List, Optional

import typer

from ..errors import InvalidProbabilities, UsageError
from ..units import parse_base
from .app import (
    BaseOption,
    ClassesOption,
    OutputFormat,
    OutputOption,
    PrecisionOption,
    SaveHtmlOption,
    SaveSvgOption,
    XentCommand,
    app,
    locate,
    output_format,
    predictions,
    save_pictures,
    sources,
)


class Language(str, Enum):
    en = "en"
    zh = "zh"


@app.command(cls=XentCommand)
def explain(
    labels: Optional[str] = typer.Option(
        None,
        "--labels",
        "-l",
        metavar="LABEL",
        help="The true class: a name (dog), an index (0), or one value per class.",
    ),
    pred: Optional[List[str]] = typer.Option(
        None,
        "--pred",
        "-p",
        metavar="Q1,Q2,...",
        help="Predicted probabilities, one per class. Repeat to compare predictions.",
    ),
    logits: Optional[List[str]] = typer.Option(
        None, "--logits", metavar="Z1,Z2,...", help="Logits instead of --pred (softmax)."
    ),
    classes: Optional[str] = ClassesOption,
    base: str = BaseOption,
    lang: Language = typer.Option(
        Language.en, "--lang", help="Language of the explanation: en, or zh (the article's)."
    ),
    fmt: OutputFormat = typer.Option(
        OutputFormat.auto,
        "--format",
        "-f",
        help="table on a terminal (with bars of P against Q); plain text when piped; "
        "json (the steps and every number, full precision) for scripts. Not csv.",
    ),
    precision: int = PrecisionOption,
    output: Optional[str] = OutputOption,
    save_svg: Optional[str] = SaveSvgOption,
    save_html: Optional[str] = SaveHtmlOption,
) -> None:
    """Explain the cross-entropy step by step: the formula, the numbers, the vanishing
    terms, the entropy, KL divergence, perplexity and the log base.

    \b
    Examples (the article's two predictions for a dog):
      xent explain --labels dog --pred 0.4,0.3,0.05,0.05,0.2
      xent explain --labels dog --pred 0.4,0.3,0.05,0.05,0.2 \\
                   --pred 0.98,0.005,0.005,0.005,0.005 --lang zh
    """
    from ..lesson import build_lesson
    from ..readers.arguments import parse_label, resolve_classes

    log_base = parse_base(base)
    vectors, pred_option = predictions(pred, logits)
    if not labels:
        raise UsageError("no label: give the true class with --labels (a name or an index)")
    binary = len(vectors[0]) == 1
    if binary:
        # One value is the probability (or logit) of the second class, as in compute.
        vectors = [[1.0 - v[0], v[0]] if pred else [0.0, v[0]] for v in vectors]
    names, note = resolve_classes(len(vectors[0]), option=classes, environ=os.environ)
    target = parse_label(labels, names, source="--labels", binary=binary)
    try:
        lesson = build_lesson(
            target,
            labels,
            names,
            pred=vectors if pred else None,
            logits=vectors if logits else None,
            base=log_base,
            notes=[note] if note else None,
        )
    except InvalidProbabilities as error:
        raise locate(
            error,
            {"label": ["--labels"], "pred": sources(pred_option, len(vectors))},
        ) from None
    from ..render import explain as view

    shown = output_format(fmt)
    if shown == "table":
        from rich.console import Console

        Console().print(view.explain_renderable(lesson, lang.value, precision))
    elif shown == "json":
        view.render_explain_json(lesson, sys.stdout, lang=lang.value, precision=precision)
    elif shown == "plain":
        view.render_explain_plain(lesson, sys.stdout, lang=lang.value, precision=precision)
    else:
        raise UsageError("explain writes table, plain or json, not csv", source="--format")
    sys.stdout.flush()  # surface a broken pipe here, where it is handled
    save_pictures(
        lambda: view.explain_renderable(lesson, lang.value, precision), save_svg, save_html
    )
