"""Summaries per group and perplexities per sequence, kept here by name: they live in
:mod:`xent.accumulators.groups`."""

from .accumulators.groups import (  # noqa: F401
    MAX_GROUPS,
    MAX_SEQUENCES,
    GroupedTotals,
    Sequences,
    column_of_rows,
    subset,
)
