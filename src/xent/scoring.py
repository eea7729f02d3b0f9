"""Per-row losses of a chunk of rows read from a file, errors placed on their lines.

The engine checks and scores; this module only maps the engine's row indices back to the
lines they came from, and under ``--on-error skip`` drops the bad rows (all of them, each
with its own message) before scoring the rest.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np

from . import engine, losses
from .errors import DataError, InvalidProbabilities, UsageError


class ScoredRows(NamedTuple):
    """What the summary and the per-row output need of each scored row."""

    lines: np.ndarray  # 1-based line (or row) numbers
    labels: np.ndarray  # true class index (the arg-max of a soft label)
    predicted: np.ndarray  # arg-max class of the prediction
    losses: np.ndarray  # cross-entropy per row, in the requested base (PyTorch's l_n)
    skipped: list  # DataErrors of the rows not scored
    # The rest is set by the framework options and the metrics (None: not used).
    sample_weights: np.ndarray | None = None  # s_n, the --sample-weights column
    denominators: np.ndarray | None = None  # s_n * w[y_n] (or s_n): the mean's divisor
    probabilities: np.ndarray | None = None  # Q, for top-k accuracy, Brier score and ECE
    targets: np.ndarray | None = None  # soft labels, for the Brier score
    ignored: int = 0  # rows whose label is ignored (--ignore-index / --ignore-label)


@dataclass(frozen=True)
class Conventions:
    """PyTorch's and scikit-learn's options as file scoring applies them."""

    weights: tuple[float, ...] | None = None  # class weights (PyTorch weight=)
    label_smoothing: float = 0.0
    ignore_index: int | None = None  # a class index (the reader maps other values to K)
    ignore_label: str | None = None  # a class name (likewise)
    metrics: bool = False  # also return the probabilities for the metrics

    @property
    def plain(self) -> bool:
        """No option changes the loss: the engine's own cross-entropy applies."""
        return self.weights is None and not self.label_smoothing


def ignored_classes(classes: list[str], conventions: Conventions) -> list[int]:
    """Class indices whose rows are left out: K (what the reader maps an ignored label that
    is no class to), and the class the ignore index or label names, if any."""
    k = len(classes)
    found = [k]
    if conventions.ignore_index is not None and 0 <= conventions.ignore_index < k:
        found.append(conventions.ignore_index)
    if conventions.ignore_label in classes:
        found.append(classes.index(conventions.ignore_label))
    return found


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
    conventions: Conventions = Conventions(),
) -> ScoredRows:
    """Cross-entropy of each row of ``chunk``; raise (or, with ``skip``, drop) bad rows.

    Rows whose label is ignored are dropped first, and counted. With class weights or
    label smoothing the loss is :func:`xent.losses.row_terms` (PyTorch's l_n)."""
    logits = logits or chunk.logits
    skipped = list(chunk.skipped)
    ignored = 0
    if conventions.ignore_index is not None or conventions.ignore_label is not None:
        if chunk.targets is not None:
            raise UsageError(
                "the file has soft labels: PyTorch's ignore_index needs class labels",
                source="--ignore-index" if conventions.ignore_label is None else "--ignore-label",
            )
        drop = np.isin(chunk.labels, ignored_classes(chunk.classes, conventions))
        ignored = int(drop.sum())
        if ignored:
            chunk = _rows(chunk, ~drop)
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
                        conventions=replace(conventions, metrics=False),
                    )
                except DataError as error:
                    skipped.append(error)
            chunk = _rows(chunk, ~bad)
    if not len(chunk):
        empty = np.zeros(0, dtype=np.intp)
        return ScoredRows(chunk.lines, empty, empty, np.zeros(0), skipped, ignored=ignored)
    target = chunk.labels if chunk.targets is None else chunk.targets
    values = chunk.values
    pred, logit_values = (None, values) if logits else (values, None)
    try:
        with warnings.catch_warnings():
            # An infinite loss is reported once, by the summary, not once per chunk.
            warnings.simplefilter("ignore", engine.ZeroProbabilityWarning)
            if conventions.plain:
                row_losses = engine.cross_entropy(
                    target,
                    pred,
                    logits=logit_values,
                    base=base,
                    reduction="none",
                    clip=clip,
                    renormalize=renormalize,
                    tolerance=tolerance,
                )
                class_weights = None
            else:
                row_losses, class_weights = _framework_losses(
                    chunk, pred, logit_values, base, clip, renormalize, tolerance, conventions
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
    s = chunk.sample_weights
    if class_weights is None:
        denominators = s
    else:
        denominators = class_weights if s is None else s * class_weights
    probabilities = None
    if conventions.metrics:
        if logits:
            probabilities = engine.softmax(values)
        else:
            probabilities = engine.normalize_rows(values) if renormalize else values
    return ScoredRows(
        chunk.lines,
        labels,
        predicted,
        np.asarray(row_losses),
        skipped,
        sample_weights=s,
        denominators=denominators,
        probabilities=probabilities,
        targets=chunk.targets,
        ignored=ignored,
    )


def _framework_losses(chunk, pred, logits, base, clip, renormalize, tolerance, conventions):
    """PyTorch's l_n of each row and its class weight w[y_n] (1 for soft labels)."""
    log_q = engine.log_predictions(
        pred, logits=logits, clip=clip, renormalize=renormalize, tolerance=tolerance
    )
    k = log_q.shape[1]
    if chunk.targets is None:
        target = chunk.labels
    else:
        target = engine.target_distribution(chunk.targets, k, tolerance=tolerance)
    w = np.ones(k) if conventions.weights is None else np.asarray(conventions.weights, float)
    if w.shape[0] != k:
        raise UsageError(
            f"{w.shape[0]} weights for {k} classes ({', '.join(chunk.classes)}): "
            "give one per class",
            source="--weights",
        )
    row_losses, row_weights = losses.row_terms(target, log_q, w, conventions.label_smoothing)
    if conventions.weights is None:
        row_weights = None  # smoothing alone: every row counts once
    return engine._in_base(row_losses, base), row_weights


def _rows(chunk, which):
    """The chunk restricted to some rows (a mask or a slice)."""
    return replace(
        chunk,
        values=chunk.values[which],
        lines=chunk.lines[which],
        labels=None if chunk.labels is None else chunk.labels[which],
        targets=None if chunk.targets is None else chunk.targets[which],
        sample_weights=None if chunk.sample_weights is None else chunk.sample_weights[which],
        skipped=[],
    )
