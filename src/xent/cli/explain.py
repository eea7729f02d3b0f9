"""``xent explain``: the cross-entropy of one label, written out step by step."""

from __future__ import annotations

import sys
from enum import Enum
from typing import List, Optional

import typer

from ..errors import UsageError
from ..units import parse_base
from . import options as o
from .app import XentCommand, app, output_format, save_pictures


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
    classes: Optional[str] = o.ClassesOption,
    base: str = o.BaseOption,
    lang: Language = typer.Option(
        Language.en, "--lang", help="Language of the explanation: en, or zh (the article's)."
    ),
    fmt: o.OutputFormat = typer.Option(
        o.OutputFormat.auto,
        "--format",
        "-f",
        help="table on a terminal (with bars of P against Q); plain text when piped; "
        "json (the steps and every number, full precision) for scripts. Not csv.",
    ),
    precision: int = o.PrecisionOption,
    output: Optional[str] = o.OutputOption,
    save_svg: Optional[str] = o.SaveSvgOption,
    save_html: Optional[str] = o.SaveHtmlOption,
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
    from ..options import ScoreOptions
    from ..readers.arguments import vector_chunk

    shown = output_format(fmt)
    if shown not in ("table", "json", "plain"):  # before any warning about the numbers
        raise UsageError("explain writes table, plain or json, not csv", source="--format")
    vectors, option = o.predictions(pred, logits)
    if not labels:
        raise UsageError("no label: give the true class with --labels (a name or an index)")
    options = ScoreOptions(logits=bool(logits), base=parse_base(base))
    chunk, notes = vector_chunk(
        [labels], vectors, list(o.names(classes, "--classes")) or None, options, option=option
    )
    lesson = build_lesson(chunk, options, labels, notes)
    from ..render import explain as view

    if shown == "table":
        from rich.console import Console

        Console().print(view.explain_renderable(lesson, lang.value, precision))
    elif shown == "json":
        view.render_explain_json(lesson, sys.stdout, lang=lang.value, precision=precision)
    else:
        view.render_explain_plain(lesson, sys.stdout, lang=lang.value, precision=precision)
    sys.stdout.flush()  # surface a broken pipe here, where it is handled
    save_pictures(
        lambda: view.explain_renderable(lesson, lang.value, precision), save_svg, save_html
    )
