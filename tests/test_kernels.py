"""xent.kernels against independent references: SciPy's xlogy, rel_entr, logsumexp and
entropy, and mpmath at 60 digits for the exact log-softmax, log-sigmoid and b^x."""

from __future__ import annotations

import doctest
import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.special import logsumexp
from scipy.special import rel_entr as scipy_rel_entr
from scipy.special import xlogy as scipy_xlogy
from scipy.stats import entropy as scipy_entropy

from xent import engine, kernels

PROPERTY = settings(max_examples=80, deadline=None)
ULP = np.finfo(np.float64).eps

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
non_negative = st.floats(0.0, 1e6, allow_nan=False, allow_infinity=False)
# Probabilities with exact zeros, tiny values and ones among them.
probability = st.one_of(st.just(0.0), st.just(1.0), st.floats(0.0, 1.0), st.floats(1e-300, 1e-10))


def distributions(k: int):
    """Rows that are distributions (zeros allowed), K classes."""
    weights = arrays(np.float64, k, elements=st.one_of(st.just(0.0), st.floats(1e-6, 1.0)))
    return weights.filter(lambda w: w.sum() > 0).map(lambda w: w / w.sum())


def test_doctests():
    assert doctest.testmod(kernels).failed == 0


# --------------------------------------------------------------------------- terms


@PROPERTY
@given(arrays(np.float64, 12, elements=probability), arrays(np.float64, 12, elements=probability))
def test_xlogy_is_scipys(x, y):
    ours, ref = kernels.xlogy(x, y), scipy_xlogy(x, y)  # NumPy's log and SciPy's: an ulp apart
    np.testing.assert_array_equal(np.isinf(ours), np.isinf(ref))
    np.testing.assert_array_equal(ours == 0, ref == 0)
    np.testing.assert_allclose(ours, ref, rtol=2 * ULP, atol=0)


@PROPERTY
@given(arrays(np.float64, 12, elements=probability), arrays(np.float64, 12, elements=probability))
def test_cross_entropy_terms_are_minus_xlogy(p, q):
    with np.errstate(divide="ignore"):
        log_q = np.log(q)
    ours, ref = kernels.cross_entropy_terms(p, log_q), -scipy_xlogy(p, q)
    np.testing.assert_array_equal(np.isinf(ours), np.isinf(ref))
    np.testing.assert_allclose(ours, ref, rtol=2 * ULP, atol=0)


def test_cross_entropy_terms_zero_mass_is_zero_whatever_log_q():
    terms = kernels.cross_entropy_terms(np.zeros(3), np.array([-np.inf, np.nan, 0.0]))
    assert terms.tolist() == [0.0, 0.0, 0.0]
    assert math.isinf(kernels.cross_entropy_terms(np.array([0.5]), np.array([-np.inf]))[0])


@PROPERTY
@given(arrays(np.float64, 12, elements=probability), arrays(np.float64, 12, elements=probability))
def test_rel_entr_is_scipys(p, q):
    ours = kernels.rel_entr(p, q)
    ref = scipy_rel_entr(p, q)
    np.testing.assert_array_equal(np.isinf(ours), np.isinf(ref))
    finite_ = np.isfinite(ref)
    # p (log p - log q) and SciPy's p log(p / q) round differently: each is within a few
    # ulps of the logs' size, p (|log p| + |log q|), of the exact term.
    assert (ours[p == 0] == 0).all()
    finite_ &= p > 0
    p, q = p[finite_], q[finite_]
    size = p * (np.abs(np.log(p)) + np.abs(np.log(q)) + 1.0)
    assert (np.abs(ours[finite_] - ref[finite_]) <= 8 * ULP * size + 1e-300).all()


@PROPERTY
@given(st.integers(2, 9).flatmap(lambda k: st.tuples(distributions(k), distributions(k))))
def test_rel_entr_from_logs_sums_to_scipys_kl(pq):
    p, q = pq
    with np.errstate(divide="ignore"):
        terms = kernels.rel_entr_from_logs(p, np.log(p), np.log(q))
    kl = terms.sum()
    ref = scipy_entropy(p, q)
    if math.isinf(ref):
        assert kl == math.inf
    else:
        assert kl == pytest.approx(ref, rel=1e-12, abs=1e-15)


@PROPERTY
@given(st.integers(1, 9).flatmap(distributions))
def test_clamp_kl_makes_the_divergence_of_p_from_itself_zero(p):
    with np.errstate(divide="ignore"):
        log_p = np.log(p)
    kl = kernels.clamp_kl(kernels.rel_entr_from_logs(p, log_p, log_p).sum())
    assert kl == 0.0 and not math.copysign(1.0, kl) < 0
    assert kernels.clamp_kl(np.array([-2.2e-16, 0.5])).tolist() == [0.0, 0.5]


# --------------------------------------------------------------------------- logits


def _exact_log_softmax(z) -> list[mpmath.mpf]:
    with mpmath.workdps(60):
        top = int(np.argmax(z))
        shifted = [mpmath.mpf(float(v)) - mpmath.mpf(float(z[top])) for v in z]  # exact
        rest = mpmath.fsum(mpmath.exp(v) for i, v in enumerate(shifted) if i != top)
        lse = mpmath.log1p(rest)  # log(1 + rest) would lose rest's digits below 1e-60
        return [v - lse for v in shifted]


def _ulps(got: float, exact) -> float:
    """|got - exact| in units of the last place of ``exact`` (1e-300 at least)."""
    with mpmath.workdps(60):
        scale = max(abs(float(exact)), 1e-300) * ULP
        return float(abs(mpmath.mpf(got) - exact) / mpmath.mpf(scale))


@PROPERTY
@given(arrays(np.float64, st.integers(1, 8), elements=st.floats(-800, 800)))
def test_log_softmax_within_a_few_ulps_of_exact(z):
    got = kernels.log_softmax(z)
    for g, exact in zip(got, _exact_log_softmax(z)):
        assert _ulps(float(g), exact) <= 4, (z, g, exact)


@PROPERTY
@given(arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 6)), elements=finite))
def test_log_softmax_is_z_minus_scipys_logsumexp(z):
    ref = z - logsumexp(z, axis=1, keepdims=True)
    np.testing.assert_allclose(kernels.log_softmax(z), ref, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(kernels.log_softmax(z.T, axis=0), ref.T, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(kernels.softmax(z).sum(axis=1), 1.0, rtol=1e-14)


def test_log_softmax_refuses_logits_that_are_not_finite():
    with pytest.raises(engine.InvalidProbabilities) as raised:
        kernels.log_softmax([[0.0, 1.0], [np.nan, 0.0]])
    assert raised.value.row == 1


@PROPERTY
@given(st.floats(-1e4, 1e4))
def test_log_sigmoid_within_a_few_ulps_of_exact(z):
    log_p, log_not_p = kernels.log_sigmoid(z)
    with mpmath.workdps(60):
        x = mpmath.mpf(z)
        exact_p = -mpmath.log1p(mpmath.exp(-x))
        exact_not_p = -mpmath.log1p(mpmath.exp(x))
    assert _ulps(float(log_p), exact_p) <= 4
    assert _ulps(float(log_not_p), exact_not_p) <= 4


# --------------------------------------------------------------------------- bases


@PROPERTY
@given(st.sampled_from([2.0, math.e, 10.0, 0.5]), st.floats(-700, 700))
def test_power_within_an_ulp_of_exact(base, x):
    got = float(kernels.power(base, x))
    with mpmath.workdps(60):
        b = mpmath.e if base == math.e else mpmath.mpf(base)
        exact = b ** mpmath.mpf(x)
    if float(exact) > 1e308 or float(exact) < 1e-300:
        return  # overflow and subnormals: the rule below
    assert _ulps(got, exact) <= 1, (base, x, got)


@pytest.mark.parametrize(
    ("base", "x", "expected"),
    [
        (2.0, math.inf, math.inf),
        (2.0, -math.inf, 0.0),  # bootstrap's _power gave -inf here: b^-inf is 0
        (math.e, math.inf, math.inf),
        (math.e, -math.inf, 0.0),
        (10.0, 400.0, math.inf),  # overflow: inf, without a warning
        (math.e, 710.0, math.inf),
        (0.5, math.inf, 0.0),  # a base below 1 turns the limits round
        (0.5, -math.inf, math.inf),
        (2.0, 0.0, 1.0),
    ],
)
def test_power_one_rule_for_infinity(base, x, expected):
    with np.errstate(all="raise"):
        assert float(kernels.power(base, x)) == expected
    assert math.isnan(float(kernels.power(base, math.nan)))


def test_power_is_elementwise_and_checks_the_base():
    assert kernels.power(2.0, np.array([1.0, 2.0, math.inf])).tolist() == [2.0, 4.0, math.inf]
    with pytest.raises(ValueError, match="log base"):
        kernels.power(1.0, 2.0)


def test_perplexity_in_every_base_is_e_to_the_nats():
    nats = np.array([0.0, 0.5, 2.0, 40.0])
    for base in (2.0, math.e, 10.0):
        got = engine.perplexity(kernels.to_base(nats, base), base=base)
        np.testing.assert_allclose(got, np.exp(nats), rtol=8 * ULP * 40)


def test_to_base_has_no_negative_zero():
    assert math.copysign(1.0, float(kernels.to_base(-0.0, 2.0))) == 1.0
    assert kernels.to_base(math.log(8.0), 2.0) == 3.0


# --------------------------------------------------------------------------- per class


@PROPERTY
@given(
    st.integers(2, 8).flatmap(
        lambda k: st.tuples(st.lists(distributions(k), min_size=1, max_size=4), distributions(k))
    ),
    st.sampled_from([2.0, math.e, 10.0]),
)
def test_breakdown_against_scipy(rows, base):
    p = np.array(rows[0])
    q = np.broadcast_to(rows[1], p.shape).copy()
    with np.errstate(divide="ignore"):
        log_q = np.log(q)
    table = kernels.breakdown_from_logs(p, q, log_q, base)
    h = scipy_entropy(p, axis=1, base=base)
    kl = np.array([scipy_entropy(a, b, base=base) for a, b in zip(p, q)])
    ce = -scipy_xlogy(p, q).sum(axis=1) / math.log(base)
    np.testing.assert_allclose(table.entropy, h, rtol=1e-12, atol=1e-15)
    finite_ = np.isfinite(kl)
    np.testing.assert_allclose(table.kl_divergence[finite_], kl[finite_], rtol=1e-12, atol=1e-13)
    assert (table.kl_divergence >= 0).all()
    np.testing.assert_allclose(table.cross_entropy, ce, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(table.contribution.sum(axis=1), table.cross_entropy, rtol=1e-12)
    np.testing.assert_allclose(table.neg_log_q, -log_q / math.log(base))
    np.testing.assert_allclose(table.perplexity, np.exp(ce * math.log(base)), rtol=1e-12)


def test_scorer_and_engine_share_the_breakdown():
    """The table of ``xent compute --explain``-style scoring is engine.breakdown's."""
    from xent.options import ScoreOptions
    from xent.readers.chunks import PredictionChunk
    from xent.scorer import score_chunk

    rng = np.random.default_rng(7)
    q = rng.dirichlet(np.ones(5), size=6)
    labels = rng.integers(0, 5, size=6)
    chunk = PredictionChunk(
        classes=[str(i) for i in range(5)], values=q, lines=np.arange(1, 7), labels=labels
    )
    options = ScoreOptions(base=2.0)
    detail = score_chunk(chunk, options, source="", detail=True).detail
    reference = engine.breakdown(labels, q, base=2.0)
    assert detail is not None
    for name in kernels.Breakdown._fields:
        np.testing.assert_array_equal(getattr(detail, name), getattr(reference, name), name)
