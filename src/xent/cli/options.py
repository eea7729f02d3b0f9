"""Every option of the command line, declared once and shared by the commands.

Grouped into help panels (input, conventions, metrics, output) so ``--help`` reads in
sections; the helpers at the end turn option values into the library's plain
:class:`~xent.options.ScoreOptions` and :class:`~xent.readers.read_options.ReadOptions`.
"""

from __future__ import annotations

from enum import Enum
from typing import NamedTuple

import typer

from ..errors import UsageError
from .output import OUTPUT_HELP

INPUT = "Input"
FILES = "Files"
CONVENTIONS = "Conventions (PyTorch, scikit-learn, Keras)"
METRICS = "Metrics"
OUTPUT = "Output"
DECIDE = "Intervals, groups and gates"


class OutputFormat(str, Enum):
    auto = "auto"
    table = "table"
    json = "json"
    csv = "csv"
    plain = "plain"


class Reduction(str, Enum):
    mean = "mean"
    sum = "sum"
    none = "none"


ClassesOption = typer.Option(
    None,
    "--classes",
    "-c",
    metavar="NAMES",
    help="Class names, comma-separated (default: $XENT_CLASSES; five classes are the "
    "article's dog,fox,horse,eagle,squirrel; otherwise 0,1,2,...).",
    rich_help_panel=INPUT,
)
BaseOption = typer.Option(
    "e",
    "--base",
    "-b",
    metavar="e|2|10|NUMBER",
    help="Log base: e (nats, default), 2 (bits), 10 (hartleys) or any positive number but 1.",
    rich_help_panel=OUTPUT,
)
FormatOption = typer.Option(
    OutputFormat.auto,
    "--format",
    "-f",
    help="table on a terminal; plain (the one number, full precision) when piped; "
    "json and csv for scripts.",
    rich_help_panel=OUTPUT,
)
PrecisionOption = typer.Option(
    4,
    "--precision",
    min=0,
    max=17,
    help="Decimals shown in tables (plain/json/csv are exact).",
    rich_help_panel=OUTPUT,
)
ReductionOption = typer.Option(
    Reduction.mean,
    "--reduction",
    "-r",
    help="With several samples: their mean, sum, or none (one value per sample).",
    rich_help_panel=OUTPUT,
)
RenormalizeOption = typer.Option(
    False,
    "--renormalize",
    help="Divide each prediction (distribution) by its sum instead of rejecting it: any "
    "non-negative values, counts or scores, as SciPy's entropy does.",
    rich_help_panel=CONVENTIONS,
)
OutputOption = typer.Option(
    None, "--output", "-o", metavar="FILE", help=OUTPUT_HELP, rich_help_panel=OUTPUT
)
SaveSvgOption = typer.Option(
    None,
    "--save-svg",
    metavar="FILE",
    help="Also save the table view as an SVG picture.",
    rich_help_panel=OUTPUT,
)
SaveHtmlOption = typer.Option(
    None,
    "--save-html",
    metavar="FILE",
    help="Also save the table view as an HTML page.",
    rich_help_panel=OUTPUT,
)


def predictions(pred, logits) -> tuple[list[list[float]], str]:
    if pred and logits:
        raise UsageError("give the prediction as --pred or as --logits, not both")
    if not pred and not logits:
        raise UsageError(
            "no prediction: give --pred 0.4,0.3,... (probabilities) or --logits 2.0,1.0,..."
        )
    from ..readers.arguments import parse_vectors

    option = "--pred" if pred else "--logits"
    return parse_vectors(list(pred or logits), option), option


class InputFormat(str, Enum):
    csv = "csv"
    tsv = "tsv"
    json = "json"
    jsonl = "jsonl"
    parquet = "parquet"
    feather = "feather"
    npy = "npy"
    npz = "npz"


class OnError(str, Enum):
    raise_ = "raise"
    skip = "skip"


LabelsOption = typer.Option(
    None,
    "--labels",
    "-l",
    metavar="LABEL",
    help="The true class: a name (dog), an index (0), or one value per class "
    "(1,0,0,0,0 one-hot; 0.9,0.1,0,0,0 soft). Repeat once per --pred, or give one for all.",
    rich_help_panel=INPUT,
)
PredOption = typer.Option(
    None,
    "--pred",
    "-p",
    metavar="Q1,Q2,...",
    help="Predicted probabilities, one per class (a single value: binary, P(class 1)). "
    "Repeat for several samples.",
    rich_help_panel=INPUT,
)
LogitsOption = typer.Option(
    None,
    "--logits",
    metavar="Z1,Z2,...",
    help="Logits instead of --pred (softmax by an exact log-sum-exp; one value: sigmoid).",
    rich_help_panel=INPUT,
)
FileOption = typer.Option(
    None,
    "--file",
    "-i",
    metavar="PATH",
    help="A prediction file (CSV, TSV, JSON, JSON Lines, Parquet, Feather, .npz; may be "
    "compressed: .gz, .bz2, .xz, .zst), one row per sample; - for stdin. Repeat it, or "
    "give a glob or a directory: the files are one evaluation. Piped stdin is read when "
    "no vectors are given.",
    rich_help_panel=FILES,
)
PathsArgument = typer.Argument(
    None,
    metavar="[FILES]...",
    help="More prediction files (what a shell glob after --file expands to).",
    show_default=False,
)
ByFileOption = typer.Option(
    False,
    "--by-file",
    help="With several files: also each file's rows and mean loss.",
    rich_help_panel=FILES,
)
ClusterOption = typer.Option(
    None,
    "--cluster",
    metavar="ADDRESS",
    help="Score the files on a Dask cluster: a scheduler's address (tcp://host:8786), or "
    "local for a cluster of worker processes here (pip install 'xent[dask]').",
    rich_help_panel=FILES,
)
WorkersOption = typer.Option(
    None,
    "--workers",
    metavar="N",
    min=1,
    help="With --cluster local: how many worker processes (default: one per core).",
    rich_help_panel=FILES,
)
PredArrayOption = typer.Option(
    None,
    "--pred-array",
    metavar="NAME",
    help="The predictions array of an .npz (default: pred, probs, logits, ...; the labels "
    "array is --label-column if it names one, else labels, label, y, ...).",
    rich_help_panel=FILES,
)
InputFormatOption = typer.Option(
    None,
    "--input-format",
    help="The file's format (default: from the extension, else from the content).",
    rich_help_panel=FILES,
)
LabelColumnOption = typer.Option(
    "label",
    "--label-column",
    metavar="NAME",
    help="The column (JSON key) holding each row's class name or index; with "
    "--multi-label the positive class names, separated by |.",
    rich_help_panel=FILES,
)
LabelColumnsOption = typer.Option(
    None,
    "--label-columns",
    metavar="NAMES",
    help="Soft labels: the columns holding P(class), one per class in class order, "
    "comma-separated (instead of --label-column); with --multi-label, 0/1 per class.",
    rich_help_panel=FILES,
)
DelimiterOption = typer.Option(
    None,
    "--delimiter",
    "-d",
    metavar="CHAR",
    help="CSV field delimiter (default: detected from the header: comma, tab or ;). '\\t' for tab.",
    rich_help_panel=FILES,
)
IgnoreColumnsOption = typer.Option(
    None,
    "--ignore-columns",
    metavar="NAMES",
    help="Columns that are neither the label nor a class (ids, text), comma-separated, "
    "quoted as in CSV ('' alone, or \"\" in a list, is the column with no name). Every "
    "other column is a class.",
    rich_help_panel=FILES,
)
OnErrorOption = typer.Option(
    OnError.raise_,
    "--on-error",
    help="raise: stop at the first bad row (exit 1). skip: leave bad rows out, and say "
    "how many and which.",
    rich_help_panel=FILES,
)
PColumnsOption = typer.Option(
    None,
    "--p-columns",
    metavar="NAMES",
    help="The columns (JSON keys) holding P, one per class in class order, comma-separated "
    "(default: the columns named p_<class>).",
    rich_help_panel=FILES,
)
QColumnsOption = typer.Option(
    None,
    "--q-columns",
    metavar="NAMES",
    help="The columns (JSON keys) holding Q, in the same class order as --p-columns "
    "(default: the columns named q_<class>).",
    rich_help_panel=FILES,
)
FromLogitsOption = typer.Option(
    False,
    "--from-logits",
    help="The --pred values (or a file's class columns) are logits, as Keras' "
    'from_logits=True; a JSON "logits" key says so by itself.',
    rich_help_panel=CONVENTIONS,
)
ClipOption = typer.Option(
    None,
    "--clip",
    metavar="EPS",
    help="Clip predictions to [EPS, 1-EPS] first, like scikit-learn and Keras "
    "(avoids an infinite loss when Q(i) = 0).",
    rich_help_panel=CONVENTIONS,
)
LabelSmoothingOption = typer.Option(
    0.0,
    "--label-smoothing",
    metavar="ALPHA",
    help="Smooth the label to (1-ALPHA)·P + ALPHA/K, as PyTorch's "
    "CrossEntropyLoss(label_smoothing=ALPHA) and Keras do.",
    rich_help_panel=CONVENTIONS,
)
WeightsOption = typer.Option(
    None,
    "--weights",
    metavar="W1,W2,...",
    help="Class weights, PyTorch's CrossEntropyLoss(weight=...): each class's term is "
    "multiplied by its weight, and the mean divides by the sum of the weights of the "
    "true classes (by the number of rows for distribution labels).",
    rich_help_panel=CONVENTIONS,
)
SampleWeightsOption = typer.Option(
    None,
    "--sample-weights",
    metavar="COLUMN|W1,W2,...",
    help="Per-row weights: a file's numeric column (JSON key), or one number per --pred. "
    "The mean is Σ s·loss / Σ s, scikit-learn's log_loss(sample_weight=...) (with "
    "--weights, Σ s·loss / Σ s·w\\[label]); accuracy and the metrics are weighted too.",
    rich_help_panel=CONVENTIONS,
)
IgnoreIndexOption = typer.Option(
    None,
    "--ignore-index",
    metavar="N",
    help="Leave out rows whose label is the index N (PyTorch's ignore_index, e.g. -100; "
    "also the rows of class N). Ignored rows are counted, in no statistic.",
    rich_help_panel=CONVENTIONS,
)
IgnoreLabelOption = typer.Option(
    None,
    "--ignore-label",
    metavar="NAME",
    help="Leave out rows whose label is NAME.",
    rich_help_panel=CONVENTIONS,
)
MultiLabelOption = typer.Option(
    False,
    "--multi-label",
    help="Each class is its own yes/no: labels are 0/1 per class (or the positive class "
    "names, dog,eagle; in a file dog|eagle), predictions independent probabilities or "
    "logits (sigmoid); the loss is the mean binary cross-entropy (PyTorch BCEWithLogitsLoss).",
    rich_help_panel=CONVENTIONS,
)
TopKOption = typer.Option(
    1,
    "--top-k",
    metavar="K",
    help="Top-K accuracy: the fraction of rows whose true class is among the K most "
    "probable (scikit-learn's top_k_accuracy_score). Beside it, the Brier score: the "
    "mean over rows of Σ (Q(i) − P(i))².",
    rich_help_panel=METRICS,
)
BinsOption = typer.Option(
    15,
    "--bins",
    metavar="B",
    help="The expected calibration error over B equal-width bins of confidence (the top "
    "probability), ECE = Σ_b (n_b/N)·|accuracy_b − confidence_b|.",
    rich_help_panel=METRICS,
)
ReliabilityOption = typer.Option(
    False,
    "--reliability",
    help="Show the reliability diagram instead of the summary (files): per confidence bin "
    "(--bins) the rows, mean confidence, accuracy and its 95% Wilson interval; -f csv/json "
    "write its rows.",
    rich_help_panel=METRICS,
)
ReliabilitySvgOption = typer.Option(
    None,
    "--reliability-svg",
    metavar="FILE",
    help="Also save the reliability diagram as an SVG picture (files).",
    rich_help_panel=METRICS,
)
WorstOption = typer.Option(
    0,
    "--worst",
    min=0,
    metavar="K",
    help="Also list the K rows with the highest loss, with their line numbers.",
    rich_help_panel=METRICS,
)
FailAboveOption = typer.Option(
    None,
    "--fail-above",
    metavar="X",
    help="A gate for scripts: after printing the output, exit 3 when the reduced loss "
    "is above X (in the --base unit).",
    rich_help_panel=DECIDE,
)
CiOption = typer.Option(
    None,
    "--ci",
    metavar="LEVEL",
    help="Confidence intervals at LEVEL (0.95) for every summary metric: a streaming "
    "Poisson bootstrap, one pass, exactly reproducible for a --seed.",
    rich_help_panel=DECIDE,
)
BootstrapOption = typer.Option(
    200,
    "--bootstrap",
    metavar="N",
    help="Bootstrap replicates for --ci (default 200).",
    rich_help_panel=DECIDE,
)
SeedOption = typer.Option(
    0,
    "--seed",
    metavar="N",
    help="Seed of the bootstrap weights (default 0: the same intervals every run).",
    rich_help_panel=DECIDE,
)
GroupByOption = typer.Option(
    None,
    "--group-by",
    metavar="COLUMN",
    help="A summary per value of this column (files): rows, loss, perplexity, accuracy, "
    "skill, sorted by loss.",
    rich_help_panel=DECIDE,
)
SequenceColumnOption = typer.Option(
    None,
    "--sequence-column",
    metavar="COLUMN",
    help="Rows are tokens and this column names their sequence: show corpus perplexity "
    "and the mean of per-sequence perplexities, side by side.",
    rich_help_panel=DECIDE,
)


def stdin_or_file(file: str | None, given: bool, no_input: str) -> str | None:
    """The file to read: ``--file``, else piped stdin (``-``) when no vectors are given;
    None for the vectors. ``no_input`` is the usage error when there is neither."""
    from .app import Terminal

    if file is not None:
        if given:
            raise UsageError("give a file or vectors, not both")
        return file
    if given:
        return None
    if Terminal.detect().stdin_is_tty:
        raise UsageError(no_input)
    return "-"


def read_options(input_format, delimiter_text, ignore_columns, classes, on_error):
    """The :class:`~xent.readers.read_options.ReadOptions` of a file of distribution rows."""
    from ..readers.read_options import ReadOptions

    return ReadOptions(
        input_format=input_format.value if input_format else None,
        label_column=None,
        delimiter=delimiter(delimiter_text),
        ignore_columns=names(ignore_columns, "--ignore-columns"),
        classes=names(classes, "--classes"),
        on_error=on_error.value,
    )


def names(text: str | None, option: str) -> tuple[str, ...]:
    from ..readers.arguments import parse_class_names

    return tuple(parse_class_names(text, source=option)) if text else ()


def column_names(text: str | None, option: str) -> tuple[str, ...]:
    """Column names, comma-separated and quoted as in CSV: ``id,"a,b"``; the empty name
    is ``''`` alone or ``""`` in a list (pandas' unnamed index column)."""
    if text is None:
        return ()
    if not text.strip():
        return ("",)
    import csv

    try:
        fields = next(csv.reader([text], skipinitialspace=True, strict=True))
    except csv.Error as error:
        raise UsageError(f"not a list of names ({error})", source=option) from None
    names = tuple(name.strip() for name in fields)
    for name in names:
        if names.count(name) > 1:
            raise UsageError(f"column {name!r} is given twice", source=option)
    return names


def delimiter(text: str | None) -> str | None:
    if text is None:
        return None
    text = {"\\t": "\t", "tab": "\t"}.get(text, text)
    if len(text) != 1:
        raise UsageError(f"{text!r} is not one character", source="--delimiter")
    return text


def class_weights(text: str | None) -> tuple[float, ...] | None:
    if text is None:
        return None
    from ..errors import DataError
    from ..readers.arguments import parse_vector

    try:
        return tuple(parse_vector(text, source="--weights"))
    except DataError as error:  # a weight that is not a number is a usage error here
        raise UsageError(error.message, source="--weights") from None


class View(NamedTuple):
    """How a command's result is shown: the output options, read once. (A NamedTuple: a
    frozen dataclass costs about a millisecond of start-up.)"""

    fmt: OutputFormat
    precision: int
    reduction: str = "mean"
    svg: str | None = None
    html: str | None = None
    reliability: bool = False  # the reliability diagram instead of the summary
    reliability_svg: str | None = None

    @property
    def pictures(self) -> bool:
        return self.svg is not None or self.html is not None


def score_options(*, base: str, weights: str | None = None, on_error=None, **values):
    """The :class:`~xent.options.ScoreOptions` of a command, from its option values as
    typed: the log base and the class weights parsed, ``--on-error skip`` as
    ``skip_bad_rows``; every other value passes as it is."""
    from ..options import ScoreOptions
    from ..units import parse_base

    return ScoreOptions(
        base=parse_base(base),
        weights=class_weights(weights),
        skip_bad_rows=on_error is OnError.skip,
        **values,
    )


def file_read_options(
    *,
    input_format=None,
    label_column: str = "label",
    label_columns: str | None = None,
    delimiter_text: str | None = None,
    ignore_columns: str | None = None,
    classes: str | None = None,
    on_error=None,
    sample_weights: str | None = None,
    ignore_index: int | None = None,
    ignore_label: str | None = None,
    **values,
):
    """The :class:`~xent.readers.read_options.ReadOptions` of a prediction file, from the file
    options as typed (one spelling of each for every command)."""
    from ..readers.read_options import ReadOptions

    return ReadOptions(
        input_format=input_format.value if input_format else None,
        label_column=label_column,
        label_columns=names(label_columns, "--label-columns"),
        delimiter=delimiter(delimiter_text),
        ignore_columns=column_names(ignore_columns, "--ignore-columns"),
        classes=names(classes, "--classes"),
        on_error=on_error.value if on_error is not None else "raise",
        sample_weights=sample_weights,
        ignore_labels=tuple(str(t) for t in (ignore_index, ignore_label) if t is not None),
        **values,
    )
