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

# Below every command's help: where the details of its options are.
DETAILS_EPILOG = (
    "Each option in full: docs/cli.md; files: docs/files.md; conventions: docs/conventions.md."
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
        help="Class names, comma-separated.",
        rich_help_panel=INPUT,
    ),
]
LabelsOption = Annotated[
    Optional[List[str]],
    typer.Option(
        "--labels",
        "-l",
        metavar="LABEL",
        help="The true class: a name, an index, or P per class.",
        rich_help_panel=INPUT,
    ),
]
PredOption = Annotated[
    Optional[List[str]],
    typer.Option(
        "--pred",
        "-p",
        metavar="Q1,Q2,...",
        help="Predicted probabilities, one per class. Repeatable.",
        rich_help_panel=INPUT,
    ),
]
LogitsOption = Annotated[
    Optional[List[str]],
    typer.Option(
        "--logits",
        metavar="Z1,Z2,...",
        help="Logits instead of --pred (softmax).",
        rich_help_panel=INPUT,
    ),
]

# Files. Every command that reads files takes the options that say how a file is read, and
# every command that reads prediction files the label options too: declared together once,
# as xent.cli.shared's groups (READ_OPTIONS, LABEL_OPTIONS there).

FilesOption = Annotated[
    Optional[List[str]],
    typer.Option(
        "--file",
        "-i",
        metavar="PATH",
        help="Prediction files (CSV, JSON, Parquet, ...); - is stdin.",
        rich_help_panel=FILES,
    ),
]
FileOption = Annotated[
    Optional[str],
    typer.Option(
        "--file",
        "-i",
        metavar="PATH",
        help="Prediction files (CSV, JSON, Parquet, ...); - is stdin.",
        rich_help_panel=FILES,
    ),
]
ByFileOption = Annotated[
    bool,
    typer.Option(
        "--by-file",
        help="Also each file's rows and mean loss.",
        rich_help_panel=FILES,
    ),
]
ClusterOption = Annotated[
    Optional[str],
    typer.Option(
        "--cluster",
        metavar="ADDRESS",
        help="Score on a Dask cluster (pip install 'xent\\[dask]').",
        rich_help_panel=FILES,
    ),
]
WorkersOption = Annotated[
    Optional[int],
    typer.Option(
        "--workers",
        metavar="N",
        min=1,
        help="Worker processes for --cluster local.",
        rich_help_panel=FILES,
    ),
]
PredArrayOption = Annotated[
    Optional[str],
    typer.Option(
        "--pred-array",
        metavar="NAME",
        help="The predictions array of an .npz.",
        rich_help_panel=FILES,
    ),
]
HoldsOption = Annotated[
    Holds,
    typer.Option(
        "--holds",
        metavar="VALUES",
        help="An array file's values: logits, logprobs, probabilities.",
        rich_help_panel=FILES,
    ),
]
LabelsFileOption = Annotated[
    Optional[str],
    typer.Option(
        "--labels-file",
        metavar="FILE",
        help="The target tokens (.npy) of an array file.",
        rich_help_panel=FILES,
    ),
]
InputFormatOption = Annotated[
    Optional[InputFormat],
    typer.Option(
        "--input-format",
        metavar="FORMAT",
        help="The file's format (default: from its name, content).",
        rich_help_panel=FILES,
    ),
]
LabelColumnOption = Annotated[
    str,
    typer.Option(
        "--label-column",
        metavar="NAME",
        help="The column of the labels (default: label).",
        rich_help_panel=FILES,
    ),
]
LabelColumnsOption = Annotated[
    Optional[str],
    typer.Option(
        "--label-columns",
        metavar="NAMES",
        help="Soft labels: a column of P per class.",
        rich_help_panel=FILES,
    ),
]
DelimiterOption = Annotated[
    Optional[str],
    typer.Option(
        "--delimiter",
        "-d",
        metavar="CHAR",
        help="CSV delimiter (default: detected).",
        rich_help_panel=FILES,
    ),
]
IgnoreColumnsOption = Annotated[
    Optional[str],
    typer.Option(
        "--ignore-columns",
        metavar="NAMES",
        help="Columns that are not classes (ids, text).",
        rich_help_panel=FILES,
    ),
]
OnErrorOption = Annotated[
    OnError,
    typer.Option(
        "--on-error",
        help="raise: stop at a bad row; skip: leave it out.",
        rich_help_panel=FILES,
    ),
]
PColumnsOption = Annotated[
    Optional[str],
    typer.Option(
        "--p-columns",
        metavar="NAMES",
        help="The columns of P (default: p_<class>).",
        rich_help_panel=FILES,
    ),
]
QColumnsOption = Annotated[
    Optional[str],
    typer.Option(
        "--q-columns",
        metavar="NAMES",
        help="The columns of Q (default: q_<class>).",
        rich_help_panel=FILES,
    ),
]

# Arguments
PathsArgument = Annotated[
    Optional[List[str]],
    typer.Argument(
        metavar="[FILES]...",
        help="More prediction files (what a glob after --file expands to).",
        show_default=False,
    ),
]

# Conventions
RenormalizeOption = Annotated[
    bool,
    typer.Option(
        "--renormalize",
        help="Divide each prediction by its sum.",
        rich_help_panel=CONVENTIONS,
    ),
]
FromLogitsOption = Annotated[
    bool,
    typer.Option(
        "--from-logits",
        help="The values are logits (Keras' from_logits).",
        rich_help_panel=CONVENTIONS,
    ),
]
ClipOption = Annotated[
    Optional[str],
    typer.Option(
        "--clip",
        metavar="EPS",
        help="Clip Q to \\[EPS, 1-EPS]; eps: scikit-learn's.",
        rich_help_panel=CONVENTIONS,
    ),
]
LabelSmoothingOption = Annotated[
    float,
    typer.Option(
        "--label-smoothing",
        metavar="ALPHA",
        help="Label smoothing, as PyTorch's.",
        rich_help_panel=CONVENTIONS,
    ),
]
WeightsOption = Annotated[
    Optional[str],
    typer.Option(
        "--weights",
        metavar="W1,W2,...",
        help="Class weights (PyTorch's weight=).",
        rich_help_panel=CONVENTIONS,
    ),
]
SampleWeightsOption = Annotated[
    Optional[str],
    typer.Option(
        "--sample-weights",
        metavar="COLUMN|W1,W2,...",
        help="Per-row weights (scikit-learn's sample_weight).",
        rich_help_panel=CONVENTIONS,
    ),
]
IgnoreIndexOption = Annotated[
    Optional[int],
    typer.Option(
        "--ignore-index",
        metavar="N",
        help="Leave out rows of label index N (ignore_index).",
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
        help="Each class is its own yes/no (sigmoid).",
        rich_help_panel=CONVENTIONS,
    ),
]

# Metrics
TopKOption = Annotated[
    int,
    typer.Option(
        "--top-k",
        metavar="K",
        help="Top-K accuracy (default 1), and the Brier score.",
        rich_help_panel=METRICS,
    ),
]
BinsOption = Annotated[
    int,
    typer.Option(
        "--bins",
        metavar="B",
        help="Bins of the calibration error (default 15).",
        rich_help_panel=METRICS,
    ),
]
ReliabilityOption = Annotated[
    bool,
    typer.Option(
        "--reliability",
        help="Show the reliability diagram (files).",
        rich_help_panel=METRICS,
    ),
]
ReliabilitySvgOption = Annotated[
    Optional[str],
    typer.Option(
        "--reliability-svg",
        metavar="FILE",
        help="Save the reliability diagram as SVG.",
        rich_help_panel=METRICS,
    ),
]
WorstOption = Annotated[
    int,
    typer.Option(
        "--worst",
        min=0,
        metavar="K",
        help="List the K rows of highest loss.",
        rich_help_panel=METRICS,
    ),
]

# Intervals, groups and gates
FailAboveOption = Annotated[
    Optional[float],
    typer.Option(
        "--fail-above",
        metavar="X",
        help="Exit 3 when the loss is above X.",
        rich_help_panel=DECIDE,
    ),
]
CiOption = Annotated[
    Optional[float],
    typer.Option(
        "--ci",
        metavar="LEVEL",
        help="Intervals at LEVEL (0.95), from standard errors.",
        rich_help_panel=DECIDE,
    ),
]
BootstrapOption = Annotated[
    Optional[int],
    typer.Option(
        "--bootstrap",
        metavar="N",
        help="Bootstrap intervals of N replicates (200).",
        rich_help_panel=DECIDE,
    ),
]
SeedOption = Annotated[
    int,
    typer.Option(
        "--seed",
        metavar="N",
        help="Seed of the bootstrap (default 0).",
        rich_help_panel=DECIDE,
    ),
]
GroupByOption = Annotated[
    Optional[str],
    typer.Option(
        "--group-by",
        metavar="COLUMN",
        help="A summary per value of COLUMN (files).",
        rich_help_panel=DECIDE,
    ),
]
SequenceColumnOption = Annotated[
    Optional[str],
    typer.Option(
        "--sequence-column",
        metavar="COLUMN",
        help="Rows are tokens; COLUMN names their sequence.",
        rich_help_panel=DECIDE,
    ),
]
