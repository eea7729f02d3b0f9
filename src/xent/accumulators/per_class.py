"""Per class: each class's rows, summed loss, divisor and sample weight (:class:`PerClass`),
and the accuracy, overall and per class (:class:`Accuracy`). Multi-label rows count by
class column: every row has a term for every class, and a class's accuracy is its own
yes/no at 0.5; a row is correct when every class is (scikit-learn's accuracy_score)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .base import Accumulator, Rows
from .exact import ExactSum, weigh


class ClassSums(NamedTuple):
    rows: np.ndarray  # rows of each class (multi-label: rows where it is positive)
    loss: np.ndarray  # Σ s·l of its rows (multi-label: of its column)
    divisor: np.ndarray  # Σ s·d of its rows, when the mean is weighted
    samples: np.ndarray  # Σ s of its rows
    # The class columns 0 in every row (probabilities with class labels; None when a chunk
    # could not tell: logits, soft or multi-label rows, no rows).
    zero: np.ndarray | None = None


class PerClass(Accumulator):
    name = "per_class"

    def __init__(self, classes, settings=None) -> None:
        k = len(classes)
        self.rows = np.zeros(k, dtype=np.int64)
        self.loss = np.zeros(k)
        self.divisor = np.zeros(k)
        self.samples = np.zeros(k)
        self.soft_labels = False  # some rows had soft labels (no base rate from counts)
        self.zero: np.ndarray | None = None  # the columns 0 in every row so far
        self.untold = False  # a chunk with rows could not tell its zero columns

    def add(self, rows: Rows) -> None:
        scored, s, k = rows.scored, rows.weights, self.rows.size
        self.soft_labels |= scored.targets is not None
        self._zero(scored.zero_columns, len(rows))
        if scored.columns is not None:
            columns = scored.columns if s is None else scored.columns * s[:, None]
            self.loss += columns.sum(axis=0)
            self.rows += (scored.positives >= 0.5).sum(axis=0).astype(np.int64)
            return
        labels = scored.labels
        self.rows += np.bincount(labels, minlength=k)
        self.loss += np.bincount(labels, weights=rows.terms, minlength=k)
        if scored.denominators is not None:
            self.divisor += np.bincount(labels, weights=scored.denominators, minlength=k)
        if s is not None:
            self.samples += np.bincount(labels, weights=s, minlength=k)

    def merge(self, other: PerClass, rows_before: int = 0) -> None:
        self.rows = self.rows + other.rows
        self.loss = self.loss + other.loss
        self.divisor = self.divisor + other.divisor
        self.samples = self.samples + other.samples
        self.soft_labels |= other.soft_labels
        self.untold |= other.untold
        if other.zero is not None:
            self._zero(other.zero, 1)

    def _zero(self, zero: np.ndarray | None, rows: int) -> None:
        if zero is None:
            self.untold |= rows > 0
        else:
            self.zero = zero if self.zero is None else self.zero & zero

    def rescale(self, shift: int) -> None:
        self.loss, self.divisor, self.samples = (
            np.ldexp(x, shift) for x in (self.loss, self.divisor, self.samples)
        )

    def finish(self) -> ClassSums:
        zero = None if self.untold else self.zero
        return ClassSums(self.rows, self.loss, self.divisor, self.samples, zero)


class Accuracy(Accumulator):
    """Σ s·[the arg-max is the label], overall and per class; only from chunks that come
    with their arg-max (``ScoredRows.predicted``), or multi-label ones."""

    name = "accuracy"

    def __init__(self, classes, settings=None) -> None:
        self.correct = ExactSum()
        self.class_correct = np.zeros(len(classes))
        self.has_accuracy = False

    def takes(self, rows: Rows) -> bool:
        scored = rows.scored
        return scored.columns is not None or scored.predicted is not None

    def add(self, rows: Rows) -> None:
        scored, s = rows.scored, rows.weights
        self.has_accuracy = True
        if scored.columns is not None:
            agree = (scored.probabilities >= 0.5) == (scored.positives >= 0.5)
            self.class_correct += (agree if s is None else agree * s[:, None]).sum(axis=0)
            hits = weigh(agree.all(axis=1).astype(np.float64), s)
            self.correct.add_array(hits) if s is None else self.correct.add_exact(hits)
            return
        labels = scored.labels
        hits = weigh((labels == scored.predicted).astype(np.float64), s)
        self.correct.add_array(hits) if s is None else self.correct.add_exact(hits)
        self.class_correct += np.bincount(labels, weights=hits, minlength=self.class_correct.size)

    def merge(self, other: Accuracy, rows_before: int = 0) -> None:
        self.correct.merge(other.correct)
        self.class_correct = self.class_correct + other.class_correct
        self.has_accuracy |= other.has_accuracy

    def rescale(self, shift: int) -> None:
        self.correct.scale(shift)
        self.class_correct = np.ldexp(self.class_correct, shift)

    def finish(self) -> tuple[float, np.ndarray] | None:
        """(Σ s·correct, per class), or None when no chunk had its arg-max."""
        return (self.correct.value, self.class_correct) if self.has_accuracy else None
