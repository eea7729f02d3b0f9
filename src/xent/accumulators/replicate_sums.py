"""Exact per-replicate sums of the bootstrap (:mod:`.bootstrap`): each value cut into
integer limbs (exact in float64), their products with the integer weights summed by float64
matrix products that stay exact, and the sums kept as int64 parts or Python integers in
units of 2**-OFFSET (every float64 is a multiple of it)."""

from __future__ import annotations

import numpy as np

# Values are summed as integers in units of 2**-OFFSET: every float64 is a multiple of it.
OFFSET = 1074 + 53


LIMB_BITS = 26


def exact_parts(weights: np.ndarray, values: np.ndarray, groups=None, n_groups: int = 1):
    """Σ_n weights[n, r]·values[n] per replicate r (and group), exactly, in parts:
    ``(codes, sums)``, ``sums`` (replicates, len(codes)) int64, code = group·4096 +
    2048 + u for a part in units of 2**u.

    Every value is an integer multiple of the smallest ulp g among them; v/g is cut into
    26-bit limbs (trunc and fmod of floats scaled by powers of 2: exact), so weight × limb
    sums stay below 2**53 for at most 2**21 rows: the float64 matrix product is exact."""
    n = weights.shape[0]
    values = np.asarray(values, dtype=np.float64)
    nonzero = values != 0
    if n == 0 or not nonzero.any():
        return [], np.zeros((weights.shape[1], 0), dtype=np.int64)
    exponents = np.frexp(values[nonzero])[1]
    low, high = int(exponents.min()) - 53, int(exponents.max())
    limbs = -(-(high - low) // LIMB_BITS)
    g = np.zeros(n, dtype=np.int64) if groups is None else np.asarray(groups, np.int64)
    columns = np.zeros((n, n_groups * limbs))
    rows = np.arange(n)
    for k in range(limbs):
        with np.errstate(over="ignore", invalid="ignore"):  # too large for this limb: 0
            limb = np.fmod(np.trunc(np.ldexp(values, -low - LIMB_BITS * k)), 2.0**LIMB_BITS)
        columns[rows, g * limbs + k] = np.where(np.isfinite(limb), limb, 0.0)
    sums = (weights.T @ columns).astype(np.int64)
    codes = [
        group * 4096 + 2048 + low + LIMB_BITS * k for group in range(n_groups) for k in range(limbs)
    ]
    return codes, sums


def limb_bits(rows: int) -> int:
    """The widest limbs whose products with weights (≤ MAX_WEIGHT < 2^5) sum exactly in
    float64 over ``rows`` rows: rows·2^5·2^bits ≤ 2^53 (a product's partial sums too)."""
    return max(1, min(40, 53 - 5 - rows.bit_length()))


def limbs_of(values: np.ndarray, integer: bool = False, bits: int = LIMB_BITS):
    """(low, the limbs as an (n, L) float64 matrix) of ``values``: value = Σ_k limb_k ·
    2^(low + bits·k) exactly, |limb_k| < 2^bits an integer (the cut of :func:`exact_parts`,
    made from the top limb down: each limb is the truncated quotient, and what is left, the
    value less limb·2^p, is exact), or None when they are all 0 (non-finite values count
    as 0). ``integer``: the values are 0 or 1 (hits, unweighted counts): one limb, low 0."""
    values = np.asarray(values, dtype=np.float64)
    if not np.isfinite(values).all():
        values = np.where(np.isfinite(values), values, 0.0)
    nonzero = values != 0
    if not nonzero.any():
        return None
    if integer:
        return 0, values[:, None]
    exponents = np.frexp(values[nonzero])[1]
    low, high = int(exponents.min()) - 53, int(exponents.max())
    count = -(-(high - low) // bits)
    matrix = np.empty((values.size, count))
    rest = values
    for k in range(count - 1, -1, -1):
        power = low + bits * k
        limb = np.trunc(np.ldexp(rest, -power))
        matrix[:, k] = limb
        if k:
            rest = rest - np.ldexp(limb, power)
    return low, matrix


def parts_value(code: int, sums: np.ndarray) -> np.ndarray:
    """The exact value of one code's (replicates,) sums, as Python integers in units of
    2**-OFFSET (an object array)."""
    return sums.astype(object) * (1 << (code % 4096 - 2048 + OFFSET))


class ExactColumns:
    """Exact per-replicate sums of one quantity, per group: int64 parts by code while
    they are safe from overflow, folded into Python integers now and then (merges add the
    parts, in int64, and fold only when they must: Python integers are slow to add)."""

    __slots__ = ("groups", "replicates", "pending", "adds", "folded")
    FOLD_EVERY = 512  # parts below 2**53 each: 512 of them stay below 2**62

    def __init__(self, replicates: int, groups: int = 1) -> None:
        self.groups, self.replicates = groups, replicates
        self.pending: dict[int, np.ndarray] = {}
        self.adds = 0
        self.folded: np.ndarray | None = None  # (replicates, groups) Python integers

    @property
    def total(self) -> np.ndarray:
        if self.folded is None:
            self.folded = np.zeros((self.replicates, self.groups), dtype=object)
        return self.folded

    @total.setter
    def total(self, value: np.ndarray) -> None:
        self.folded = value

    def add(self, codes, sums) -> None:
        pending = self.pending
        for j, code in enumerate(codes):
            if code in pending:
                pending[code] += sums[:, j]
            else:
                pending[code] = sums[:, j].copy()
        self.adds += 1
        if self.adds >= self.FOLD_EVERY:
            self.fold()

    def add_shifted(self, codes, sums, shift: int) -> None:
        """Add parts × 2^shift (shift > 0: a chunk in units of larger weights), exactly."""
        if not shift:
            self.add(codes, sums)
            return
        total = self.total
        for j, code in enumerate(codes):
            total[:, code // 4096] += parts_value(code, sums[:, j]) * (1 << shift)

    def lift(self, shift: int) -> None:
        """The sums × 2^shift (shift ≥ 0), exactly: into the units of smaller weights."""
        if shift:
            self.total = self.fold() * (1 << shift)

    def fold(self) -> np.ndarray:
        total = self.total
        for code, halves in self.pending.items():
            total[:, code // 4096] += parts_value(code, halves)
        self.pending, self.adds = {}, 0
        return total

    def merge(self, other: ExactColumns) -> None:
        if self.adds + other.adds >= self.FOLD_EVERY:
            self.fold()
        pending = self.pending
        for code, part in other.pending.items():
            if code in pending:
                pending[code] += part
            else:
                pending[code] = part.copy()
        self.adds += other.adds
        if other.folded is not None:
            self.total = self.total + other.folded
        if self.adds >= self.FOLD_EVERY:
            self.fold()
