"""The Brier score: Σ s·Σ_c (Q(c) − P(c))², overall and per class
(:func:`xent.metrics.brier_rows`, the kernel of the one-shot ``brier_score``)."""

from __future__ import annotations

import numpy as np

from .. import metrics
from .base import Rows
from .top_k import ClassScore


class Brier(ClassScore):
    name = "brier"

    def scores(self, rows: Rows) -> np.ndarray:
        scored = rows.scored
        return metrics.brier_rows(scored.labels, scored.targets, scored.probabilities)
