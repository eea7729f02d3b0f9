"""``xent explain``: the cross-entropy of one label, written out step by step."""

# No `from __future__ import annotations`: Typer reads the parameters' types at every
# start, and string annotations would each be compiled and evaluated then.

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
    file: Optional[str] = typer.Option(
        None,
        "--file",
        "-i",
        metavar="PATH",
        help="Explain a batch instead: a prediction file (as compute reads it; - for stdin): "
        "its mean loss and what its ECE means, bin by bin.",
        rich_help_panel=o.FILES,
    ),
    label_column: str = o.LabelColumnOption,
    from_logits: bool = o.FromLogitsOption,
    bins: int = o.BinsOption,
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
    terms, the entropy, KL divergence, perplexity and the log base. Several predictions
    (or a file, --file) add what their expected calibration error means, bin by bin.

    \b
    Examples (the article's two predictions for a dog):
      xent explain --labels dog --pred 0.4,0.3,0.05,0.05,0.2
      xent explain --labels dog --pred 0.4,0.3,0.05,0.05,0.2 \\
                   --pred 0.98,0.005,0.005,0.005,0.005 --lang zh
      xent explain --file preds.csv       (a batch: its loss and its ECE)
    """
    if file is not None:
        if labels or pred or logits:
            raise UsageError("give --file or --labels/--pred, not both", source="--file")
        return _explain_file(
            file,
            label_column,
            classes,
            from_logits,
            bins,
            base,
            lang,
            fmt,
            precision,
            save_svg,
            save_html,
        )
    from ..lesson import build_lesson
    from ..options import ScoreOptions
    from ..readers.arguments import vector_chunk

    shown = output_format(fmt)
    if shown not in ("table", "json", "plain"):  # before any warning about the numbers
        raise UsageError("explain writes table, plain or json, not csv", source="--format")
    vectors, option = o.predictions(pred, logits)
    if not labels:
        raise UsageError("no label: give the true class with --labels (a name or an index)")
    if from_logits:
        raise UsageError(
            "--from-logits reads a file's columns: give --logits", source="--from-logits"
        )
    options = ScoreOptions(logits=bool(logits), base=parse_base(base), bins=bins)
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


def _explain_file(
    path, label_column, classes, from_logits, bins, base, lang, fmt, precision, svg, html
) -> None:
    """``xent explain --file``: the batch scored by the pipeline, explained."""
    from ..options import ScoreOptions
    from ..pipeline import score_file
    from ..readers.read_options import ReadOptions
    from ..render import explain as view

    options = ScoreOptions(logits=from_logits, base=parse_base(base), bins=bins)
    read = ReadOptions(label_column=label_column, classes=o.names(classes, "--classes"))
    summary = score_file(path, options, read, metrics=True)
    shown = output_format(fmt)
    if shown == "table":
        from rich.console import Console

        Console().print(view.batch_renderable(summary, lang.value, precision))
    elif shown == "json":
        import json

        from ..render.text import ascii_json, versioned

        data = versioned(view.batch_to_dict(summary, lang.value, precision))
        json.dump(data, sys.stdout, indent=2, ensure_ascii=ascii_json(sys.stdout))
        sys.stdout.write("\n")
    elif shown == "plain":
        sys.stdout.write(view.batch_text(summary, lang.value, precision))
    else:
        raise UsageError("explain writes table, plain or json, not csv", source="--format")
    sys.stdout.flush()
    save_pictures(lambda: view.batch_renderable(summary, lang.value, precision), svg, html)
