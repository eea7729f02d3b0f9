"""Exact float sums: :func:`exact_sum` (``math.fsum``'s correctly rounded sum of an
array, bit for bit, faster) and :class:`ExactSum` (a running sum without rounding error,
Shewchuk's partials), so any split of the rows, merged, sums as one pass does."""

from __future__ import annotations

import math

import numpy as np

_MANTISSA = (1 << 52) - 1
_HUGE = 1900 << 52  # |x| >= 2^877 (inf and nan too): a bucket's terms could overflow
_TINY = 200 << 52  # 0 < |x| < 2^-823 (subnormals too): a bucket's terms could underflow


# Below this many values fsum is the faster (the buckets cost ~20 µs a call; measured the
# same at 1,000 values): a --group-by group's rows of a chunk are often a handful.
FSUM_BELOW = 2048


def exact_sum(values: np.ndarray) -> float:
    """``math.fsum(values)``, the correctly rounded sum, bit for bit, at a third of its
    cost on a chunk of thousands of values (fsum needs a Python float per value)."""
    if values.dtype != np.float64 or not FSUM_BELOW <= values.size < 1 << 26:
        return math.fsum(values.ravel().tolist())  # (2^26 values: the buckets would round)
    return bucket_sum(values)


def bucket_sum(values: np.ndarray) -> float:
    """:func:`exact_sum` by buckets, for float64 arrays of fewer than 2^26 values.

    A double is ±m·2^(e−1075) with m < 2^53. Split m into 27 and 26 bits and add the halves
    of the values of each exponent e with ``bincount``: each bucket's sums are integers
    below 2^53 (fewer than 2^26 values), so exact. The buckets' sums, scaled by their power
    of two, are exact doubles, and fsum of those few is the correctly rounded total. Where
    a scaled sum could overflow or underflow (huge, tiny, inf or nan values), or the total
    is zero (fsum decides the sign), fsum takes the values themselves.
    """
    terms = bucket_terms(values)
    if terms is None:
        return math.fsum(values.ravel().tolist())
    total = math.fsum(terms)
    return total if total != 0.0 else math.fsum(values.ravel().tolist())


def bucket_terms(values: np.ndarray) -> list[float] | None:
    """A few doubles whose exact sum is the exact sum of ``values`` (float64, fewer than
    2^26; see :func:`bucket_sum`), or None where a bucket's sum could overflow or
    underflow (huge, tiny, inf or nan values)."""
    bits = np.ascontiguousarray(values).view(np.int64).ravel()
    magnitude = bits & 0x7FFFFFFFFFFFFFFF  # the bits of |x|, ordered as |x| is
    smallest = int((magnitude - 1).view(np.uint64).min()) + 1  # 0 − 1 wraps to the top
    if int(magnitude.max()) >= _HUGE or smallest < _TINY:
        return None
    exponent = magnitude >> 52
    mantissa = bits & _MANTISSA
    mantissa |= (exponent != 0).view(np.int8).astype(np.int64) << 52  # 0 stays 0
    high = (mantissa >> 26).astype(np.float64)
    low = (mantissa & ((1 << 26) - 1)).astype(np.float64)
    if int(bits.min()) < 0:  # negative values (or -0.0)
        sign = np.where(bits < 0, -1.0, 1.0)
        high *= sign
        low *= sign
    highs = np.bincount(exponent, weights=high)
    lows = np.bincount(exponent, weights=low)
    terms = []
    for e in np.flatnonzero((highs != 0) | (lows != 0)).tolist():
        terms.append(math.ldexp(highs[e], e - 1049))
        terms.append(math.ldexp(lows[e], e - 1075))
    return terms


class ExactSum:
    """A float sum without rounding error: Shewchuk's non-overlapping partials (the
    algorithm behind ``math.fsum``), so the order in which chunks arrive does not matter."""

    __slots__ = ("partials",)

    def __init__(self) -> None:
        self.partials: list[float] = []

    def add(self, x: float) -> None:
        if not math.isfinite(x) or (self.partials and not math.isfinite(self.partials[-1])):
            # inf and nan: plain float addition is exact (inf + inf = inf, inf − inf = nan);
            # the partials' error terms would turn inf + inf into nan.
            self.partials = [sum(self.partials, x)]
            return
        partials = []
        for y in self.partials:
            if abs(x) < abs(y):
                x, y = y, x
            hi = x + y
            lo = y - (hi - x)
            if lo:
                partials.append(lo)
            x = hi
        partials.append(x)
        # An overflow leaves ±inf as the last (largest) partial, and nan error terms below it.
        self.partials = partials if all(map(math.isfinite, partials)) else [partials[-1]]

    def add_array(self, values: np.ndarray) -> None:
        self.add(exact_sum(values) if values.size else 0.0)

    def add_exact(self, values: np.ndarray, below: int = FSUM_BELOW) -> None:
        """Add the values' exact sum, not its rounding (:meth:`add_array`): a few exact
        terms (:func:`bucket_terms`; each value for fewer than ``below`` values, or where
        those do not apply)."""
        values = np.asarray(values, dtype=np.float64).ravel()
        terms = bucket_terms(values) if below <= values.size < 1 << 26 else None
        for x in terms if terms is not None else values[values != 0].tolist():
            self.add(x)

    def merge(self, other: ExactSum) -> None:
        for x in other.partials:
            self.add(x)

    def scale(self, shift: int) -> None:
        """× 2^shift, exactly but where a partial falls below the normal floats (see
        :mod:`.scaling`; a shift ≤ 0 never overflows)."""
        if shift:
            partials = [math.ldexp(x, shift) for x in self.partials]
            self.partials = [x for x in partials if x] or partials[:1]

    @property
    def value(self) -> float:
        return math.fsum(self.partials)


_SPLIT = 134217729.0  # 2^27 + 1: Dekker's split of a double into two 26-bit halves


def product_errors(weights: np.ndarray, values: np.ndarray) -> np.ndarray:
    """s·x − RN(s·x) for each row, exactly (Dekker's two-product; 0 where s·x is 0, not
    finite, or too large or small for the split to be exact): with it a sum of RN(s·x)
    becomes the exact Σ s·x. The weights are at most 1 here (scaled: .scaling)."""
    s = np.asarray(weights, dtype=np.float64)
    x = np.asarray(values, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        p = s * x
        a = s * _SPLIT
        a_hi = a - (a - s)
        a_lo = s - a_hi
        b = x * _SPLIT
        b_hi = b - (b - x)
        b_lo = x - b_hi
        error = ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
        safe = np.isfinite(error) & (s > 0) & (np.abs(x) < 1e290) & (np.abs(p) > 1e-290)
    return np.where(safe, error, 0.0)


def exact_ratio(numerator: ExactSum, denominator: ExactSum, equal: float = 0.0) -> float:
    """A weighted mean Σ s·x / Σ s from exact sums N and D: correctly rounded, RN(N/D).
    With every weight ``equal`` to r, RN(RN(N/r) / (D/r)) = RN(RN(Σ x)/n): the unweighted
    mean bit for bit, whatever the weights' size. Plain N/D where a sum is not finite."""
    from fractions import Fraction

    top, bottom = numerator.partials, denominator.partials
    if not all(map(math.isfinite, top + bottom)):
        return numerator.value / denominator.value if denominator.value else math.nan
    n = sum(map(Fraction, top), Fraction(0))
    d = sum(map(Fraction, bottom), Fraction(0))
    if not d:
        return math.nan
    try:
        if equal > 0:
            r = Fraction(equal)
            return float(n / r) / float(d / r)
        return float(n / d)
    except OverflowError:
        return numerator.value / denominator.value


def weigh(values: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    """s·values with 0·inf = 0: a row of weight 0 counts for nothing, even an infinite one."""
    if weights is None:
        return values
    with np.errstate(invalid="ignore"):  # 0·inf where s = 0: masked, not a warning
        return np.where(weights > 0, weights * values, 0.0)


# Every finite double is an integer multiple of 2^-1074; with frexp's 53-bit mantissas, of
# 2^-(1074 + 53): a sum is an integer count of that unit (as replicate_sums.OFFSET).
_UNIT = 1074 + 53


class IntegerSum:
    """An exact float sum kept as one Python integer: Σ x = total · 2^(shift − 1127).
    Adding and merging are integer additions, so cheaper than :class:`ExactSum`'s
    partials on a few values at a time (a group's rows of a chunk); ``scale`` moves the
    shift, so it is exact too. Non-finite values are summed apart, in floats."""

    __slots__ = ("total", "shift", "special")

    def __init__(self) -> None:
        self.total, self.shift, self.special = 0, 0, 0.0

    def add_exact(self, values: np.ndarray) -> None:
        values = np.asarray(values, dtype=np.float64).ravel()
        finite = np.isfinite(values)
        if not finite.all():
            self.special += float(values[~finite].sum())
            values = values[finite]
        if values.size >= FSUM_BELOW:  # a few exact terms first (bucket_terms)
            terms = bucket_terms(values)
            values = values if terms is None else np.array(terms)
        values = values[values != 0]
        if not values.size:
            return
        mantissas, exponents = np.frexp(values)
        whole = np.ldexp(mantissas, 53).astype(np.int64).tolist()
        places = (exponents + (_UNIT - 53 - self.shift)).tolist()
        low = min(places)
        if low < 0:  # below this sum's unit (a scale up moved it): lower the unit
            self._lower(-low)
            places = [p - low for p in places]
        self.total += sum(m << p for m, p in zip(whole, places))

    def add_count(self, count: int) -> None:
        """Add a whole number (a count of rows, of hits)."""
        if self.shift > _UNIT:
            self._lower(self.shift - _UNIT)
        self.total += count << (_UNIT - self.shift)

    def _lower(self, bits: int) -> None:
        self.total <<= bits
        self.shift -= bits

    def merge(self, other: IntegerSum) -> None:
        self.special += other.special
        if other.shift < self.shift:
            self._lower(self.shift - other.shift)
        self.total += other.total << (other.shift - self.shift)

    def scale(self, shift: int) -> None:
        """× 2^shift, exactly."""
        self.shift += shift

    def fraction(self):
        """The exact sum as a Fraction (the special values' float sum where there are any)."""
        from fractions import Fraction

        if self.special:
            return self.special
        power = self.shift - _UNIT
        if power >= 0:
            return Fraction(self.total << power)
        return Fraction(self.total, 1 << -power)
