"""Every option of the command line, declared once as a type that the commands share:
``labels: params.LabelsOption = None``. Grouped into help panels (input, files, conventions,
metrics, intervals and gates; output, in :mod:`xent.cli.params_output`) so ``--help``
reads in sections. What the values become (a :class:`~xent.evaluation.Evaluation`) is
:mod:`xent.cli.parse`'s.
"""

# No `from __future__ import annotations`: Typer reads the parameters' types at every
# start, and string annotations would each be compiled and evaluated then.

from typing import Annotated, List, Optional

import typer

from .choices import Holds, InputFormat, OnError

# The output panel is declared in params_output; commands take every option from here.
from .params_output import (  # noqa: F401
    OUTPUT,
    BaseOption,
    ClassesShownOption,
    FormatOption,
    OutputOption,
    PrecisionOption,
    ReductionOption,
    SaveHtmlOption,
    SaveSvgOption,
)

INPUT = "Input"
FILES = "Files"
CONVENTIONS = "Conventions (PyTorch, scikit-learn, Keras)"
METRICS = "Metrics"
DECIDE = "Intervals, groups and gates"

# Input: vectors given as arguments
ClassesOption = Annotated[
    Optional[str],
    typer.Option(
        "--classes",
        "-c",
        metavar="NAMES",
        help="Class names, comma-separated (default: $XENT_CLASSES; five classes are the "
        "article's dog,fox,horse,eagle,squirrel; otherwise 0,1,2,...).",
        rich_help_panel=INPUT,
    ),
]
LabelsOption = Annotated[
    Optional[List[str]],
    typer.Option(
        "--labels",
        "-l",
        metavar="LABEL",
        help="The true class: a name (dog), an index (0), or one value per class "
        "(1,0,0,0,0 one-hot; 0.9,0.1,0,0,0 soft). Repeat once per --pred, or give one for all.",
        rich_help_panel=INPUT,
    ),
]
PredOption = Annotated[
    Optional[List[str]],
    typer.Option(
        "--pred",
        "-p",
        metavar="Q1,Q2,...",
        help="Predicted probabilities, one per class (a single value: binary, P(class 1)). "
        "Repeat for several samples.",
        rich_help_panel=INPUT,
    ),
]
LogitsOption = Annotated[
    Optional[List[str]],
    typer.Option(
        "--logits",
        metavar="Z1,Z2,...",
        help="Logits instead of --pred (softmax by an exact log-sum-exp; one value: sigmoid).",
        rich_help_panel=INPUT,
    ),
]

# Files. Every command that reads files takes the options that say how a file is read
# (READ_OPTIONS, by parameter name; a command to which one cannot apply refuses it with a
# line saying why), and every command that reads prediction files the label options too.
# tests/test_file_options.py checks each command for each of them.
READ_OPTIONS = (
    "input_format",
    "delimiter",
    "ignore_columns",
    "on_error",
    "pred_array",
    "holds",
    "labels_file",
)
LABEL_OPTIONS = ("label_column", "label_columns")

FilesOption = Annotated[
    Optional[List[str]],
    typer.Option(
        "--file",
        "-i",
        metavar="PATH",
        help="A prediction file (CSV, TSV, JSON, JSON Lines, Parquet, Feather, .npz; may be "
        "compressed: .gz, .bz2, .xz, .zst), one row per sample; - for stdin. Repeat it, or "
        "give a glob or a directory: the files are one evaluation. Piped stdin is read when "
        "no vectors are given.",
        rich_help_panel=FILES,
    ),
]
FileOption = Annotated[
    Optional[str],
    typer.Option(
        "--file",
        "-i",
        metavar="PATH",
        help="A prediction file (CSV, TSV, JSON, JSON Lines, Parquet, Feather, .npz; may be "
        "compressed: .gz, .bz2, .xz, .zst), one row per sample; - for stdin. Repeat it, or "
        "give a glob or a directory: the files are one evaluation. Piped stdin is read when "
        "no vectors are given.",
        rich_help_panel=FILES,
    ),
]
ByFileOption = Annotated[
    bool,
    typer.Option(
        "--by-file",
        help="With several files: also each file's rows and mean loss.",
        rich_help_panel=FILES,
    ),
]
ClusterOption = Annotated[
    Optional[str],
    typer.Option(
        "--cluster",
        metavar="ADDRESS",
        help="Score the files on a Dask cluster: a scheduler's address (tcp://host:8786), or "
        "local for a cluster of worker processes here (pip install 'xent\\[dask]').",
        rich_help_panel=FILES,
    ),
]
WorkersOption = Annotated[
    Optional[int],
    typer.Option(
        "--workers",
        metavar="N",
        min=1,
        help="With --cluster local: how many worker processes (default: one per core).",
        rich_help_panel=FILES,
    ),
]
PredArrayOption = Annotated[
    Optional[str],
    typer.Option(
        "--pred-array",
        metavar="NAME",
        help="The predictions array of an .npz (default: pred, probs, logits, ...; the labels "
        "array is --label-column if it names one, else labels, label, y, ...).",
        rich_help_panel=FILES,
    ),
]
HoldsOption = Annotated[
    Holds,
    typer.Option(
        "--holds",
        help="What an array file's values are: logits, logprobs (checked, used as log Q) or "
        "probabilities (default auto: by the array's name, else logits unless the rows are "
        "distributions or log-probabilities).",
        rich_help_panel=FILES,
    ),
]
LabelsFileOption = Annotated[
    Optional[str],
    typer.Option(
        "--labels-file",
        metavar="FILE",
        help="The target tokens of an .npy/.npz/.safetensors file of values, one integer per "
        "row, in an .npy.",
        rich_help_panel=FILES,
    ),
]
InputFormatOption = Annotated[
    Optional[InputFormat],
    typer.Option(
        "--input-format",
        help="The file's format (default: from the extension, else from the content).",
        rich_help_panel=FILES,
    ),
]
LabelColumnOption = Annotated[
    str,
    typer.Option(
        "--label-column",
        metavar="NAME",
        help="The column (JSON key) holding each row's class name or index; with "
        "--multi-label the positive class names, separated by |.",
        rich_help_panel=FILES,
    ),
]
LabelColumnsOption = Annotated[
    Optional[str],
    typer.Option(
        "--label-columns",
        metavar="NAMES",
        help="Soft labels: the columns holding P(class), one per class in class order, "
        "comma-separated (instead of --label-column); with --multi-label, 0/1 per class.",
        rich_help_panel=FILES,
    ),
]
DelimiterOption = Annotated[
    Optional[str],
    typer.Option(
        "--delimiter",
        "-d",
        metavar="CHAR",
        help="CSV field delimiter (default: detected from the header: comma, tab or ;). "
        "'\\t' for tab.",
        rich_help_panel=FILES,
    ),
]
IgnoreColumnsOption = Annotated[
    Optional[str],
    typer.Option(
        "--ignore-columns",
        metavar="NAMES",
        help="Columns that are neither the label nor a class (ids, text), comma-separated, "
        "quoted as in CSV ('' alone, or \"\" in a list, is the column with no name). Every "
        "other column is a class.",
        rich_help_panel=FILES,
    ),
]
OnErrorOption = Annotated[
    OnError,
    typer.Option(
        "--on-error",
        help="raise: stop at the first bad row (exit 1). skip: leave bad rows out, and say "
        "how many and which.",
        rich_help_panel=FILES,
    ),
]
PColumnsOption = Annotated[
    Optional[str],
    typer.Option(
        "--p-columns",
        metavar="NAMES",
        help="The columns (JSON keys) holding P, one per class in class order, comma-separated "
        "(default: the columns named p_<class>).",
        rich_help_panel=FILES,
    ),
]
QColumnsOption = Annotated[
    Optional[str],
    typer.Option(
        "--q-columns",
        metavar="NAMES",
        help="The columns (JSON keys) holding Q, in the same class order as --p-columns "
        "(default: the columns named q_<class>).",
        rich_help_panel=FILES,
    ),
]

# Arguments
PathsArgument = Annotated[
    Optional[List[str]],
    typer.Argument(
        metavar="[FILES]...",
        help="More prediction files (what a shell glob after --file expands to).",
        show_default=False,
    ),
]

# Conventions
RenormalizeOption = Annotated[
    bool,
    typer.Option(
        "--renormalize",
        help="Divide each prediction (distribution) by its sum instead of rejecting it: any "
        "non-negative values, counts or scores, as SciPy's entropy does.",
        rich_help_panel=CONVENTIONS,
    ),
]
FromLogitsOption = Annotated[
    bool,
    typer.Option(
        "--from-logits",
        help="The --pred values (or a file's class columns) are logits, as Keras' "
        'from_logits=True; a JSON "logits" key says so by itself.',
        rich_help_panel=CONVENTIONS,
    ),
]
ClipOption = Annotated[
    Optional[str],
    typer.Option(
        "--clip",
        metavar="EPS",
        help="Clip predictions to [EPS, 1-EPS] first, like scikit-learn and Keras "
        "(avoids an infinite loss when Q(i) = 0); eps is the float64 machine epsilon, "
        "scikit-learn's log_loss clip.",
        rich_help_panel=CONVENTIONS,
    ),
]
LabelSmoothingOption = Annotated[
    float,
    typer.Option(
        "--label-smoothing",
        metavar="ALPHA",
        help="Smooth the label to (1-ALPHA)·P + ALPHA/K, as PyTorch's "
        "CrossEntropyLoss(label_smoothing=ALPHA) and Keras do.",
        rich_help_panel=CONVENTIONS,
    ),
]
WeightsOption = Annotated[
    Optional[str],
    typer.Option(
        "--weights",
        metavar="W1,W2,...",
        help="Class weights, PyTorch's CrossEntropyLoss(weight=...): each class's term is "
        "multiplied by its weight, and the mean divides by the sum of the weights of the "
        "true classes (by the number of rows for distribution labels).",
        rich_help_panel=CONVENTIONS,
    ),
]
SampleWeightsOption = Annotated[
    Optional[str],
    typer.Option(
        "--sample-weights",
        metavar="COLUMN|W1,W2,...",
        help="Per-row weights: a file's numeric column (JSON key), or one number per --pred. "
        "The mean is Σ s·loss / Σ s, scikit-learn's log_loss(sample_weight=...) (with "
        "--weights, Σ s·loss / Σ s·w\\[label]); accuracy and the metrics are weighted too.",
        rich_help_panel=CONVENTIONS,
    ),
]
IgnoreIndexOption = Annotated[
    Optional[int],
    typer.Option(
        "--ignore-index",
        metavar="N",
        help="Leave out rows whose label is the index N (PyTorch's ignore_index, e.g. -100; "
        "also the rows of class N). Ignored rows are counted, in no statistic.",
        rich_help_panel=CONVENTIONS,
    ),
]
IgnoreLabelOption = Annotated[
    Optional[str],
    typer.Option(
        "--ignore-label",
        metavar="NAME",
        help="Leave out rows whose label is NAME.",
        rich_help_panel=CONVENTIONS,
    ),
]
MultiLabelOption = Annotated[
    bool,
    typer.Option(
        "--multi-label",
        help="Each class is its own yes/no: labels are 0/1 per class (or the positive class "
        "names, dog,eagle; in a file dog|eagle), predictions independent probabilities or "
        "logits (sigmoid); the loss is the mean binary cross-entropy (PyTorch BCEWithLogitsLoss).",
        rich_help_panel=CONVENTIONS,
    ),
]

# Metrics
TopKOption = Annotated[
    int,
    typer.Option(
        "--top-k",
        metavar="K",
        help="Top-K accuracy: the fraction of rows whose true class is among the K most "
        "probable (scikit-learn's top_k_accuracy_score). Beside it, the Brier score: the "
        "mean over rows of Σ (Q(i) − P(i))².",
        rich_help_panel=METRICS,
    ),
]
BinsOption = Annotated[
    int,
    typer.Option(
        "--bins",
        metavar="B",
        help="The expected calibration error over B equal-width bins of confidence (the top "
        "probability), ECE = Σ_b (n_b/N)·|accuracy_b − confidence_b|.",
        rich_help_panel=METRICS,
    ),
]
ReliabilityOption = Annotated[
    bool,
    typer.Option(
        "--reliability",
        help="Show the reliability diagram instead of the summary (files): per confidence bin "
        "(--bins) the rows, mean confidence, accuracy and its 95% Wilson interval; -f csv/json "
        "write its rows.",
        rich_help_panel=METRICS,
    ),
]
ReliabilitySvgOption = Annotated[
    Optional[str],
    typer.Option(
        "--reliability-svg",
        metavar="FILE",
        help="Also save the reliability diagram as an SVG picture (files).",
        rich_help_panel=METRICS,
    ),
]
WorstOption = Annotated[
    int,
    typer.Option(
        "--worst",
        min=0,
        metavar="K",
        help="Also list the K rows with the highest loss, with their line numbers.",
        rich_help_panel=METRICS,
    ),
]

# Intervals, groups and gates
FailAboveOption = Annotated[
    Optional[float],
    typer.Option(
        "--fail-above",
        metavar="X",
        help="A gate for scripts: after printing the output, exit 3 when the reduced loss "
        "is above X (in the --base unit).",
        rich_help_panel=DECIDE,
    ),
]
CiOption = Annotated[
    Optional[float],
    typer.Option(
        "--ci",
        metavar="LEVEL",
        help="Confidence intervals at LEVEL (0.95) for every summary metric: a streaming "
        "Poisson bootstrap, one pass, exactly reproducible for a --seed.",
        rich_help_panel=DECIDE,
    ),
]
BootstrapOption = Annotated[
    int,
    typer.Option(
        "--bootstrap",
        metavar="N",
        help="Bootstrap replicates for --ci (default 200).",
        rich_help_panel=DECIDE,
    ),
]
SeedOption = Annotated[
    int,
    typer.Option(
        "--seed",
        metavar="N",
        help="Seed of the bootstrap weights (default 0: the same intervals every run).",
        rich_help_panel=DECIDE,
    ),
]
GroupByOption = Annotated[
    Optional[str],
    typer.Option(
        "--group-by",
        metavar="COLUMN",
        help="A summary per value of this column (files): rows, loss, perplexity, accuracy, "
        "skill, sorted by loss.",
        rich_help_panel=DECIDE,
    ),
]
SequenceColumnOption = Annotated[
    Optional[str],
    typer.Option(
        "--sequence-column",
        metavar="COLUMN",
        help="Rows are tokens and this column names their sequence: show corpus perplexity "
        "and the mean of per-sequence perplexities, side by side.",
        rich_help_panel=DECIDE,
    ),
]
