"""The loss's moments: rows, Σ s·l, the divisor (Σ s·d or Σ s), the spread, min, max and the
rows of infinite loss. Sums are exact (:class:`~.exact.ExactSum`); the spread merges by
Chan et al.'s (weight, mean, M2), so it is the same to rounding at any split."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .base import Accumulator, Rows
from .exact import ExactSum, exact_ratio, product_errors


class Moments(NamedTuple):
    rows: int
    sum: float  # Σ s·l
    divisor: float  # what the mean divides by (see LossMoments.divisor_value)
    std: float
    min: float
    max: float
    infinite: int


class Spread:
    """Chan et al.'s parallel variance: (weight, mean, M2), merged exactly as one pass."""

    __slots__ = ("weight", "mean", "m2")

    def __init__(self) -> None:
        self.weight = self.mean = self.m2 = 0.0

    def rescale(self, shift: int) -> None:
        """The weights × 2^shift: the mean stays, the weight and M2 scale with them."""
        self.weight, self.m2 = math.ldexp(self.weight, shift), math.ldexp(self.m2, shift)

    def merge(self, weight: float, mean: float, m2: float) -> None:
        if not self.weight:  # nothing yet: take theirs as they are (no rounding)
            self.weight, self.mean, self.m2 = weight, mean, m2
            return
        merged = self.weight + weight
        if merged > 0:
            delta = mean - self.mean
            self.m2 += m2 + delta * delta * self.weight * weight / merged
            self.mean += delta * weight / merged
        self.weight = merged


def chunk_spread(losses, terms, denominators) -> tuple[float, float, float]:
    """One chunk's (weight, mean, M2): of the losses, or, with ``denominators`` v_n = s_n·d_n,
    of x_n = s_n·l_n / v_n counted v_n times (its weighted mean is the run's mean; rows of
    weight 0 count for nothing)."""
    n = losses.size
    if denominators is None:
        mean = float(terms.sum()) / n
        if math.isfinite(mean):  # no inf − inf to silence (np.errstate costs ~10 µs)
            return float(n), mean, float(((losses - mean) ** 2).sum())
        with np.errstate(invalid="ignore"):
            return float(n), mean, float(((losses - mean) ** 2).sum())
    v = np.asarray(denominators, dtype=np.float64)
    counts = v > 0
    weight = float(v.sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        x = np.where(counts, terms / np.where(counts, v, 1.0), 0.0)
        mean = float((v * x).sum() / weight) if weight else 0.0
        m2 = float(np.where(counts, v * (x - mean) ** 2, 0.0).sum())
    return weight, mean, m2


class LossMoments(Accumulator):
    name = "moments"
    needs = ("losses",)

    def __init__(self, classes=(), settings=None) -> None:
        self.rows = 0
        self.infinite = 0
        self.first_infinite: int | None = None  # the line (or row) of the first, for stderr
        self.loss = ExactSum()  # Σ s·l
        self.divisor = ExactSum()  # Σ s·d, when the mean is weighted
        self.weighted = False
        self.sample_total = ExactSum()  # Σ s
        self.sample_weighted = False
        self.spread = Spread()
        self.min = math.inf
        self.max = -math.inf
        self.largest = 0.0  # the largest and smallest sample weights above 0: equal, the
        self.smallest = math.inf  # weighted mean is the unweighted one (exact_ratio)

    def add(self, rows: Rows) -> None:
        losses, terms, s = rows.losses, rows.terms, rows.weights
        denominators = rows.scored.denominators
        n = losses.size
        # With sample weights every sum is exact (not rounded a chunk): exact_ratio's mean.
        add = "add_array" if s is None else "add_exact"
        getattr(self.loss, add)(terms)
        infinite = int(n - np.isfinite(terms).sum())
        if infinite and self.first_infinite is None:
            lines = rows.scored.lines
            at = int(np.flatnonzero(~np.isfinite(terms))[0])
            self.first_infinite = int(lines[at]) if lines is not None and at < len(lines) else 0
        self.infinite += infinite
        if denominators is not None:
            self.weighted = True
            getattr(self.divisor, add)(np.asarray(denominators, dtype=np.float64))
        self.spread.merge(*chunk_spread(losses, terms, denominators))
        self.rows += n
        self.min = min(self.min, float(losses.min()))
        self.max = max(self.max, float(losses.max()))
        if s is not None:
            self.sample_weighted = True
            self.sample_total.add_exact(s)
            self.loss.add_exact(product_errors(s, losses))  # Σ s·l, not Σ RN(s·l)
            self.largest = max(self.largest, float(s.max()))
            positive = s[s > 0]
            if positive.size:
                self.smallest = min(self.smallest, float(positive.min()))

    def merge(self, other: LossMoments, rows_before: int = 0) -> None:
        self.rows += other.rows
        self.infinite += other.infinite
        if self.first_infinite is None:  # the other's rows come after these
            self.first_infinite = getattr(other, "first_infinite", None)
        for mine, theirs in (
            (self.loss, other.loss),
            (self.divisor, other.divisor),
            (self.sample_total, other.sample_total),
        ):
            mine.merge(theirs)
        self.weighted |= other.weighted
        self.sample_weighted |= other.sample_weighted
        self.spread.merge(other.spread.weight, other.spread.mean, other.spread.m2)
        self.min, self.max = min(self.min, other.min), max(self.max, other.max)
        self.largest = max(self.largest, getattr(other, "largest", 0.0))
        self.smallest = min(self.smallest, getattr(other, "smallest", math.inf))

    def rescale(self, shift: int) -> None:
        for total in (self.loss, self.divisor, self.sample_total):
            total.scale(shift)
        if self.weighted or self.sample_weighted:  # else the spread's weight is the rows
            self.spread.rescale(shift)
        self.largest = math.ldexp(self.largest, shift)
        if math.isfinite(self.smallest):
            self.smallest = math.ldexp(self.smallest, shift)

    @property
    def equal_weight(self) -> float:
        """The one sample weight when every row's above 0 is the same, else 0."""
        return self.largest if self.largest == self.smallest else 0.0

    def mean(self) -> float:
        """Σ s·l / the divisor: with sample weights the exact sums' ratio, correctly rounded
        (equal weights of any size give the unweighted mean bit for bit: exact_ratio)."""
        if self.sample_weighted:
            return exact_ratio(
                self.loss, self.divisor if self.weighted else self.sample_total, self.equal_weight
            )
        return self.loss.value / self.divisor_value

    def weighted_ratio(self, numerator: ExactSum) -> float:
        """Σ s·x / Σ s (x: a hit, a Brier term) as :meth:`mean`; Σ x / n unweighted."""
        if self.sample_weighted:
            return exact_ratio(numerator, self.sample_total, self.equal_weight)
        return numerator.value / self.rows

    @property
    def divisor_value(self) -> float:
        """What the mean divides by: Σ s·d when weighted, Σ s with sample weights, else n."""
        if self.weighted:
            return self.divisor.value
        return self.sample_total.value if self.sample_weighted else float(self.rows)

    @property
    def samples(self) -> float:
        """Σ s with sample weights, else the rows: what accuracy and the metrics divide by."""
        return self.sample_total.value if self.sample_weighted else float(self.rows)

    @property
    def std(self) -> float:
        if self.infinite or not self.rows or not self.spread.weight > 0:
            return math.nan
        return math.sqrt(self.spread.m2 / self.spread.weight)

    def finish(self) -> Moments:
        nan = math.nan
        n = self.rows
        return Moments(
            n,
            self.loss.value,
            self.divisor_value,
            self.std,
            self.min if n else nan,
            self.max if n else nan,
            self.infinite,
        )
