"""``xent explain``: the cross-entropy of one label, written out step by step."""

# No `from __future__ import annotations`: Typer reads the parameters' types at every
# start, and string annotations would each be compiled and evaluated then.

import sys
from enum import Enum
from typing import Annotated, List, Optional

import typer

from ..errors import UsageError
from . import params as p
from . import parse, shared
from .app import XentCommand, app, output_format, save_pictures
from .choices import OutputFormat

ALTERNATIVES = (
    "the ECE's bins are a file's (--file): several --pred of one label are alternative "
    "predictions of one sample, not a batch of samples"
)


class Language(str, Enum):
    en = "en"
    zh = "zh"


@app.command(cls=XentCommand)
@shared.expand
def explain(
    ctx: typer.Context,
    labels: Annotated[
        Optional[str],
        typer.Option(
            "--labels",
            "-l",
            metavar="LABEL",
            help="The true class: a name (dog), an index (0), or one value per class.",
        ),
    ] = None,
    pred: Annotated[
        Optional[List[str]],
        typer.Option(
            "--pred",
            "-p",
            metavar="Q1,Q2,...",
            help="Predicted probabilities, one per class. Repeat to compare predictions.",
        ),
    ] = None,
    logits: Annotated[
        Optional[List[str]],
        typer.Option("--logits", metavar="Z1,Z2,...", help="Logits instead of --pred (softmax)."),
    ] = None,
    classes: p.ClassesOption = None,
    file: Annotated[
        Optional[str],
        typer.Option(
            "--file",
            "-i",
            metavar="PATH",
            help="Explain a batch instead: a prediction file (as compute reads it; - for stdin): "
            "its mean loss and what its ECE means, bin by bin.",
            rich_help_panel=p.FILES,
        ),
    ] = None,
    reading=shared.LABELED_READING,
    from_logits: p.FromLogitsOption = False,
    bins: p.BinsOption = 15,
    base: p.BaseOption = "e",
    lang: Annotated[
        Language,
        typer.Option("--lang", help="Language of the explanation: en, or zh (the article's)."),
    ] = Language.en,
    fmt: Annotated[
        OutputFormat,
        typer.Option(
            "--format",
            "-f",
            help="table on a terminal (with bars of P against Q); plain text when piped; "
            "json (the steps and every number, full precision) for scripts. Not csv.",
        ),
    ] = OutputFormat.auto,
    precision: p.PrecisionOption = 4,
    output: p.OutputOption = None,
    save_svg: p.SaveSvgOption = None,
    save_html: p.SaveHtmlOption = None,
) -> None:
    """Explain the cross-entropy step by step: the formula, the numbers, the vanishing
    terms, the entropy, KL divergence, perplexity and the log base. Several predictions
    are compared; a file (--file), a batch of samples, adds what its expected calibration
    error means, bin by bin.

    \b
    Examples (the article's two predictions for a dog):
      xent explain --labels dog --pred 0.4,0.3,0.05,0.05,0.2
      xent explain --labels dog --pred 0.4,0.3,0.05,0.05,0.2 \\
                   --pred 0.98,0.005,0.005,0.005,0.005 --lang zh
      xent explain --file preds.csv       (a batch: its loss and its ECE)
    """
    from .. import api

    if file is not None:
        if labels or pred or logits:
            raise UsageError("give --file or --labels/--pred, not both", source="--file")
        evaluation = parse.evaluation(ctx.params, [file], metrics=True)
        summary = api.evaluate(evaluation, file)
        return _show_batch(summary, lang.value, output_format(fmt), precision, save_svg, save_html)
    shown = output_format(fmt)
    if shown not in ("table", "json", "plain"):  # before any warning about the numbers
        raise UsageError("explain writes table, plain or json, not csv", source="--format")
    vectors, option = parse.predictions(pred, logits)
    if not labels:
        raise UsageError("no label: give the true class with --labels (a name or an index)")
    if from_logits:
        raise UsageError(
            "--from-logits reads a file's columns: give --logits", source="--from-logits"
        )
    if getattr(ctx.get_parameter_source("bins"), "name", "DEFAULT") != "DEFAULT":
        raise UsageError(ALTERNATIVES, source="--bins")
    evaluation = parse.evaluation(ctx.params, None)
    names = list(parse.names(classes, "--classes")) or None
    lesson = api.lesson(evaluation, api.Vectors([labels], vectors, names, option))
    _show_lesson(lesson, lang.value, shown, precision, save_svg, save_html)


def _show_lesson(lesson, lang: str, shown: str, precision: int, svg, html) -> None:
    """The lesson as a Rich table, JSON or plain text; and its pictures."""
    from ..render import explain as view

    if shown == "table":
        from rich.console import Console

        Console().print(view.explain_renderable(lesson, lang, precision))
    elif shown == "json":
        view.render_explain_json(lesson, sys.stdout, lang=lang, precision=precision)
    else:
        view.render_explain_plain(lesson, sys.stdout, lang=lang, precision=precision)
    sys.stdout.flush()  # surface a broken pipe here, where it is handled
    save_pictures(lambda: view.explain_renderable(lesson, lang, precision), svg, html)


def _show_batch(summary, lang: str, shown: str, precision: int, svg, html) -> None:
    """``xent explain --file``: the batch's summary, explained."""
    from ..render import explain as view

    if shown == "table":
        from rich.console import Console

        Console().print(view.batch_renderable(summary, lang, precision))
    elif shown == "json":
        import json

        from ..render.text import ascii_json, versioned

        data = versioned(view.batch_to_dict(summary, lang, precision))
        json.dump(data, sys.stdout, indent=2, ensure_ascii=ascii_json(sys.stdout))
        sys.stdout.write("\n")
    elif shown == "plain":
        sys.stdout.write(view.batch_text(summary, lang, precision))
    else:
        raise UsageError("explain writes table, plain or json, not csv", source="--format")
    sys.stdout.flush()
    save_pictures(lambda: view.batch_renderable(summary, lang, precision), svg, html)
