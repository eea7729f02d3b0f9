"""``xent compute``: the cross-entropy of labels and predictions."""

from __future__ import annotations

import os
from enum import Enum
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
    Terminal,
    app,
    locate,
    predictions,
    render_report,
    sources,
)
from .file_input import FileJob, run_file


class InputFormat(str, Enum):
    csv = "csv"
    tsv = "tsv"
    json = "json"
    jsonl = "jsonl"


class OnError(str, Enum):
    raise_ = "raise"
    skip = "skip"


def _names(text: str | None, option: str) -> tuple[str, ...]:
    from ..readers.arguments import parse_class_names

    return tuple(parse_class_names(text, source=option)) if text else ()


def _delimiter(text: str | None) -> str | None:
    if text is None:
        return None
    text = {"\\t": "\t", "tab": "\t"}.get(text, text)
    if len(text) != 1:
        raise UsageError(f"{text!r} is not one character", source="--delimiter")
    return text


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
    file: Optional[str] = typer.Option(
        None,
        "--file",
        "-i",
        metavar="PATH",
        help="A prediction file (CSV, TSV, JSON, JSON Lines), one row per sample; - for "
        "stdin. Piped stdin is read when no --pred/--logits/--labels are given.",
        rich_help_panel="Files",
    ),
    input_format: Optional[InputFormat] = typer.Option(
        None,
        "--input-format",
        help="The file's format (default: from the extension, else from the content).",
        rich_help_panel="Files",
    ),
    label_column: str = typer.Option(
        "label",
        "--label-column",
        metavar="NAME",
        help="The column (JSON key) holding each row's class name or index.",
        rich_help_panel="Files",
    ),
    label_columns: Optional[str] = typer.Option(
        None,
        "--label-columns",
        metavar="NAMES",
        help="Soft labels: the columns holding P(class), one per class in class order, "
        "comma-separated (instead of --label-column).",
        rich_help_panel="Files",
    ),
    delimiter: Optional[str] = typer.Option(
        None,
        "--delimiter",
        "-d",
        metavar="CHAR",
        help="CSV field delimiter (default: detected from the header: comma, tab or ;). "
        "'\\t' for tab.",
        rich_help_panel="Files",
    ),
    ignore_columns: Optional[str] = typer.Option(
        None,
        "--ignore-columns",
        metavar="NAMES",
        help="Columns that are neither the label nor a class (ids, text), comma-separated. "
        "Every other column is a class.",
        rich_help_panel="Files",
    ),
    as_logits: bool = typer.Option(
        False,
        "--as-logits",
        help='The file\'s class columns hold logits, not probabilities (a JSON "logits" '
        "key says so by itself).",
        rich_help_panel="Files",
    ),
    on_error: OnError = typer.Option(
        OnError.raise_,
        "--on-error",
        help="raise: stop at the first bad row (exit 1). skip: leave bad rows out, and say "
        "how many and which.",
        rich_help_panel="Files",
    ),
    worst: int = typer.Option(
        0,
        "--worst",
        min=0,
        metavar="K",
        help="Also list the K rows with the highest loss, with their line numbers.",
        rich_help_panel="Files",
    ),
) -> None:
    """Cross-entropy H(P,Q) = −Σ P(i)·log Q(i) of a label P and a prediction Q.

    \b
    Examples:
      xent compute --labels dog --pred 0.4,0.3,0.05,0.05,0.2   (the article's dog)
      xent compute --file preds.csv                  (summary and per-class table)
      cat preds.jsonl | xent compute -r none -f csv  (one loss per row)
    """
    log_base = parse_base(base)
    if clip is not None and not 0 < clip < 0.5:
        raise UsageError(
            f"{clip!r} is not a clip value: use a small number such as 1e-15", source="--clip"
        )
    if file is None and not (labels or pred or logits):
        if Terminal.detect().stdin_is_tty:
            raise UsageError(
                "no input: give --labels and --pred (or --logits), a file with --file, "
                "or pipe a file in (see 'xent compute --help')"
            )
        file = "-"
    if file is not None:
        if labels or pred or logits:
            raise UsageError("give a file or --labels/--pred/--logits vectors, not both")
        job = FileJob(
            path=file,
            logits=as_logits,
            base=log_base,
            reduction=reduction.value,
            clip=clip,
            renormalize=renormalize,
            worst=worst,
            fmt=fmt,
            precision=precision,
        )
        from ..readers.chunks import ReadOptions

        options = ReadOptions(
            input_format=input_format.value if input_format else None,
            label_column=label_column,
            label_columns=_names(label_columns, "--label-columns"),
            delimiter=_delimiter(delimiter),
            ignore_columns=_names(ignore_columns, "--ignore-columns"),
            classes=_names(classes, "--classes"),
            on_error="skip" if on_error is OnError.skip else "raise",
        )
        run_file(job, options)
        return
    from ..readers.arguments import parse_label, resolve_classes
    from ..report import cross_entropy_report

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
    render_report(report, fmt, precision)
