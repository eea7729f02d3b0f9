"""Calibration histograms (see :mod:`xent.metrics` for the bins): the top label's
equal-width bins (weight, Σ s·confidence, Σ s·correct), their rows and Σ s² (the Wilson
intervals), each class's own histogram (classwise and binary ECE; none when K·3·bins is
over ``metrics.CLASSWISE_CELLS``) and 2^16 fine bins (equal-mass bins). Histograms add
exactly in any split; the fine one is sent sparse (:class:`SparseBins`)."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .. import metrics
from .base import Accumulator, Rows, Settings


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


class CalibrationErrors(NamedTuple):
    ece: float
    mce: float
    rms: float
    adaptive_ece: float
    adaptive_ece_bound: float
    class_eces: np.ndarray
    reliability: list


class Calibration(Accumulator):
    name = "calibration"
    needs = ("labels", "probabilities")
    multi_label = False

    def __init__(self, classes, settings: Settings | None = None) -> None:
        self.k = len(classes)
        self.bins = (settings or Settings()).bins
        self.filled = False
        self.coarse = np.zeros((3, self.bins))
        self.counts = np.zeros((2, self.bins))
        # None until a row comes: 1.5 MB, and K·3·bins numbers (0.4 MB at 1000 classes),
        # that a run without metrics never fills.
        self._classwise: np.ndarray | None = None
        self._fine: np.ndarray | SparseBins | None = None

    def add(self, rows: Rows) -> None:
        labels, q, s = rows.scored.labels, rows.scored.probabilities, rows.weights
        self.filled = True
        coarse, counts, fine = metrics.top_label_histograms(labels, q, self.bins, s)
        self.coarse += coarse
        self.counts += counts
        self.fine += fine
        if self.classwise.shape[0]:
            self.classwise += metrics.class_calibration_bins(labels, q, self.bins, s)

    def merge(self, other: Calibration, rows_before: int = 0) -> None:
        if not other.filled:  # else their histograms are all 0 (1000 classes: 0.4 MB)
            return
        self.filled = True
        self.coarse = self.coarse + other.coarse
        self.counts = self.counts + other.counts
        self.classwise = self.classwise + other.classwise
        if isinstance(other._fine, SparseBins):
            other._fine.add_to(self.fine)
        elif other._fine is not None:
            self.fine += other._fine

    def rescale(self, shift: int) -> None:
        """Weights, Σ s·confidence and Σ s·correct × 2^shift; Σ s² × 2^(2·shift); the
        row counts stay."""
        if not self.filled:
            return
        self.coarse = np.ldexp(self.coarse, shift)
        self.counts = np.stack([self.counts[0], np.ldexp(self.counts[1], 2 * shift)])
        self.classwise = np.ldexp(self.classwise, shift)
        self.fine = np.ldexp(self.fine, shift)

    @property
    def classwise(self) -> np.ndarray:
        """(K, 3, bins); (0, 3, bins) when K·3·bins is over ``metrics.CLASSWISE_CELLS``."""
        if self._classwise is None:
            classwise = self.k * 3 * self.bins <= metrics.CLASSWISE_CELLS
            self._classwise = np.zeros((self.k if classwise else 0, 3, self.bins))
        return self._classwise

    @classwise.setter
    def classwise(self, value: np.ndarray) -> None:
        self._classwise = value

    @property
    def fine(self) -> np.ndarray:
        if self._fine is None:
            self._fine = np.zeros((3, metrics.FINE_BINS))
        elif isinstance(self._fine, SparseBins):
            self._fine = self._fine.dense()
        return self._fine

    @fine.setter
    def fine(self, value: np.ndarray) -> None:
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

    def class_eces(self) -> np.ndarray:
        """Each class's own ECE (NaN for all when the classwise histograms are off)."""
        if not self.classwise.shape[0]:
            return np.full(self.k, math.nan)
        return np.array([metrics.ece_from_bins(t) for t in self.classwise])

    def reliability(self, z: float = metrics.Z_95) -> list[tuple]:
        """The reliability diagram's rows, one per equal-width bin: (low, high, rows,
        weight, mean confidence, accuracy, Wilson low, Wilson high); NaN for empty bins.
        The interval uses the effective size (Σ s)²/Σ s² (the row count when unweighted, or
        where Σ s² fell below the float range: a bin of weights under 2^-511 of the largest,
        the totals' units of .scaling)."""
        weight, confidence, correct = self.coarse
        rows, squares = self.counts
        edges = np.arange(self.bins + 1) / self.bins
        out = []
        for b in range(self.bins):
            w = float(weight[b])
            if w > 0:
                conf, acc = float(confidence[b]) / w, float(correct[b]) / w
                square = float(squares[b])
                size = w * w / square if square > 0 and w * w > 0 else float(rows[b])
                low, high = metrics.wilson_interval(acc * size, size, z)
            else:
                conf = acc = low = high = math.nan
            out.append(
                (float(edges[b]), float(edges[b + 1]), int(rows[b]), w, conf, acc, low, high)
            )
        return out

    def finish(self) -> CalibrationErrors | None:
        """Every calibration error, or None when no chunk had probabilities."""
        if not self.filled:
            return None
        ece, mce, rms = metrics.calibration_errors(self.coarse)
        adaptive, bound = metrics.adaptive_ece_from_fine(self.fine, self.bins)
        return CalibrationErrors(
            ece, mce, rms, adaptive, bound, self.class_eces(), self.reliability()
        )
