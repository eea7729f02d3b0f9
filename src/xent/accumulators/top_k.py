"""Top-k accuracy: Σ s·[the label is among the k most probable classes], overall and per
class (:func:`xent.metrics.top_k_hits`, the kernel of the one-shot ``top_k_accuracy``)."""

from __future__ import annotations

import numpy as np

from .. import metrics
from .base import Accumulator, Rows, Settings
from .exact import ExactSum, product_errors, weigh


class ClassScore(Accumulator):
    """A score per row, summed exactly and per class: the shape of top-k and Brier."""

    needs = ("labels", "probabilities")
    multi_label = False

    def __init__(self, classes, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.total = ExactSum()
        self.per_class = np.zeros(len(classes))
        self.filled = False  # a chunk came with its probabilities

    def scores(self, rows: Rows) -> np.ndarray:
        raise NotImplementedError

    def add(self, rows: Rows) -> None:
        labels = rows.scored.labels
        scores = self.scores(rows)
        values = weigh(scores, rows.weights)
        self.filled = True
        if rows.weights is None:
            self.total.add_array(values)
        else:  # Σ s·score exactly (.exact.exact_ratio)
            self.total.add_exact(values)
            self.total.add_exact(product_errors(rows.weights, scores))
        self.per_class += np.bincount(labels, weights=values, minlength=self.per_class.size)

    def merge(self, other: ClassScore, rows_before: int = 0) -> None:
        self.total.merge(other.total)
        if other.filled:  # else their sums are all 0
            self.per_class = self.per_class + other.per_class
            self.filled = True

    def rescale(self, shift: int) -> None:
        self.total.scale(shift)
        self.per_class = np.ldexp(self.per_class, shift)

    def finish(self) -> tuple[float, np.ndarray] | None:
        """(Σ s·score, per class), or None when no chunk had probabilities."""
        return (self.total.value, self.per_class) if self.filled else None


class TopK(ClassScore):
    name = "top_k"

    def scores(self, rows: Rows) -> np.ndarray:
        scored = rows.scored
        return metrics.top_k_hits(scored.labels, scored.probabilities, self.settings.top_k)
