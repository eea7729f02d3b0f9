"""The paired comparison of two models' losses on the same rows (``xent compare``): sums of
the per-row differences d_n = l_B,n − l_A,n weighted by the rows' mean divisors v_n, for
the standard error of the difference of means (sample variance, n − 1) and the paired t /
Diebold-Mariano statistic with its two-sided p-value from Student's t with n − 1 degrees of
freedom (SciPy's ``ttest_rel``; the t CDF from the regularized incomplete beta function, a
continued fraction in float64, without SciPy); wins, losses and ties
(|d| ≤ 1e-12·max(l_A, l_B)); and the K rows where the two differ most (a bounded heap).
Sums are exact and the heap keeps rows by position, so any split merges as one pass."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .exact import ExactSum
from .scaling import meet
from .student import incomplete_beta, two_sided_t
from .worst import top_rows

TIE = 1e-12
__all__ = [
    "DEGENERATE_NOTES",
    "TIE",
    "Paired",
    "PairedResult",
    "degenerate",
    "statistic_note",
    "incomplete_beta",
    "two_sided_t",
]


class PairedResult(NamedTuple):
    standard_error: float
    statistic: float  # paired t / Diebold-Mariano: difference / standard_error
    p_value: float  # two-sided, Student's t with n − 1 degrees of freedom (n ≥ 2)
    wins_a: int  # rows where A's loss is lower
    wins_b: int
    ties: int


class Paired:
    """Sums of the per-row differences (weights v = the rows' mean divisors)."""

    def __init__(self, worst: int) -> None:
        self.sums = {name: ExactSum() for name in ("v", "vd", "v2", "v2d", "v2d2")}
        self.wins_a = self.wins_b = self.ties = 0
        self.first: float | None = None  # one row's difference, and whether any other
        self.varies = False  # row's differs from it (a constant difference has no spread)
        self.worst = worst
        self.exponent: int | None = None  # the sums' units of weight (.scaling)
        self.heap: tuple[np.ndarray, ...] = (
            (np.zeros(0),)
            + tuple(np.zeros(0, np.int64) for _ in range(4))
            + (np.zeros(0), np.zeros(0))
        )

    def add(self, da, db, keys, lines_a, lines_b, labels) -> None:
        la, lb = np.asarray(da.losses, float), np.asarray(db.losses, float)
        d = lb - la
        if da.denominators is not None:
            v = np.asarray(da.denominators, float)
        elif da.sample_weights is not None:
            v = np.asarray(da.sample_weights, float)
        else:
            v = np.ones(d.size)
        ta, tb = _terms(la, da.sample_weights), _terms(lb, db.sample_weights)
        ea, eb = (getattr(d, "weight_exponent", 0) for d in (da, db))
        with np.errstate(invalid="ignore", over="ignore"):
            if da.sample_weights is not None and db.sample_weights is not None and eb != ea:
                tb = np.ldexp(tb, eb - ea)  # in A's units, as v is
            x = np.where(v > 0, (tb - ta) / np.where(v > 0, v, 1.0), 0.0)
        self._vary(x[v > 0])
        if da.sample_weights is not None:
            v = self._align(v, ea)
        for name, values in (
            ("v", v),
            ("vd", v * x),
            ("v2", v * v),
            ("v2d", v * v * x),
            ("v2d2", v * v * x * x),
        ):
            self.sums[name].add_array(values)
        tie = np.abs(d) <= TIE * np.maximum(np.abs(la), np.abs(lb))
        self.ties += int(tie.sum())
        self.wins_b += int(((d < 0) & ~tie).sum())
        self.wins_a += int(((d > 0) & ~tie).sum())
        if self.worst:
            gap = np.abs(d)
            gap = np.where(np.isnan(gap), np.inf, gap)
            k = min(self.worst, gap.size)
            top = top_rows(gap, k)
            self._keep(
                (gap[top], keys[top], lines_a[top], lines_b[top], labels[top], la[top], lb[top])
            )

    def _align(self, v: np.ndarray, exponent: int) -> np.ndarray:
        """A chunk's weights (in units of 2^exponent) in these sums' units."""
        if self.exponent is None:
            self.exponent = exponent
        elif exponent > self.exponent:
            self.rescale(self.exponent - exponent)
        elif exponent < self.exponent:
            v = np.ldexp(v, exponent - self.exponent)
        return v

    def rescale(self, shift: int) -> None:
        """Sums × 2^shift (shift ≤ 0), of squared weights × 2^(2·shift)."""
        for name, total in self.sums.items():
            total.scale(2 * shift if name.startswith("v2") else shift)
        if self.exponent is not None:
            self.exponent -= shift

    def _vary(self, x: np.ndarray) -> None:
        if not x.size or self.varies:
            return
        if self.first is None:
            self.first = float(x[0])
        self.varies = bool((x != self.first).any())  # NaN differs from everything

    def _keep(self, new) -> None:
        both = [np.concatenate([mine, theirs]) for mine, theirs in zip(self.heap, new)]
        order = np.lexsort((both[1], -both[0]))[: self.worst]
        self.heap = tuple(column[order] for column in both)

    def merge(self, other: Paired) -> Paired:
        """Add another's sums over other rows (their keys are their rows' positions)."""
        meet(self, other)
        for name, total in self.sums.items():
            total.merge(other.sums[name])
        self.wins_a += other.wins_a
        self.wins_b += other.wins_b
        self.ties += other.ties
        if other.varies or other.first is None:
            self.varies |= other.varies
        else:
            self._vary(np.array([other.first]))
        if self.worst:
            self._keep(other.heap)
        return self

    def finish(self, difference: float, n: int) -> PairedResult:
        """The paired statistics of a ``difference`` of means over ``n`` rows."""
        se = self.standard_error(difference, n)
        if math.isnan(se):  # one row, or no weight: nothing to estimate a spread from
            return PairedResult(se, math.nan, math.nan, self.wins_a, self.wins_b, self.ties)
        if not self.varies or not se > 0:  # every row's difference is the same
            statistic = math.copysign(math.inf, difference) if difference else math.nan
            return PairedResult(0.0, statistic, math.nan, self.wins_a, self.wins_b, self.ties)
        statistic = difference / se
        p_value = two_sided_t(statistic, n - 1)
        return PairedResult(se, statistic, p_value, self.wins_a, self.wins_b, self.ties)

    def standard_error(self, difference: float, n: int) -> float:
        v = self.sums["v"].value
        if n < 2 or not v > 0:
            return math.nan
        s = {name: total.value for name, total in self.sums.items()}
        spread = s["v2d2"] - 2 * difference * s["v2d"] + difference * difference * s["v2"]
        return math.sqrt(max(spread, 0.0) * n / (n - 1)) / v


DEGENERATE_NOTES = {
    "one row": (
        "one row: no standard error can be estimated, so the statistic and the p-value are "
        "undefined",
    )
    * 2,
    "no weight": (
        "the rows' weights are all 0: the standard error, the statistic and the p-value are "
        "undefined",
    )
    * 2,
    "se = 0": (
        "every row's difference is the same: the standard error is 0, the statistic infinite "
        "(its sign that of the difference) and no p-value is given",
        "every row's difference is 0: the standard error is 0, so the statistic and the "
        "p-value are undefined",
    ),
}


def degenerate(se: float, rows: int) -> str:
    """Why the paired statistics of ``rows`` rows are (partly) undefined, or "": the words
    a table puts in "undefined (...)" (xent.compare.Comparison.degenerate)."""
    if math.isnan(se):
        return "one row" if rows < 2 else "no weight"
    if se == 0:
        return "se = 0"
    return ""


def statistic_note(degrees: int | None) -> str:
    """What the statistic and its p-value are, in words (a comparison's note)."""
    return "paired t / Diebold-Mariano statistic on the per-row loss differences; the " + (
        "p-value is two-sided, from the normal approximation"
        if degrees is None
        else f"p-value is two-sided, from Student's t with {degrees:,} degrees of freedom "
        "(n − 1, as scipy.stats.ttest_rel)"
    )


def _terms(losses, s):
    return losses if s is None else np.where(s > 0, s * losses, 0.0)
