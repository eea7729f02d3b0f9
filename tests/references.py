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


def torchmetrics_calibration_error(confidence, accuracy, bins, norm="l1"):
    """torchmetrics' calibration_error (norm l1, max or l2, no debiasing), from its
    documented formula: bins [e_(b-1), e_b) of linspace(0, 1, B + 1) (torch.bucketize with
    right=True), plus one bin of its own for a confidence of exactly 1.0 (torchmetrics
    issue #3510); per bin acc_b and conf_b are means, p_b = n_b / N, and
    l1 = Σ p_b |acc_b − conf_b|, max = max_b |acc_b − conf_b|,
    l2 = sqrt(Σ p_b (acc_b − conf_b)²)."""
    confidence = np.asarray(confidence, dtype=float)
    accuracy = np.asarray(accuracy, dtype=float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.searchsorted(edges, confidence, side="right") - 1  # B for exactly 1.0
    gaps, shares = [], []
    for b in range(bins + 1):
        inside = which == b
        if not inside.any():
            continue
        gaps.append(abs(accuracy[inside].mean() - confidence[inside].mean()))
        shares.append(inside.sum() / confidence.size)
    gaps, shares = np.array(gaps), np.array(shares)
    if norm == "l1":
        return float((gaps * shares).sum())
    if norm == "max":
        return float(gaps.max())
    return float(np.sqrt((gaps**2 * shares).sum()))


def equal_mass_ece(confidence, accuracy, bins):
    """ECE with B equal-count bins: the rows sorted by confidence, split as evenly as
    np.array_split splits them (netcal's and Nixon et al.'s adaptive binning, when B
    divides N)."""
    order = np.argsort(confidence, kind="stable")
    c, a = np.asarray(confidence)[order], np.asarray(accuracy)[order]
    total = 0.0
    for part_c, part_a in zip(np.array_split(c, bins), np.array_split(a, bins)):
        if part_c.size:
            total += part_c.size / c.size * abs(part_a.mean() - part_c.mean())
    return total


def wilson(k, n, z=1.959963984540054):
    """Wilson's score interval (1927): (p + z²/2n ± z·sqrt(p(1−p)/n + z²/4n²)) / (1 + z²/n)."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half
