"""The loss engine against hand-derived values and independent references (SciPy,
scikit-learn), on the article's example and on random inputs."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.special import log_softmax as scipy_log_softmax
from scipy.stats import entropy as scipy_entropy
from sklearn.metrics import log_loss

import xent
from xent import engine
from xent.errors import DataError, InvalidProbabilities

ARTICLE_PRED = [0.4, 0.3, 0.05, 0.05, 0.2]
IMPROVED_PRED = [0.98, 0.005, 0.005, 0.005, 0.005]
DOG = 0

# --------------------------------------------------------------------------- the article


def test_article_dog_in_nats():
    # -ln 0.4: only the dog term survives, since P(i) = 0 for every other class.
    assert xent.cross_entropy(DOG, ARTICLE_PRED) == pytest.approx(-math.log(0.4), rel=1e-15)
    assert float(xent.cross_entropy(DOG, ARTICLE_PRED)) == 0.916290731874155


def test_article_dog_in_bits():
    assert float(xent.cross_entropy(DOG, ARTICLE_PRED, base=2)) == pytest.approx(
        1.3219280948873622, rel=1e-15
    )
    assert xent.cross_entropy(DOG, ARTICLE_PRED, base=2) == pytest.approx(-math.log2(0.4))


def test_article_improved_prediction():
    assert float(xent.cross_entropy(DOG, IMPROVED_PRED)) == pytest.approx(
        0.020202707317519466, rel=1e-15
    )
    assert xent.cross_entropy(DOG, IMPROVED_PRED) < xent.cross_entropy(DOG, ARTICLE_PRED)


def test_one_hot_label_has_zero_entropy():
    assert float(xent.entropy([1.0, 0, 0, 0, 0])) == 0.0


def test_one_hot_vector_and_index_agree():
    one_hot = [1.0, 0, 0, 0, 0]
    assert xent.cross_entropy(one_hot, ARTICLE_PRED) == xent.cross_entropy(DOG, ARTICLE_PRED)


def test_breakdown_of_the_article_example():
    b = xent.breakdown(DOG, ARTICLE_PRED)
    np.testing.assert_allclose(b.neg_log_q, [-math.log(q) for q in ARTICLE_PRED], rtol=1e-15)
    np.testing.assert_array_equal(b.contribution[1:], 0.0)  # the vanishing terms
    assert b.contribution.sum() == b.cross_entropy
    assert b.entropy == 0.0
    assert b.kl_divergence == pytest.approx(-math.log(0.4), rel=1e-15)
    assert b.perplexity == pytest.approx(2.5, rel=1e-15)  # 1 / 0.4


def test_entropy_of_the_article_prediction_by_hand():
    by_hand = -sum(q * math.log(q) for q in ARTICLE_PRED)
    assert xent.entropy(ARTICLE_PRED) == pytest.approx(by_hand, rel=1e-14)


def test_binary_cross_entropy_by_hand():
    assert xent.binary_cross_entropy(1, 0.8) == pytest.approx(-math.log(0.8), rel=1e-15)
    assert xent.binary_cross_entropy(0.25, 0.8) == pytest.approx(
        -(0.25 * math.log(0.8) + 0.75 * math.log(0.2)), rel=1e-14
    )


# --------------------------------------------------------------------------- edge cases


def test_logits_of_any_magnitude_are_exact():
    log_q = xent.log_softmax([1000.0, -1000.0, 0.0])
    np.testing.assert_array_equal(log_q, [0.0, -2000.0, -1000.0])
    assert float(xent.cross_entropy(0, logits=[1000.0, -1000.0, 0.0])) == 0.0
    assert float(xent.cross_entropy(1, logits=[1000.0, -1000.0, 0.0])) == 2000.0


def test_binary_logits_are_finite_at_any_magnitude():
    losses = xent.binary_cross_entropy([1, 0, 1], logits=[-1e4, 1e4, 0.0], reduction="none")
    np.testing.assert_allclose(losses, [1e4, 1e4, math.log(2)], rtol=1e-15)


def test_zero_probability_for_the_true_class_is_infinite_with_a_warning():
    with pytest.warns(xent.ZeroProbabilityWarning):
        assert xent.cross_entropy(0, [0.0, 1.0]) == math.inf


def test_zero_probability_where_the_label_is_zero_is_fine():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert xent.cross_entropy(1, [0.0, 1.0]) == 0.0


def test_clip_matches_sklearn_for_a_zero_probability():
    eps = 1e-15
    got = xent.cross_entropy(0, [0.0, 1.0], clip=eps)
    assert got == pytest.approx(-math.log(eps), rel=1e-15)


@pytest.mark.parametrize(
    "pred, message",
    [
        ([0.4, 0.3, 0.05, 0.05, 0.1], "prediction sums to 0.9, not 1"),
        ([-0.1, 0.6, 0.5], "prediction value 1 is -0.1, outside [0, 1]"),
        ([1.5, -0.5], "prediction value 1 is 1.5, outside [0, 1]"),
        ([math.nan, 1.0], "prediction value 1 is nan, outside [0, 1]"),
    ],
)
def test_invalid_predictions_are_errors_that_show_the_values(pred, message):
    with pytest.raises(InvalidProbabilities, match=message.replace("[", r"\[")):
        xent.cross_entropy(0, pred)


def test_six_decimal_rounding_is_tolerated():
    # 1/7 printed to 6 decimals is 0.142857; seven of them sum to 0.999999.
    q = np.full(7, 0.142857)
    assert q.sum() == pytest.approx(0.999999)
    assert xent.cross_entropy(3, q) == pytest.approx(-math.log(0.142857), rel=1e-15)


def test_renormalize_divides_by_the_sum():
    assert xent.cross_entropy(0, [0.2, 0.2], renormalize=True) == pytest.approx(math.log(2))
    # Any non-negative values: counts, unnormalised scores (scipy.stats.entropy's rule).
    assert xent.cross_entropy(0, [2.0, 2.0], renormalize=True) == pytest.approx(math.log(2))
    with pytest.raises(InvalidProbabilities, match=r"prediction value 2 is -1, negative"):
        xent.cross_entropy(0, [2.0, -1.0], renormalize=True)


def test_error_names_the_row_of_a_batch():
    with pytest.raises(InvalidProbabilities) as info:
        xent.cross_entropy([0, 1], [[0.5, 0.5], [0.5, 0.6]])
    assert info.value.row == 1


def test_label_index_out_of_range():
    with pytest.raises(DataError, match="label index 5 is out of range for 5 classes"):
        xent.cross_entropy(5, ARTICLE_PRED)


def test_reductions():
    pred = [[0.5, 0.5], [0.25, 0.75]]
    each = xent.cross_entropy([0, 1], pred, reduction="none")
    np.testing.assert_allclose(each, [math.log(2), -math.log(0.75)], rtol=1e-15)
    assert xent.cross_entropy([0, 1], pred, reduction="sum") == pytest.approx(each.sum())
    assert xent.cross_entropy([0, 1], pred) == pytest.approx(each.mean())
    with pytest.raises(ValueError, match="reduction must be one of"):
        xent.cross_entropy([0, 1], pred, reduction="max")


def test_base_must_be_positive_and_not_one():
    for base in (1, 0, -2, math.inf):
        with pytest.raises(ValueError):
            xent.cross_entropy(0, [0.5, 0.5], base=base)


# --------------------------------------------------------------------------- properties

classes = st.integers(min_value=2, max_value=8)
rows = st.integers(min_value=1, max_value=12)


@st.composite
def distributions(draw, n=None, k=None, allow_zeros=False):
    """Rows of probabilities drawn from positive weights (a few exact zeros if allowed)."""
    n = n or draw(rows)
    k = k or draw(classes)
    low = 0.0 if allow_zeros else 1e-3
    w = draw(arrays(np.float64, (n, k), elements=st.floats(low, 1.0)))
    w[w.sum(axis=1) == 0, 0] = 1.0
    return w / w.sum(axis=1, keepdims=True)


@st.composite
def problems(draw):
    """A batch: soft targets P and predictions Q of the same shape, Q > 0."""
    n, k = draw(rows), draw(classes)
    return draw(distributions(n, k, allow_zeros=True)), draw(distributions(n, k))


bases = st.sampled_from([math.e, 2.0, 10.0, 3.5, 0.5])
PROPERTY = settings(max_examples=60, deadline=None)


@PROPERTY
@given(problems(), bases)
def test_cross_entropy_matches_scipy(pq, base):
    p, q = pq
    ours = xent.cross_entropy(p, q, base=base, reduction="none")
    # scipy.stats.entropy(pk, qk) is KL(P || Q); H(P, Q) = H(P) + KL(P || Q).
    ref = scipy_entropy(p, base=base, axis=1) + scipy_entropy(p, q, base=base, axis=1)
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-12)


@PROPERTY
@given(distributions(allow_zeros=True), bases)
def test_entropy_matches_scipy(p, base):
    ours = xent.entropy(p, base=base, reduction="none")
    np.testing.assert_allclose(ours, scipy_entropy(p, base=base, axis=1), rtol=1e-12, atol=1e-14)


@PROPERTY
@given(problems(), bases)
def test_kl_matches_scipy(pq, base):
    p, q = pq
    ours = xent.kl_divergence(p, q, base=base, reduction="none")
    np.testing.assert_allclose(ours, scipy_entropy(p, q, base=base, axis=1), rtol=1e-12, atol=1e-14)


@PROPERTY
@given(st.data())
def test_mean_cross_entropy_matches_sklearn_log_loss(data):
    k = data.draw(classes)
    q = data.draw(distributions(k=k))
    labels = data.draw(arrays(np.int64, q.shape[0], elements=st.integers(0, k - 1)))
    ours = xent.cross_entropy(labels, q)
    ref = log_loss(labels, q, labels=list(range(k)))
    assert ours == pytest.approx(ref, rel=1e-12)


@PROPERTY
@given(problems())
def test_gibbs_inequality_and_identities(pq):
    p, q = pq
    ce = xent.cross_entropy(p, q, reduction="none")
    h = xent.entropy(p, reduction="none")
    kl = xent.kl_divergence(p, q, reduction="none")
    assert (kl >= 0).all()
    assert (ce >= h - 1e-12).all()
    np.testing.assert_allclose(ce, h + kl, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(xent.cross_entropy(p, p, reduction="none"), h, atol=1e-12)


@PROPERTY
@given(problems(), bases)
def test_change_of_base_scales_by_one_over_ln_base(pq, base):
    p, q = pq
    nats = xent.cross_entropy(p, q, reduction="none")
    in_base = xent.cross_entropy(p, q, base=base, reduction="none")
    np.testing.assert_allclose(in_base, nats / math.log(base), rtol=1e-12)
    # Perplexity does not depend on the base.
    np.testing.assert_allclose(
        xent.perplexity(in_base, base=base), xent.perplexity(nats), rtol=1e-12
    )


@PROPERTY
@given(
    arrays(np.float64, (4, 5), elements=st.floats(-50, 50)),
    st.floats(-1e3, 1e3),
    st.integers(0, 4),
)
def test_shifting_logits_changes_nothing(z, shift, label):
    labels = np.full(4, label)
    base_loss = xent.cross_entropy(labels, logits=z, reduction="none")
    np.testing.assert_allclose(
        xent.cross_entropy(labels, logits=z + shift, reduction="none"),
        base_loss,
        rtol=1e-9,
        atol=1e-9,
    )
    ref = -scipy_log_softmax(z, axis=1)[np.arange(4), labels]
    np.testing.assert_allclose(base_loss, ref, rtol=1e-12, atol=1e-12)


@PROPERTY
@given(problems(), bases)
def test_contributions_sum_to_the_cross_entropy(pq, base):
    p, q = pq
    terms = xent.contributions(p, q, base=base)
    np.testing.assert_allclose(
        terms.sum(axis=1), xent.cross_entropy(p, q, base=base, reduction="none"), rtol=1e-12
    )
    assert (terms[p == 0] == 0).all()


def test_engine_does_no_io():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(engine))
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert not names & {"print", "open", "input"}
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    assert not imported & {"typer", "rich", "sys", "os"}


def test_integer_one_hot_vectors_are_distributions_not_indices():
    pred = [[0.4, 0.3, 0.05, 0.05, 0.2], [0.98, 0.005, 0.005, 0.005, 0.005]]
    one_hot = [[1, 0, 0, 0, 0], [0, 1, 0, 0, 0]]
    np.testing.assert_array_equal(
        xent.cross_entropy(one_hot, pred, reduction="none"),
        xent.cross_entropy([0, 1], pred, reduction="none"),
    )
    with pytest.raises(ValueError, match="match neither"):
        xent.cross_entropy([0, 1, 2], pred)


@pytest.mark.parametrize("clip", [None, 1e-3])
@pytest.mark.parametrize("renormalize", [False, True])
def test_log_at_the_label_only_matches_the_full_matrix(clip, renormalize):
    """Class-index targets take log Q at the label alone: the same numbers, bit for bit."""
    rng = np.random.default_rng(7)
    q = rng.dirichlet(np.ones(6) * 0.3, size=200)
    q[:5, 0] = 0.0  # zero probabilities: infinite losses unless clipped
    q /= q.sum(axis=1, keepdims=True)
    if renormalize:
        q *= 0.8
    labels = rng.integers(0, 6, size=200)
    labels[:5] = 0
    from xent import engine

    full = -engine.log_predictions(q, clip=clip, renormalize=renormalize)
    expected = full[np.arange(200), labels]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = engine.cross_entropy(labels, q, clip=clip, renormalize=renormalize, reduction="none")
    np.testing.assert_array_equal(got, expected)
