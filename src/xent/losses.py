"""Training-loss conventions, exact to the frameworks people check their losses against.

:func:`cross_entropy` is the engine's cross-entropy plus the options of PyTorch's
``nn.CrossEntropyLoss`` (``weight``, ``label_smoothing``, ``ignore_index``) and of
scikit-learn's ``log_loss`` (``sample_weight``); with none of them it *is*
:func:`xent.engine.cross_entropy`. :func:`multilabel_cross_entropy` is PyTorch's
``BCEWithLogitsLoss`` for rows of independent sigmoids. Pure NumPy, computed in nats.

PyTorch's formula for class-index targets y_n, K classes, class weights w, smoothing a::

    l_n  = (1 - a) * w[y_n] * (-log q[n, y_n])  +  (a / K) * sum_c w[c] * (-log q[n, c])
    mean = sum_n l_n / sum_n w[y_n]            (ignored rows left out of both sums)

(ATen's ``cross_entropy_loss_label_smoothing``). The smoothing term is weighted class by
class, yet the mean still divides by the weights of the *true* classes only: with weights
and smoothing the loss is not the weighted cross-entropy of the smoothed target. For
probability targets PyTorch smooths the target, ``(1 - a) p + a / K``, weights each class
term, and its mean divides by the number of rows, not by weights.

Sample weights count a row as that many copies of itself (scikit-learn's ``log_loss``:
``sum_n s_n l_n / sum_n s_n``); with class weights too, the mean divides by
``sum_n s_n w[y_n]``, which reduces to each framework's convention when the other
weights are all 1.
"""

from __future__ import annotations

import math

import numpy as np

from . import engine
from .engine import _in_base, _neg_xlogy, _warn_if_infinite
from .errors import DataError

__all__ = ["cross_entropy", "multilabel_cross_entropy", "row_terms", "weigh"]


def _smoothing(alpha: float) -> float:
    alpha = float(alpha)
    if not 0.0 <= alpha <= 1.0:  # PyTorch's own range check; NaN fails it too
        raise ValueError(f"label_smoothing must be in [0, 1], got {alpha!r}")
    return alpha


def _nonnegative(values, length: int, what: str, counted: str) -> np.ndarray:
    w = np.asarray(values, dtype=np.float64)
    if w.ndim != 1 or w.shape[0] != length:
        raise ValueError(
            f"{what} must have one value per {counted} ({length}), got shape {w.shape}"
        )
    if not (np.isfinite(w) & (w >= 0)).all():
        i = int(np.flatnonzero(~(np.isfinite(w) & (w >= 0)))[0])
        raise ValueError(f"{what} must be finite and non-negative: value {i + 1} is {w[i]!r}")
    return w


def _reduce(values: np.ndarray, denominator: float, reduction: str):
    if reduction == "none":
        return values
    if reduction == "sum":
        return np.float64(values.sum())
    if reduction == "mean":
        if denominator == 0:
            raise DataError(
                "the weights of the rows that count sum to 0: the weighted mean is undefined"
            )
        return np.float64(values.sum() / denominator)
    raise ValueError(f"reduction must be one of {', '.join(engine.REDUCTIONS)}, got {reduction!r}")


def row_terms(
    target, log_q: np.ndarray, w: np.ndarray, alpha: float, *, ignore_index=None
) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's per-row loss ``l_n`` (in nats) and the row's part of the mean's denominator.

    The shared core of :func:`cross_entropy` and of file scoring (which adds up
    ``sum s_n l_n`` and ``sum s_n d_n`` chunk by chunk). ``log_q`` is (n, K) log-probabilities,
    ``w`` the K class weights, ``alpha`` the smoothing. For class-index targets
    ``d_n = w[y_n]`` (0 for an ignored row, whose ``l_n`` is 0 too); for distribution
    targets (n, K) ``d_n = 1``, as PyTorch divides by the rows there.
    """
    n, k = log_q.shape
    target = np.asarray(target)
    if target.ndim == 1:
        labels = target
        keep = np.ones(n, bool) if ignore_index is None else labels != ignore_index
        safe = np.where(keep, labels, 0)  # ignored rows gather class 0, then count for nothing
        engine.check_indices(safe, k)
        # w[y] * (-log q_y), with 0 * inf = 0 for a class of weight 0.
        per_row = _neg_xlogy(w[safe], log_q[np.arange(n), safe])
        if alpha > 0:
            # Skipped at a = 0 so that a zero probability off the label stays harmless.
            per_row = (1 - alpha) * per_row + (alpha / k) * _neg_xlogy(w, log_q).sum(axis=1)
        return np.where(keep, per_row, 0.0), np.where(keep, w[safe], 0.0)
    p = (1 - alpha) * target + alpha / k
    return _neg_xlogy(w * p, log_q).sum(axis=1), np.ones(n)


def weigh(values: np.ndarray, sample_weight: np.ndarray) -> np.ndarray:
    """``s * values`` with 0 · inf = 0: a row of weight 0 counts for nothing, even infinite."""
    return np.where(sample_weight > 0, sample_weight * values, 0.0)


def cross_entropy(
    target,
    pred=None,
    *,
    logits=None,
    base: float = math.e,
    reduction: str = "mean",
    clip: float | None = None,
    renormalize: bool = False,
    tolerance: float | None = None,
    weights=None,
    label_smoothing: float = 0.0,
    ignore_index: int | None = None,
    sample_weight=None,
):
    """Cross-entropy with PyTorch's class ``weights``, ``label_smoothing`` and
    ``ignore_index``, and scikit-learn's ``sample_weight`` (see the module docstring).

    ``reduction="none"`` gives each row's ``l_n`` times its sample weight, with 0 for an
    ignored row (as PyTorch does). When every row is ignored the mean does not exist:
    a ``DataError`` says so instead of returning PyTorch's NaN.

    >>> round(float(cross_entropy(0, [0.4, 0.3, 0.05, 0.05, 0.2], label_smoothing=0.1)), 12)
    1.019084978602
    """
    if weights is None and not label_smoothing and ignore_index is None and sample_weight is None:
        return engine.cross_entropy(
            target,
            pred,
            logits=logits,
            base=base,
            reduction=reduction,
            clip=clip,
            renormalize=renormalize,
            tolerance=tolerance,
        )
    alpha = _smoothing(label_smoothing)
    log_q = engine.log_predictions(
        pred, logits=logits, clip=clip, renormalize=renormalize, tolerance=tolerance
    )
    rows = log_q.reshape(-1, log_q.shape[-1])
    n, k = rows.shape
    w = np.ones(k) if weights is None else _nonnegative(weights, k, "weights", "class")
    s = (
        np.ones(n)
        if sample_weight is None
        else _nonnegative(sample_weight, n, "sample_weight", "row")
    )
    target = np.asarray(target)
    if target.dtype.kind in "iu":
        labels = target.reshape(-1)
        if labels.size != n:
            raise ValueError(f"{labels.size} labels for {n} predictions")
        if ignore_index is not None and not (labels != ignore_index).any():
            raise DataError(
                f"every row is ignored (all {n} labels are the ignore index {ignore_index}): "
                "there is no loss to average"
            )
        target = labels
    elif ignore_index is not None:
        # PyTorch refuses it too: "ignore_index is not supported for floating point target".
        raise ValueError("ignore_index needs class-index targets, not distributions")
    else:
        target = engine.target_distribution(target, k, tolerance=tolerance).reshape(n, k)
    per_row, row_weight = row_terms(target, rows, w, alpha, ignore_index=ignore_index)
    denominator = float((s * row_weight).sum())

    _warn_if_infinite(per_row)
    weighted = weigh(per_row, s).reshape(log_q.shape[:-1])
    return _in_base(_reduce(weighted, denominator, reduction), base)


def multilabel_cross_entropy(
    target,
    pred=None,
    *,
    logits=None,
    base: float = math.e,
    reduction: str = "mean",
    weights=None,
    label_smoothing: float = 0.0,
    clip: float | None = None,
):
    """Sigmoid cross-entropy of rows with several positive classes.

    Each of the K classes is an independent yes/no: ``target`` holds 0/1 (or soft values
    in [0, 1]) per class, ``pred`` the probability of each class, or ``logits`` their
    logits (stable for any magnitude, as PyTorch's ``binary_cross_entropy_with_logits``).
    A row's loss is the mean over its classes of ``w_c * BCE(y_c, q_c)``, so ``mean`` over
    rows is PyTorch's ``BCEWithLogitsLoss(weight=w)`` mean over all elements and Keras'
    ``binary_crossentropy`` averaged over the batch; ``sum`` sums the row means (Keras'
    ``reduction="sum"``; PyTorch's ``sum`` is K times it). ``label_smoothing`` a moves each
    label towards ½, ``y (1 - a) + a / 2``, as Keras' ``BinaryCrossentropy`` does (PyTorch's
    binary losses have no smoothing).
    """
    y = np.asarray(target, dtype=np.float64)
    scores = np.asarray(pred if logits is None else logits, dtype=np.float64)
    if y.shape != scores.shape or y.ndim not in (1, 2):
        raise ValueError(f"labels of shape {y.shape} do not match predictions {scores.shape}")
    y = y * (1 - _smoothing(label_smoothing)) + 0.5 * label_smoothing
    elements = engine.binary_cross_entropy(
        y, pred, logits=logits, base=math.e, reduction="none", clip=clip
    )
    if weights is not None:
        w = _nonnegative(weights, y.shape[-1], "weights", "class")
        elements = np.where(w > 0, w * elements, 0.0)  # 0 * inf = 0 for a class of weight 0
    per_row = elements.mean(axis=-1)
    return _in_base(engine.reduce_rows(np.asarray(per_row), reduction), base)
