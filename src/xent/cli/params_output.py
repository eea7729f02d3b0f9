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
        help="Log base: e (nats, default), 2 (bits), 10 (hartleys) or any positive number but 1.",
        rich_help_panel=OUTPUT,
    ),
]
FormatOption = Annotated[
    OutputFormat,
    typer.Option(
        "--format",
        "-f",
        help="table on a terminal; plain (the one number, full precision) when piped; "
        "json and csv for scripts.",
        rich_help_panel=OUTPUT,
    ),
]
PrecisionOption = Annotated[
    int,
    typer.Option(
        "--precision",
        min=0,
        max=17,
        help="Decimals shown in tables (plain/json/csv are exact).",
        rich_help_panel=OUTPUT,
    ),
]
ClassesShownOption = Annotated[
    str,
    typer.Option(
        "--classes-shown",
        metavar="N|all",
        help="Classes listed in tables and JSON: all of them up to N, else the N with the "
        "largest contributions, saying how many are left out (default 20; all lists every "
        "class).",
        rich_help_panel=OUTPUT,
    ),
]
ReductionOption = Annotated[
    Reduction,
    typer.Option(
        "--reduction",
        "-r",
        help="With several samples: their mean, sum, or none (one value per sample).",
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
        help="Also save the table view as an SVG picture.",
        rich_help_panel=OUTPUT,
    ),
]
SaveHtmlOption = Annotated[
    Optional[str],
    typer.Option(
        "--save-html",
        metavar="FILE",
        help="Also save the table view as an HTML page.",
        rich_help_panel=OUTPUT,
    ),
]
