"""The faster bootstrap (issue 24, item 5) computes the same numbers, bit for bit.

The weights come a generator block at a time and from five comparisons instead of a table
look-up; the sums of every quantity come from one matrix product of wider limbs, the rows
sorted by calibration bin once; merges add int64 parts instead of Python integers. Each
is checked here against what it replaces, written out: the table of :func:`_poisson_table`
with its threshold search, and replicate statistics computed with fractions.Fraction from
the weights and the rows.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from xent import metrics
from xent.accumulators.bootstrap import Bootstrap
from xent.accumulators.poisson import _TABLE, _THRESHOLDS, _uniforms, poisson_weights
from xent.accumulators.replicate_sums import ExactColumns, limb_bits, limbs_of
from xent.options import ScoreOptions
from xent.readers.chunks import PredictionChunk
from xent.scorer import score_chunk


def table_weights(keys, replicates: int, seed: int) -> np.ndarray:
    """The weights as they were made: the 16-bit table, its straddling cells searched."""
    u = _uniforms(np.asarray(keys, dtype=np.int64), replicates, seed)
    weights = _TABLE[u >> 16]
    straddle = weights == 255
    weights[straddle] = np.searchsorted(_THRESHOLDS, u[straddle], side="right")
    return weights.astype(np.float64)


@pytest.mark.parametrize("first, n", [(0, 1), (2, 700), (255, 2), (1000, 5000)])
def test_weights_of_consecutive_keys_are_the_tables(first, n):
    keys = np.arange(first, first + n)
    assert np.array_equal(poisson_weights(keys, 37, 3), table_weights(keys, 37, 3))
    shuffled = np.random.default_rng(0).permutation(keys)  # the general path
    assert np.array_equal(poisson_weights(shuffled, 37, 3), table_weights(shuffled, 37, 3))


def test_weights_beyond_the_compared_thresholds_are_searched():
    w = poisson_weights(np.arange(200_000), 8, 1)
    assert w.max() >= 6  # P(w ≥ 6) = 6e-4: 960 of 1.6M expected
    assert np.array_equal(w, table_weights(np.arange(200_000), 8, 1))


@pytest.mark.parametrize("bits", [26, limb_bits(1310), 7])
def test_limbs_add_up_to_each_value(bits):
    rng = np.random.default_rng(4)
    values = rng.exponential(size=400) * rng.choice([1e-300, 1e-3, 1.0, 1e5, 1e300], 400)
    values *= rng.choice([-1.0, 1.0], 400)
    values[::9] = 0.0
    low, matrix = limbs_of(values, bits=bits)
    assert np.all(matrix == np.trunc(matrix)) and np.all(np.abs(matrix) < 2.0**bits)
    for value, limbs in zip(values, matrix):
        total = sum(Fraction(int(x)) * Fraction(2) ** (low + bits * k) for k, x in enumerate(limbs))
        assert total == Fraction(float(value))


def test_limb_bits_keep_the_sums_exact():
    for rows in (1, 2, 1310, 5242, 131_072, 1 << 21):
        assert rows * 20 * 2.0 ** limb_bits(rows) <= 2.0**53


def rows(n: int, k: int = 4, seed: int = 0, weights: bool = False):
    rng = np.random.default_rng(seed)
    q = rng.dirichlet(np.ones(k), n)
    labels = rng.integers(0, k, n)
    s = rng.uniform(0.1, 3.0, n) if weights else None
    chunk = PredictionChunk(
        classes=[f"c{i}" for i in range(k)],
        values=q,
        lines=np.arange(2, n + 2),
        labels=labels,
        sample_weights=s,
    )
    return score_chunk(chunk, ScoreOptions(), source="t", metrics=True, predicted=True)


@pytest.mark.parametrize("weights", [False, True])
def test_replicate_statistics_are_the_exact_ones(weights):
    """Every replicate's mean loss, accuracy, Brier and ECE against Fractions of the
    weighted sums (a replicate's weight w·s of each row): equal to the last bit."""
    n, replicates, bins = 300, 12, 15
    scored = rows(n, weights=weights)
    boot = Bootstrap(replicates, 5, bins=bins)
    boot.add(scored)
    stats = boot.statistics()
    w = poisson_weights(scored.lines, replicates, 5)
    s = np.ones(n) if scored.sample_weights is None else scored.sample_weights
    q, labels = scored.probabilities, scored.labels
    confidence, correct = q.max(axis=1), (q.argmax(axis=1) == labels)
    brier = metrics.brier_rows(labels, None, q)  # each row's term: the kernel's (tested apart)
    edges = np.arange(bins + 1) / bins
    which = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, bins - 1)
    for r in range(replicates):
        v = [Fraction(float(w[i, r])) * Fraction(float(s[i])) for i in range(n)]
        total = sum(v)
        loss = sum(x * Fraction(float(loss)) for x, loss in zip(v, scored.losses))
        assert stats["mean_cross_entropy"][r] == float(loss / total)
        assert stats["accuracy"][r] == float(sum(x for x, c in zip(v, correct) if c) / total)
        assert stats["brier_score"][r] == float(
            sum(x * Fraction(float(b)) for x, b in zip(v, brier)) / total
        )
        gaps = Fraction(0)
        for b in range(bins):
            inside = [i for i in range(n) if which[i] == b]
            hits = sum(v[i] for i in inside if correct[i])
            # (the bins take s·confidence as a float64 product, as the summary's do)
            conf = sum(
                Fraction(float(w[i, r])) * Fraction(float(s[i] * confidence[i])) for i in inside
            )
            gaps += abs(hits - conf)
        assert stats["ece"][r] == float(gaps / total)


def test_chunks_and_merges_give_one_pass():
    scored = rows(5000, seed=2)
    one = Bootstrap(30, 1)
    one.add(scored)
    parts = []
    for start in range(0, 5000, 97):  # 52 parts, merged in order
        part = Bootstrap(30, 1)
        part.add(
            type(scored)(
                *(x[start : start + 97] if isinstance(x, np.ndarray) else x for x in scored)
            )
        )
        parts.append(part)
    merged = parts[0]
    for part in parts[1:]:
        merged.merge(part)
    for name, values in one.statistics().items():
        assert np.array_equal(values, merged.statistics()[name]), name


def test_merging_parts_in_int64_folds_before_it_could_overflow():
    """Parts of up to 2^53 - 1 each: more than FOLD_EVERY of them, merged, give the exact
    sum (the int64 parts are folded into Python integers before they could wrap)."""
    big = np.full((3, 1), 2**53 - 1, dtype=np.int64)
    total = ExactColumns(3)
    for _ in range(3 * ExactColumns.FOLD_EVERY + 5):
        other = ExactColumns(3)
        other.add([2048], big)
        total.merge(other)
    count = 3 * ExactColumns.FOLD_EVERY + 5
    expected = count * (2**53 - 1) * (1 << (0 + 1074 + 53))
    assert all(int(x) == expected for x in total.fold()[:, 0])


def test_interval_cost_benchmark_reports_a_ratio(tmp_path):
    """benchmarks/ci_cost.py runs and prints its table (tiny file: the figure is not
    checked here; docs/performance.md has the measured one)."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "benchmarks" / "ci_cost.py"
    result = subprocess.run(
        [sys.executable, str(script), "--rows", "300", "--repeat", "1", "--data", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("| plain")]
    assert lines and math.isfinite(float(lines[0].split("|")[4].strip().rstrip("x")))
