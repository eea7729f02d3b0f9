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

from . import engine
from .engine import _in_base
from .errors import DataError

__all__ = ["DIVERGENCES", "Divergence", "divergence", "js_divergence", "js_terms", "kl_terms"]

DIVERGENCES = ("kl", "js")


def kl_terms(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Per-class terms P(i) log(P(i)/Q(i)) in nats; +inf where Q(i) = 0 < P(i)."""
    return engine.rel_entr(p, q)


def js_terms(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Per-class terms ½ P log(P/M) + ½ Q log(Q/M) in nats; each is >= 0 and finite."""
    m = 0.5 * (p + q)
    return 0.5 * (engine.rel_entr(p, m) + engine.rel_entr(q, m))


def _checked(p, q, renormalize: bool, tolerance: float | None):
    arrays = []
    for values, what in ((p, "p"), (q, "q")):
        array = engine._as_float_array(values, what)
        if renormalize:
            array = engine.normalize_rows(array)
        else:
            engine.check_distribution(array, tolerance=tolerance, what=what)
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
    return Divergence(kind, p, q, _in_base(terms, base), _in_base(per_row, base))


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
