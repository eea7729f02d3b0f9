"""The standard errors behind ``--ci``'s intervals (without ``--bootstrap``): in one pass,
at the cost of a few sums a chunk.

Every statistic with an interval is a ratio of sums over the rows, R = Σ y / Σ d: the mean
loss (y = s·l, d = the row's divisor: 1, its sample weight s, or s·w with class weights),
the accuracies (y = s·hit, d = s) and the Brier score (y = s·b, d = s). Its standard error
is the linearised (sandwich) one, with the rows as the sampling units, as a bootstrap of
the rows has it (Cochran 1977, §6.4; n the rows, as the paired comparison's):

    se(R)² = n / (n − 1) · Σ (y − R·d)² / (Σ d)²

which for unweighted rows is the sample standard deviation over √n (scipy.stats.sem).
The sums are exact (:class:`~.exact.IntegerSum`, each product with its rounding error,
:func:`~.exact.product_errors`) and the standard error is found from them in rational
arithmetic, as Σ (y − R·d)² = Σ y² − 2R·Σ y·d + R²·Σ d²: no cancelling, and any split of
the rows (chunks, workers, formats) gives the same bits, equal weights of any size the
unweighted ones.

:func:`xent.results.confidence` makes the intervals: the mean loss and the Brier score
R ± t·se with Student's t of n − 1 degrees of freedom (:mod:`.student`), the perplexity
base to the power of the loss's bounds, and the accuracies Wilson's score interval at the
effective size (Σ d)² / Σ d² (n for unweighted rows; :func:`xent.metrics.wilson_interval`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from .. import metrics
from ..kernels import power
from .base import Accumulator, Rows
from .exact import IntegerSum, product_errors
from .row_terms import row_terms
from .student import normal_quantile, t_interval

if TYPE_CHECKING:
    from fractions import Fraction

METHOD = "student t (means), wilson (accuracies)"


class RatioSums:
    """Exact Σ y, Σ d, Σ y², Σ y·d, Σ d² and the rows n of a ratio Σ y / Σ d (see the
    module docstring); y given as parts whose sum is exact (a product and its error)."""

    __slots__ = ("rows", "positive", "sums")
    NAMES = ("y", "d", "yy", "yd", "dd")

    def __init__(self) -> None:
        self.rows = 0
        self.positive = 0  # the rows of d > 0: fewer than two give no standard error
        self.sums = {name: IntegerSum() for name in self.NAMES}

    def add(self, parts: list[np.ndarray], d: np.ndarray | None = None) -> None:
        """A chunk's rows: y = Σ parts (each ≥ 0 but the errors), d (None: every d is 1)."""
        n = parts[0].size
        self.rows += n
        self.positive += n if d is None else int(np.count_nonzero(d > 0))
        sums = self.sums
        if d is None and parts[0].dtype == np.bool_:  # hits: y = y² = y·d, integers
            hits = int(np.count_nonzero(parts[0]))
            for name, count in (("y", hits), ("yy", hits), ("yd", hits), ("d", n), ("dd", n)):
                sums[name].add_count(count)
            return
        y = IntegerSum()
        for part in parts:
            y.add_exact(part)
        sums["y"].merge(y)
        for i, a in enumerate(parts):  # Σ y² = Σ_i Σ_j a_i·a_j: each pair once, doubled
            for j, b in enumerate(parts[i:], i):
                for product in _products(a, b):
                    sums["yy"].add_exact(product if i == j else 2 * product)
        if d is None:
            sums["yd"].merge(y)
            sums["d"].add_count(n)
            sums["dd"].add_count(n)
            return
        sums["d"].add_exact(d)
        for product in _products(d, d):
            sums["dd"].add_exact(product)
        for part in parts:
            for product in _products(d, part):
                sums["yd"].add_exact(product)

    def merge(self, other: RatioSums) -> None:
        self.rows += other.rows
        self.positive += other.positive
        for name, total in other.sums.items():
            self.sums[name].merge(total)

    def rescale(self, shift: int) -> None:
        """y and d × 2^shift: the sums scale by it, the squares by twice it."""
        for name, total in self.sums.items():
            total.scale(shift if len(name) == 1 else 2 * shift)

    def exact(self) -> dict[str, Fraction]:
        return {name: total.fraction() for name, total in self.sums.items()}

    @property
    def ratio(self) -> float:
        """Σ y / Σ d, correctly rounded (NaN without weight)."""
        s = self.exact()
        return float(s["y"] / s["d"]) if s["d"] > 0 else math.nan

    @property
    def standard_error(self) -> float:
        """se(R), NaN for fewer than two rows of weight (one row of weight would give a
        zero width, as if the mean were known)."""
        n = self.rows
        if self.positive < 2:
            return math.nan
        s = self.exact()
        y, d = s["y"], s["d"]
        spread = s["yy"] * d * d - 2 * y * d * s["yd"] + y * y * s["dd"]  # Σ (y − R·d)² · d²
        # Never below 0 but where squares of weights far below the largest one's fall under
        # the smallest float (weights 1e300 and 1e-3 in one file): a spread of 0 there.
        if spread < 0:
            return 0.0
        return math.sqrt(float(spread * n / ((n - 1) * d**4)))

    @property
    def effective_rows(self) -> float:
        """(Σ d)² / Σ d² (Kish's effective size; the rows when every d is 1)."""
        s = self.exact()
        return float(s["d"] ** 2 / s["dd"]) if s["dd"] > 0 else 0.0


def _products(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """RN(a·b) and its error: a·b exactly, as two arrays (a ≥ 0; b of either sign)."""
    return a * b, np.sign(b) * product_errors(a, np.abs(b))


class StandardErrors(Accumulator):
    """The spreads of the loss, the accuracies and the Brier score (see the module)."""

    name = "standard_errors"
    missing = "error"

    def __init__(self, classes=(), settings=None, *, metrics: bool = True) -> None:
        """``metrics=False``: the loss's and the accuracy's only (a group's, plain output's:
        the top-k accuracy and the Brier score are not shown there)."""
        self.top_k = 1 if settings is None else settings.top_k
        self.metrics = metrics
        self.spreads: dict[str, RatioSums] = {}
        self.nonfinite = 0  # rows of infinite loss: the loss has no interval
        self.has_metrics = False

    def empty(self, classes=(), settings=None) -> StandardErrors:
        fresh = StandardErrors(metrics=self.metrics)
        fresh.top_k = self.top_k
        return fresh

    def _spread(self, name: str) -> RatioSums:
        if name not in self.spreads:
            self.spreads[name] = RatioSums()
        return self.spreads[name]

    def add(self, rows: Rows) -> None:
        scored, s = rows.scored, rows.weights
        terms = rows.terms
        finite = np.isfinite(terms)
        if not finite.all():
            self.nonfinite += int((~finite).sum())
            terms = np.where(finite, terms, 0.0)
        if scored.denominators is not None:
            divisors = np.asarray(scored.denominators, dtype=np.float64)
        else:
            divisors = s
        self._spread("loss").add(_weighted(terms, rows.losses, s, finite), divisors)
        found = row_terms(scored, slice(None), self.top_k, scores=self.metrics)
        self.has_metrics |= found.brier is not None
        for name, values in zip(("hits", "top_k", "brier"), found):
            if values is not None and s is None:
                counted = np.asarray(values) != 0 if name != "brier" else np.asarray(values)
                self._spread(name).add([counted])  # (hits as booleans: counted)
            elif values is not None:
                values = np.asarray(values, dtype=np.float64)
                weighted = np.where(s > 0, s * values, 0.0)
                self._spread(name).add(_weighted(weighted, values, s), s)

    def merge(self, other: StandardErrors, rows_before: int = 0) -> StandardErrors:
        self.nonfinite += other.nonfinite
        self.has_metrics |= other.has_metrics
        for name, spread in other.spreads.items():
            self._spread(name).merge(spread)
        return self

    def rescale(self, shift: int) -> None:
        for spread in self.spreads.values():
            spread.rescale(shift)

    def finish(self) -> dict[str, RatioSums]:
        return self.spreads

    def intervals(self, level: float, base: float = math.e) -> dict[str, tuple[float, float]]:
        """Intervals at ``level`` (see the module): ``mean_cross_entropy`` and
        ``perplexity``, ``accuracy`` and, with probabilities, ``top_k_accuracy`` and
        ``brier_score``; none for fewer than two rows of weight."""
        out: dict[str, tuple[float, float]] = {}
        loss = self.spreads.get("loss")
        if loss is None or math.isnan(loss.standard_error):
            return out
        if self.nonfinite:
            out["mean_cross_entropy"] = out["perplexity"] = (math.inf, math.inf)
        else:
            low, high = _t_interval(loss, level)
            out["mean_cross_entropy"] = (low, high)
            out["perplexity"] = (float(power(base, low)), float(power(base, high)))
        z = normal_quantile(level)
        for name, key in (("hits", "accuracy"), ("top_k", "top_k_accuracy")):
            spread = self.spreads.get(name)
            if spread is not None and (name == "hits" or self.has_metrics):
                n = spread.effective_rows
                out[key] = metrics.wilson_interval(spread.ratio * n, n, z)
        if self.has_metrics:
            out["brier_score"] = _t_interval(self.spreads["brier"], level)
        return out


def _weighted(terms, values, s, finite=None) -> list[np.ndarray]:
    """y = s·x exactly, as parts: RN(s·x) (``terms``) and its error (none unweighted)."""
    if s is None:
        return [terms]
    errors = product_errors(s, values)
    return [terms, errors if finite is None else np.where(finite, errors, 0.0)]


def _t_interval(spread: RatioSums, level: float) -> tuple[float, float]:
    """R ± t·se, never below 0 (a loss and a Brier score are not negative)."""
    return t_interval(spread.ratio, spread.standard_error, level, spread.rows - 1, floor=0.0)
