"""The exact kernels under every loss: NumPy in, NumPy out.

No I/O, no options, no checks of their own beyond what the arithmetic needs (finite
logits). Everything is in nats with natural logarithms until :func:`to_base` rescales it,
so every base is an exact rescaling of the same numbers (H_b = H_e / ln b). Rows are
samples and the last axis is the classes. Each formula is written here once; the engine,
the scorer and the divergences call these.

Conventions (those of ``scipy.special.xlogy`` and ``rel_entr``):

- 0 · log 0 = 0: a class with P(i) = 0 contributes nothing, whatever Q(i) is.
- P(i) > 0 with Q(i) = 0 gives +inf, honestly.
- Logits go through :func:`log_softmax` (or :func:`log_sigmoid` for a binary prediction),
  each within a few ulps of the exact value for logits of any magnitude.
- b^x is :func:`power`, the one rule for infinities and overflow (the limit of b^x).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .checks import check_finite_logits

__all__ = [
    "Breakdown",
    "breakdown_from_logs",
    "clamp_kl",
    "cross_entropy_terms",
    "exact_difference",
    "ln_base",
    "log_sigmoid",
    "log_softmax",
    "power",
    "rel_entr",
    "rel_entr_from_logs",
    "softmax",
    "to_base",
    "xlogy",
]


# --------------------------------------------------------------------------- bases


def ln_base(base: float) -> float:
    """ln b, for a base b that is positive, finite and not 1 (``ValueError`` otherwise)."""
    if not (math.isfinite(base) and base > 0 and base != 1):
        raise ValueError(f"log base must be positive and not 1, got {base!r}")
    return math.log(base)


def to_base(nats, base: float):
    """A value in nats rescaled to base b: nats / ln b.

    ``math.log(math.e)`` is exactly 1.0, so base e returns the values unchanged; adding 0.0
    turns the -0.0 of a perfect prediction (-log 1) into 0.0.

    >>> float(to_base(math.log(8), 2))
    3.0
    """
    return nats / ln_base(base) + 0.0


def power(base: float, x):
    """b^x (a perplexity from a loss in base b), elementwise, to within an ulp.

    One rule for every caller: e^x for base e (``math.e`` is not e, and ``math.e ** 20`` is
    off by several ulps), ``np.power`` for any other base (exact for 2 and 10, where
    e^(x ln b) would be off by up to 60 ulps). Infinities take the limits of b^x: b^+inf is
    +inf for b > 1 and 0 for b < 1, b^-inf the other way round; NaN stays NaN; a result
    too large for a double is +inf, without a warning (the honest answer).

    >>> float(power(2.0, 3.0)), float(power(2.0, -math.inf)), float(power(math.e, 1000.0))
    (8.0, 0.0, inf)
    """
    ln_base(base)
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore"):
        return np.exp(x) if base == math.e else np.power(base, x)


# --------------------------------------------------------------------------- terms


def cross_entropy_terms(p, log_q) -> np.ndarray:
    """-p · log q elementwise, 0 where p = 0 (also when log q is -inf or NaN).

    The one place that says what a class with P(i) = 0 contributes: nothing. The
    cross-entropy's terms are this (and, with a class weight for p, its weighted terms);
    so, through :func:`rel_entr_from_logs`, are the relative entropy's. ``p`` must not be
    negative or NaN (a weight, a probability).

    >>> cross_entropy_terms(np.array([0.5, 0.0]), np.array([math.log(0.25), -math.inf])).tolist()
    [0.6931471805599453, 0.0]
    """
    with np.errstate(invalid="ignore"):
        return np.where(p > 0, -p * log_q, 0.0)


def xlogy(x, y) -> np.ndarray:
    """x · log y elementwise, 0 where x = 0, as ``scipy.special.xlogy`` for x, y >= 0.

    >>> xlogy([0.0, 2.0], [0.0, math.e]).tolist()
    [0.0, 2.0]
    """
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore"):
        log_y = np.log(np.asarray(y, dtype=np.float64))
    return 0.0 - cross_entropy_terms(x, log_y)


def rel_entr_from_logs(p, log_p, log_q) -> np.ndarray:
    """p (log p - log q) elementwise, 0 where p = 0 and +inf where log q = -inf < log p.

    The relative entropy's terms when log q is what is known (log Q of logits keeps
    digits that Q = e^(log Q) loses); :func:`rel_entr` takes p and q. They sum to
    KL(P || Q), and they are computed here and nowhere else.
    """
    with np.errstate(invalid="ignore"):  # -inf - -inf where p = q = 0, a term that is 0
        log_q_over_p = np.subtract(log_q, log_p)
    return cross_entropy_terms(np.asarray(p, dtype=np.float64), log_q_over_p) + 0.0


def rel_entr(p, q) -> np.ndarray:
    """p (log p - log q) elementwise, as ``scipy.special.rel_entr`` for p, q >= 0: 0 where
    p = 0, +inf where q = 0 < p. They sum to KL(P || Q).

    >>> rel_entr([0.5, 0.5, 0.0], [0.25, 0.75, 0.0]).tolist()
    [0.34657359027997264, -0.2027325540540822, 0.0]
    """
    p = np.asarray(p, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return rel_entr_from_logs(p, np.log(p), np.log(np.asarray(q, dtype=np.float64)))


def clamp_kl(kl):
    """KL >= 0 (Gibbs' inequality): rounding can put the divergence of two equal
    distributions a few ulps below 0, which would print as a confusing -2.2e-16. The one
    clamp of every KL xent reports."""
    return np.maximum(kl, 0.0)


# --------------------------------------------------------------------------- logits


def exact_difference(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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

    Logits that are not finite raise ``InvalidProbabilities`` (its ``row``: the first).

    >>> float(-log_softmax([30.0, 0.0, 0.0, 0.0])[0])
    2.807286890651659e-13
    >>> log_softmax([1000.0, -1000.0, 0.0]).tolist()
    [0.0, -2000.0, -1000.0]
    """
    z = np.asarray(logits, dtype=np.float64)
    check_finite_logits(z.reshape(-1, z.shape[-1]))
    z = np.moveaxis(z, axis, -1)
    top = z.argmax(axis=-1)[..., np.newaxis]
    m = np.take_along_axis(z, top, axis=-1)
    with np.errstate(over="ignore", invalid="ignore"):
        d, err = exact_difference(z, m)
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


def softmax(logits, axis: int = -1) -> np.ndarray:
    """Probabilities from logits, through :func:`log_softmax`."""
    return np.exp(log_softmax(logits, axis=axis))


def log_sigmoid(logits) -> tuple[np.ndarray, np.ndarray]:
    """(log sigma(z), log(1 - sigma(z))) for the logit z of a binary prediction, each to
    within a few ulps for any finite z: log sigma(z) = min(z, 0) - log1p(e^-|z|), and
    1 - sigma(z) = sigma(-z). Two non-positive terms, so nothing cancels.

    >>> [float(v) for v in log_sigmoid(40.0)]
    [-4.248354255291589e-18, -40.0]
    """
    z = np.asarray(logits, dtype=np.float64)
    check_finite_logits(z.reshape(len(z), -1) if z.ndim else z.reshape(1, 1))  # row: sample
    with np.errstate(under="ignore"):
        tail = np.log1p(np.exp(-np.abs(z)))
    return np.minimum(z, 0.0) - tail, np.minimum(-z, 0.0) - tail


# --------------------------------------------------------------------------- per class


class Breakdown(NamedTuple):
    """Everything about P against Q, per class and per row, in one base.

    Arrays have the predictions' shape: (K,) for one vector, (n, K) for a batch; the
    per-row values drop the class axis. ``contribution`` sums to ``cross_entropy``, and
    without class weights ``cross_entropy = entropy + kl_divergence``.
    """

    p: np.ndarray  # the target (smoothed, when smoothing)
    q: np.ndarray  # the prediction as probabilities (clipped, when clipping)
    neg_log_q: np.ndarray
    contribution: np.ndarray  # the terms of the row's loss: they sum to it
    cross_entropy: np.ndarray  # the row's loss
    entropy: np.ndarray  # H(P), unweighted
    kl_divergence: np.ndarray  # KL(P‖Q), unweighted
    perplexity: np.ndarray  # e^(loss in nats) = base^loss


def breakdown_from_logs(p, q, log_q, base: float, terms=None) -> Breakdown:
    """The per-class table behind a cross-entropy, from P, Q and log Q: -log Q, the terms
    P · (-log Q) (or ``terms``, when they are weighted), and the row totals H(P, Q), H(P),
    KL(P‖Q) (clamped at 0) and the perplexity. No reduction, no warning."""
    if terms is None:
        terms = cross_entropy_terms(p, log_q)
    with np.errstate(divide="ignore"):
        log_p = np.log(p)
    nats = terms.sum(axis=-1)
    return Breakdown(
        p=p,
        q=q,
        neg_log_q=to_base(-log_q, base),
        contribution=to_base(terms, base),
        cross_entropy=to_base(nats, base),
        entropy=to_base(cross_entropy_terms(p, log_p).sum(axis=-1), base),
        kl_divergence=to_base(clamp_kl(rel_entr_from_logs(p, log_p, log_q).sum(axis=-1)), base),
        perplexity=power(math.e, nats),
    )


def scaled_weights(s: np.ndarray | None) -> tuple[np.ndarray | None, int]:
    """(s·2^-e, e): the largest weight scaled into [0.5, 1), exactly; (s, 0) when there
    are none, or none above 0 (the weights are already finite and non-negative). Why and
    how the exponent is carried: :mod:`xent.accumulators.scaling`."""
    if s is None or not s.size:
        return s, 0
    largest = float(np.max(s))
    if not largest > 0 or not math.isfinite(largest):
        return s, 0
    e = math.frexp(largest)[1]
    if e == 0:
        return s, 0
    s = np.asarray(s, dtype=np.float64)
    return keep_positive(np.ldexp(s, -e), s), e


def keep_positive(scaled: np.ndarray, original: np.ndarray) -> np.ndarray:
    """``scaled`` (weights × 2^-e) with each weight that was above 0 still above 0: one
    scaled below the smallest float (5e-324) is that float. It still counts a row of
    infinite loss (s·inf = inf: the weighted mean is infinite, as it is) and a row of
    weight; its share of any finite sum is far below a float64's resolution."""
    lost = (scaled == 0) & (original > 0)
    return np.where(lost, 5e-324, scaled) if lost.any() else scaled
