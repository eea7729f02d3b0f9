"""Per-row byte and word counts (``ScoreOptions.byte_column``, ``word_column``): a kept
column's texts (``chunk.columns``: a CSV or Parquet column, an array of an .npz or
.safetensors) read as non-negative integers, for the normalised perplexities
(:mod:`xent.accumulators.normalised`). A bad count is one line naming the row."""

from __future__ import annotations

import math

import numpy as np

from ..errors import DataError
from .values import shown, to_float

MAX_COUNT = 2**53  # counts are read through float64 and summed as exact integers


def counts_of(chunk, columns: dict[str, str], source: str) -> dict[str, np.ndarray]:
    """``{"bytes": ..., "words": ...}`` of the chunk's rows, from the columns named."""
    counts = {}
    for kind, column in columns.items():
        values = chunk.columns[column]
        try:
            numbers = np.array([to_float(str(v)) for v in values], dtype=np.float64)
        except ValueError:
            numbers = np.array([_number(v) for v in values], dtype=np.float64)
        bad = ~((numbers >= 0) & (numbers <= MAX_COUNT) & (numbers == np.floor(numbers)))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            x = numbers[i]
            why = "not an integer"
            if math.isnan(x) or x < 0 or x > MAX_COUNT:
                why = "not a number" if math.isnan(x) else "negative" if x < 0 else "too large"
            raise DataError(
                f"{kind[:-1]} count {shown(str(values[i]))} in {column!r} is {why}: a count "
                "of bytes or words is a non-negative integer",
                source=source,
                line=int(chunk.lines[i]),
            )
        counts[kind] = numbers.astype(np.int64)
    return counts


def _number(value) -> float:
    try:
        return to_float(str(value).strip())
    except ValueError:
        return math.nan
