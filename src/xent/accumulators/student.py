"""Student's t and the normal distribution, without SciPy: the two-sided tail of t (the
paired comparison's p-value) and its quantile (the half-width of a t interval), and the
normal quantile. Each is checked against SciPy in the tests."""

from __future__ import annotations

import math
from functools import lru_cache

# At this many degrees of freedom and more, the quantile is Cornish-Fisher's expansion
# about the normal quantile (Abramowitz & Stegun 26.7.5: four terms, within 4e-15 of
# SciPy's here); below it, the root of the tail (a continued fraction of ~sqrt(df) terms).
_EXPANSION_FROM = 2_000


def normal_quantile(level: float) -> float:
    """The z with P(|Z| <= z) = ``level`` for the standard normal: scipy.stats.norm.ppf((1
    + level) / 2), found from the tail (1 − level)/2, exact near 1 where (1 + level)/2
    rounds to 1 (level 0.9999999999999999; Wichura's AS 241)."""
    from statistics import NormalDist  # (imported here: 1.4 ms, with random and fractions)

    return -NormalDist().inv_cdf((1 - level) / 2)


@lru_cache(maxsize=4096)  # a run's groups ask for a few levels and sizes, many times
def t_quantile(level: float, degrees: int) -> float:
    """The t with P(|T| <= t) = ``level`` for Student's t with ``degrees`` degrees of
    freedom: scipy.stats.t.ppf((1 + level) / 2, degrees). Closed forms for 1 and 2 degrees
    of freedom, Cornish-Fisher's expansion from :data:`_EXPANSION_FROM`, and between them
    Newton's method on the log of the tail from that expansion (a few steps)."""
    alpha = 1 - level  # (exact near 1, where the forms below are written in it)
    if degrees == 1:
        return 1 / math.tan(math.pi * alpha / 2)
    if degrees == 2:
        return level * math.sqrt(2 / (alpha * (2 - alpha)))
    guess = _cornish_fisher(normal_quantile(level), degrees)
    if degrees >= _EXPANSION_FROM:
        return guess
    return _newton(level, degrees, guess)


def t_interval(
    estimate: float, se: float, level: float, degrees: int, floor: float = -math.inf
) -> tuple[float, float]:
    """estimate ± t·se, t Student's of ``degrees`` degrees of freedom at ``level``; the
    lower bound never below ``floor`` (0 for a loss, a Brier score: they are not negative)."""
    half = t_quantile(level, degrees) * se
    return (max(estimate - half, floor), estimate + half)


def _newton(level: float, degrees: int, t: float) -> float:
    """The root of log P(|T| ≥ t) = log(1 − level) from ``t``, kept inside the bracket
    the steps have found (halving it where a step would leave it)."""
    v = degrees
    log_alpha = math.log(1 - level)
    front = math.lgamma((v + 1) / 2) - math.lgamma(v / 2) - 0.5 * math.log(v * math.pi)
    low, high = 0.0, math.inf
    for _ in range(100):
        tail = two_sided_t(t, v)
        gap = math.log(tail) - log_alpha  # > 0: the tail is too heavy, t too small
        if gap > 0:
            low = t
        else:
            high = t
        density = math.exp(front - (v + 1) / 2 * math.log1p(t * t / v))
        step = gap * tail / (2 * density)
        new = t + step
        if not low < new < high:
            new = (low + high) / 2 if math.isfinite(high) else 2 * t
        if abs(new - t) <= 2e-16 * t:
            return new
        t = new
    return t


def _cornish_fisher(z: float, degrees: int) -> float:
    v = float(degrees)
    z2 = z * z
    g1 = (z2 + 1) * z / 4
    g2 = ((5 * z2 + 16) * z2 + 3) * z / 96
    g3 = (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384
    g4 = ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) * z / 92160
    return z + (g1 + (g2 + (g3 + g4 / v) / v) / v) / v


def two_sided_t(statistic: float, degrees: int) -> float:
    """P(|T| ≥ |statistic|) for Student's t with ``degrees`` degrees of freedom:
    I_x(df/2, 1/2) with x = df / (df + t²) (scipy.stats.t.sf(|t|, df) · 2). With no degrees
    of freedom (one row) the normal tail stands in, as it always did; nan stays nan and an
    infinite statistic gives 0."""
    if math.isnan(statistic):
        return math.nan
    t = abs(statistic)
    if math.isinf(t):
        return 0.0
    if degrees < 1:
        return math.erfc(t / math.sqrt(2))
    t2 = t * t
    if math.isinf(t2):
        return 0.0
    x, y = degrees / (degrees + t2), t2 / (degrees + t2)  # x and 1 − x, each without cancelling
    return min(1.0, incomplete_beta(degrees / 2, 0.5, x, y))


def incomplete_beta(a: float, b: float, x: float, y: float) -> float:
    """The regularized incomplete beta function I_x(a, b), y = 1 − x given separately (it
    keeps its precision near x = 1): Numerical Recipes' betai and betacf (modified Lentz
    continued fraction, float64), using the symmetry I_x(a, b) = 1 − I_y(b, a) where the
    fraction converges slowly."""
    if x <= 0.0:
        return 0.0
    if y <= 0.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log(y)
    )
    front = math.exp(log_front)
    if x < (a + 1) / (a + b + 2):
        return front * _beta_fraction(a, b, x) / a
    return 1.0 - front * _beta_fraction(b, a, y) / b


def _beta_fraction(a: float, b: float, x: float) -> float:
    """Numerical Recipes' betacf: the continued fraction of I_x(a, b), modified Lentz."""
    tiny, eps = 1e-300, 1e-16
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) >= tiny else tiny)
    h = d
    for m in range(1, 1_000_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) >= tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) >= tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) >= tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) >= tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) <= eps:
            break
    return h
