"""Metrics reported beside the loss: top-k accuracy, Brier score, expected calibration error.

Pure NumPy. Targets are class indices, or distributions (their most probable class is the
true class for accuracy and calibration; the Brier score uses the whole distribution).
Predictions are probabilities, one row per sample.
"""

from __future__ import annotations

import numpy as np

from . import engine
from .errors import DataError

__all__ = [
    "brier_rows",
    "brier_score",
    "calibration_bins",
    "ece_from_bins",
    "expected_calibration_error",
    "top_k_accuracy",
    "top_k_hits",
]


def _inputs(target, pred, tolerance=None):
    q = engine._as_float_array(pred, "prediction")
    engine.check_distribution(q, tolerance=tolerance)
    q = q.reshape(-1, q.shape[-1])
    target = np.asarray(target)
    if target.dtype.kind in "iu":
        labels = target.reshape(-1)
        engine.check_indices(labels, q.shape[1])
        p = None
    else:
        p = engine.target_distribution(target, q.shape[1], tolerance=tolerance)
        p = p.reshape(-1, q.shape[1])
        labels = p.argmax(axis=1)
    if labels.shape[0] != q.shape[0]:
        raise ValueError(f"{labels.shape[0]} labels for {q.shape[0]} predictions")
    if q.shape[0] == 0:
        raise DataError("no rows: the metric is undefined")
    return labels, p, q


def top_k_hits(labels: np.ndarray, q: np.ndarray, k: int) -> np.ndarray:
    """1.0 where the true class is among the k most probable, else 0.0, row by row.

    scikit-learn's ranking: a stable sort of the scores, reversed, so of equal scores the
    higher class index ranks first; class c outranks the label y when q_c > q_y, or
    q_c = q_y and c > y, and y is in the top k when fewer than k classes outrank it. For
    two classes and k = 1 scikit-learn thresholds instead: class 1 only when Q(1) > 0.5.
    """
    n, n_classes = q.shape
    if n_classes == 2 and k == 1:
        return ((q[:, 1] > 0.5).astype(np.intp) == labels).astype(np.float64)
    if k >= n_classes:
        return np.ones(n)
    q_y = q[np.arange(n), labels][:, None]
    above = (q > q_y) | ((q == q_y) & (np.arange(n_classes) > labels[:, None]))
    return (above.sum(axis=1) < k).astype(np.float64)


def brier_rows(labels: np.ndarray, p: np.ndarray | None, q: np.ndarray) -> np.ndarray:
    """Σ_c (Q(c) − P(c))² of each row; P is one-hot at ``labels`` when ``p`` is None."""
    if p is None:
        d = q.copy()
        d[np.arange(q.shape[0]), labels] -= 1.0
    else:
        d = q - p
    return np.einsum("ij,ij->i", d, d)


def calibration_bins(
    labels: np.ndarray, q: np.ndarray, bins: int, sample_weight=None
) -> np.ndarray:
    """Per confidence bin: (weight of the rows, sum of weighted confidence, sum of weighted
    correct), a (3, bins) array that adds up over batches. See
    :func:`expected_calibration_error`."""
    confidence = q.max(axis=1)
    correct = (q.argmax(axis=1) == labels).astype(np.float64)
    s = np.ones(q.shape[0]) if sample_weight is None else np.asarray(sample_weight, float)
    edges = np.arange(int(bins) + 1) / int(bins)  # each edge b/B correctly rounded
    # side="left": a confidence equal to an edge b/B belongs to the bin that ends there.
    which = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, int(bins) - 1)
    return np.stack(
        [
            np.bincount(which, weights=s, minlength=int(bins)),
            np.bincount(which, weights=s * confidence, minlength=int(bins)),
            np.bincount(which, weights=s * correct, minlength=int(bins)),
        ]
    )


def ece_from_bins(totals: np.ndarray) -> float:
    """ECE from :func:`calibration_bins` totals: n_b/N · |acc_b − conf_b| within a bin is
    |Σ correct − Σ confidence| / N; empty bins count for nothing."""
    weight, confidence, correct = totals
    n = weight.sum()
    if not n > 0:
        raise DataError("no rows of positive weight: the calibration error is undefined")
    return float(np.abs(correct - confidence)[weight > 0].sum() / n)


def top_k_accuracy(target, pred, k: int = 1, *, sample_weight=None) -> float:
    """The (weighted) fraction of rows whose true class is among the k most probable.

    Ties are broken as scikit-learn's ``top_k_accuracy_score`` breaks them (a stable sort
    of the scores, reversed: of equal scores the higher class index ranks first; for two
    classes, class 1 only when Q(1) > 0.5), so the two agree on every input. k = 1 is the
    ordinary accuracy.
    """
    if int(k) != k or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    labels, _, q = _inputs(target, pred)
    return float(np.average(top_k_hits(labels, q, int(k)), weights=sample_weight))


def brier_score(target, pred, *, reduction: str = "mean"):
    """Σ_c (Q(c) − P(c))² per row (Brier 1950), in [0, 2], then reduced.

    This is the multi-class definition; for two classes it is twice scikit-learn's binary
    ``brier_score_loss`` (which squares only the positive class's error).
    """
    labels, p, q = _inputs(target, pred)
    return engine.reduce_rows(brier_rows(labels, p, q), reduction)


def expected_calibration_error(target, pred, *, bins: int = 15) -> float:
    """ECE = Σ_b (n_b / N) · |accuracy_b − confidence_b| (Guo et al. 2017).

    The confidence of a row is its largest predicted probability and its prediction that
    class (the first one on ties); rows fall into ``bins`` equal-width intervals
    ((b−1)/B, b/B] of confidence, and empty bins count for nothing.
    """
    if int(bins) != bins or bins < 1:
        raise ValueError(f"bins must be a positive integer, got {bins!r}")
    labels, _, q = _inputs(target, pred)
    return ece_from_bins(calibration_bins(labels, q, int(bins)))
