"""Metrics reported beside the loss: top-k accuracy, Brier score, expected calibration error.

Pure NumPy. Targets are class indices, or distributions (their most probable class is the
true class for accuracy and calibration; the Brier score uses the whole distribution).
Predictions are probabilities, one row per sample.
"""

from __future__ import annotations

import numpy as np

from . import engine
from .errors import DataError

__all__ = ["brier_score", "expected_calibration_error", "top_k_accuracy"]


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
    if q.shape[1] == 2 and k == 1:
        # scikit-learn thresholds a binary score instead: class 1 only when Q(1) > 0.5.
        hits = ((q[:, 1] > 0.5).astype(int) == labels).astype(np.float64)
    else:
        ranked = np.argsort(q, axis=1, kind="mergesort")[:, ::-1][:, : int(k)]
        hits = (ranked == labels[:, None]).any(axis=1).astype(np.float64)
    return float(np.average(hits, weights=sample_weight))


def brier_score(target, pred, *, reduction: str = "mean"):
    """Σ_c (Q(c) − P(c))² per row (Brier 1950), in [0, 2], then reduced.

    This is the multi-class definition; for two classes it is twice scikit-learn's binary
    ``brier_score_loss`` (which squares only the positive class's error).
    """
    labels, p, q = _inputs(target, pred)
    if p is None:
        p = np.eye(q.shape[1])[labels]
    return engine.reduce_rows(((q - p) ** 2).sum(axis=1), reduction)


def expected_calibration_error(target, pred, *, bins: int = 15) -> float:
    """ECE = Σ_b (n_b / N) · |accuracy_b − confidence_b| (Guo et al. 2017).

    The confidence of a row is its largest predicted probability and its prediction that
    class (the first one on ties); rows fall into ``bins`` equal-width intervals
    ((b−1)/B, b/B] of confidence, and empty bins count for nothing.
    """
    if int(bins) != bins or bins < 1:
        raise ValueError(f"bins must be a positive integer, got {bins!r}")
    labels, _, q = _inputs(target, pred)
    confidence = q.max(axis=1)
    correct = (q.argmax(axis=1) == labels).astype(np.float64)
    edges = np.arange(int(bins) + 1) / int(bins)  # each edge b/B correctly rounded
    # side="left": a confidence equal to an edge b/B belongs to the bin that ends there.
    which = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, int(bins) - 1)
    n = confidence.shape[0]
    counts = np.bincount(which, minlength=int(bins))
    gap = np.abs(
        np.bincount(which, weights=correct, minlength=int(bins))
        - np.bincount(which, weights=confidence, minlength=int(bins))
    )
    # n_b/N · |acc_b − conf_b| = |Σ correct − Σ confidence| / N within each bin.
    return float(gap[counts > 0].sum() / n)
