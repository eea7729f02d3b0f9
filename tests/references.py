"""The independent references every test checks xent against, written once, by hand from
each framework's documented formula (not from xent's code)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np


def log_softmax_row(z) -> list[float]:
    m = max(z)
    lse = m + math.log(sum(math.exp(v - m) for v in z))
    return [v - lse for v in z]


def torch_cross_entropy(
    log_q, target, weight=None, ignore_index=-100, label_smoothing=0.0, s=None, reduction="mean"
):
    """PyTorch's nn.CrossEntropyLoss(weight, ignore_index, label_smoothing) on
    log-probabilities, row by row; ``s`` counts each row s_n times, as scikit-learn's
    sample_weight does (numerator and denominator).

    From its documentation and ATen's cross_entropy_loss_label_smoothing, for class
    targets y_n:
        l_n  = (1 - a) * w[y_n] * (-log q[n, y_n]) + (a / K) * sum_c w[c] * (-log q[n, c])
        mean = sum_n s_n l_n / sum_n s_n w[y_n]   (rows with y_n = ignore_index left out)
    and for probability targets p_n (a list per row): the target smoothed to
    (1 - a) p + a / K, l_n = -sum_c w[c] t[n, c] log q[n, c], the mean divided by Σ s_n.
    """
    k = len(log_q[0])
    w = [1.0] * k if weight is None else list(weight)
    s = [1.0] * len(log_q) if s is None else list(s)
    a = label_smoothing
    numerator = denominator = 0.0
    for row, y, s_n in zip(log_q, target, s):
        if isinstance(y, (list, tuple, np.ndarray)):
            t = [(1 - a) * p + a / k for p in y]
            loss = sum(-w[c] * t[c] * row[c] for c in range(k) if t[c] > 0)
            numerator += s_n * loss
            denominator += s_n
            continue
        if y == ignore_index:
            continue
        nll = -w[y] * row[y]
        smooth = sum(-w[c] * row[c] for c in range(k)) if a else 0.0
        numerator += s_n * ((1 - a) * nll + a / k * smooth)
        denominator += s_n * w[y]
    return numerator if reduction == "sum" else numerator / denominator


def torch_bce_with_logits(logits, target, weight=None):
    """PyTorch's BCEWithLogitsLoss(weight=w, reduction="mean"): the mean over all N*K
    elements of -w_c [y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))], which PyTorch
    evaluates with the log-sum-exp trick as w_c [max(x, 0) - x y + log(1 + e^-|x|)]."""
    k = len(logits[0])
    w = weight or [1.0] * k
    total = 0.0
    for z, y in zip(logits, target):
        for c in range(k):
            x = z[c]
            total += w[c] * (max(x, 0.0) - x * y[c] + math.log1p(math.exp(-abs(x))))
    return total / (len(logits) * k)


def ece(y, q, bins, s=None):
    """Guo et al. (2017), literally: B_m = rows with confidence in ((m-1)/M, m/M] (exact
    edges; a confidence of 0 in the first bin), each row counted s_n times."""
    q = np.asarray(q, dtype=float)
    s = np.ones(len(y)) if s is None else np.asarray(s, dtype=float)
    confidence = q.max(axis=1)
    right = (q.argmax(axis=1) == np.asarray(y)).astype(float)
    total = 0.0
    for m in range(1, bins + 1):
        lo, hi = Fraction(m - 1, bins), Fraction(m, bins)
        inside = np.array([lo < Fraction(c) <= hi or (m == 1 and c == 0) for c in confidence])
        if not inside.any() or s[inside].sum() == 0:
            continue
        accuracy = np.average(right[inside], weights=s[inside])
        mean_confidence = np.average(confidence[inside], weights=s[inside])
        total += s[inside].sum() / s.sum() * abs(accuracy - mean_confidence)
    return total
