"""The options of language-model sources and figures (``--logprobs-mode``,
``--vocab-size``, ``--byte-column``, ``--word-column``): docs/language-models.md."""

# No `from __future__ import annotations`: Typer reads the parameters' types at every start.

from typing import Annotated, Optional

import typer

from .choices import LogprobsMode
from .params import DECIDE, FILES

LogprobsModeOption = Annotated[
    LogprobsMode,
    typer.Option(
        "--logprobs-mode",
        help="A logprobs file's responses: chat or completions (OpenAI), vllm (sampled "
        "tokens) or vllm-prompt (prompt_logprobs); default auto: by the first response, "
        "vLLM's sampled tokens before its prompt's.",
        rich_help_panel=FILES,
    ),
]
VocabSizeOption = Annotated[
    Optional[int],
    typer.Option(
        "--vocab-size",
        metavar="V",
        help="The model's vocabulary size: bounds on the entropy from a logprobs file's "
        "top_logprobs (without it, the mass outside the listed tokens alone).",
        rich_help_panel=DECIDE,
    ),
]
ByteColumnOption = Annotated[
    Optional[str],
    typer.Option(
        "--byte-column",
        metavar="COLUMN",
        help="A column (or .npz/.safetensors array) of each row's byte count: bits per byte "
        "and byte perplexity, lm-evaluation-harness' (a document's count may sit on one of "
        "its rows, 0 on the others).",
        rich_help_panel=DECIDE,
    ),
]
WordColumnOption = Annotated[
    Optional[str],
    typer.Option(
        "--word-column",
        metavar="COLUMN",
        help="A column (or array) of each row's word count: word perplexity, "
        "exp(-Σ log-likelihood / Σ words), lm-evaluation-harness' weighted_perplexity.",
        rich_help_panel=DECIDE,
    ),
]
