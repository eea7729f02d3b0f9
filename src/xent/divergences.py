"""Divergences between two distributions, class by class: KL(P‖Q) and Jensen-Shannon.

Pure NumPy, in nats until the end, with 0 · log 0 = 0 (SciPy's ``rel_entr`` convention).
The Jensen-Shannon *divergence* is returned, JS(P, Q) = ½ KL(P‖M) + ½ KL(Q‖M) with
M = (P + Q) / 2: at most 1 bit. SciPy's ``scipy.spatial.distance.jensenshannon`` returns
its square root, the Jensen-Shannon *distance*.
"""

from __future__ import annotations

import math
import warnings
from typing import NamedTuple

import numpy as np

from . import checks, engine, kernels
from .errors import DataError, InvalidProbabilities, param
from .kernels import to_base

__all__ = [
    "DIVERGENCES",
    "ColumnGroups",
    "Divergence",
    "TokenPair",
    "covariance_of_means",
    "column_groups",
    "divergence",
    "divergence_rows",
    "divergence_rows_of",
    "invalid_pair_rows",
    "js_divergence",
    "js_terms",
    "kl_terms",
    "log_probabilities",
    "mean_and_error",
    "token_pair",
]

DIVERGENCES = ("kl", "js")


def kl_terms(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Per-class terms P(i) log(P(i)/Q(i)) in nats; +inf where Q(i) = 0 < P(i)."""
    return kernels.rel_entr(p, q)


def js_terms(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Per-class terms ½ P log(P/M) + ½ Q log(Q/M) in nats; each is >= 0 and finite."""
    m = 0.5 * (p + q)
    return 0.5 * (kernels.rel_entr(p, m) + kernels.rel_entr(q, m))


def _checked(p, q, renormalize: bool, tolerance: float | None):
    arrays = []
    for values, what in ((p, "p"), (q, "q")):
        array = checks.as_float_array(values, what)
        if renormalize:
            array = checks.normalize_rows(array, what)
        else:
            checks.check_distribution(array, tolerance=tolerance, what=what)
        arrays.append(array)
    p, q = arrays
    if p.shape[-1] != q.shape[-1]:
        raise DataError(f"p has {p.shape[-1]} values but q has {q.shape[-1]}")
    return np.broadcast_arrays(p, q)


class Divergence(NamedTuple):
    """A divergence of P from Q, per class and per row, in one base (no reduction)."""

    kind: str  # "kl" or "js"
    p: np.ndarray
    q: np.ndarray
    terms: np.ndarray  # per class; they sum to the row's divergence
    per_row: np.ndarray


def divergence(
    kind: str,
    p,
    q,
    *,
    base: float = math.e,
    renormalize: bool = False,
    tolerance: float | None = None,
) -> Divergence:
    """KL(P‖Q) (``kind="kl"``) or JS(P, Q) (``"js"``) of distributions, term by term."""
    if kind not in DIVERGENCES:
        raise ValueError(f"kind must be one of {', '.join(DIVERGENCES)}, got {kind!r}")
    p, q = _checked(p, q, renormalize, tolerance)
    terms = kl_terms(p, q) if kind == "kl" else js_terms(p, q)
    per_row = terms.sum(axis=-1)
    if np.isposinf(per_row).any():
        warnings.warn(
            "Q gives probability 0 to a class that P gives mass to: KL(P‖Q) is infinite",
            engine.ZeroProbabilityWarning,
            stacklevel=2,
        )
    return Divergence(kind, p, q, to_base(terms, base), to_base(per_row, base))


def js_divergence(
    p,
    q,
    *,
    base: float = math.e,
    reduction: str = "mean",
    renormalize: bool = False,
    tolerance: float | None = None,
):
    """Jensen-Shannon divergence ½ KL(P‖M) + ½ KL(Q‖M), M = (P + Q)/2, per row, reduced.

    Symmetric, finite, in [0, ln 2] nats ([0, 1] bit). ``scipy.spatial.distance.
    jensenshannon(p, q, base)`` is its square root.

    >>> float(js_divergence([1, 0], [0, 1], base=2))
    1.0
    """
    d = divergence("js", p, q, base=base, renormalize=renormalize, tolerance=tolerance)
    return engine.reduce_rows(np.asarray(d.per_row), reduction)


# --------------------------------------------------------------------------- files


class ColumnGroups(NamedTuple):
    """Where P and Q are in a file's value columns: class names and two column indices."""

    classes: list[str]
    p: list[int]
    q: list[int]


def column_groups(
    columns: list[str],
    p_columns: tuple[str, ...] = (),
    q_columns: tuple[str, ...] = (),
    classes: tuple[str, ...] = (),
    *,
    source: str | None = None,
) -> ColumnGroups:
    """Split a file's value columns into P and Q, one column each per class.

    By default the columns ``p_<class>`` hold P and ``q_<class>`` hold Q (``p_dog, p_fox,
    q_dog, q_fox``: classes dog and fox, Q's columns in P's class order), and every value
    column must be one of them. ``p_columns`` and ``q_columns`` name the two groups
    instead, in class order (the classes are then P's column names). ``classes`` renames
    the classes. Mismatched groups are a :class:`UsageError` naming both (``source``: the
    file's name, for the default groups).
    """
    from .errors import UsageError

    if p_columns or q_columns:
        names = _named_groups(columns, p_columns, q_columns)
        p_names, q_names = list(p_columns), list(q_columns)
    else:
        names = _prefixed_groups(columns, source)
        p_names, q_names = ["p_" + name for name in names], ["q_" + name for name in names]
    position = {name: i for i, name in enumerate(columns)}
    p_index = [position[name] for name in p_names]
    q_index = [position[name] for name in q_names]
    if classes:
        if len(classes) != len(names):
            raise UsageError(
                f"{len(classes)} class names given, but P and Q have {len(names)} columns "
                f"each ({', '.join(names)})",
                parameter="classes",
            )
        names = list(classes)
    return ColumnGroups(names, p_index, q_index)


def _named_groups(
    columns: list[str], p_columns: tuple[str, ...], q_columns: tuple[str, ...]
) -> list[str]:
    """The classes of groups named by ``p_columns`` and ``q_columns``: P's column names."""
    from .errors import UsageError

    if not (p_columns and q_columns):
        given, missing = ("p_columns", "q_columns")[:: 1 if p_columns else -1]
        raise UsageError(
            f"{param(given)} needs {param(missing)} too: name both groups", parameter=missing
        )
    if len(p_columns) != len(q_columns):
        raise UsageError(
            f"{param('p_columns')} has {len(p_columns)} columns ({', '.join(p_columns)}) "
            f"but {param('q_columns')} has {len(q_columns)} ({', '.join(q_columns)}): one "
            "per class, in the same order",
            parameter="q_columns",
        )
    for option, group in ((param("p_columns"), p_columns), (param("q_columns"), q_columns)):
        for name in group:
            if name not in columns:
                raise UsageError(
                    f"no {name!r} column (columns: {', '.join(columns)})", source=option
                )
    return list(p_columns)


def _prefixed_groups(columns: list[str], source: str | None) -> list[str]:
    """The classes of the default groups, ``p_<class>`` and ``q_<class>`` (P's order)."""
    from .errors import UsageError

    others = [name for name in columns if not name.startswith(("p_", "q_"))]
    if others:
        raise UsageError(
            f"column {others[0]!r} is neither p_<class> nor q_<class>: name the groups "
            f"with {param('p_columns')} and {param('q_columns')}, or leave it out with "
            f"{param('ignore_columns')}",
            source=source,
        )
    p_names = [name[2:] for name in columns if name.startswith("p_")]
    q_names = [name[2:] for name in columns if name.startswith("q_")]
    if not p_names or sorted(p_names) != sorted(q_names):
        shown_p = ", ".join("p_" + n for n in p_names) or "none"
        shown_q = ", ".join("q_" + n for n in q_names) or "none"
        raise UsageError(
            f"the P columns ({shown_p}) and the Q columns ({shown_q}) must name the same "
            "classes: p_<class> and q_<class> for each class",
            source=source,
        )
    return p_names


def invalid_pair_rows(
    p: np.ndarray, q: np.ndarray, renormalize: bool, tolerance: float | None
) -> np.ndarray:
    """A mask of the rows (of 2-D P and Q) that :func:`divergence_rows` would reject."""
    if renormalize:
        return checks.unnormalizable_rows(p) | checks.unnormalizable_rows(q)
    return checks.invalid_distribution_rows(
        p, tolerance=tolerance
    ) | checks.invalid_distribution_rows(q, tolerance=tolerance)


def divergence_rows(
    kind: str,
    p: np.ndarray,
    q: np.ndarray,
    *,
    base: float = math.e,
    renormalize: bool = False,
    tolerance: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(per-class terms, per-row values) of rows of P and Q, checked, in ``base``; no
    warning for an infinite KL (a file's summary counts them)."""
    p, q = _checked(p, q, renormalize, tolerance)
    terms = kl_terms(p, q) if kind == "kl" else js_terms(p, q)
    return to_base(terms, base), to_base(terms.sum(axis=-1), base)


# ------------------------------------------------------------ two models, token by token


class TokenPair(NamedTuple):
    """Per-token figures of two models on the same tokens (``xent compare`` of language
    models), in float64: ``kl`` KL(base‖other) of each token's distributions (None when
    not asked for), ``same_top`` whether their most probable tokens agree (None when not
    asked for), ``log_p_base`` and ``log_p_other`` the log-probabilities of the target."""

    kl: np.ndarray | None
    same_top: np.ndarray | None
    log_p_base: np.ndarray
    log_p_other: np.ndarray


def log_probabilities(values: np.ndarray, holds: str) -> tuple[np.ndarray, np.ndarray | None]:
    """(log Q, Q or None) of rows of ``logits`` (an exact log-softmax in float64, Q found on
    the way), ``logprobs`` (as they are) or ``probabilities`` (log 0 = −inf)."""
    z = np.array(values, dtype=np.float64)  # a copy: worked on in place
    if holds == "logits":
        z -= z.max(axis=1, keepdims=True)
        q = np.exp(z)
        total = q.sum(axis=1, keepdims=True)
        q /= total
        z -= np.log(total)
        return z, q
    if holds == "probabilities":
        with np.errstate(divide="ignore"):
            return np.log(z), np.asarray(values, dtype=np.float64)
    return z, None


def token_pair(
    base: np.ndarray,
    holds_base: str,
    other: np.ndarray,
    holds_other: str,
    targets: np.ndarray,
    *,
    kl: bool = True,
    same_top: bool = True,
) -> TokenPair:
    """The figures of :class:`TokenPair` for aligned rows of two models. KL(base‖other) is
    Σ_v p_base(v)·(log p_base(v) − log p_other(v)), 0·log 0 = 0 (+inf where p_other is 0
    and p_base is not); below 0 only by rounding (the accumulator floors it)."""
    rows = np.arange(len(targets))
    if not kl:
        lb = _at_targets(base, holds_base, rows, targets)
        lo = _at_targets(other, holds_other, rows, targets)
        top = np.argmax(base, axis=1) == np.argmax(other, axis=1) if same_top else None
        return TokenPair(None, top, lb, lo)
    log_b, p_b = log_probabilities(base, holds_base)
    log_o, _ = log_probabilities(other, holds_other)
    top = np.argmax(log_b, axis=1) == np.argmax(log_o, axis=1) if same_top else None
    lb, lo = log_b[rows, targets], log_o[rows, targets]
    if p_b is None:
        p_b = np.exp(log_b)
    with np.errstate(invalid="ignore"):
        log_b -= log_o  # log(p_base / p_other)
        divergence = np.einsum("ij,ij->i", p_b, log_b)
    bad = np.flatnonzero(np.isnan(divergence))
    if bad.size:  # 0 · (−inf − x) or inf − inf: rel_entr's conventions for those rows
        divergence[bad] = kernels.rel_entr(p_b[bad], np.exp(log_o[bad])).sum(axis=1)
    return TokenPair(divergence, top, lb, lo)


def _at_targets(values, holds: str, rows, targets) -> np.ndarray:
    """log Q at the targets, without the other tokens' logs (an exact log-sum-exp)."""
    if holds == "logits":
        return -engine.neg_log_softmax_at_labels(values, targets)
    picked = np.asarray(values[rows, targets], dtype=np.float64)
    if holds == "probabilities":
        with np.errstate(divide="ignore"):
            return np.log(picked)
    return picked


def mean_and_error(total: float, squares: float, n: int) -> tuple[float, float]:
    """The mean of n values from their sum and sum of squares, and its standard error
    s/√n, s the sample standard deviation (n − 1): √((Σx²/n − mean²)/(n − 1)), as
    llama.cpp's ``mean_and_uncertainty``; nan for fewer than 2 values."""
    if n < 1:
        return math.nan, math.nan
    mean = total / n
    if n < 2:
        return mean, math.nan
    return mean, math.sqrt(max(squares / n - mean * mean, 0.0) / (n - 1))


def covariance_of_means(a: float, b: float, ab: float, n: int) -> float:
    """Cov(mean a, mean b) from Σa, Σb, Σab: (Σab/n − ā·b̄)/(n − 1), as llama.cpp's
    ``covariance``; nan for fewer than 2 values."""
    if n < 2:
        return math.nan
    return (ab / n - (a / n) * (b / n)) / (n - 1)


def divergence_rows_of(
    kind: str,
    p: np.ndarray,
    q: np.ndarray,
    holds: str,
    *,
    base: float = math.e,
    tolerance: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(per-class terms, per-row values) of rows of P and Q given as ``logits`` or
    ``logprobs``, each checked (finite logits; log-probabilities <= 0 whose exponentials
    sum to 1), the divergence found from the logs in float64 (log Q of logits keeps digits
    that Q loses)."""
    logs = []
    for values, what in ((p, "P"), (q, "Q")):
        try:
            if holds == "logits":
                checks.check_finite_logits(values)
            else:
                checks.check_log_probs(values, None, tolerance)
        except InvalidProbabilities as error:
            error.message = f"{what}: {error.message}"
            error.args = (error.message,)
            raise
        logs.append(log_probabilities(values, holds))
    (log_p, p64), (log_q, q64) = logs
    p64 = np.exp(log_p) if p64 is None else p64
    if kind == "kl":
        terms = kernels.rel_entr_from_logs(p64, log_p, log_q)
    else:
        q64 = np.exp(log_q) if q64 is None else q64
        log_m = np.logaddexp(log_p, log_q) - math.log(2)
        terms = 0.5 * (
            kernels.rel_entr_from_logs(p64, log_p, log_m)
            + kernels.rel_entr_from_logs(q64, log_q, log_m)
        )
    return to_base(terms, base), to_base(terms.sum(axis=-1), base)
