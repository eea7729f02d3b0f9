"""Sample weights anywhere in the float range, by powers of two (issue 23, items 4 and 7).

Every weighted statistic is a ratio of weighted sums (a mean: Σ s·l / Σ s; accuracy,
Brier, the calibration errors, the paired standard error), so multiplying every weight by
one number changes only the sums' size. Weights of 1e-320 (subnormal: 1e-320 × 0.36 keeps
two digits) or 1e308 (Σ overflows) are exact that way: each scored chunk's weights are
multiplied by 2^-e, e the exponent of its largest weight (``np.frexp``: the largest
becomes a number in [0.5, 1)), which is exact in binary floating point, and e travels
with the chunk (``ScoredRows.weight_exponent``).

Totals keep every weighted sum in units of 2^E, E their exponent. When a chunk or another
run's totals come with another exponent, the side of the smaller one is multiplied by
2^(smaller − larger) (:func:`numpy.ldexp`, exact) and E is the larger: a sum of weights is
never shifted up, so nothing overflows. A value shifted below the smallest normal float
(2^-1022) is rounded, and one that would fall below 2^-1074 is 2^-1074, the smallest float
(:func:`xent.kernels.keep_positive`), not 0: a row of positive weight still counts, and
its infinite loss still makes the mean infinite (s·inf = inf), as it is. That changes no
finite sum that matters: in the larger side's units its largest weight is at least 0.5, so
the error of any sum is below n·2^-1074 against a sum of weights of at least 0.5, far
below the 2^-53 of a float64 ratio.

Sums of squared weights (Σ s², the Wilson interval's effective size; the paired standard
error's Σ v², Σ v²d, Σ v²d²) shift by twice as much. The outputs that are sums rather
than ratios (``--reduction sum``, a reliability bin's weight) are shifted back by 2^E at
the end (they overflow to inf only where the true sum is beyond the float range).
"""

from __future__ import annotations

import math

import numpy as np

from ..kernels import keep_positive, scaled_weights

__all__ = ["meet", "scaled_weights", "shift_rows", "shifted"]


def meet(mine, theirs) -> None:
    """Two holders of weighted sums (an ``exponent``, None before any weighted row, and
    ``rescale(shift)``, which moves it) brought to the same units: the larger exponent's,
    the other side scaled down (see the module). ``mine`` takes theirs when it has none."""
    a, b = mine.exponent, getattr(theirs, "exponent", None)
    if a is None:
        mine.exponent = b
    elif b is not None and b > a:
        mine.rescale(a - b)
    elif b is not None and b < a:
        theirs.rescale(b - a)


def shifted(values, shift: int):
    """``values`` × 2^shift (an array, or a float); unchanged for a shift of 0; ±inf
    beyond the float range (a sum that large is not a float)."""
    if not shift:
        return values
    if isinstance(values, np.ndarray):
        with np.errstate(over="ignore"):
            return np.ldexp(values, shift)
    try:
        return math.ldexp(values, shift)
    except OverflowError:
        return math.copysign(math.inf, values)


def shift_rows(scored, shift: int):
    """A scored chunk's weights (and weighted divisors) × 2^shift, its exponent less by
    ``shift``: the same rows in other units (``shift`` ≤ 0: see the module)."""
    if not shift or scored.sample_weights is None:
        return scored
    denominators = scored.denominators
    if denominators is not None:
        denominators = np.asarray(denominators, dtype=np.float64)
        denominators = keep_positive(np.ldexp(denominators, shift), denominators)
    return scored._replace(
        sample_weights=keep_positive(np.ldexp(scored.sample_weights, shift), scored.sample_weights),
        denominators=denominators,
        weight_exponent=scored.weight_exponent - shift,
    )
