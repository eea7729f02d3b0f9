"""Mergeable totals of scored rows: sums, counts and fixed-size arrays, never the rows.

:class:`Totals` has the shape of Spark's and Dask's aggregators: ``add(scored)`` takes a
scored chunk, ``merge(other)`` adds another's totals (a worker's, a partition's), and
``summary()`` turns them into a :class:`~xent.results.Summary`. Everything kept is a count,
a sum, a min or max, a fixed-size array (per class, per calibration bin) or the bounded
K worst rows, so memory does not grow with the rows and any split of the rows, merged,
gives what one pass gives: counts, histograms, min, max and the worst rows exactly; sums
to rounding, since each chunk's sum is correctly rounded (``math.fsum``'s, by
:func:`exact_sum`) and chunk sums are added without further rounding (:class:`ExactSum`,
Shewchuk's partials).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from . import metrics
from .errors import DataError

if TYPE_CHECKING:
    from .bootstrap import Bootstrap
    from .groups import GroupedTotals

# How many skipped rows a summary names by line (all of them are counted).
SKIPPED_SHOWN = 5


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
    bits = np.ascontiguousarray(values).view(np.int64).ravel()
    magnitude = bits & 0x7FFFFFFFFFFFFFFF  # the bits of |x|, ordered as |x| is
    smallest = int((magnitude - 1).view(np.uint64).min()) + 1  # 0 − 1 wraps to the top
    if int(magnitude.max()) >= _HUGE or smallest < _TINY:
        return math.fsum(values.ravel().tolist())
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
    total = math.fsum(terms)
    return total if total != 0.0 else math.fsum(values.ravel().tolist())


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

    def merge(self, other: ExactSum) -> None:
        for x in other.partials:
            self.add(x)

    @property
    def value(self) -> float:
        return math.fsum(self.partials)


def _weigh(values: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    """s·values with 0·inf = 0: a row of weight 0 counts for nothing, even an infinite one."""
    if weights is None:
        return values
    with np.errstate(invalid="ignore"):  # 0·inf where s = 0: masked, not a warning
        return np.where(weights > 0, weights * values, 0.0)


class SparseBins:
    """A histogram's non-zero columns (the same numbers, smaller to send)."""

    __slots__ = ("shape", "columns", "values")

    def __init__(self, dense: np.ndarray) -> None:
        self.shape = dense.shape
        self.columns = np.flatnonzero(dense.any(axis=0))
        self.values = dense[:, self.columns]

    def dense(self) -> np.ndarray:
        out = np.zeros(self.shape)
        out[:, self.columns] = self.values
        return out

    def add_to(self, dense: np.ndarray) -> None:
        dense[:, self.columns] += self.values  # columns are distinct: no repeated index


class Totals:
    """Running totals of a scoring run (see the module docstring)."""

    def __init__(
        self,
        classes: list[str],
        *,
        worst: int = 0,
        top_k: int = 1,
        bins: int = 15,
        columns: bool = False,
        keep_metrics: bool = True,
    ) -> None:
        self.classes = list(classes)
        k = len(self.classes)
        self.top_k, self.bins, self.worst = top_k, bins, worst
        self.rows = 0
        self.skipped = 0
        self.skipped_lines: list[int] = []
        self.ignored = 0
        self.infinite = 0
        self.loss = ExactSum()  # Σ s·l
        self.divisor = ExactSum()  # Σ s·d, when the mean is weighted
        self.weighted = False
        self.sample_total = ExactSum()  # Σ s
        self.sample_weighted = False
        # The spread, by Chan et al.'s merge of (weight, mean, M2).
        self.spread_weight = 0.0
        self.spread_mean = 0.0
        self.spread_m2 = 0.0
        self.min = math.inf
        self.max = -math.inf
        self.correct = ExactSum()  # Σ s·[arg-max is the label]
        self.has_accuracy = False  # the chunks came with their arg-max (ScoredRows.predicted)
        self.class_rows = np.zeros(k, dtype=np.int64)
        self.class_loss = np.zeros(k)
        self.class_divisor = np.zeros(k)
        self.class_samples = np.zeros(k)
        self.class_correct = np.zeros(k)
        # The metrics (top-k, Brier, calibration bins), when the chunks carry probabilities
        # and ``keep_metrics`` (a --group-by group shows none: its totals keep none).
        self.keeps_metrics = keep_metrics
        self.has_metrics = False
        self.top_k_hits = ExactSum()
        self.brier = ExactSum()
        self.class_top_k = np.zeros(k)
        self.class_brier = np.zeros(k)
        self.calibration = np.zeros((3, bins))
        # Calibration beyond the top-label ECE (see xent.metrics): rows and Σ s² per bin
        # (the Wilson intervals), each class's own histogram (classwise and binary ECE;
        # empty when K·bins is too large), and 2^16 fine bins (equal-mass bins).
        self.calibration_counts = np.zeros((2, bins))
        # These two are None until a row has metrics: 1.5 MB, and K·3·bins numbers (0.4 MB
        # at 1000 classes), that --format plain and the totals of a --group-by group never
        # fill, while a chunk's totals are made, merged and dropped a thousand times a file.
        self._class_calibration: np.ndarray | None = None
        self._fine: np.ndarray | SparseBins | None = None
        # Per class column (multi-label rows, or a contribution table): Σ of each
        # column's terms, of P, Q and −log Q, and Σ of H(P) and KL per row.
        self.columns = columns
        self.column_terms = np.zeros(k)
        self.column_p = np.zeros(k)
        self.column_q = np.zeros(k)
        self.column_neg_log_q = np.zeros(k)
        self.entropy = ExactSum()
        self.kl = ExactSum()
        # Per-replicate sums of a Poisson bootstrap (xent.bootstrap.Bootstrap), when asked.
        self.bootstrap: Bootstrap | None = None
        # Totals per value of a column, and sums per sequence (xent.groups.GroupedTotals,
        # --group-by and --sequence-column), when asked: merged with these.
        self.grouped: GroupedTotals | None = None
        self.soft_labels = False  # some rows had soft labels (no base rate from counts)
        self._worst: tuple[np.ndarray, ...] = (
            np.zeros(0),
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            np.zeros(0, np.intp),
            np.zeros(0, np.intp),
        )

    # ----------------------------------------------------------------------- add

    def add(self, scored) -> None:
        """Add a scored chunk (:class:`xent.scorer.ScoredRows`)."""
        self.skip([_number(error) for error in scored.skipped])
        self.ignored += scored.ignored
        losses = np.asarray(scored.losses, dtype=np.float64)
        n = losses.size
        if n == 0:
            return
        s = scored.sample_weights
        terms = _weigh(losses, s)
        self.loss.add_array(terms)
        self.infinite += int(n - np.isfinite(terms).sum())
        self._add_spread(losses, terms, scored.denominators)
        first_row = self.rows + 1
        self.rows += n
        self.min = min(self.min, float(losses.min()))
        self.max = max(self.max, float(losses.max()))
        if s is not None:
            self.sample_weighted = True
            self.sample_total.add_array(s)
        if scored.columns is not None:
            self._add_multi_label(scored, s)
        else:
            self._add_by_label(scored, terms, s)
        if scored.columns is None and scored.probabilities is not None and self.keeps_metrics:
            self._add_metrics(scored, s)
        if scored.detail is not None:
            self._add_detail(scored.detail, s)
        self.soft_labels |= scored.targets is not None
        if self.bootstrap is not None:
            self.bootstrap.add(scored)
        if self.worst and scored.labels is not None:
            self._keep_worst(first_row, scored.lines, scored.labels, scored.predicted, losses)

    def skip(self, lines: Sequence[int | None]) -> None:
        self.skipped += len(lines)
        room = SKIPPED_SHOWN - len(self.skipped_lines)
        if room > 0:
            self.skipped_lines += [line for line in lines[:room] if line is not None]

    def _add_spread(self, losses, terms, denominators) -> None:
        n = losses.size
        if denominators is None:
            weight, mean = float(n), float(terms.sum()) / n
            if math.isfinite(mean):  # no inf − inf to silence (np.errstate costs ~10 µs)
                m2 = float(((losses - mean) ** 2).sum())
            else:
                with np.errstate(invalid="ignore"):
                    m2 = float(((losses - mean) ** 2).sum())
        else:
            # x_n = s_n·l_n / v_n counted v_n times (v_n = s_n·d_n): its weighted mean is
            # the run's mean; rows of weight 0 count for nothing.
            self.weighted = True
            v = np.asarray(denominators, dtype=np.float64)
            self.divisor.add_array(v)
            counts = v > 0
            weight = float(v.sum())
            with np.errstate(invalid="ignore", divide="ignore"):
                x = np.where(counts, terms / np.where(counts, v, 1.0), 0.0)
                mean = float((v * x).sum() / weight) if weight else 0.0
                m2 = float(np.where(counts, v * (x - mean) ** 2, 0.0).sum())
        self._merge_spread(weight, mean, m2)

    def _merge_spread(self, weight: float, mean: float, m2: float) -> None:
        if not self.spread_weight:  # nothing yet: take theirs as they are (no rounding)
            self.spread_weight, self.spread_mean, self.spread_m2 = weight, mean, m2
            return
        merged = self.spread_weight + weight
        if merged > 0:
            delta = mean - self.spread_mean
            self.spread_m2 += m2 + delta * delta * self.spread_weight * weight / merged
            self.spread_mean += delta * weight / merged
        self.spread_weight = merged

    def _add_by_label(self, scored, terms, s) -> None:
        k = len(self.classes)
        labels = scored.labels
        self.class_rows += np.bincount(labels, minlength=k)
        self.class_loss += np.bincount(labels, weights=terms, minlength=k)
        if scored.denominators is not None:
            self.class_divisor += np.bincount(labels, weights=scored.denominators, minlength=k)
        if s is not None:
            self.class_samples += np.bincount(labels, weights=s, minlength=k)
        if scored.predicted is None:  # the loss alone was asked for
            return
        self.has_accuracy = True
        hits = (labels == scored.predicted).astype(np.float64)
        weighted_hits = _weigh(hits, s)
        self.correct.add_array(weighted_hits)
        self.class_correct += np.bincount(labels, weights=weighted_hits, minlength=k)

    def _add_multi_label(self, scored, s) -> None:
        """Multi-label rows: the per-class table is by class column (every row has a term
        for every class), its accuracy each class's yes/no at 0.5; a row is correct when
        every class is (scikit-learn's accuracy_score for multi-label rows)."""
        columns = scored.columns if s is None else scored.columns * s[:, None]
        positive = scored.positives >= 0.5
        agree = (scored.probabilities >= 0.5) == positive
        self.class_loss += columns.sum(axis=0)
        self.class_rows += positive.sum(axis=0).astype(np.int64)
        self.class_correct += (agree if s is None else agree * s[:, None]).sum(axis=0)
        self.correct.add_array(_weigh(agree.all(axis=1).astype(np.float64), s))
        self.has_accuracy = True

    def _add_metrics(self, scored, s) -> None:
        k = len(self.classes)
        labels, q = scored.labels, scored.probabilities
        self.has_metrics = True
        hits = _weigh(metrics.top_k_hits(labels, q, self.top_k), s)
        brier = _weigh(metrics.brier_rows(labels, scored.targets, q), s)
        self.top_k_hits.add_array(hits)
        self.brier.add_array(brier)
        self.class_top_k += np.bincount(labels, weights=hits, minlength=k)
        self.class_brier += np.bincount(labels, weights=brier, minlength=k)
        coarse, counts, fine = metrics.top_label_histograms(labels, q, self.bins, s)
        self.calibration += coarse
        self.calibration_counts += counts
        self.fine_calibration += fine
        if self.class_calibration.shape[0]:
            self.class_calibration += metrics.class_calibration_bins(labels, q, self.bins, s)

    def _add_detail(self, detail, s) -> None:
        def column_sum(values):
            return (values if s is None else values * s[:, None]).sum(axis=0)

        with np.errstate(invalid="ignore"):
            self.column_terms += column_sum(detail.contribution)
            self.column_p += column_sum(detail.p)
            self.column_q += column_sum(detail.q)
            self.column_neg_log_q += column_sum(detail.neg_log_q)
        self.entropy.add_array(_weigh(detail.entropy, s))
        self.kl.add_array(_weigh(detail.kl_divergence, s))

    def _keep_worst(self, first_row, lines, labels, predicted, losses) -> None:
        k = min(self.worst, losses.size)
        top = np.argpartition(-losses, k - 1)[:k] if k < losses.size else np.arange(k)
        self._merge_worst(
            (losses[top], first_row + top, np.asarray(lines)[top], labels[top], predicted[top])
        )

    def _merge_worst(self, other) -> None:
        both = [np.concatenate([mine, theirs]) for mine, theirs in zip(self._worst, other)]
        # Highest loss first; equal losses in input order.
        order = np.lexsort((both[1], -both[0]))[: self.worst]
        self._worst = tuple(column[order] for column in both)

    # ----------------------------------------------------------------------- merge

    def merge(self, other: Totals) -> Totals:
        """Add another run's totals over later rows (a worker's, a partition's) to these."""
        if other.classes != self.classes:
            raise DataError(
                f"the classes differ: {', '.join(self.classes)} and {', '.join(other.classes)}"
            )
        self.skip(other.skipped_lines)
        self.skipped += other.skipped - len(other.skipped_lines)
        self.ignored += other.ignored
        self.infinite += other.infinite
        if other.rows and self.worst:
            worst = list(other._worst)
            worst[1] = worst[1] + self.rows  # their row numbers follow ours
            self._merge_worst(tuple(worst))
        self.rows += other.rows
        for name in (
            "loss",
            "divisor",
            "sample_total",
            "correct",
            "top_k_hits",
            "brier",
            "entropy",
            "kl",
        ):
            getattr(self, name).merge(getattr(other, name))
        self.weighted |= other.weighted
        self.sample_weighted |= other.sample_weighted
        self.has_metrics |= other.has_metrics
        self.soft_labels |= other.soft_labels
        self.has_accuracy |= other.has_accuracy
        self._merge_spread(other.spread_weight, other.spread_mean, other.spread_m2)
        self.min, self.max = min(self.min, other.min), max(self.max, other.max)
        if other.bootstrap is not None:
            if self.bootstrap is None:
                raise ValueError("merging bootstrap sums into totals without them")
            self.bootstrap.merge(other.bootstrap)
        if other.grouped is not None:
            if self.grouped is None:
                self.grouped = other.grouped
            else:
                self.grouped.merge(other.grouped)
        for name in (
            "class_rows",
            "class_loss",
            "class_divisor",
            "class_samples",
            "class_correct",
            "column_terms",
            "column_p",
            "column_q",
            "column_neg_log_q",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        if other.has_metrics:  # else their metric sums are all 0 (1000 classes: 0.4 MB)
            for name in (
                "class_top_k",
                "class_brier",
                "calibration",
                "calibration_counts",
                "class_calibration",
            ):
                setattr(self, name, getattr(self, name) + getattr(other, name))
            if isinstance(other._fine, SparseBins):
                other._fine.add_to(self.fine_calibration)
            elif other._fine is not None:
                self.fine_calibration += other._fine
        return self

    # 2^16 fine calibration bins are 1.5 MB dense, and a chunk fills few of them (none
    # without metrics): sent sparse (a worker's part, a cluster task's totals), added
    # sparse by merge, made dense only where read.

    @property
    def class_calibration(self) -> np.ndarray:
        """(K, 3, bins); (0, 3, bins) when K·3·bins is over ``metrics.CLASSWISE_CELLS``."""
        if self._class_calibration is None:
            k = len(self.classes)
            classwise = k * 3 * self.bins <= metrics.CLASSWISE_CELLS
            self._class_calibration = np.zeros((k if classwise else 0, 3, self.bins))
        return self._class_calibration

    @class_calibration.setter
    def class_calibration(self, value: np.ndarray) -> None:
        self._class_calibration = value

    @property
    def fine_calibration(self) -> np.ndarray:
        if self._fine is None:
            self._fine = np.zeros((3, metrics.FINE_BINS))
        elif isinstance(self._fine, SparseBins):
            self._fine = self._fine.dense()
        return self._fine

    @fine_calibration.setter
    def fine_calibration(self, value: np.ndarray) -> None:
        self._fine = value

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        fine = state["_fine"]
        if isinstance(fine, np.ndarray):
            sparse = SparseBins(fine)
            if sparse.values.size * 2 < fine.size:
                state["_fine"] = sparse
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)

    # ----------------------------------------------------------------------- results

    @property
    def mean_divisor(self) -> float:
        """What the mean divides by: Σ s·d when weighted, Σ s with sample weights, else n."""
        if self.weighted:
            return self.divisor.value
        return self.sample_total.value if self.sample_weighted else float(self.rows)

    def mean(self, source: str | None = None) -> float:
        if not self.rows:
            return math.nan
        divisor = self.mean_divisor
        if not divisor > 0:
            raise DataError(
                f"the weights of the {self.rows:,} rows that count sum to 0: the weighted "
                "mean is undefined",
                source=source,
            )
        return self.loss.value / divisor

    @property
    def std(self) -> float:
        if self.infinite or not self.rows or not self.spread_weight > 0:
            return math.nan
        return math.sqrt(self.spread_m2 / self.spread_weight)

    def worst_rows(self):
        losses, rows, lines, labels, predicted = self._worst
        return [
            (
                int(rows[i]),
                int(lines[i]),
                self.classes[labels[i]],
                self.classes[predicted[i]],
                float(losses[i]),
            )
            for i in range(len(rows))
        ]

    def ece(self) -> float:
        return metrics.ece_from_bins(self.calibration)

    def calibration_errors(self) -> tuple[float, float, float]:
        """(ECE, MCE, RMS calibration error) of the top-label equal-width bins."""
        return metrics.calibration_errors(self.calibration)

    def class_eces(self) -> np.ndarray:
        """Each class's own ECE (NaN for all when the classwise histograms are off)."""
        if not self.class_calibration.shape[0]:
            return np.full(len(self.classes), math.nan)
        return np.array([metrics.ece_from_bins(t) for t in self.class_calibration])

    def adaptive_ece(self) -> tuple[float, float]:
        """(ECE of equal-mass bins, its bound): see :func:`xent.metrics.adaptive_ece_from_fine`."""
        return metrics.adaptive_ece_from_fine(self.fine_calibration, self.bins)

    def reliability(self, z: float = metrics.Z_95) -> list[tuple]:
        """The reliability diagram's rows, one per equal-width bin: (low, high, rows,
        weight, mean confidence, accuracy, Wilson low, Wilson high); NaN for empty bins.
        The interval uses the effective size (Σ s)²/Σ s² (the row count when unweighted)."""
        weight, confidence, correct = self.calibration
        rows, squares = self.calibration_counts
        edges = np.arange(self.bins + 1) / self.bins
        out = []
        for b in range(self.bins):
            w = float(weight[b])
            if w > 0:
                conf, acc = float(confidence[b]) / w, float(correct[b]) / w
                size = w * w / float(squares[b])
                low, high = metrics.wilson_interval(acc * size, size, z)
            else:
                conf = acc = low = high = math.nan
            out.append(
                (float(edges[b]), float(edges[b + 1]), int(rows[b]), w, conf, acc, low, high)
            )
        return out


def _number(error: DataError) -> int | None:
    """The line (or, in a JSON document, the row) an error is about."""
    return error.line if error.line is not None else error.number


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
        self.skipped = 0
        self.skipped_lines: list[int] = []
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
        self.skipped += len(lines)
        room = SKIPPED_SHOWN - len(self.skipped_lines)
        if room > 0:
            self.skipped_lines += [line for line in lines[:room] if line is not None]

    def merge(self, other: RowTotals) -> RowTotals:
        """Add another run's totals over later rows to these."""
        if other.classes != self.classes:
            raise DataError(
                f"the classes differ: {', '.join(self.classes)} and {', '.join(other.classes)}"
            )
        self.skip(other.skipped_lines)
        self.skipped += other.skipped - len(other.skipped_lines)
        if other.rows:
            self.total.merge(other.total)
            self.root_total.merge(other.root_total)
            self.infinite += other.infinite
            self.min, self.max = min(self.min, other.min), max(self.max, other.max)
            self.class_terms = self.class_terms + other.class_terms
            self._merge_spread(other.rows, other.spread_mean, other.spread_m2)
            self.rows += other.rows
        return self

    @property
    def mean(self) -> float:
        return self.total.value / self.rows if self.rows else math.nan

    @property
    def std(self) -> float:
        if self.infinite or not self.rows:
            return math.nan
        return math.sqrt(self.spread_m2 / self.rows)
