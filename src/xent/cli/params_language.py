"""The options of language-model sources and figures (``--logprobs-mode``,
``--vocab-size``, ``--byte-column``, ``--word-column``): docs/language-models.md."""

# No `from __future__ import annotations`: Typer reads the parameters' types at every start.

from typing import Annotated, Optional

import typer

from .choices import CountsPer, LogprobsMode
from .params import DECIDE, FILES

LogprobsModeOption = Annotated[
    LogprobsMode,
    typer.Option(
        "--logprobs-mode",
        metavar="MODE",
        help="A logprobs file's responses (default: from the file).",
        rich_help_panel=FILES,
    ),
]
VocabSizeOption = Annotated[
    Optional[int],
    typer.Option(
        "--vocab-size",
        metavar="V",
        help="Vocabulary size: entropy bounds (logprobs).",
        rich_help_panel=DECIDE,
    ),
]
ByteColumnOption = Annotated[
    Optional[str],
    typer.Option(
        "--byte-column",
        metavar="COLUMN",
        help="Bytes per row: bits per byte.",
        rich_help_panel=DECIDE,
    ),
]
WordColumnOption = Annotated[
    Optional[str],
    typer.Option(
        "--word-column",
        metavar="COLUMN",
        help="Words per row: word perplexity.",
        rich_help_panel=DECIDE,
    ),
]
CountsPerOption = Annotated[
    CountsPer,
    typer.Option(
        "--counts-per",
        metavar="WHOSE",
        help="Counts per row (summed) or per document.",
        rich_help_panel=DECIDE,
    ),
]
