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
integers: each value is cut into integer limbs (:mod:`.replicate_sums`), so the products
with the integer weights sum exactly in float64 matrix products (all of a block's
quantities in one, the rows sorted by calibration bin once), and the sums become Python
integers (scaled by 2**OFFSET). The weights: :mod:`.poisson`. Two halves merged give bit for bit
what one pass gives. Intervals are percentile intervals of the replicates' statistics.
"""

from __future__ import annotations

import math

import numpy as np

from ..kernels import power
from .base import Accumulator, Rows
from .exact import product_errors
from .poisson import BLOCK_ROWS, MAX_WEIGHT, poisson_weights, scratch
from .replicate_sums import (
    LIMB_BITS,
    OFFSET,
    ExactColumns,
    exact_parts,
    limb_bits,
    limbs_of,
    parts_value,
)
from .row_terms import row_terms

__all__ = [
    "BLOCK_ROWS",
    "LIMB_BITS",
    "MAX_WEIGHT",
    "METHOD",
    "OFFSET",
    "Bootstrap",
    "ExactColumns",
    "exact_parts",
    "limb_bits",
    "limbs_of",
    "parts_value",
    "percentile_interval",
    "poisson_weights",
]

# Rows × replicates of one block of weights (2 MiB of float64: cache-sized; the limbs'
# sums stay exact for at most 2**21 rows, limb_bits).
_BLOCK_ELEMENTS = 1 << 18
METHOD = "poisson bootstrap, percentile"


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

    def _column(self, name: str, groups: int = 1) -> ExactColumns:
        if name not in self.columns:
            self.columns[name] = ExactColumns(self.replicates, groups)
        return self.columns[name]

    def _add_all(self, weights, items, grouped=(), which=None, groups: int = 1) -> None:
        """Σ_n weights[n, r]·values[n] of each (name, values, integer) of ``items`` per
        replicate, and of ``grouped`` per replicate and group (``which``: each row's),
        exactly: every quantity's limbs (:func:`limbs_of`, as wide as :func:`limb_bits`
        allows) side by side, one matrix product for them all, a group's rows at a time
        (the rows sorted by group once; the ungrouped sums added over the groups)."""
        n = weights.shape[0]
        bounds = [0, n]
        if grouped:
            order = np.argsort(which, kind="stable")
            bounds = np.searchsorted(which[order], np.arange(groups + 1)).tolist()
            weights = weights[order]
            items = [(name, values[order], integer) for name, values, integer in items]
            grouped = [(name, values[order], integer) for name, values, integer in grouped]
        bits = limb_bits(n)
        pieces = []  # (name, low, limbs, matrix, grouped)
        for kind, these in ((False, items), (True, grouped)):
            for name, values, integer in these:
                self._column(name, groups if kind else 1)
                cut = limbs_of(values, integer, bits)
                if cut is not None:
                    pieces.append((name, cut[0], cut[1].shape[1], cut[1], kind))
        if not pieces:
            return
        matrix = np.hstack([piece[3] for piece in pieces])
        plain = None
        for group in range(len(bounds) - 1):
            a, b = bounds[group], bounds[group + 1]
            if a == b:
                continue
            sums = (weights[a:b].T @ matrix[a:b]).astype(np.int64)
            plain = sums if plain is None else plain + sums  # below 2^53: all rows' bound
            j = 0
            for name, low, count, _, kind in pieces:
                if kind:
                    codes = [group * 4096 + 2048 + low + bits * k for k in range(count)]
                    self.columns[name].add_shifted(codes, sums[:, j : j + count], self.shift)
                j += count
        j = 0
        for name, low, count, _, kind in pieces:
            if not kind and plain is not None:
                codes = [2048 + low + bits * k for k in range(count)]
                self.columns[name].add_shifted(codes, plain[:, j : j + count], self.shift)
            j += count

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
        shape = (len(keys), self.replicates)
        w = poisson_weights(keys, self.replicates, self.seed, scratch("weights", shape))
        s = None if scored.sample_weights is None else scored.sample_weights[part]
        counts = s is None  # unweighted: the hits and counts are 0 or 1 (one limb each)
        samples = np.ones(w.shape[0]) if s is None else s
        terms = losses[part] if s is None else np.where(s > 0, s * losses[part], 0.0)
        finite = np.isfinite(terms)
        if not finite.all():
            self.nonfinite += int((~finite).sum())
            terms = np.where(finite, terms, 0.0)
        items = [("loss", terms, False)]
        if s is not None:  # Σ w·s·l exactly, not Σ w·RN(s·l) (see .exact.exact_ratio)
            items.append(("loss", np.where(finite, product_errors(s, losses[part]), 0.0), False))
        items.append(("samples", samples, counts))
        if scored.denominators is not None:
            items.append(("divisor", np.asarray(scored.denominators[part], np.float64), False))
        bins = self._metric_items(scored, part, s, samples, counts, items)
        if bins is None:
            self._add_all(w, items)
        else:
            self._add_all(w, items, bins[1], bins[0], self.bins)

    def _metric_items(self, scored, part, s, samples, counts, items):
        """The hits, top-k and Brier of the rows (added to ``items``), and (each row's bin,
        the calibration bins' items), or None without probabilities."""
        terms = row_terms(scored, part, self.top_k)
        if terms.hits is not None:
            items.append(("hits", samples * terms.hits, counts))
        if terms.brier is None:
            return None
        self.has_metrics = True
        q, labels = scored.probabilities[part], scored.labels[part]
        items.append(("top_k", samples * terms.top_k, counts))
        items.append(("brier", samples * terms.brier, False))
        if s is not None:
            items.append(("brier", product_errors(s, terms.brier), False))
        confidence = q.max(axis=1)
        correct = (q.argmax(axis=1) == labels).astype(np.float64)
        edges = np.arange(self.bins + 1) / self.bins  # as metrics.calibration_bins
        which = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, self.bins - 1)
        return which, [
            ("bin_weight", samples, counts),
            ("bin_confidence", samples * confidence, False),
            ("bin_correct", samples * correct, counts),
        ]

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
