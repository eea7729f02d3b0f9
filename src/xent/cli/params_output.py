"""The options of the output panel (the log base, the format, the precision, the
reduction, --output and the pictures), declared once; :mod:`xent.cli.params` shares them
with every other option."""

# No `from __future__ import annotations`: Typer reads the parameters' types at every
# start, and string annotations would each be compiled and evaluated then.

from typing import Annotated, Optional

import typer

from .choices import OutputFormat, Reduction
from .output import OUTPUT_HELP

OUTPUT = "Output"

BaseOption = Annotated[
    str,
    typer.Option(
        "--base",
        "-b",
        metavar="e|2|10|NUMBER",
        help="Log base: e (nats), 2 (bits), 10, or any.",
        rich_help_panel=OUTPUT,
    ),
]
FormatOption = Annotated[
    OutputFormat,
    typer.Option(
        "--format",
        "-f",
        metavar="FORMAT",
        help="table, plain, json or csv (default: by terminal).",
        rich_help_panel=OUTPUT,
    ),
]
PrecisionOption = Annotated[
    int,
    typer.Option(
        "--precision",
        metavar="N",
        min=0,
        max=17,
        help="Decimals in tables (default 4).",
        rich_help_panel=OUTPUT,
    ),
]
ClassesShownOption = Annotated[
    str,
    typer.Option(
        "--classes-shown",
        metavar="N|all",
        help="Classes listed (default 20).",
        rich_help_panel=OUTPUT,
    ),
]
ReductionOption = Annotated[
    Reduction,
    typer.Option(
        "--reduction",
        "-r",
        help="Several samples: mean, sum or none.",
        rich_help_panel=OUTPUT,
    ),
]
OutputOption = Annotated[
    Optional[str],
    typer.Option("--output", "-o", metavar="FILE", help=OUTPUT_HELP, rich_help_panel=OUTPUT),
]
SaveSvgOption = Annotated[
    Optional[str],
    typer.Option(
        "--save-svg",
        metavar="FILE",
        help="Also save the table view as SVG.",
        rich_help_panel=OUTPUT,
    ),
]
SaveHtmlOption = Annotated[
    Optional[str],
    typer.Option(
        "--save-html",
        metavar="FILE",
        help="Also save the table view as HTML.",
        rich_help_panel=OUTPUT,
    ),
]
