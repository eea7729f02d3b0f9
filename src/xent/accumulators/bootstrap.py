"""A streaming Poisson bootstrap: confidence intervals in one pass, memory independent of
the rows, exactly reproducible for a seed, mergeable by addition.

Each row gets, for each of N replicates, a weight w ~ Poisson(1) (Hanley & MacGibbon
2006; Chamandy et al. 2012, "Estimating uncertainty for massive data streams"): the
Poisson bootstrap approximates resampling n rows with replacement without knowing n in
advance. The weight is a pure function of (seed, the row's key, the replicate): a
counter-based generator (NumPy's Philox-4x64 keyed by the seed, its counter the key's
block of 256 rows; a 32-bit u per weight, w its Poisson(1) quantile), so it does not
depend on chunk sizes, worker counts or the order chunks arrive in. A file row's key is
its line number (a JSON document's: its row number).

Per replicate the accumulator keeps weighted sums (loss numerator Σ w·s·l, denominator,
Σ w·s, hits, top-k hits, Brier, and the calibration histogram per bin) as exact
integers: each value's mantissa is split in two 27-bit halves grouped by exponent, so the
products with the integer weights sum exactly in float64 matrix products, and the group
sums become Python integers (scaled by 2**OFFSET). Two halves merged give bit for bit
what one pass gives. Intervals are percentile intervals of the replicates' statistics.
"""

from __future__ import annotations

import math

import numpy as np

from .. import metrics
from ..kernels import power
from .base import Accumulator, Rows
from .exact import product_errors

# Poisson(1) CDF, k = 0..MAX_WEIGHT: u below cdf[k] (and not below cdf[k−1]) is weight k.
MAX_WEIGHT = 20
_CDF = np.cumsum([math.exp(-1) / math.factorial(k) for k in range(MAX_WEIGHT + 1)])
# Values are summed as integers in units of 2**-OFFSET: every float64 is a multiple of it.
OFFSET = 1074 + 53
# Rows × replicates of one block of weights (8 MiB of float64; at most 2**21 rows).
_BLOCK_ELEMENTS = 1 << 20
# Rows per counter of the generator: a row's weights are a row of its block's values.
BLOCK_ROWS = 256
METHOD = "poisson bootstrap, percentile"


def _poisson_table() -> tuple[np.ndarray, np.ndarray]:
    """The Poisson(1) quantile of a 32-bit u, by its top 16 bits: a table of the weight of
    each of the 65,536 cells, 255 where a cell straddles a threshold (then the thresholds
    decide, rarely)."""
    thresholds = np.minimum(np.round(_CDF * 2.0**32), 2.0**32).astype(np.uint64)
    starts = np.arange(1 << 16, dtype=np.uint64) << np.uint64(16)
    first = np.searchsorted(thresholds, starts, side="right")
    last = np.searchsorted(thresholds, starts + np.uint64(0xFFFF), side="right")
    table = np.where(first == last, first, 255).astype(np.uint8)
    return table, thresholds


_TABLE, _THRESHOLDS = _poisson_table()


def _uniforms(keys: np.ndarray, replicates: int, seed: int) -> np.ndarray:
    """(n, replicates) uint32 of the rows with these keys: Philox-4x64 keyed by the seed,
    its counter the key's block of BLOCK_ROWS rows; a row's values are its block's row."""
    n = keys.size
    out = np.empty((n, replicates), dtype=np.uint32)
    if n == 0:
        return out
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    blocks = ordered // BLOCK_ROWS
    starts = np.flatnonzero(np.r_[True, blocks[1:] != blocks[:-1]])
    ends = np.r_[starts[1:], n]
    size = BLOCK_ROWS * replicates
    for start, end in zip(starts.tolist(), ends.tolist()):
        generator = np.random.Philox(key=seed, counter=[0, int(blocks[start]), 0, 0])
        raw = generator.random_raw((size + 1) // 2).view(np.uint32)[:size]
        out[order[start:end]] = raw.reshape(BLOCK_ROWS, replicates)[ordered[start:end] % BLOCK_ROWS]
    return out


def poisson_weights(keys, replicates: int, seed: int) -> np.ndarray:
    """(n, replicates) Poisson(1) weights of the rows with these keys (non-negative
    integers), as float64: the same for a key whatever rows come with it."""
    keys = np.asarray(keys, dtype=np.int64)
    if keys.size and keys.min() < 0:
        raise ValueError("bootstrap keys are non-negative")
    u = _uniforms(keys, replicates, seed)
    weights = _TABLE[u >> 16]
    straddle = weights == 255
    if straddle.any():
        weights[straddle] = np.searchsorted(_THRESHOLDS, u[straddle], side="right")
    return weights.astype(np.float64)


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


def parts_value(code: int, sums: np.ndarray) -> np.ndarray:
    """The exact value of one code's (replicates,) sums, as Python integers in units of
    2**-OFFSET (an object array)."""
    return sums.astype(object) * (1 << (code % 4096 - 2048 + OFFSET))


class ExactColumns:
    """Exact per-replicate sums of one quantity, per group: int64 parts by code while
    they are safe from overflow, folded into Python integers now and then."""

    __slots__ = ("groups", "pending", "adds", "total")
    FOLD_EVERY = 512  # parts below 2**53 each: 512 of them stay below 2**62

    def __init__(self, replicates: int, groups: int = 1) -> None:
        self.groups = groups
        self.pending: dict[int, np.ndarray] = {}
        self.adds = 0
        self.total = np.zeros((replicates, groups), dtype=object)

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
        for j, code in enumerate(codes):
            self.total[:, code // 4096] += parts_value(code, sums[:, j]) * (1 << shift)

    def lift(self, shift: int) -> None:
        """The sums × 2^shift (shift ≥ 0), exactly: into the units of smaller weights."""
        if shift:
            self.total = self.fold() * (1 << shift)

    def fold(self) -> np.ndarray:
        for code, halves in self.pending.items():
            self.total[:, code // 4096] += parts_value(code, halves)
        self.pending, self.adds = {}, 0
        return self.total

    def merge(self, other: ExactColumns) -> None:
        self.fold()
        self.total = self.total + other.fold()


_CONTROLLER: list = []


def _one_blas_thread():
    """The matrix products are small and many: BLAS threads only fight the CSV reader's
    worker processes for the cores (measured 2-3x slower on 2 cores). threadpoolctl,
    when installed (scikit-learn's dependency), keeps BLAS to one thread meanwhile."""
    import contextlib

    if not _CONTROLLER:
        try:
            from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]

            _CONTROLLER.append(ThreadpoolController())
        except Exception:  # not installed, or a library it cannot read: leave BLAS be
            _CONTROLLER.append(None)
    if _CONTROLLER[0] is None:
        return contextlib.nullcontext()
    return _CONTROLLER[0].limit(limits=1, user_api="blas")


class Bootstrap(Accumulator):
    """Per-replicate sums of a run's rows (see the module docstring); ``add`` a scored
    chunk, ``merge`` another's sums, ``intervals`` at the end."""

    name = "bootstrap"
    missing = "error"

    def __init__(self, replicates: int = 200, seed: int = 0, *, top_k: int = 1, bins: int = 15):
        self.replicates, self.seed, self.top_k, self.bins = replicates, seed, top_k, bins
        self.nonfinite = 0  # rows of infinite loss: the loss has no interval
        self.has_metrics = False
        self.columns: dict[str, ExactColumns] = {}
        # The sums are in units of 2^exponent of the weights (accumulators.scaling): the
        # smallest exponent seen, the sums of larger ones multiplied up (integers: exact).
        self.exponent: int | None = None
        self.shift = 0  # the chunk being added: its units over these sums'

    def empty(self, classes=(), settings=None) -> Bootstrap:
        return Bootstrap(self.replicates, self.seed, top_k=self.top_k, bins=self.bins)

    def _add(self, name: str, weights, values, groups=None, n_groups: int = 1) -> None:
        if name not in self.columns:
            self.columns[name] = ExactColumns(self.replicates, n_groups)
        codes, sums = exact_parts(weights, values, groups, n_groups)
        self.columns[name].add_shifted(codes, sums, self.shift)

    @property
    def sums(self) -> dict[str, np.ndarray]:
        """Each quantity's exact sums: (replicates, groups) Python integers, units 2**-OFFSET."""
        return {name: column.fold() for name, column in self.columns.items()}

    def add(self, scored, keys: np.ndarray | None = None) -> None:
        """Add a scored chunk (:class:`xent.scorer.ScoredRows`, or its :class:`Rows`);
        ``keys`` name its rows (default: their line numbers)."""
        if isinstance(scored, Rows):
            scored = scored.scored
        losses = np.asarray(scored.losses, dtype=np.float64)
        n = losses.size
        if n == 0:
            return
        self.shift = self._meet(getattr(scored, "weight_exponent", 0))
        keys = scored.lines if keys is None else keys
        step = max(1, _BLOCK_ELEMENTS // self.replicates)
        with _one_blas_thread():
            for start in range(0, n, step):
                part = slice(start, start + step)
                self._add_rows(scored, losses, part, keys[part])

    def _add_rows(self, scored, losses, part, keys) -> None:
        w = poisson_weights(keys, self.replicates, self.seed)
        s = None if scored.sample_weights is None else scored.sample_weights[part]
        ones = np.ones(w.shape[0])
        samples = ones if s is None else s
        terms = losses[part] if s is None else np.where(s > 0, s * losses[part], 0.0)
        finite = np.isfinite(terms)
        if not finite.all():
            self.nonfinite += int((~finite).sum())
            terms = np.where(finite, terms, 0.0)
        self._add("loss", w, terms)
        if s is not None:  # Σ w·s·l exactly, not Σ w·RN(s·l) (see .exact.exact_ratio)
            self._add("loss", w, np.where(finite, product_errors(s, losses[part]), 0.0))
        self._add("samples", w, samples)
        if scored.denominators is not None:
            self._add("divisor", w, np.asarray(scored.denominators[part], dtype=np.float64))
        q = None if scored.probabilities is None else scored.probabilities[part]
        if scored.columns is not None and q is not None:  # multi-label: every class right
            agree = (q >= 0.5) == (scored.positives[part] >= 0.5)
            self._add("hits", w, samples * agree.all(axis=1))
            return
        if scored.labels is None or scored.predicted is None:
            return
        labels = scored.labels[part]
        self._add("hits", w, samples * (labels == scored.predicted[part]))
        if q is None:
            return
        self.has_metrics = True
        targets = None if scored.targets is None else scored.targets[part]
        self._add("top_k", w, samples * metrics.top_k_hits(labels, q, self.top_k))
        brier = metrics.brier_rows(labels, targets, q)
        self._add("brier", w, samples * brier)
        if s is not None:
            self._add("brier", w, product_errors(s, brier))
        confidence = q.max(axis=1)
        correct = (q.argmax(axis=1) == labels).astype(np.float64)
        edges = np.arange(self.bins + 1) / self.bins  # as metrics.calibration_bins
        which = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, self.bins - 1)
        self._add("bin_weight", w, samples, which, self.bins)
        self._add("bin_confidence", w, samples * confidence, which, self.bins)
        self._add("bin_correct", w, samples * correct, which, self.bins)

    def _meet(self, exponent: int) -> int:
        """Sums in units of 2^exponent meet these: the shift (≥ 0) that brings them here."""
        if self.exponent is None:
            self.exponent = exponent
        elif exponent < self.exponent:
            for column in self.columns.values():
                column.lift(self.exponent - exponent)
            self.exponent = exponent
        return exponent - self.exponent

    def rescale(self, shift: int) -> None:
        """Exact integers with an exponent of their own (see ``_meet``): nothing to do."""

    def merge(self, other: Bootstrap, rows_before: int = 0) -> Bootstrap:
        """Add another run's sums: the same replicates, over rows of their own. The seeds
        may differ: the files of a many-file run each draw from a stream of their own
        (their line numbers repeat), and independent weights merge as any do."""
        if other.replicates != self.replicates:
            raise ValueError("bootstrap sums of different replicate counts do not merge")
        self.nonfinite += other.nonfinite
        self.has_metrics |= other.has_metrics
        theirs = getattr(other, "exponent", None)
        if theirs is not None:  # both in the smaller's units
            self._meet(theirs)
            assert self.exponent is not None
            other._meet(self.exponent)
        for name, column in other.columns.items():
            if name in self.columns:
                self.columns[name].merge(column)
            else:
                mine = self.columns[name] = ExactColumns(self.replicates, column.groups)
                mine.merge(column)
        return self

    # ------------------------------------------------------------------ results

    def ratio(self, numerator: str, denominator: str) -> np.ndarray:
        """Per replicate Σ w·numerator / Σ w·denominator (NaN where it is 0), correctly
        rounded from the exact integer sums."""
        top = self.columns[numerator].fold()[:, 0]
        bottom = self.columns[denominator].fold()[:, 0]
        return np.array([t / b if b else math.nan for t, b in zip(top, bottom)])

    def replicate_losses(self) -> np.ndarray:
        if self.nonfinite:
            return np.full(self.replicates, math.inf)
        return self.ratio("loss", "divisor" if "divisor" in self.columns else "samples")

    def replicate_ece(self) -> np.ndarray:
        weight, confidence, correct = (
            self.columns[name].fold() for name in ("bin_weight", "bin_confidence", "bin_correct")
        )
        out = []
        for r in range(self.replicates):
            total = sum(weight[r])
            gaps = sum(abs(a - c) for a, c, n in zip(correct[r], confidence[r], weight[r]) if n)
            out.append(gaps / total if total else math.nan)
        return np.array(out)

    def finish(self) -> dict[str, np.ndarray]:
        return self.statistics()

    def statistics(self) -> dict[str, np.ndarray]:
        """Each summary statistic's value in every replicate."""
        if "samples" not in self.columns:
            return {}
        stats = {"mean_cross_entropy": self.replicate_losses()}
        if "hits" in self.columns:
            stats["accuracy"] = self.ratio("hits", "samples")
        if self.has_metrics:
            stats["top_k_accuracy"] = self.ratio("top_k", "samples")
            stats["brier_score"] = self.ratio("brier", "samples")
            stats["ece"] = self.replicate_ece()
        return stats

    def intervals(self, level: float, base: float = math.e) -> dict[str, tuple[float, float]]:
        """Percentile intervals at ``level``: ``mean_cross_entropy``, ``perplexity`` (base
        to the power of the loss interval), ``accuracy`` and, with probabilities,
        ``top_k_accuracy``, ``brier_score`` and ``ece``."""
        out = {}
        for name, values in self.statistics().items():
            out[name] = percentile_interval(values, level)
            if name == "mean_cross_entropy":
                lo, hi = out[name]
                no_interval = math.isnan(lo)  # (nan, nan): no replicate had a loss
                out["perplexity"] = (
                    out[name] if no_interval else (float(power(base, lo)), float(power(base, hi)))
                )
        return out


def percentile_interval(values: np.ndarray, level: float) -> tuple[float, float]:
    """The (1 − level)/2 and (1 + level)/2 quantiles (linear interpolation) of the finite
    replicate values; (inf, inf) when they are all infinite, NaN when there are none."""
    values = np.asarray(values, dtype=np.float64)
    kept = values[~np.isnan(values)]
    if kept.size == 0:
        return (math.nan, math.nan)
    if np.isinf(kept).all():
        return (float(kept[0]), float(kept[0]))
    alpha = (1.0 - level) / 2
    lo, hi = np.quantile(kept, [alpha, 1.0 - alpha])
    return (float(lo), float(hi))
