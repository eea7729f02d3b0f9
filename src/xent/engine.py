"""The loss engine: NumPy in, NumPy out.

No I/O, no printing, no formatting. Everything is computed in nats with natural logarithms
and converted to the requested base at the end, so every base is an exact rescaling of the
same numbers (H_b = H_e / ln b). Rows are samples and the last axis is the classes.

Conventions (the same as scipy.special.xlogy / rel_entr):
- 0 * log 0 = 0: a class with P(i) = 0 contributes nothing, whatever Q(i) is.
- P(i) > 0 with Q(i) = 0 gives +inf, honestly, with a ``ZeroProbabilityWarning``.
- Logits go through log_softmax (or log_sigmoid for a binary prediction), each within a
  few ulps of the exact value for logits of any magnitude.
"""

from __future__ import annotations

import math
import warnings
from typing import NamedTuple

import numpy as np

from .errors import DataError, InvalidProbabilities

__all__ = [
    "REDUCTIONS",
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
    "normalize_rows",
    "unnormalizable_rows",
    "reduce_rows",
    "perplexity",
    "rel_entr",
    "rel_entr_from_logs",
    "softmax",
    "target_distribution",
]

REDUCTIONS = ("mean", "sum", "none")


class ZeroProbabilityWarning(RuntimeWarning):
    """A prediction gives probability 0 to a class that the label says can happen."""


# --------------------------------------------------------------------------- helpers


def _ln_base(base: float) -> float:
    if not (math.isfinite(base) and base > 0 and base != 1):
        raise ValueError(f"log base must be positive and not 1, got {base!r}")
    return math.log(base)


def _in_base(nats, base: float):
    # math.log(math.e) is exactly 1.0, so base e is returned unchanged; adding 0.0 turns
    # the -0.0 of a perfect prediction (-log 1) into 0.0.
    return nats / _ln_base(base) + 0.0


def reduce_rows(values: np.ndarray, reduction: str):
    """Mean, sum or none of per-row values (the mean of no rows is NaN)."""
    if reduction == "none":
        return values
    if reduction == "mean":
        return np.float64(values.mean()) if values.size else np.float64(np.nan)
    if reduction == "sum":
        return np.float64(values.sum())
    raise ValueError(f"reduction must be one of {', '.join(REDUCTIONS)}, got {reduction!r}")


def _as_float_array(values, what: str) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 0:
        raise ValueError(f"{what} must be a vector or a 2-D batch, got a scalar")
    if array.ndim > 2:
        raise ValueError(f"{what} must be a vector or a 2-D batch, got {array.ndim} dimensions")
    if array.shape[-1] == 0:
        raise DataError(f"{what} has no classes")
    return array


def _neg_xlogy(p: np.ndarray, log_q) -> np.ndarray:
    """-p * log q with the convention 0 * log 0 = 0 (also when log q is -inf or NaN).

    The one place that says what a class with P(i) = 0 contributes: nothing. The
    cross-entropy's terms are this, and so are the relative entropy's (:func:`rel_entr`).
    """
    with np.errstate(invalid="ignore"):
        return np.where(p > 0, -p * log_q, 0.0)


def rel_entr_from_logs(p, log_p, log_q) -> np.ndarray:
    """p (log p - log q) elementwise, 0 where p = 0 and +inf where log q = -inf < log p.

    The relative entropy's terms when log q is what is known (log Q of logits keeps
    digits that Q = e^(log Q) loses); :func:`rel_entr` takes p and q. They sum to
    KL(P || Q), and they are computed here and nowhere else.
    """
    with np.errstate(invalid="ignore"):  # -inf - -inf where p = q = 0, a term that is 0
        log_q_over_p = np.subtract(log_q, log_p)
    return _neg_xlogy(np.asarray(p, dtype=np.float64), log_q_over_p) + 0.0  # 0.0, not -0.0


def rel_entr(p, q) -> np.ndarray:
    """p (log p - log q) elementwise, as ``scipy.special.rel_entr`` for p, q >= 0: 0 where
    p = 0, +inf where q = 0 < p. They sum to KL(P || Q).

    >>> rel_entr([0.5, 0.5, 0.0], [0.25, 0.75, 0.0]).tolist()
    [0.34657359027997264, -0.2027325540540822, 0.0]
    """
    p = np.asarray(p, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return rel_entr_from_logs(p, np.log(p), np.log(np.asarray(q, dtype=np.float64)))


def _non_negative(kl: np.ndarray) -> np.ndarray:
    """KL >= 0 (Gibbs' inequality); rounding can put a KL of two equal distributions a few
    ulps below 0, which would print as a confusing -2.2e-16."""
    return np.maximum(kl, 0.0)


def _warn_if_infinite(values: np.ndarray) -> None:
    if np.isposinf(values).any():
        warnings.warn(
            "a prediction gives probability 0 to a class the label gives mass to: the "
            "cross-entropy is infinite (clip the predictions to avoid it)",
            ZeroProbabilityWarning,
            stacklevel=3,
        )


# --------------------------------------------------------------------------- inputs


def default_tolerance(n_classes: int) -> float:
    """How far a distribution's sum may be from 1.

    Probabilities printed to 6 decimals are each off by at most 5e-7, so their sum is off
    by at most n * 5e-7; 1e-6 per class covers that with room to spare, and still rejects
    a vector that is a real slip (0.4, 0.3, 0.05, 0.05, 0.1).
    """
    return 1e-6 * max(n_classes, 1)


def _all_distributions(rows: np.ndarray, tol: float) -> bool:
    """True when every row is certainly a distribution (the common case), by a check
    several times cheaper than :func:`_distribution_faults`: the extremes of the whole
    block, and row sums by ``einsum`` (SIMD, no BLAS threads in forked workers). Its
    sums may differ from the row sums by a few units in the last place, so a sum within
    1e-9·tol of the tolerance is left to the full check (False here means only "look
    closer"). NaN makes every comparison False."""
    if rows.size == 0 or rows.dtype != np.float64:
        return False
    with np.errstate(invalid="ignore", over="ignore"):
        if not (rows.min() >= 0 and rows.max() <= 1):
            return False
        sums = np.einsum("ij->i", rows)
        return bool(np.abs(sums - 1).max() <= tol * (1 - 1e-9))


def _distribution_faults(rows: np.ndarray, tol: float):
    """(value outside [0, 1] or NaN, sum off by more than tol, sums), per row."""
    with np.errstate(invalid="ignore", over="ignore"):  # a sum of 1e308s is just "not 1"
        sums = rows.sum(axis=1)
        bad_value = ~((rows >= 0) & (rows <= 1)).all(axis=1)  # NaN fails both comparisons
        bad_sum = ~(np.abs(sums - 1) <= tol)
    return bad_value, bad_sum, sums


def invalid_distribution_rows(p, *, tolerance: float | None = None) -> np.ndarray:
    """A boolean mask of the rows of ``p`` that :func:`check_distribution` would reject
    (for ``--on-error skip``, which drops them all, not only the first)."""
    rows = np.asarray(p, dtype=np.float64)
    rows = rows.reshape(-1, rows.shape[-1])
    tol = default_tolerance(rows.shape[1]) if tolerance is None else tolerance
    if _all_distributions(rows, tol):
        return np.zeros(rows.shape[0], dtype=bool)
    bad_value, bad_sum, _ = _distribution_faults(rows, tol)
    return bad_value | bad_sum


def check_distribution(p, *, tolerance: float | None = None, what: str = "prediction") -> None:
    """Raise ``InvalidProbabilities`` for the first row that is not a distribution.

    A distribution has no NaN, every value in [0, 1], and a sum within ``tolerance`` of 1.
    The error's ``row`` is the row's index (0 for a single vector).
    """
    p = np.asarray(p, dtype=np.float64)
    rows = p.reshape(-1, p.shape[-1])
    tol = default_tolerance(rows.shape[1]) if tolerance is None else tolerance
    if _all_distributions(rows, tol):
        return
    bad_value, bad_sum, sums = _distribution_faults(rows, tol)
    bad = np.flatnonzero(bad_value | bad_sum)
    if bad.size == 0:
        return
    i = int(bad[0])
    row = rows[i]
    shown = ", ".join(f"{v:.6g}" for v in row[:8]) + (", ..." if row.size > 8 else "")
    if bad_value[i]:
        j = int(np.flatnonzero(~((row >= 0) & (row <= 1)))[0])
        problem = f"{what} value {j + 1} is {row[j]:.6g}, outside [0, 1]"
    else:
        problem = f"{what} sums to {sums[i]:.10g}, not 1 (tolerance {tol:.1g})"
    error = InvalidProbabilities(f"{problem}: [{shown}]", row=i)
    error.what = what
    raise error


def _raise_if_not_finite(rows: np.ndarray) -> None:
    """InvalidProbabilities for the first of ``rows`` (a 2-D view) with a NaN or an inf."""
    if not np.isfinite(rows).all():
        i = int(np.flatnonzero(~np.isfinite(rows).all(axis=1))[0])
        error = InvalidProbabilities(f"logits must be finite numbers, got {rows[i]}", row=i)
        error.what = "logits"
        raise error


def _exact_difference(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(d, e) with d = fl(a - b) and d + e = a - b exactly (Knuth's TwoSum); ``b``
    broadcasts against ``a``. Where a - b overflows, d is inf and e is NaN."""
    d = a - b
    e = d + b  # the a that d holds
    part = d - e  # the -b that d holds
    np.subtract(a, e, out=e)
    part += b
    e -= part
    return d, e


def log_softmax(logits, axis: int = -1) -> np.ndarray:
    """log(softmax(z)), to within a few ulps of the exact value for logits of any size.

    With m = z[a] a largest logit, log softmax(z)_i = (z_i - m) - log1p(s') where
    s' = sum over i != a of e^(z_i - m) (a tied maximum counts 1). Two roundings would
    still spoil it, and both are undone:

    - ``shifted - log(sum(exp(shifted)))`` takes the log of 1 + s', which has lost the
      digits of s' below 1e-16: -log_softmax([30, 0, 0, 0])[0] came out 2.804e-13 where
      the exact value is log1p(3 e^-30) = 2.807286890651659e-13. log1p(s') keeps them.
    - z_i - m is rounded by up to half an ulp, which exp turns into a relative error of
      up to 2.8e-14 for z_i - m = -500, all of which lands in s' and the -log softmax of
      the largest logit. The rounding error is recovered exactly (TwoSum) and put back:
      e^(d + err) = e^d (1 + err).

    >>> float(-log_softmax([30.0, 0.0, 0.0, 0.0])[0])
    2.807286890651659e-13
    >>> log_softmax([1000.0, -1000.0, 0.0]).tolist()
    [0.0, -2000.0, -1000.0]
    """
    z = np.asarray(logits, dtype=np.float64)
    _raise_if_not_finite(z.reshape(-1, z.shape[-1]))
    z = np.moveaxis(z, axis, -1)
    top = z.argmax(axis=-1)[..., np.newaxis]
    m = np.take_along_axis(z, top, axis=-1)
    with np.errstate(over="ignore", invalid="ignore"):
        d, err = _exact_difference(z, m)
    if z.size and not math.isfinite(float(z.min()) - float(m.max())):
        err[np.isinf(d)] = 0.0  # logits 1.8e308 apart: that log-probability is -inf, rightly
    with np.errstate(under="ignore"):
        terms = np.exp(d)
        err_terms = terms * err
        terms += err_terms
    np.put_along_axis(terms, top, 0.0, axis=-1)  # the 1 of log1p
    d -= np.log1p(terms.sum(axis=-1, keepdims=True))
    d += err
    return np.moveaxis(d, -1, axis)


def log_sigmoid(logits) -> tuple[np.ndarray, np.ndarray]:
    """(log sigma(z), log(1 - sigma(z))) for the logit z of a binary prediction, each to
    within a few ulps for any finite z: log sigma(z) = min(z, 0) - log1p(e^-|z|), and
    1 - sigma(z) = sigma(-z). Two non-positive terms, so nothing cancels.

    >>> [float(v) for v in log_sigmoid(40.0)]
    [-4.248354255291589e-18, -40.0]
    """
    z = np.asarray(logits, dtype=np.float64)
    _raise_if_not_finite(z.reshape(len(z), -1) if z.ndim else z.reshape(1, 1))  # row: sample
    with np.errstate(under="ignore"):
        tail = np.log1p(np.exp(-np.abs(z)))
    return np.minimum(z, 0.0) - tail, np.minimum(-z, 0.0) - tail


def softmax(logits, axis: int = -1) -> np.ndarray:
    """Probabilities from logits, through :func:`log_softmax`."""
    return np.exp(log_softmax(logits, axis=axis))


def unnormalizable_rows(rows) -> np.ndarray:
    """A boolean mask of the rows :func:`normalize_rows` would reject: a value that is
    negative, NaN or infinite, or a sum that is 0 (or overflows)."""
    rows = np.asarray(rows, dtype=np.float64)
    rows = rows.reshape(-1, rows.shape[-1])
    with np.errstate(invalid="ignore", over="ignore"):
        sums = rows.sum(axis=1)
        return ~(np.isfinite(rows) & (rows >= 0)).all(axis=1) | ~((sums > 0) & np.isfinite(sums))


def _check_renormalizable(rows: np.ndarray, what: str) -> np.ndarray:
    """The sums of ``rows`` (2-D), or ``InvalidProbabilities`` for the first row that no
    division by its sum makes a distribution. Any non-negative values are fine (counts,
    unnormalised scores), as ``scipy.stats.entropy`` takes them."""
    bad = unnormalizable_rows(rows)
    with np.errstate(over="ignore", invalid="ignore"):
        sums = rows.sum(axis=1)
    if not bad.any():
        return sums
    i = int(np.flatnonzero(bad)[0])
    row = rows[i]
    shown = ", ".join(f"{v:.6g}" for v in row[:8]) + (", ..." if row.size > 8 else "")
    wrong = ~(np.isfinite(row) & (row >= 0))
    if wrong.any():
        j = int(np.flatnonzero(wrong)[0])
        kind = "negative" if row[j] < 0 else "not a finite number"
        message = f"{what} value {j + 1} is {row[j]:.6g}, {kind}: [{shown}]"
    elif sums[i] == 0:
        message = f"{what} is all zeros: cannot renormalize"
    else:
        message = f"{what} sums to {sums[i]:.6g}, too large to renormalize: [{shown}]"
    error = InvalidProbabilities(message, row=i)
    error.what = what
    raise error


def normalize_rows(q, what: str = "prediction") -> np.ndarray:
    """Divide each row by its sum (the opt-in ``--renormalize``): any non-negative values,
    finite, with a positive sum (counts, unnormalised scores), as SciPy's ``entropy``."""
    q = _as_float_array(q, what)
    sums = _check_renormalizable(q.reshape(-1, q.shape[-1]), what)
    return q / sums.reshape(q.shape[:-1] + (1,))


def log_predictions(
    pred=None,
    *,
    logits=None,
    clip: float | None = None,
    renormalize: bool = False,
    tolerance: float | None = None,
) -> np.ndarray:
    """log Q from probabilities or logits, checked, in nats.

    Probabilities must be distributions (see :func:`check_distribution`); ``renormalize``
    divides each row by its sum instead, and ``clip`` clips to [clip, 1 - clip] like
    scikit-learn's ``log_loss`` and Keras do (after the check, without renormalizing).
    Logits go through :func:`log_softmax`; ``clip`` then applies to their probabilities.
    """
    return _predictions(pred, logits, clip, renormalize, tolerance)[1]


def _predictions(pred, logits, clip, renormalize, tolerance) -> tuple[np.ndarray, np.ndarray]:
    """(Q, log Q): Q exactly as given where it was given, so that 0.05 stays 0.05."""
    if (pred is None) == (logits is None):
        raise ValueError("give exactly one of pred and logits")
    if clip is not None and not (0 < clip < 0.5):
        raise ValueError(f"clip must be in (0, 0.5), got {clip!r}")
    if logits is not None:
        log_q = log_softmax(_as_float_array(logits, "logits"))
        q = np.exp(log_q)
        if clip is None:
            return q, log_q
    else:
        q = _as_float_array(pred, "prediction")
        if renormalize:
            q = normalize_rows(q)
        else:
            check_distribution(q, tolerance=tolerance)
    if clip is not None:
        q = np.clip(q, clip, 1 - clip)
    with np.errstate(divide="ignore"):
        return q, np.log(q)


def _neg_log_at_labels(q: np.ndarray, target: np.ndarray, clip, renormalize, tolerance):
    """-log Q at the label of each row, exactly as ``-log_predictions(q)[row, label]``
    (same checks, same errors, in the same order), without the logs of the other classes:
    renormalizing and clipping act value by value, so they commute with the gather."""
    if clip is not None and not (0 < clip < 0.5):
        raise ValueError(f"clip must be in (0, 0.5), got {clip!r}")
    rows = q.reshape(-1, q.shape[-1])
    if renormalize:
        sums = _check_renormalizable(rows, "prediction")
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


def check_indices(labels, n_classes: int) -> None:
    """Raise ``DataError`` for the first class index outside [0, n_classes)."""
    flat = np.asarray(labels).reshape(-1)
    outside = (flat < 0) | (flat >= n_classes)
    if outside.any():
        i = int(np.flatnonzero(outside)[0])
        raise DataError(
            f"label index {flat[i]} is out of range for {n_classes} classes (0 to {n_classes - 1})",
            row=i,
        )


def target_distribution(target, n_classes: int, *, tolerance: float | None = None) -> np.ndarray:
    """A dense target P from class indices (one-hot) or from distributions (checked)."""
    target = np.asarray(target)
    if target.dtype.kind in "iu":
        check_indices(target, n_classes)
        return np.eye(n_classes)[target]
    p = _as_float_array(target, "label")
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
    q, log_q = _predictions(pred, logits, clip, renormalize, tolerance)
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
    terms = _neg_xlogy(p, log_q)
    _warn_if_infinite(terms)
    return _in_base(terms, base)


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
        q = _as_float_array(pred, "prediction")
        if _is_index_target(target, q):
            # Checked in full, but log Q taken only at the label: one log a row, not K.
            per_row = _neg_log_at_labels(q, target, clip, renormalize, tolerance)
            _warn_if_infinite(per_row)
            return reduce_rows(_in_base(per_row, base), reduction)
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
        per_row = _neg_xlogy(p, log_q).sum(axis=-1)
    _warn_if_infinite(np.asarray(per_row))
    return reduce_rows(_in_base(np.asarray(per_row, dtype=np.float64), base), reduction)


def entropy(p, *, base: float = math.e, reduction: str = "mean", tolerance: float | None = None):
    """H(P) = -sum_i P(i) log P(i), per row, then reduced. A one-hot P has entropy 0."""
    p = _as_float_array(p, "distribution")
    check_distribution(p, tolerance=tolerance, what="distribution")
    with np.errstate(divide="ignore"):
        per_row = _neg_xlogy(p, np.log(p)).sum(axis=-1)
    return reduce_rows(_in_base(per_row, base), reduction)


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
    per_row = _non_negative(rel_entr_from_logs(p, log_p, log_q).sum(axis=-1))
    _warn_if_infinite(per_row)
    return reduce_rows(_in_base(per_row, base), reduction)


class Breakdown(NamedTuple):
    """Everything about P against Q, per class and per row, in one base.

    Arrays have the predictions' shape: (K,) for one vector, (n, K) for a batch; the
    per-row values drop the class axis. ``contribution`` sums to ``cross_entropy``, and
    ``cross_entropy = entropy + kl_divergence``.
    """

    p: np.ndarray
    q: np.ndarray
    neg_log_q: np.ndarray
    contribution: np.ndarray
    cross_entropy: np.ndarray
    entropy: np.ndarray
    kl_divergence: np.ndarray
    perplexity: np.ndarray


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
    terms = _neg_xlogy(p, log_q)
    with np.errstate(divide="ignore"):
        log_p = np.log(p)
    kl_terms = rel_entr_from_logs(p, log_p, log_q)
    ce_nats = terms.sum(axis=-1)
    _warn_if_infinite(ce_nats)
    return Breakdown(
        p=p,
        q=q,
        neg_log_q=_in_base(-log_q, base),
        contribution=_in_base(terms, base),
        cross_entropy=_in_base(ce_nats, base),
        entropy=_in_base(_neg_xlogy(p, log_p).sum(axis=-1), base),
        kl_divergence=_in_base(_non_negative(kl_terms.sum(axis=-1)), base),
        perplexity=_exp(ce_nats),
    )


def perplexity(h, *, base: float = math.e):
    """base ** H: the effective number of equally likely classes. The same in every base."""
    return _exp(np.asarray(h, dtype=np.float64) * _ln_base(base))


def _exp(x):
    # e^H overflows to inf for H > 709 nats: the honest answer, not a warning.
    with np.errstate(over="ignore"):
        return np.exp(x)


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
    per_item = _neg_xlogy(y, log_p) + _neg_xlogy(1 - y, log_not_p)
    _warn_if_infinite(per_item)
    return reduce_rows(_in_base(per_item, base), reduction)
