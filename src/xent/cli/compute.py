"""``xent compute``: the cross-entropy of labels and predictions."""

from __future__ import annotations

from enum import Enum
from typing import List, Optional

import typer

from ..errors import UsageError
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
    Terminal,
    XentCommand,
    app,
)
from .training_flags import refuse_vector_only_options


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


@app.command(cls=XentCommand)
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
    from_logits: bool = typer.Option(
        False,
        "--from-logits",
        help="The --pred values (or a file's class columns) are logits, as Keras' "
        'from_logits=True; a JSON "logits" key says so by itself.',
    ),
    label_smoothing: float = typer.Option(
        0.0,
        "--label-smoothing",
        metavar="ALPHA",
        help="Smooth the label to (1-ALPHA)·P + ALPHA/K, as PyTorch's "
        "CrossEntropyLoss(label_smoothing=ALPHA) and Keras do.",
    ),
    weights: Optional[str] = typer.Option(
        None,
        "--weights",
        metavar="W1,W2,...",
        help="Class weights, PyTorch's CrossEntropyLoss(weight=...): each class's term is "
        "multiplied by its weight, and the mean divides by the sum of the weights of the "
        "true classes (by the number of rows for distribution labels).",
    ),
    ignore_index: Optional[int] = typer.Option(
        None,
        "--ignore-index",
        metavar="N",
        help="Leave out rows whose label is the index N (PyTorch's ignore_index, e.g. -100; "
        "in a file also the rows of class N). Ignored rows are counted, in no statistic.",
    ),
    ignore_label: Optional[str] = typer.Option(
        None, "--ignore-label", metavar="NAME", help="Leave out rows whose label is NAME."
    ),
    multi_label: bool = typer.Option(
        False,
        "--multi-label",
        help="Each class is its own yes/no: labels are 0/1 per class (or the positive class "
        "names, dog,eagle), predictions independent probabilities or logits (sigmoid); the "
        "loss is the mean binary cross-entropy (PyTorch BCEWithLogitsLoss).",
    ),
    top_k: int = typer.Option(
        1,
        "--top-k",
        metavar="K",
        help="Batch and file summaries: top-K accuracy, the fraction of rows whose true "
        "class is among the K most probable (scikit-learn's top_k_accuracy_score). Beside "
        "it, the Brier score: the mean over rows of Σ (Q(i) − P(i))².",
    ),
    bins: int = typer.Option(
        15,
        "--bins",
        metavar="B",
        help="Batch and file summaries: the expected calibration error over B equal-width "
        "bins of confidence (the top probability), "
        "ECE = Σ_b (n_b/N)·|accuracy_b − confidence_b|.",
    ),
    output: Optional[str] = OutputOption,
    save_svg: Optional[str] = SaveSvgOption,
    save_html: Optional[str] = SaveHtmlOption,
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
    on_error: OnError = typer.Option(
        OnError.raise_,
        "--on-error",
        help="raise: stop at the first bad row (exit 1). skip: leave bad rows out, and say "
        "how many and which.",
        rich_help_panel="Files",
    ),
    sample_weights: Optional[str] = typer.Option(
        None,
        "--sample-weights",
        metavar="COLUMN",
        help="A numeric column (JSON key) of per-row weights, not a class: the mean is "
        "Σ s·loss / Σ s, scikit-learn's log_loss(sample_weight=...) (with --weights, "
        "Σ s·loss / Σ s·w[label]); accuracy and the metrics are weighted too.",
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
    from .training_flags import training_options

    log_base = parse_base(base)
    if clip is not None and not 0 < clip < 0.5:
        raise UsageError(
            f"{clip!r} is not a clip value: use a small number such as 1e-15", source="--clip"
        )
    options = training_options(
        label_smoothing, weights, ignore_index, ignore_label, multi_label, top_k, bins
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
        refuse_vector_only_options(options)
        from .file_input import FileJob, run_file  # only file mode needs it

        job = FileJob(
            path=file,
            logits=from_logits,
            base=log_base,
            reduction=reduction.value,
            clip=clip,
            renormalize=renormalize,
            worst=worst,
            fmt=fmt,
            precision=precision,
            training=options,
            sample_weights=sample_weights,
            save_svg=save_svg,
            save_html=save_html,
        )
        from ..readers.chunks import ReadOptions

        ignore_texts = tuple(str(text) for text in (ignore_index, ignore_label) if text is not None)
        read_options = ReadOptions(
            input_format=input_format.value if input_format else None,
            label_column=label_column,
            label_columns=_names(label_columns, "--label-columns"),
            delimiter=_delimiter(delimiter),
            ignore_columns=_names(ignore_columns, "--ignore-columns"),
            classes=_names(classes, "--classes"),
            on_error="skip" if on_error is OnError.skip else "raise",
            sample_weights=sample_weights,
            ignore_labels=ignore_texts,
        )
        run_file(job, read_options)
        return
    from .vectors import run_vectors

    run_vectors(
        labels=labels,
        pred=pred,
        logits=logits,
        from_logits=from_logits,
        classes=classes,
        base=log_base,
        reduction=reduction.value,
        clip=clip,
        renormalize=renormalize,
        options=options,
        sample_weights=sample_weights,
        fmt=fmt,
        precision=precision,
        save_svg=save_svg,
        save_html=save_html,
    )
