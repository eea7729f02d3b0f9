"""Metrics reported beside the loss: top-k accuracy, Brier score, calibration errors.

Pure NumPy. Targets are class indices, or distributions (their most probable class is the
true class for accuracy and calibration; the Brier score uses the whole distribution).
Predictions are probabilities, one row per sample.

**Calibration bins.** Every calibration number is read off fixed-size histograms that add
up over chunks (so a file is streamed and split work merges): per bin, the weight of its
rows, the sum of their (weighted) confidence and the sum of their (weighted) correctness.
The rule, for B equal-width bins with edges e_b = the double nearest b/B (e_0 = 0,
e_B = 1): bin b (1-based) holds the confidences c with e_{b-1} < c <= e_b, closed on the
right (Guo et al. 2017), except the first, which also holds c = 0: [0, e_1]. A confidence
exactly on an edge goes to the bin that ends there, and 1.0 to the last bin.

- ECE = Σ_b (W_b/W)·|acc_b − conf_b|; MCE = max over non-empty bins of |acc_b − conf_b|;
  RMS = sqrt(Σ_b (W_b/W)·(acc_b − conf_b)²) (torchmetrics' l1, max and l2 norms).
- Classwise ECE (Kull et al. 2019): each class c's own probability q_c binned against
  [label = c], the ECE of each class, averaged over the K classes; binary ECE is class 1's
  (P(class 1) against the 0/1 label: torchmetrics' binary_calibration_error).
- Equal-mass (adaptive) ECE: B bins holding equal weight. Streamed from a fine histogram
  of the top-label confidence, 2^16 equal-width bins (j/2^16, (j+1)/2^16] (exact: c·2^16
  is exact in binary floating point), cut where the running weight first reaches b·W/B.
  The bins' sums are exact for those cuts; they differ from cuts at the exact quantiles
  only by the rows in the fine bins that hold a cut, so the result is within
  :func:`adaptive_ece_from_fine`'s bound (2 × the weight of those fine bins / W) of the
  ECE with exact equal-mass bins, and each cut is within 2^-16 of that quantile's
  confidence.
"""

from __future__ import annotations

import numpy as np

from . import engine
from .checks import as_float_array
from .errors import DataError

__all__ = [
    "adaptive_cuts",
    "adaptive_ece_from_fine",
    "bin_index",
    "brier_rows",
    "brier_score",
    "calibration_bins",
    "calibration_counts",
    "calibration_errors",
    "class_calibration_bins",
    "classwise_ece",
    "ece_from_bins",
    "expected_calibration_error",
    "fine_calibration_bins",
    "top_k_accuracy",
    "top_k_hits",
    "top_label_histograms",
    "wilson_interval",
]


def _inputs(target, pred, tolerance=None):
    q = as_float_array(pred, "prediction")
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


# The fine histogram behind equal-mass bins: 2^16 equal-width bins of confidence.
FINE_BINS = 1 << 16
# Classwise histograms are K × 3 × B numbers: computed while that is at most this many.
CLASSWISE_CELLS = 1 << 22
# The normal quantile of a 95% interval (scipy.stats.norm.ppf(0.975)).
Z_95 = 1.959963984540054


def bin_index(confidence: np.ndarray, bins: int) -> np.ndarray:
    """The 0-based bin of each confidence in [0, 1]: bin b holds (e_{b-1}, e_b], e_b the
    double nearest b/B, and 0 goes to the first bin (see the module docstring).

    The same as ``searchsorted(edges, c, side="left") - 1`` clipped to [0, B), without
    the binary search: ceil(c·B) - 1 is the bin or next to it (c·B and the edges are
    each rounded once), and one comparison with each edge of that bin settles it."""
    bins = int(bins)
    scaled = confidence * bins
    np.ceil(scaled, out=scaled)
    which = scaled.astype(np.intp)
    which -= 1
    np.clip(which, 0, bins - 1, out=which)
    # Edge b is b/B correctly rounded, as np.arange(B + 1) / B gives it: divided here, in
    # place, rather than gathered from a table (measured 10-25% faster on a chunk).
    edge = np.add(which, 1, dtype=np.float64)
    edge /= bins
    which += confidence > edge  # past the bin's right edge (closed)
    np.divide(which, bins, out=edge)
    which -= (confidence <= edge) & (which > 0)  # on or before its left edge (open)
    return which


def _fine_index(confidence: np.ndarray) -> np.ndarray:
    """Bin (j/2^16, (j+1)/2^16] of each confidence, 0 in the first: c·2^16 is exact."""
    return np.clip(np.ceil(confidence * FINE_BINS).astype(np.intp) - 1, 0, FINE_BINS - 1)


def _weights(n: int, sample_weight) -> np.ndarray:
    return np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)


def _histogram(which, confidence, correct, s, size: int) -> np.ndarray:
    return np.stack(
        [
            np.bincount(which, weights=s, minlength=size),
            np.bincount(which, weights=s * confidence, minlength=size),
            np.bincount(which, weights=s * correct, minlength=size),
        ]
    )


def _top_label(labels: np.ndarray, q: np.ndarray):
    top = q.argmax(axis=1)
    return q[np.arange(q.shape[0]), top], (top == labels).astype(np.float64)


def top_label_histograms(labels: np.ndarray, q: np.ndarray, bins: int, sample_weight=None):
    """(:func:`calibration_bins`, :func:`calibration_counts`, :func:`fine_calibration_bins`)
    of one chunk, the top label found once for all three."""
    confidence, correct = _top_label(labels, q)
    n, bins = q.shape[0], int(bins)
    s = _weights(n, sample_weight)
    which = bin_index(confidence, bins)
    coarse = _histogram(which, confidence, correct, s, bins)
    counts = np.stack(
        [
            np.bincount(which, minlength=bins).astype(np.float64),
            np.bincount(which, weights=s * s, minlength=bins),
        ]
    )
    fine = _histogram(_fine_index(confidence), confidence, correct, s, FINE_BINS)
    return coarse, counts, fine


def calibration_bins(
    labels: np.ndarray, q: np.ndarray, bins: int, sample_weight=None
) -> np.ndarray:
    """Per confidence bin: (weight of the rows, sum of weighted confidence, sum of weighted
    correct), a (3, bins) array that adds up over batches. The confidence of a row is its
    largest probability (the top label). See the module docstring for the bin rule."""
    confidence, correct = _top_label(labels, q)
    s = _weights(q.shape[0], sample_weight)
    return _histogram(bin_index(confidence, bins), confidence, correct, s, int(bins))


def calibration_counts(q: np.ndarray, bins: int, sample_weight=None) -> np.ndarray:
    """Per top-label confidence bin: (rows, Σ s²), a (2, bins) array: the row count, and
    what the effective sample size (Σ s)²/Σ s² of the Wilson interval needs."""
    which = bin_index(q.max(axis=1), bins)
    s = _weights(q.shape[0], sample_weight)
    return np.stack(
        [
            np.bincount(which, minlength=int(bins)).astype(np.float64),
            np.bincount(which, weights=s * s, minlength=int(bins)),
        ]
    )


def fine_calibration_bins(labels: np.ndarray, q: np.ndarray, sample_weight=None) -> np.ndarray:
    """:func:`calibration_bins` with 2^16 bins of width 2^-16: (3, 65536)."""
    confidence, correct = _top_label(labels, q)
    s = _weights(q.shape[0], sample_weight)
    return _histogram(_fine_index(confidence), confidence, correct, s, FINE_BINS)


def class_calibration_bins(
    labels: np.ndarray, q: np.ndarray, bins: int, sample_weight=None
) -> np.ndarray:
    """Each class's own probability q_c binned against [label = c]: a (K, 3, bins)
    array, class c's histogram at [c] (same bins as :func:`calibration_bins`)."""
    n, k = q.shape
    bins = int(bins)
    confidence = q.ravel()
    cells = bin_index(confidence, bins).reshape(n, k)
    cells += np.arange(k) * bins  # class c's bins at c·B ... c·B + B - 1
    which = cells.ravel()
    size = k * bins
    # Only the label's cell of a row is correct: that sum needs n cells, not n·K.
    at_label = cells[np.arange(n), labels]
    weight: np.ndarray
    correct: np.ndarray
    if sample_weight is None:
        weight = np.bincount(which, minlength=size).astype(np.float64)
        weighted_confidence = np.bincount(which, weights=confidence, minlength=size)
        correct = np.bincount(at_label, minlength=size).astype(np.float64)
    else:
        s = _weights(n, sample_weight)
        s_cells = np.broadcast_to(s[:, None], (n, k)).ravel()
        weight = np.bincount(which, weights=s_cells, minlength=size)
        weighted_confidence = np.bincount(which, weights=s_cells * confidence, minlength=size)
        correct = np.bincount(at_label, weights=s, minlength=size)
    totals = np.stack([weight, weighted_confidence, correct])  # (3, K·B)
    return totals.reshape(3, k, bins).transpose(1, 0, 2).copy()


def _gaps(totals: np.ndarray):
    weight, confidence, correct = totals
    n = weight.sum()
    if not n > 0:
        raise DataError("no rows of positive weight: the calibration error is undefined")
    full = weight > 0
    gap = np.abs(correct[full] - confidence[full]) / weight[full]  # |acc_b − conf_b|
    return gap, weight[full] / n


def ece_from_bins(totals: np.ndarray) -> float:
    """ECE from :func:`calibration_bins` totals: n_b/N · |acc_b − conf_b| within a bin is
    |Σ correct − Σ confidence| / N; empty bins count for nothing."""
    weight, confidence, correct = totals
    n = weight.sum()
    if not n > 0:
        raise DataError("no rows of positive weight: the calibration error is undefined")
    return float(np.abs(correct - confidence)[weight > 0].sum() / n)


def calibration_errors(totals: np.ndarray) -> tuple[float, float, float]:
    """(ECE, MCE, RMS calibration error) of a (3, bins) histogram: the l1, max and l2
    norms of the gap |acc_b − conf_b| over the bins, weighted by the bins' shares."""
    gap, share = _gaps(totals)
    rms = float(np.sqrt((share * gap * gap).sum()))
    return ece_from_bins(totals), float(gap.max()), rms


def classwise_ece(class_totals: np.ndarray) -> float:
    """The mean over classes of each class's ECE (a (K, 3, bins) histogram)."""
    return float(np.mean([ece_from_bins(t) for t in class_totals]))


def _cut_targets(weight: np.ndarray, bins: int):
    running = np.cumsum(weight)
    targets = running[-1] * np.arange(1, int(bins)) / int(bins)
    # The first fine bin at which the running weight reaches b·W/B.
    at = np.searchsorted(running, targets, side="left")
    return running, targets, at


def adaptive_cuts(weight: np.ndarray, bins: int) -> np.ndarray:
    """Where equal-mass bins end on the fine grid (exclusive fine-bin indices): after the
    first fine bin at which the running weight reaches b·W/B, b = 1..B−1, then the end;
    bins merge when one fine bin holds more than W/B."""
    _, _, at = _cut_targets(weight, bins)
    return np.unique(np.append(at + 1, weight.size))


def adaptive_ece_from_fine(fine: np.ndarray, bins: int) -> tuple[float, float]:
    """(ECE of B equal-mass bins, its bound) from a :func:`fine_calibration_bins`
    histogram.

    The exact equal-mass bins cut at the weighted quantiles b·W/B (splitting a row of a
    tie across two bins where it must). The cut here falls after a whole fine bin, so
    each cut moves the weight by which the running weight overshoots b·W/B from one bin
    to its neighbour; a row moves |acc − conf| ≤ 1 of weight out of one bin's sum and
    into another's, so |this − exact| ≤ 2·Σ_b overshoot_b / W: the bound returned. It is
    0 when every cut falls between two fine bins (rows of distinct confidence, N a
    multiple of B).
    """
    weight = fine[0]
    total = weight.sum()
    if not total > 0:
        raise DataError("no rows of positive weight: the calibration error is undefined")
    running, targets, at = _cut_targets(weight, bins)
    ends = np.unique(np.append(at + 1, weight.size))
    starts = np.concatenate([[0], ends[:-1]])
    coarse = np.add.reduceat(fine, starts, axis=1)
    overshoot = np.maximum(running[at] - targets, 0.0)
    # Both ECEs lie in [0, 1]: the bound is never more than 1.
    bound = min(1.0, 2.0 * float(overshoot.sum()) / float(total))
    return ece_from_bins(coarse), bound


def wilson_interval(correct: float, n: float, z: float = Z_95) -> tuple[float, float]:
    """Wilson's score interval for a proportion correct/n (n may be an effective size)."""
    if not n > 0:
        return (float("nan"), float("nan"))
    p = min(max(correct / n, 0.0), 1.0)
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return (max(0.0, float(centre - half)), min(1.0, float(centre + half)))


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
