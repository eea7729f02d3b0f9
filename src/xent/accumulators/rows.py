"""Totals of one value per row with per-class terms that sum to it (``xent entropy``,
``kl`` and ``js``): :class:`RowTotals`."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..errors import DataError
from .base import Skipped
from .exact import ExactSum


class RowTotals:
    """Mergeable totals of one value per row with per-class terms that sum to it (an
    entropy, a KL or JS divergence per row): rows, an exact sum, min, max, the spread
    (Chan et al.'s merge) and each class's sum of terms. Nothing grows with the rows."""

    def __init__(self, classes: list[str]) -> None:
        self.classes = list(classes)
        self.rows = 0
        self.total = ExactSum()
        self.infinite = 0
        self.min = math.inf
        self.max = -math.inf
        self.spread_mean = 0.0
        self.spread_m2 = 0.0
        self.class_terms = np.zeros(len(self.classes))
        self.skips = Skipped()
        self.root_total = ExactSum()  # Σ √value, when add(roots=True): JS distances

    def add(self, values: np.ndarray, terms: np.ndarray, *, roots: bool = False) -> None:
        values = np.asarray(values, dtype=np.float64)
        n = values.size
        if n == 0:
            return
        self.total.add_array(values)
        if roots:  # a rounded −0.0 or −1e-17 is 0
            self.root_total.add_array(np.sqrt(np.maximum(values, 0.0)))
        self.infinite += int(n - np.isfinite(values).sum())
        self.min = min(self.min, float(values.min()))
        self.max = max(self.max, float(values.max()))
        with np.errstate(invalid="ignore"):
            mean = float(values.mean())
            m2 = float(((values - mean) ** 2).sum())
            self.class_terms += terms.sum(axis=0)
        self._merge_spread(n, mean, m2)
        self.rows += n

    def _merge_spread(self, n: int, mean: float, m2: float) -> None:
        merged = self.rows + n
        delta = mean - self.spread_mean
        self.spread_m2 += m2 + delta * delta * self.rows * n / merged
        self.spread_mean += delta * n / merged

    def skip(self, lines: Sequence[int | None]) -> None:
        self.skips.add(lines)

    @property
    def skipped(self) -> int:
        return self.skips.count

    @property
    def skipped_lines(self) -> list[int]:
        return self.skips.lines

    def merge(self, other: RowTotals) -> RowTotals:
        """Add another run's totals over later rows to these."""
        if other.classes != self.classes:
            raise DataError(
                f"the classes differ: {', '.join(self.classes)} and {', '.join(other.classes)}"
            )
        self.skips.merge(other.skips)
        if other.rows:
            self.total.merge(other.total)
            self.root_total.merge(other.root_total)
            self.infinite += other.infinite
            self.min, self.max = min(self.min, other.min), max(self.max, other.max)
            self.class_terms = self.class_terms + other.class_terms
            self._merge_spread(other.rows, other.spread_mean, other.spread_m2)
            self.rows += other.rows
        return self

    def finish(self) -> tuple[int, float, float, float, float, np.ndarray]:
        """(rows, sum, mean, std, infinite rows, each class's sum of terms)."""
        return self.rows, self.total.value, self.mean, self.std, self.infinite, self.class_terms

    @property
    def mean(self) -> float:
        return self.total.value / self.rows if self.rows else math.nan

    @property
    def std(self) -> float:
        if self.infinite or not self.rows:
            return math.nan
        return math.sqrt(self.spread_m2 / self.rows)
