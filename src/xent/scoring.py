"""Per-row losses of a chunk of rows read from a file, errors placed on their lines.

The engine checks and scores; this module only maps the engine's row indices back to the
lines they came from, and under ``--on-error skip`` drops the bad rows (all of them, each
with its own message) before scoring the rest.
"""

from __future__ import annotations

import math
import warnings
from typing import NamedTuple

import numpy as np

from . import engine
from .errors import DataError, InvalidProbabilities


class ScoredRows(NamedTuple):
    """What the summary and the per-row output need of each scored row."""

    lines: np.ndarray  # 1-based line (or row) numbers
    labels: np.ndarray  # true class index (the arg-max of a soft label)
    predicted: np.ndarray  # arg-max class of the prediction
    losses: np.ndarray  # cross-entropy per row, in the requested base
    skipped: list  # DataErrors of the rows not scored


def _place(error: DataError, chunk, source: str) -> DataError:
    """Give an engine error (which knows a row of the chunk) the line of that row."""
    number = int(chunk.lines[error.row or 0])
    error.row = None
    error.source = source
    if chunk.numbered == "row":
        error.message = f"row {number}: {error.message}"
        error.number = number
    else:
        error.line = number
    return error


def _bad_rows(chunk, logits: bool, renormalize: bool, tolerance) -> np.ndarray:
    """Rows the engine would reject: predictions (and soft labels) that are not
    distributions, or logits that are not finite."""
    values = chunk.values
    if logits:
        bad = ~np.isfinite(values).all(axis=1)
    elif renormalize:
        bad = engine.invalid_distribution_rows(values, tolerance=np.inf)
        bad |= values.sum(axis=1) == 0
    else:
        bad = engine.invalid_distribution_rows(values, tolerance=tolerance)
    if chunk.targets is not None:
        bad |= engine.invalid_distribution_rows(chunk.targets, tolerance=tolerance)
    return bad


def score_chunk(
    chunk,
    *,
    source: str,
    logits: bool = False,
    base: float = math.e,
    clip: float | None = None,
    renormalize: bool = False,
    tolerance: float | None = None,
    skip: bool = False,
) -> ScoredRows:
    """Cross-entropy of each row of ``chunk``; raise (or, with ``skip``, drop) bad rows."""
    logits = logits or chunk.logits
    skipped = list(chunk.skipped)
    if skip and len(chunk):
        bad = _bad_rows(chunk, logits, renormalize, tolerance)
        if bad.any():
            for i in np.flatnonzero(bad):
                try:  # the engine words the problem with this one row
                    score_chunk(
                        _rows(chunk, slice(i, i + 1)),
                        source=source,
                        logits=logits,
                        clip=clip,
                        renormalize=renormalize,
                        tolerance=tolerance,
                    )
                except DataError as error:
                    skipped.append(error)
            chunk = _rows(chunk, ~bad)
    if not len(chunk):
        empty = np.zeros(0, dtype=np.intp)
        return ScoredRows(chunk.lines, empty, empty, np.zeros(0), skipped)
    target = chunk.labels if chunk.targets is None else chunk.targets
    values = chunk.values
    try:
        with warnings.catch_warnings():
            # An infinite loss is reported once, by the summary, not once per chunk.
            warnings.simplefilter("ignore", engine.ZeroProbabilityWarning)
            losses = engine.cross_entropy(
                target,
                None if logits else values,
                logits=values if logits else None,
                base=base,
                reduction="none",
                clip=clip,
                renormalize=renormalize,
                tolerance=tolerance,
            )
    except InvalidProbabilities as error:
        raise _place(error, chunk, source) from None
    except DataError as error:
        if error.row is None:
            raise
        raise _place(error, chunk, source) from None
    if skip:  # the reader's and the engine's, in file order
        skipped.sort(key=lambda error: error.line or getattr(error, "number", 0))
    labels = chunk.labels if chunk.targets is None else chunk.targets.argmax(axis=1)
    predicted = values.argmax(axis=1)
    return ScoredRows(chunk.lines, labels, predicted, np.asarray(losses), skipped)


def _rows(chunk, which):
    """The chunk restricted to some rows (a mask or a slice)."""
    from dataclasses import replace

    return replace(
        chunk,
        values=chunk.values[which],
        lines=chunk.lines[which],
        labels=None if chunk.labels is None else chunk.labels[which],
        targets=None if chunk.targets is None else chunk.targets[which],
        skipped=[],
    )
