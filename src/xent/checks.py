"""Checks of the arrays a loss takes: is each row a distribution, each label a class?

NumPy in, ``DataError`` (or ``InvalidProbabilities``, naming the row) out; nothing here
computes a loss. The engine and the scorer check every value with these before any
kernel (:mod:`xent.kernels`) sees it; ``--on-error skip`` takes the masks
(:func:`invalid_distribution_rows`, :func:`unnormalizable_rows`) to leave bad rows out.
"""

from __future__ import annotations

import math

import numpy as np

from .errors import DataError, InvalidProbabilities, param

__all__ = [
    "as_float_array",
    "check_distribution",
    "check_finite_logits",
    "check_indices",
    "check_log_probs",
    "check_renormalizable",
    "default_tolerance",
    "invalid_distribution_rows",
    "normalize_rows",
    "unnormalizable_rows",
]


def as_float_array(values, what: str) -> np.ndarray:
    """``values`` as float64, a vector or a 2-D batch with at least one class."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 0:
        raise ValueError(f"{what} must be a vector or a 2-D batch, got a scalar")
    if array.ndim > 2:
        raise ValueError(f"{what} must be a vector or a 2-D batch, got {array.ndim} dimensions")
    if array.shape[-1] == 0:
        raise DataError(f"{what} has no classes")
    return array


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


def zero_columns(rows: np.ndarray) -> np.ndarray:
    """A boolean mask of the columns of ``rows`` (2-D) that are 0 in every row. Only the
    columns 0 in the first row are looked at: a prediction's classes are rarely 0 there,
    so this costs almost nothing (a metadata column, a ``fold`` of zeros, is one)."""
    zero = np.zeros(rows.shape[1], dtype=bool)
    if not len(rows):
        return zero
    candidates = np.flatnonzero(rows[0] == 0)
    if candidates.size:
        zero[candidates] = ~rows[:, candidates].any(axis=0)
    return zero


def culprit_column(row: np.ndarray, tol: float) -> int | None:
    """The one column that makes ``row`` fail as a distribution, when one is to blame:
    the row without it is a distribution, and it holds a value outside [0, 1] (a score,
    an id of 2 or more) or 1 (a pandas ``id`` column: 1 on the second row, where the row
    sums to 2). None when no one column alone explains it (a real misfit)."""
    with np.errstate(invalid="ignore", over="ignore"):
        outside = ~((row >= 0) & (row <= 1))
        rest_is_one = np.abs(float(row.sum()) - row - 1) <= tol
        if outside.sum() > 1:
            return None
        blamed = outside if outside.any() else row == 1
        alone = np.flatnonzero(blamed & rest_is_one)
        return int(alone[0]) if alone.size == 1 else None


def column_hint(row: np.ndarray, names, tolerance: float | None) -> str | None:
    """What to say of a file's row that fails as a distribution when one column is to
    blame (:func:`culprit_column`): that it may not be a class, and how to leave it out."""
    if row.size < 2:
        return None
    j = culprit_column(row, tolerance or default_tolerance(row.size))
    if j is None:
        return None
    from .errors import column_list

    given = param("ignore_columns", (names[j],), cli=column_list([names[j]]))
    return f"; column {names[j]!r} holds {row[j]:.6g}: if it is not a class, {given} leaves it out"


def unnormalizable_rows(rows) -> np.ndarray:
    """A boolean mask of the rows :func:`normalize_rows` would reject: a value that is
    negative, NaN or infinite, or a sum that is 0 (or overflows)."""
    rows = np.asarray(rows, dtype=np.float64)
    rows = rows.reshape(-1, rows.shape[-1])
    with np.errstate(invalid="ignore", over="ignore"):
        sums = rows.sum(axis=1)
        return ~(np.isfinite(rows) & (rows >= 0)).all(axis=1) | ~((sums > 0) & np.isfinite(sums))


def check_renormalizable(rows: np.ndarray, what: str) -> np.ndarray:
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
    q = as_float_array(q, what)
    sums = check_renormalizable(q.reshape(-1, q.shape[-1]), what)
    return q / sums.reshape(q.shape[:-1] + (1,))


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


def check_finite_logits(rows: np.ndarray) -> None:
    """InvalidProbabilities for the first of ``rows`` (a 2-D view) with a NaN or an inf."""
    if not np.isfinite(rows).all():
        i = int(np.flatnonzero(~np.isfinite(rows).all(axis=1))[0])
        error = InvalidProbabilities(f"logits must be finite numbers, got {rows[i]}", row=i)
        error.what = "logits"
        raise error


def check_log_probs(values: np.ndarray, slack: float | None, tolerance: float | None) -> None:
    """Log-probabilities (``ReadOptions.holds='logprobs'``): each <= 0 and each row's
    exponentials sum to 1 within the tolerance (``slack``: a quantised file's own)."""
    tol = slack if slack is not None else tolerance or default_tolerance(values.shape[1])
    top = values.max(axis=1)
    if not np.isfinite(values.min()) and np.isnan(values).any() or np.isnan(top).any():
        check_finite_logits(values)
    above = top > (tol if slack is not None else 0.0)
    if above.any():
        i = int(np.flatnonzero(above)[0])
        j = int(values[i].argmax())
        error = InvalidProbabilities(
            f"log-probability {j + 1} is {values[i, j]:.6g}, above 0: not a log-probability "
            f"({param('holds', 'logits')} reads the values as logits)",
            row=i,
        )
        error.what = "prediction"
        raise error
    with np.errstate(under="ignore"):
        sums = np.exp(values - top[:, np.newaxis]).sum(axis=1)
    lse = top + np.log(sums)
    off = ~(np.abs(lse) <= tol)
    if off.any():
        i = int(np.flatnonzero(off)[0])
        error = InvalidProbabilities(
            f"the log-probabilities' exponentials sum to {math.exp(lse[i]):.10g}, not 1 "
            f"(tolerance {tol:.1g} on their log-sum-exp; {param('holds', 'logits')} "
            "normalises them)",
            row=i,
        )
        error.what = "prediction"
        raise error
