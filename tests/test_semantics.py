"""Framework conventions (PyTorch, Keras, scikit-learn, SciPy), number for number.

PyTorch and Keras are not dependencies: their documented formulas are written out below
by hand, in plain Python loops, as the references. scikit-learn and SciPy are called.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import jensenshannon
from scipy.special import log_softmax as scipy_log_softmax
from sklearn.metrics import brier_score_loss, log_loss, top_k_accuracy_score

import references
import xent
from xent import engine
from xent.divergences import divergence
from xent.errors import DataError

Q = [0.4, 0.3, 0.05, 0.05, 0.2]  # the article's prediction; class 0 is the dog
REL = 1e-9  # the issue's bar: the frameworks' numbers to 1e-9 relative
PROPERTIES = settings(max_examples=40, deadline=None)


def torch_cross_entropy(logits, target, weight=None, ignore_index=-100, label_smoothing=0.0):
    """The PyTorch reference (tests/references.py) on logits, class targets."""
    log_q = [references.log_softmax_row(z) for z in logits]
    return references.torch_cross_entropy(log_q, target, weight, ignore_index, label_smoothing)


def torch_cross_entropy_soft(logits, target, weight=None, label_smoothing=0.0):
    """The same for probability targets."""
    log_q = [references.log_softmax_row(z) for z in logits]
    rows = [list(map(float, p)) for p in target]
    return references.torch_cross_entropy(log_q, rows, weight, label_smoothing=label_smoothing)


torch_bce_with_logits = references.torch_bce_with_logits


# --------------------------------------------------------------------------- worked examples


def test_label_smoothing_worked_example():
    # PyTorch: target (1 - 0.1) one-hot(dog) + 0.1/5, so the loss is
    # 0.9 * -ln 0.4 + 0.02 * (-ln 0.4 - ln 0.3 - 2 ln 0.05 - ln 0.2) = 1.0190849786015830
    by_hand = 0.9 * -math.log(0.4) + 0.02 * sum(-math.log(q) for q in Q)
    got = xent.cross_entropy(0, Q, label_smoothing=0.1)
    assert got == pytest.approx(by_hand, rel=1e-15)
    assert float(got) == pytest.approx(1.019084978601583, rel=1e-12)


def test_smoothing_is_the_cross_entropy_of_the_smoothed_target():
    smoothed = [0.9 * (c == 0) + 0.1 / 5 for c in range(5)]
    assert xent.cross_entropy(0, Q, label_smoothing=0.1) == pytest.approx(
        xent.cross_entropy(smoothed, Q), rel=1e-14
    )


def test_class_weights_worked_example():
    # Two rows, classes 0 and 2, weights (1, 2, 3): PyTorch's mean is
    # (1 * -ln 0.7 + 3 * -ln 0.5) / (1 + 3) = (0.356675 + 2.079442) / 4 = 0.6090292
    pred = [[0.7, 0.2, 0.1], [0.25, 0.25, 0.5]]
    got = xent.cross_entropy(np.array([0, 2]), pred, weights=[1, 2, 3])
    assert got == pytest.approx((-math.log(0.7) - 3 * math.log(0.5)) / 4, rel=1e-15)
    total = xent.cross_entropy(np.array([0, 2]), pred, weights=[1, 2, 3], reduction="sum")
    assert total == pytest.approx(-math.log(0.7) - 3 * math.log(0.5), rel=1e-15)


def test_class_weights_with_smoothing_follow_pytorch_not_the_intuition():
    # PyTorch weights the smoothing term class by class but still divides by w[y_n]:
    # l = 0.8 * 3 * -ln 0.5 + (0.2 / 3) * (1 * -ln 0.25 + 2 * -ln 0.25 + 3 * -ln 0.5),
    # mean = l / 3. The weighted CE of the smoothed target would divide by something else.
    pred = [[0.25, 0.25, 0.5]]
    expected = (
        0.8 * 3 * -math.log(0.5)
        + 0.2 / 3 * (-math.log(0.25) - 2 * math.log(0.25) - 3 * math.log(0.5))
    ) / 3
    got = xent.cross_entropy(np.array([2]), pred, weights=[1, 2, 3], label_smoothing=0.2)
    assert got == pytest.approx(expected, rel=1e-15)
    assert got == pytest.approx(
        torch_cross_entropy([np.log(pred[0]).tolist()], [2], [1, 2, 3], label_smoothing=0.2),
        rel=REL,
    )


def test_ignore_index_worked_example():
    pred = [[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.25, 0.25, 0.5]]
    got = xent.cross_entropy(np.array([0, -100, 2]), pred, ignore_index=-100)
    assert got == pytest.approx((-math.log(0.7) - math.log(0.5)) / 2, rel=1e-15)
    per_row = xent.cross_entropy(np.array([0, -100, 2]), pred, ignore_index=-100, reduction="none")
    np.testing.assert_allclose(per_row, [-math.log(0.7), 0.0, -math.log(0.5)], rtol=1e-15)


def test_every_row_ignored_is_an_error_not_nan():
    with pytest.raises(DataError, match=r"every row is ignored \(all 2 labels are the ignore"):
        xent.cross_entropy(np.array([3, 3]), [[0.5, 0.5, 0], [0.5, 0.5, 0]], ignore_index=3)


def test_weights_of_the_targets_summing_to_zero_is_an_error():
    with pytest.raises(DataError, match="sum to 0"):
        xent.cross_entropy(np.array([0]), [[0.5, 0.5]], weights=[0, 1])


def test_ignore_index_with_distributions_is_refused_like_pytorch():
    with pytest.raises(ValueError, match="class-index targets"):
        xent.cross_entropy([[1.0, 0.0]], [[0.5, 0.5]], ignore_index=0)


def test_soft_targets_with_weights_divide_by_rows():
    logits = [[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]]
    target = [[0.2, 0.7, 0.1], [0.0, 0.5, 0.5]]
    got = xent.cross_entropy(target, logits=logits, weights=[2, 1, 0.5], label_smoothing=0.3)
    assert got == pytest.approx(torch_cross_entropy_soft(logits, target, [2, 1, 0.5], 0.3), rel=REL)


def test_sample_weights_worked_example():
    # scikit-learn's log_loss: sum_n s_n * -ln q[n, y_n] / sum_n s_n
    pred = [[0.7, 0.3], [0.4, 0.6]]
    expected = (1 * -math.log(0.7) + 3 * -math.log(0.6)) / 4
    got = xent.cross_entropy(np.array([0, 1]), pred, sample_weight=[1, 3])
    assert got == pytest.approx(expected, rel=1e-15)
    assert got == pytest.approx(log_loss([0, 1], pred, sample_weight=[1, 3]), rel=REL)


def test_base_applies_to_the_weighted_loss():
    nats = xent.cross_entropy(0, Q, label_smoothing=0.1, weights=[1, 2, 1, 1, 1])
    bits = xent.cross_entropy(0, Q, label_smoothing=0.1, weights=[1, 2, 1, 1, 1], base=2)
    assert bits == pytest.approx(nats / math.log(2), rel=1e-15)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"label_smoothing": 1.5}, "label_smoothing must be in"),
        ({"weights": [1, 2]}, "one value per class"),
        ({"weights": [1, -1, 1, 1, 1]}, "non-negative"),
        ({"sample_weight": [1, 2]}, "one value per row"),
    ],
)
def test_bad_options(kwargs, message):
    with pytest.raises(ValueError, match=message):
        xent.cross_entropy(0, Q, **kwargs)


# --------------------------------------------------------------------------- Keras


def test_keras_from_logits_is_log_softmax():
    # keras.losses.categorical_crossentropy(y, z, from_logits=True) = -sum y * log_softmax(z)
    z = [2.0, 1.0, 0.1]
    expected = -scipy_log_softmax(z)[0]
    assert xent.cross_entropy(0, logits=z) == pytest.approx(expected, rel=REL)


def test_keras_clipping_with_renormalize():
    # Keras (from_logits=False): output /= sum(output); clip to [eps, 1 - eps]; -sum y log.
    # With eps = 1e-7 a zero on the true class costs -ln 1e-7 = 16.11809565095832.
    out = np.array([0.5, 0.0, 0.5])
    keras = -math.log(np.clip(out / out.sum(), 1e-7, 1 - 1e-7)[1])
    got = xent.cross_entropy(1, out, clip=1e-7, renormalize=True)
    assert got == pytest.approx(keras, rel=REL)
    assert float(got) == pytest.approx(16.11809565095832, rel=1e-12)
    # Unnormalized outputs (Keras accepts them): 0.2, 0.2, 0.4 -> 0.25, 0.25, 0.5.
    assert xent.cross_entropy(2, [0.2, 0.2, 0.4], clip=1e-7, renormalize=True) == pytest.approx(
        -math.log(0.5), rel=REL
    )


# --------------------------------------------------------------------------- sigmoid


def test_multilabel_worked_example():
    # Two classes, both positive in row 1: mean over the 4 elements of the binary CEs.
    logits = [[2.0, -1.0], [0.0, 3.0]]
    target = [[1, 1], [0, 1]]
    assert xent.multilabel_cross_entropy(target, logits=logits) == pytest.approx(
        torch_bce_with_logits(logits, target), rel=REL
    )
    assert xent.multilabel_cross_entropy(target, logits=logits, weights=[0.5, 2]) == pytest.approx(
        torch_bce_with_logits(logits, target, [0.5, 2]), rel=REL
    )


def test_multilabel_from_probabilities():
    pred = [[0.9, 0.2, 0.6]]
    expected = -(math.log(0.9) + math.log(0.8) + math.log(0.6)) / 3
    assert xent.multilabel_cross_entropy([[1, 0, 1]], pred) == pytest.approx(expected, rel=1e-15)


def test_sigmoid_of_huge_logits_is_finite_and_exact():
    # -log sigmoid(-1e4) = 1e4 + log(1 + e^-1e4) = 1e4 exactly in floating point.
    assert xent.binary_cross_entropy(1, logits=-1e4) == 1e4
    assert xent.multilabel_cross_entropy([[1, 0]], logits=[[-1e4, 1e4]]) == 1e4


# --------------------------------------------------------------------------- divergences


def test_js_of_disjoint_distributions_is_one_bit():
    assert xent.js_divergence([1, 0], [0, 1], base=2) == 1.0
    assert xent.js_divergence([0.5, 0.5], [0.5, 0.5]) == 0.0


def test_js_worked_example():
    # M = (0.3, 0.7); JS = ½ [0.1 ln(0.1/0.3) + 0.9 ln(0.9/0.7)]
    #                    + ½ [0.5 ln(0.5/0.3) + 0.5 ln(0.5/0.7)]
    p, q = [0.1, 0.9], [0.5, 0.5]
    by_hand = 0.5 * (0.1 * math.log(0.1 / 0.3) + 0.9 * math.log(0.9 / 0.7)) + 0.5 * (
        0.5 * math.log(0.5 / 0.3) + 0.5 * math.log(0.5 / 0.7)
    )
    assert xent.js_divergence(p, q) == pytest.approx(by_hand, rel=1e-13)
    # SciPy's jensenshannon is the distance: the square root of the divergence.
    assert jensenshannon(p, q) ** 2 == pytest.approx(by_hand, rel=1e-12)


def test_kl_terms_sum_to_the_engine_kl():
    p, q = [0.1, 0.6, 0.3], [0.2, 0.5, 0.3]
    d = divergence("kl", p, q, base=2)
    assert d.terms.sum() == pytest.approx(float(xent.kl_divergence(p, q, base=2)), rel=1e-14)
    assert d.terms[2] == 0.0


# --------------------------------------------------------------------------- metrics


def test_top_k_worked_example():
    pred = [[0.5, 0.3, 0.2], [0.1, 0.6, 0.3], [0.2, 0.3, 0.5]]
    labels = np.array([1, 1, 0])
    assert xent.top_k_accuracy(labels, pred, k=1) == pytest.approx(1 / 3)
    assert xent.top_k_accuracy(labels, pred, k=2) == pytest.approx(2 / 3)
    assert xent.top_k_accuracy(labels, pred, k=3) == 1.0


def test_top_k_ties_break_like_scikit_learn():
    pred = [[0.4, 0.4, 0.2], [0.4, 0.4, 0.2]]
    labels = np.array([0, 1])
    assert xent.top_k_accuracy(labels, pred, k=1) == top_k_accuracy_score(
        labels, pred, k=1, labels=[0, 1, 2]
    )


def test_brier_worked_example():
    # Row 1: (0.9-1)² + 0.1² = 0.02; row 2: 0.8² + (0.2-1)² = 1.28; mean 0.65.
    pred = [[0.9, 0.1], [0.8, 0.2]]
    assert xent.brier_score(np.array([0, 1]), pred) == pytest.approx(0.65, rel=1e-14)
    # scikit-learn's binary brier_score_loss squares the positive class only: half of it.
    assert brier_score_loss([0, 1], [0.1, 0.2]) == pytest.approx(0.65 / 2, rel=1e-14)


def test_ece_worked_example():
    # Confidences 0.9 (right), 0.8 (wrong), 0.7 (right) fall in three bins of ten:
    # ECE = (|1 - 0.9| + |0 - 0.8| + |1 - 0.7|) / 3 = 0.4
    pred = [[0.9, 0.1], [0.8, 0.2], [0.3, 0.7]]
    assert xent.expected_calibration_error(np.array([0, 1, 1]), pred, bins=10) == pytest.approx(
        0.4, rel=1e-14
    )
    # One bin: |mean accuracy - mean confidence| = |2/3 - 0.8|.
    assert xent.expected_calibration_error(np.array([0, 1, 1]), pred, bins=1) == pytest.approx(
        abs(2 / 3 - 0.8), rel=1e-14
    )


def test_ece_edge_confidence_goes_to_the_lower_bin():
    # 0.3 * 10 is 3.0000000000000004 in floating point; the row still belongs to (0.2, 0.3].
    pred = [[0.3, 0.3, 0.2, 0.2]]
    assert xent.expected_calibration_error(np.array([0]), pred, bins=10) == pytest.approx(0.7)


# --------------------------------------------------------------------------- properties

sizes = st.tuples(st.integers(1, 6), st.integers(2, 6))


@st.composite
def batches(draw, scale=20.0):
    n, k = draw(sizes)
    z = draw(
        st.lists(st.lists(st.floats(-scale, scale), min_size=k, max_size=k), min_size=n, max_size=n)
    )
    y = draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n))
    return np.array(z), np.array(y)


positive_weight = st.floats(0.1, 10.0)


@PROPERTIES
@given(batches(), st.floats(0.0, 1.0), st.data())
def test_matches_pytorch_formula(batch, alpha, data):
    z, y = batch
    k = z.shape[1]
    w = data.draw(st.lists(positive_weight, min_size=k, max_size=k))
    ours = xent.cross_entropy(y, logits=z, weights=w, label_smoothing=alpha)
    assert ours == pytest.approx(
        torch_cross_entropy(z.tolist(), y.tolist(), w, -100, alpha), rel=REL
    )


@PROPERTIES
@given(batches())
def test_smoothing_zero_and_unit_weights_change_nothing(batch):
    z, y = batch
    plain = xent.cross_entropy(y, logits=z)
    k = z.shape[1]
    assert xent.cross_entropy(y, logits=z, label_smoothing=0.0, weights=np.ones(k)) == (
        pytest.approx(plain, rel=1e-14)
    )
    assert xent.cross_entropy(y, logits=z, weights=np.full(k, 2.5)) == pytest.approx(
        plain, rel=1e-14
    )
    assert xent.cross_entropy(y, logits=z, sample_weight=np.full(len(y), 3.0)) == pytest.approx(
        plain, rel=1e-14
    )


@PROPERTIES
@given(batches(), st.data())
def test_ignored_rows_change_nothing(batch, data):
    z, y = batch
    ignored = np.array(data.draw(st.lists(st.booleans(), min_size=len(y), max_size=len(y))))
    if ignored.all():
        ignored[0] = False
    marked = np.where(ignored, -100, y)
    alpha = data.draw(st.floats(0.0, 1.0))
    assert xent.cross_entropy(
        marked, logits=z, ignore_index=-100, label_smoothing=alpha
    ) == pytest.approx(
        xent.cross_entropy(y[~ignored], logits=z[~ignored], label_smoothing=alpha + 0.0),
        rel=1e-13,
    )


@PROPERTIES
@given(batches(), st.data())
def test_sample_weights_agree_with_scikit_learn(batch, data):
    z, y = batch
    q = engine.softmax(z)
    s = data.draw(st.lists(positive_weight, min_size=len(y), max_size=len(y)))
    # Away from scikit-learn's clipping at machine epsilon, so both see the same Q.
    q = np.clip(q, 1e-6, None)
    q /= q.sum(axis=1, keepdims=True)
    k = q.shape[1]
    expected = log_loss(y, q, sample_weight=s, labels=list(range(k)))
    assert xent.cross_entropy(y, q, sample_weight=s) == pytest.approx(expected, rel=REL)


@PROPERTIES
@given(batches(scale=1e4))
def test_finite_for_huge_logits(batch):
    z, y = batch
    assert math.isfinite(xent.cross_entropy(y, logits=z, label_smoothing=0.1, weights=None))
    targets = (z > 0).astype(float)
    assert math.isfinite(xent.multilabel_cross_entropy(targets, logits=z))
    assert math.isfinite(xent.multilabel_cross_entropy(1 - targets, logits=z))


def _soft_labels(data, shape):
    y = data.draw(
        st.lists(st.floats(0, 1), min_size=int(np.prod(shape)), max_size=int(np.prod(shape)))
    )
    return np.array(y).reshape(shape)


@PROPERTIES
@given(batches(scale=10.0), st.data())
def test_sigmoid_from_logits_equals_bce_of_probabilities(batch, data):
    # |z| <= 10 keeps 1 - sigmoid(z) >= 4.5e-5, so the probabilities themselves lose no
    # more than ~1e-11 relative; beyond that the logits are the more exact input.
    z, _ = batch
    y = _soft_labels(data, z.shape)
    p = 1 / (1 + np.exp(-z))
    assert xent.multilabel_cross_entropy(y, logits=z) == pytest.approx(
        xent.multilabel_cross_entropy(y, p), rel=1e-9
    )


@PROPERTIES
@given(batches(scale=1e3), st.data())
def test_sigmoid_matches_pytorch_formula(batch, data):
    z, _ = batch
    y = _soft_labels(data, z.shape)
    assert xent.multilabel_cross_entropy(y, logits=z) == pytest.approx(
        torch_bce_with_logits(z.tolist(), y.tolist()), rel=REL, abs=1e-300
    )


@PROPERTIES
@given(batches(), st.sampled_from([2, math.e, 10]))
def test_js_is_scipy_distance_squared(batch, base):
    z, _ = batch
    p, q = engine.softmax(z), engine.softmax(z[::-1])
    ours = xent.js_divergence(p, q, base=base, reduction="none")
    scipy = jensenshannon(p, q, base=base, axis=1) ** 2
    # SciPy takes the square root of its divergence, which rounding can make a hair below
    # 0 for (nearly) equal rows: NaN there. The divergence itself is then ~0.
    undefined = np.isnan(scipy)
    np.testing.assert_allclose(ours[undefined], 0.0, atol=1e-15)
    np.testing.assert_allclose(ours[~undefined], scipy[~undefined], rtol=1e-7, atol=1e-15)
    assert (ours <= math.log(2) / math.log(base) + 1e-15).all()


@PROPERTIES
@given(batches(), st.integers(1, 6))
def test_top_k_agrees_with_scikit_learn(batch, k):
    z, y = batch
    q = engine.softmax(z)
    n_classes = q.shape[1]
    if n_classes == 2:
        expected = top_k_accuracy_score(y, q[:, 1], k=k, labels=[0, 1])
    else:
        expected = top_k_accuracy_score(y, q, k=k, labels=list(range(n_classes)))
    assert xent.top_k_accuracy(y, q, k=k) == pytest.approx(expected, rel=1e-14)


@PROPERTIES
@given(batches())
def test_brier_agrees_with_scikit_learn(batch):
    z, y = batch
    q = engine.softmax(z)
    n_classes = q.shape[1]
    if n_classes == 2:
        expected = 2 * brier_score_loss(y, q[:, 1], labels=[0, 1])
    else:
        expected = brier_score_loss(y, q, labels=list(range(n_classes)), scale_by_half=False)
    assert xent.brier_score(y, q) == pytest.approx(expected, rel=1e-12)


@PROPERTIES
@given(batches(scale=5.0), st.integers(1, 20))
def test_ece_agrees_with_the_definition(batch, bins):
    z, y = batch
    q = engine.softmax(z)
    assert xent.expected_calibration_error(y, q, bins=bins) == pytest.approx(
        references.ece(y, q, bins), rel=1e-9, abs=1e-15
    )
