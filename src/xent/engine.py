"""The losses on arrays: NumPy in, NumPy out, every value checked.

No I/O, no printing, no formatting. The arithmetic is :mod:`xent.kernels` (exact
log-softmax and log-sigmoid, the 0 · log 0 = 0 terms, the KL clamp, b^x), the checks
:mod:`xent.checks`; this module puts them together into the public losses
(:func:`cross_entropy`, :func:`entropy`, :func:`kl_divergence`, :func:`breakdown`, ...)
and re-exports both modules' names, so ``xent.engine.log_softmax`` and the rest stay where
they were. Everything is in nats until the end: every base is an exact rescaling of the
same numbers (H_b = H_e / ln b).

- 0 * log 0 = 0: a class with P(i) = 0 contributes nothing, whatever Q(i) is.
- P(i) > 0 with Q(i) = 0 gives +inf, honestly, with a ``ZeroProbabilityWarning``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .checks import (
    as_float_array,
    check_distribution,
    check_finite_logits,
    check_indices,
    check_renormalizable,
    default_tolerance,
    invalid_distribution_rows,
    normalize_rows,
    unnormalizable_rows,
)
from .errors import DataError, InvalidProbabilities
from .kernels import (
    Breakdown,
    breakdown_from_logs,
    clamp_kl,
    cross_entropy_terms,
    exact_difference,
    log_sigmoid,
    log_softmax,
    power,
    rel_entr,
    rel_entr_from_logs,
    softmax,
    to_base,
)

__all__ = [
    "REDUCTIONS",
    "VOCABULARY",
    "ZeroProbabilityWarning",
    "binary_cross_entropy",
    "Breakdown",
    "breakdown",
    "check_distribution",
    "check_indices",
    "contributions",
    "cross_entropy",
    "default_tolerance",
    "entropy",
    "invalid_distribution_rows",
    "kl_divergence",
    "log_predictions",
    "log_sigmoid",
    "log_softmax",
    "neg_log_at_labels",
    "neg_log_softmax_at_labels",
    "normalize_rows",
    "predictions",
    "unnormalizable_rows",
    "reduce_rows",
    "perplexity",
    "rel_entr",
    "rel_entr_from_logs",
    "softmax",
    "target_distribution",
    "warn_if_infinite",
]

REDUCTIONS = ("mean", "sum", "none")


class ZeroProbabilityWarning(RuntimeWarning):
    """A prediction gives probability 0 to a class that the label says can happen."""


def reduce_rows(values: np.ndarray, reduction: str):
    """Mean, sum or none of per-row values (the mean of no rows is NaN)."""
    if reduction == "none":
        return values
    if reduction == "mean":
        return np.float64(values.mean()) if values.size else np.float64(np.nan)
    if reduction == "sum":
        return np.float64(values.sum())
    raise ValueError(f"reduction must be one of {', '.join(REDUCTIONS)}, got {reduction!r}")


def warn_if_infinite(values: np.ndarray) -> None:
    """A ``ZeroProbabilityWarning`` when a loss in ``values`` is +inf (for the caller's
    caller: the function of the public API that computed it)."""
    if np.isposinf(values).any():
        warnings.warn(
            "a prediction gives probability 0 to a class the label gives mass to: the "
            "cross-entropy is infinite (clip the predictions to avoid it)",
            ZeroProbabilityWarning,
            stacklevel=3,
        )


def log_predictions(
    pred=None,
    *,
    logits=None,
    clip: float | None = None,
    renormalize: bool = False,
    tolerance: float | None = None,
) -> np.ndarray:
    """log Q from probabilities or logits, checked, in nats (see :func:`predictions`)."""
    return predictions(
        pred, logits=logits, clip=clip, renormalize=renormalize, tolerance=tolerance
    )[1]


def predictions(
    pred=None,
    *,
    logits=None,
    clip: float | None = None,
    renormalize: bool = False,
    tolerance: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(Q, log Q) from probabilities or logits, checked; Q exactly as given where it was
    given, so that 0.05 stays 0.05.

    Probabilities must be distributions (see :func:`check_distribution`); ``renormalize``
    divides each row by its sum instead, and ``clip`` clips to [clip, 1 - clip] like
    scikit-learn's ``log_loss`` and Keras do (after the check, without renormalizing).
    Logits go through :func:`log_softmax`; ``clip`` then applies to their probabilities.
    """
    if (pred is None) == (logits is None):
        raise ValueError("give exactly one of pred and logits")
    if clip is not None and not (0 < clip < 0.5):
        raise ValueError(f"clip must be in (0, 0.5), got {clip!r}")
    if logits is not None:
        log_q = log_softmax(as_float_array(logits, "logits"))
        q = np.exp(log_q)
        if clip is None:
            return q, log_q
    else:
        q = as_float_array(pred, "prediction")
        if renormalize:
            q = normalize_rows(q)
        else:
            check_distribution(q, tolerance=tolerance)
    if clip is not None:
        q = np.clip(q, clip, 1 - clip)
    with np.errstate(divide="ignore"):
        return q, np.log(q)


def neg_log_at_labels(
    q: np.ndarray,
    target: np.ndarray,
    *,
    clip: float | None = None,
    renormalize: bool = False,
    tolerance: float | None = None,
) -> np.ndarray:
    """-log Q at the class index ``target`` of each row of probabilities ``q``, exactly
    as ``-log_predictions(q)[row, label]``
    (same checks, same errors, in the same order), without the logs of the other classes:
    renormalizing and clipping act value by value, so they commute with the gather."""
    if clip is not None and not (0 < clip < 0.5):
        raise ValueError(f"clip must be in (0, 0.5), got {clip!r}")
    rows = q.reshape(-1, q.shape[-1])
    if renormalize:
        sums = check_renormalizable(rows, "prediction")
    else:
        check_distribution(rows, tolerance=tolerance)
    labels = target.reshape(-1)
    check_indices(labels, rows.shape[1])
    picked = rows[np.arange(rows.shape[0]), labels]
    if renormalize:
        picked = picked / sums
    if clip is not None:
        picked = np.clip(picked, clip, 1 - clip)
    with np.errstate(divide="ignore"):
        return -np.log(picked).reshape(q.shape[:-1])


# From this many classes on (a vocabulary), the at-label log-softmax skips the exact
# shift: z - m is rounded at most to half an ulp, which moves a loss by under 1e-14 (the
# terms it touches are weighted by e^(z - m)), and costs a quarter of the time.
VOCABULARY = 1024


def neg_log_softmax_at_labels(z: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """-log_softmax(z)[row, label] as :func:`log_softmax` computes it (bit for bit
    below :data:`VOCABULARY` classes): the shift by the largest logit, log1p of the rest,
    without the logs of the other classes: one exp per value, no (n, K) result. ``z`` may
    be float32 (a vocabulary's logits, as read): the shift is taken in float64."""
    n = np.arange(len(z))
    top = z.argmax(axis=1)
    m = z[n, top][:, np.newaxis].astype(np.float64)
    if not (np.isfinite(m).all() and np.isfinite(z.min())):
        check_finite_logits(z)
    check_indices(labels, z.shape[1])
    if z.shape[1] >= VOCABULARY:
        terms = np.subtract(z, m, dtype=np.float64)
        picked = terms[n, labels]
        with np.errstate(under="ignore"):
            np.exp(terms, out=terms)
        terms[n, top] = 0.0  # the 1 of log1p
        return np.log1p(terms.sum(axis=1)) - picked
    with np.errstate(over="ignore", invalid="ignore"):
        d, err = exact_difference(z, m)
    err[np.isinf(d)] = 0.0  # logits 1.8e308 apart: that log-probability is -inf, rightly
    exact = not err.any()
    with np.errstate(under="ignore"):
        terms = np.exp(d)
        if not exact:
            terms += terms * err
    terms[n, top] = 0.0  # the 1 of log1p
    log_q = d[n, labels] - np.log1p(terms.sum(axis=1))
    if not exact:
        log_q += err[n, labels]
    return -log_q


def target_distribution(target, n_classes: int, *, tolerance: float | None = None) -> np.ndarray:
    """A dense target P from class indices (one-hot) or from distributions (checked)."""
    target = np.asarray(target)
    if target.dtype.kind in "iu":
        check_indices(target, n_classes)
        return np.eye(n_classes)[target]
    p = as_float_array(target, "label")
    if p.shape[-1] != n_classes:
        raise DataError(f"label has {p.shape[-1]} values but there are {n_classes} classes")
    check_distribution(p, tolerance=tolerance, what="label")
    return p


def _is_index_target(target: np.ndarray, log_q: np.ndarray) -> bool:
    """Integer targets of the predictions' shape less the class axis are class indices;
    of the predictions' own shape they are one-hot vectors (``[1, 0, 0, 0, 0]``)."""
    return target.dtype.kind in "iub" and target.shape == log_q.shape[:-1]


def _matching_target(target: np.ndarray, log_q: np.ndarray, tolerance) -> np.ndarray:
    """The dense target P for predictions log Q, of the same shape."""
    if _is_index_target(target, log_q):
        p = target_distribution(target, log_q.shape[-1])
    else:
        if target.shape != log_q.shape:
            raise ValueError(
                f"labels of shape {target.shape} match neither the predictions "
                f"{log_q.shape} (distributions) nor {log_q.shape[:-1]} (class indices)"
            )
        p = target_distribution(target.astype(np.float64), log_q.shape[-1], tolerance=tolerance)
    return p


def _target_and_predictions(target, pred, logits, clip, renormalize, tolerance):
    """(P, Q, log Q) of matching shapes."""
    q, log_q = predictions(
        pred, logits=logits, clip=clip, renormalize=renormalize, tolerance=tolerance
    )
    return _matching_target(np.asarray(target), log_q, tolerance), q, log_q


# --------------------------------------------------------------------------- the losses


def contributions(
    target,
    pred=None,
    *,
    logits=None,
    base: float = math.e,
    clip: float | None = None,
    renormalize: bool = False,
    tolerance: float | None = None,
) -> np.ndarray:
    """Per-class terms P(i) * (-log Q(i)) of the cross-entropy; they sum to it."""
    p, _, log_q = _target_and_predictions(target, pred, logits, clip, renormalize, tolerance)
    terms = cross_entropy_terms(p, log_q)
    warn_if_infinite(terms)
    return to_base(terms, base)


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
):
    """H(P, Q) = -sum_i P(i) log Q(i), per row, then reduced.

    ``target`` holds class indices (integers, one per row: the predictions' shape less
    the class axis) or distributions of the predictions' own shape (one-hot or soft).
    ``pred`` holds probabilities, or give ``logits`` instead. ``reduction`` is ``mean``
    (the default, as in PyTorch and scikit-learn), ``sum`` or ``none``.

    >>> float(cross_entropy(0, [0.4, 0.3, 0.05, 0.05, 0.2]))  # the article's dog
    0.916290731874155
    """
    target = np.asarray(target)
    if pred is not None and logits is None:
        q = as_float_array(pred, "prediction")
        if _is_index_target(target, q):
            # Checked in full, but log Q taken only at the label: one log a row, not K.
            per_row = neg_log_at_labels(
                q, target, clip=clip, renormalize=renormalize, tolerance=tolerance
            )
            warn_if_infinite(per_row)
            return reduce_rows(to_base(per_row, base), reduction)
    log_q = log_predictions(
        pred, logits=logits, clip=clip, renormalize=renormalize, tolerance=tolerance
    )
    if _is_index_target(target, log_q):
        # A gather of log Q at the label: no pass over the other classes' logs.
        rows = log_q.reshape(-1, log_q.shape[-1])
        labels = target.reshape(-1)
        check_indices(labels, rows.shape[1])
        per_row = -rows[np.arange(rows.shape[0]), labels].reshape(log_q.shape[:-1])
    else:
        p = _matching_target(target, log_q, tolerance)
        per_row = cross_entropy_terms(p, log_q).sum(axis=-1)
    warn_if_infinite(np.asarray(per_row))
    return reduce_rows(to_base(np.asarray(per_row, dtype=np.float64), base), reduction)


def entropy(p, *, base: float = math.e, reduction: str = "mean", tolerance: float | None = None):
    """H(P) = -sum_i P(i) log P(i), per row, then reduced. A one-hot P has entropy 0."""
    p = as_float_array(p, "distribution")
    check_distribution(p, tolerance=tolerance, what="distribution")
    with np.errstate(divide="ignore"):
        per_row = cross_entropy_terms(p, np.log(p)).sum(axis=-1)
    return reduce_rows(to_base(per_row, base), reduction)


def kl_divergence(
    target,
    pred=None,
    *,
    logits=None,
    base: float = math.e,
    reduction: str = "mean",
    clip: float | None = None,
    renormalize: bool = False,
    tolerance: float | None = None,
):
    """KL(P || Q) = sum_i P(i) (log P(i) - log Q(i)) = H(P, Q) - H(P), never negative.

    Computed term by term (as scipy.special.rel_entr does) rather than as a difference of
    two entropies, so a small divergence keeps its digits.
    """
    p, _, log_q = _target_and_predictions(target, pred, logits, clip, renormalize, tolerance)
    with np.errstate(divide="ignore"):
        log_p = np.log(p)
    per_row = clamp_kl(rel_entr_from_logs(p, log_p, log_q).sum(axis=-1))
    warn_if_infinite(per_row)
    return reduce_rows(to_base(per_row, base), reduction)


def breakdown(
    target,
    pred=None,
    *,
    logits=None,
    base: float = math.e,
    clip: float | None = None,
    renormalize: bool = False,
    tolerance: float | None = None,
) -> Breakdown:
    """The per-class table behind a cross-entropy: P, Q, -log Q, P * (-log Q), and the
    row totals H(P, Q), H(P), KL(P || Q) and perplexity. No reduction."""
    p, q, log_q = _target_and_predictions(target, pred, logits, clip, renormalize, tolerance)
    table = breakdown_from_logs(p, q, log_q, base)
    warn_if_infinite(table.cross_entropy)
    return table


def perplexity(h, *, base: float = math.e):
    """base ** H: the effective number of equally likely classes. The same in every base."""
    return power(base, h)


def binary_cross_entropy(
    target,
    pred=None,
    *,
    logits=None,
    base: float = math.e,
    reduction: str = "mean",
    clip: float | None = None,
):
    """-(y log p + (1 - y) log(1 - p)) for a probability p (or logit) of the positive class.

    ``target`` y may be 0/1 or soft, in [0, 1]. From logits, log p and log(1 - p) come
    from :func:`log_sigmoid`, exact and finite for logits of any magnitude (PyTorch's
    ``binary_cross_entropy_with_logits``).
    """
    if (pred is None) == (logits is None):
        raise ValueError("give exactly one of pred and logits")
    y = np.asarray(target, dtype=np.float64)
    if not ((y >= 0) & (y <= 1)).all():
        raise InvalidProbabilities("binary label must be in [0, 1]")
    if logits is not None and clip is None:
        log_p, log_not_p = log_sigmoid(logits)
    else:
        if logits is not None:
            p = np.exp(log_sigmoid(logits)[0])  # to be clipped, as probabilities are
        else:
            p = np.asarray(pred, dtype=np.float64)
            if not ((p >= 0) & (p <= 1)).all():
                raise InvalidProbabilities("binary prediction must be in [0, 1]")
        if clip is not None:
            p = np.clip(p, clip, 1 - clip)
        with np.errstate(divide="ignore"):
            log_p, log_not_p = np.log(p), np.log1p(-p)
    per_item = cross_entropy_terms(y, log_p) + cross_entropy_terms(1 - y, log_not_p)
    warn_if_infinite(per_item)
    return reduce_rows(to_base(per_item, base), reduction)
