"""Gates for scripts (--fail-above) and the streaming Poisson bootstrap (--ci).

References: the exact sums against fractions.Fraction; the intervals' coverage by
simulation against a known true mean; the normal-approximation interval on a large file.
"""

import json
import math
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from xent.accumulators.bootstrap import OFFSET, Bootstrap, exact_parts, parts_value, poisson_weights
from xent.errors import ExitStatus
from xent.options import ScoreOptions
from xent.pipeline import score_chunks
from xent.readers.chunks import PredictionChunk
from xent.scorer import score_chunk

ROOT = Path(__file__).resolve().parents[1]
ANIMALS = ROOT / "examples" / "animals.csv"
ARTICLE = ["compute", "--labels", "dog", "--pred", "0.4,0.3,0.05,0.05,0.2"]


# --------------------------------------------------------------------------- gates


def test_gate_status_is_documented():
    assert ExitStatus.GATE_FAILED == 3
    readme = (ROOT / "README.md").read_text()
    assert "| 3 | a gate failed" in readme


def test_fail_above_on_a_vector(xent_cli):
    passed = xent_cli(*ARTICLE, "--fail-above", "0.95", "-f", "plain")
    assert passed.exit_code == 0 and passed.stdout == "0.916290731874155\n"
    failed = xent_cli(*ARTICLE, "--fail-above", "0.9", "-f", "plain")
    assert failed.exit_code == 3
    assert failed.stdout == "0.916290731874155\n"  # the full output first
    assert "gate failed" in failed.stderr and "above 0.9" in failed.stderr


def test_fail_above_on_a_file_prints_everything_first(xent_cli):
    result = xent_cli("compute", "-i", ANIMALS, "--fail-above", "0.5", "-f", "json")
    assert result.exit_code == 3
    data = json.loads(result.stdout)
    assert data["cross_entropy"] > 0.5 and data["per_class"]
    assert xent_cli("compute", "-i", ANIMALS, "--fail-above", "0.51").exit_code == 0


def test_fail_above_keeps_the_output_file(xent_cli, tmp_path):
    out = tmp_path / "loss.txt"
    result = xent_cli(*ARTICLE, "--fail-above", "0.1", "-o", out)
    assert result.exit_code == 3
    assert out.read_text() == "0.916290731874155\n"


def test_fail_above_in_bits_and_sum(xent_cli):
    # The gate compares the reduced loss as printed: bits with --base 2, the sum with -r sum.
    assert xent_cli(*ARTICLE, "--base", "2", "--fail-above", "1.3").exit_code == 3
    assert xent_cli(*ARTICLE, "--base", "2", "--fail-above", "1.33").exit_code == 0
    two = ["compute", "-l", "dog", "-p", "0.4,0.3,0.05,0.05,0.2", "-p", "0.4,0.3,0.05,0.05,0.2"]
    assert xent_cli(*two, "-r", "sum", "--fail-above", "1.5").exit_code == 3


def test_help_names_the_gate_status(xent_cli):
    result = xent_cli("--help")
    assert "3 a gate failed" in " ".join(result.stdout.split())


def test_the_ci_gate_example_runs(tmp_path):
    script = Path(sys.executable).with_name("xent")
    if not script.exists():
        pytest.skip("xent is not installed beside this Python")
    env = dict(os.environ, XENT=str(script), PYTHONPATH=str(ROOT / "src"))
    env.pop("XENT_CLASSES", None)
    run = [
        "sh",
        str(ROOT / "examples" / "ci-gate.sh"),
        str(ANIMALS),
    ]
    ok = subprocess.run(
        [*run, "0.6"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert ok.returncode == 0, ok.stderr
    assert "gate passed" in ok.stdout
    bad = subprocess.run(
        [*run, "0.4"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert bad.returncode == 3
    assert "gate failed" in bad.stdout and '"cross_entropy"' in bad.stdout
    assert "interval gate passed" in ok.stdout  # [0.2511..., 0.7625...] is below 0.8
    # The mean ± t·se of the 12 rows' losses (tests/test_gates.py checks it against SciPy).
    assert "0.5067740669573996 [0.25105510077120163, 0.7624930331435975]" in ok.stdout
    wide = subprocess.run(
        [*run, "0.6", "0.7"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert wide.returncode == 3 and "gate passed" in wide.stdout  # the estimate's gate
    assert "interval gate failed: the interval reaches above 0.7" in wide.stdout
    assert "the upper bound of the mean cross-entropy's interval 0.7624930331435975" in wide.stderr


# --------------------------------------------------------------------------- bootstrap


def test_weights_are_poisson_and_depend_on_the_key_alone():
    w = poisson_weights(np.arange(20_000), 50, 7)
    assert abs(w.mean() - 1) < 0.01 and abs(w.var() - 1) < 0.02
    share = np.bincount(w.astype(int).ravel(), minlength=4)[:4] / w.size
    expected = [math.exp(-1) / math.factorial(k) for k in range(4)]
    assert np.allclose(share, expected, atol=0.005)
    picked = np.array([19_999, 3, 700, 701, 12_345])
    assert (poisson_weights(picked, 50, 7) == w[picked]).all()
    assert not (poisson_weights(picked, 50, 8) == w[picked]).all()


def test_exact_sums_are_exact():
    rng = np.random.default_rng(3)
    values = rng.exponential(size=300) * rng.choice([1e-200, 1e-3, 1.0, 1e5], 300)
    values[::7] = 0.0
    groups = rng.integers(0, 3, 300)
    weights = poisson_weights(np.arange(300), 3, 0)
    codes, sums = exact_parts(weights, values, groups, 3)
    for group in range(3):
        total = sum(
            parts_value(code, sums[:, j]) for j, code in enumerate(codes) if code // 4096 == group
        )
        for r in range(3):
            exact = sum(
                Fraction(float(weights[n, r])) * Fraction(float(values[n]))
                for n in range(300)
                if groups[n] == group
            )
            assert Fraction(int(total[r]), 2**OFFSET) == exact


def _chunk(labels, q, first_line=1):
    n = len(labels)
    return PredictionChunk(
        ["a", "b", "c"],
        np.asarray(q, dtype=np.float64),
        np.arange(first_line, first_line + n, dtype=np.int64),
        labels=np.asarray(labels, dtype=np.intp),
    )


def _dataset(rng, n):
    """Rows (q, y): q one of four fixed predictions, y ~ P independently."""
    p = np.array([0.5, 0.3, 0.2])
    models = np.array([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.3, 0.3, 0.4], [0.8, 0.1, 0.1]])
    truth = float(np.mean([(p * -np.log(m)).sum() for m in models]))
    return rng.choice(3, size=n, p=p), models[rng.integers(0, 4, size=n)], truth


def test_halves_merged_give_one_pass_exactly():
    rng = np.random.default_rng(5)
    labels, q, _ = _dataset(rng, 1000)
    options = ScoreOptions(ci=0.9, replicates=64, seed=11)
    whole = score_chunks([_chunk(labels, q)], options, source="x").totals
    first = score_chunks([_chunk(labels[:333], q[:333])], options, source="x").totals
    second = score_chunks([_chunk(labels[333:], q[333:], 334)], options, source="x").totals
    merged = first.merge(second)
    assert merged.bootstrap.sums.keys() == whole.bootstrap.sums.keys()
    for name, sums in whole.bootstrap.sums.items():
        assert (merged.bootstrap.sums[name] == sums).all(), name
    assert merged.bootstrap.intervals(0.9) == whole.bootstrap.intervals(0.9)


def test_same_intervals_for_every_chunk_size(xent_cli, monkeypatch, tmp_path, reader):
    rng = np.random.default_rng(9)
    labels, q, _ = _dataset(rng, 3000)
    path = tmp_path / "preds.csv"
    lines = ["label,a,b,c"] + [
        f"{'abc'[y]},{r[0]!r},{r[1]!r},{r[2]!r}" for y, r in zip(labels, q.tolist())
    ]
    path.write_text("\n".join(lines) + "\n")
    args = ["compute", "-i", path, "--ci", "0.95", "--bootstrap", "50", "--seed", "3"]
    outputs = []
    for size in (1 << 20, 4096, 777):
        monkeypatch.setattr("xent.readers.csv_rows.CHUNK_BYTES", size)
        result = xent_cli(*args, "-f", "json")
        assert result.exit_code == 0, result.stderr
        outputs.append(json.loads(result.stdout)["ci"])
    assert outputs[0] == outputs[1] == outputs[2]
    assert outputs[0]["replicates"] == 50 and outputs[0]["seed"] == 3
    assert set(outputs[0]) >= {"mean_cross_entropy", "perplexity", "accuracy", "ece"}
    other = json.loads(xent_cli(*args[:-1], "4", "-f", "json").stdout)["ci"]
    assert other["mean_cross_entropy"] != outputs[0]["mean_cross_entropy"]


def test_coverage_of_the_true_mean_loss():
    """200 datasets of 300 rows from a known distribution: the 95% interval covers the
    true mean loss at about the nominal rate."""
    rng = np.random.default_rng(2024)
    covered = 0
    trials = 200
    for trial in range(trials):
        labels, q, truth = _dataset(rng, 300)
        options = ScoreOptions(ci=0.95, replicates=200, seed=trial)
        totals = score_chunks([_chunk(labels, q)], options, source="x").totals
        lo, hi = totals.bootstrap.intervals(0.95)["mean_cross_entropy"]
        covered += lo <= truth <= hi
    assert 0.90 <= covered / trials <= 0.99


def test_close_to_the_normal_interval_on_a_large_file():
    rng = np.random.default_rng(8)
    n = 40_000
    labels, q, _ = _dataset(rng, n)
    options = ScoreOptions(ci=0.95, replicates=400, seed=1)
    chunks = [_chunk(labels[i : i + 5000], q[i : i + 5000], i + 1) for i in range(0, n, 5000)]
    totals = score_chunks(chunks, options, source="x").totals
    lo, hi = totals.bootstrap.intervals(0.95)["mean_cross_entropy"]
    losses = -np.log(q[np.arange(n), labels])
    half = 1.959963984540054 * losses.std() / math.sqrt(n)
    mean = losses.mean()
    assert abs(lo - (mean - half)) < 0.1 * half
    assert abs(hi - (mean + half)) < 0.1 * half


def test_perplexity_interval_is_exp_of_the_loss_interval():
    rng = np.random.default_rng(1)
    labels, q, _ = _dataset(rng, 500)
    options = ScoreOptions(ci=0.8, replicates=100, base=2.0)
    totals = score_chunks([_chunk(labels, q)], options, source="x").totals
    bounds = totals.bootstrap.intervals(0.8, 2.0)
    lo, hi = bounds["mean_cross_entropy"]
    assert bounds["perplexity"] == (2.0**lo, 2.0**hi)


def test_weighted_replicates_match_a_direct_computation():
    """Every replicate's statistic against numpy with the same Poisson weights."""
    rng = np.random.default_rng(4)
    labels, q, _ = _dataset(rng, 400)
    s = rng.uniform(0.5, 2.0, 400)
    chunk = _chunk(labels, q)
    chunk.sample_weights = s
    boot = Bootstrap(30, 5, top_k=2, bins=4)
    boot.add(score_chunk(chunk, ScoreOptions(top_k=2, bins=4), source="x", metrics=True))
    stats = boot.statistics()
    w = poisson_weights(np.arange(1, 401), 30, 5) * s[:, None]
    losses = -np.log(q[np.arange(400), labels])
    assert np.allclose(stats["mean_cross_entropy"], (w * losses[:, None]).sum(0) / w.sum(0))
    hits = (q.argmax(1) == labels).astype(float)
    assert np.allclose(stats["accuracy"], (w * hits[:, None]).sum(0) / w.sum(0))
    onehot = np.eye(3)[labels]
    brier = ((q - onehot) ** 2).sum(1)
    assert np.allclose(stats["brier_score"], (w * brier[:, None]).sum(0) / w.sum(0))
    from sklearn.metrics import top_k_accuracy_score

    for r in range(3):
        expected = top_k_accuracy_score(labels, q, k=2, sample_weight=w[:, r], labels=[0, 1, 2])
        assert stats["top_k_accuracy"][r] == pytest.approx(expected, rel=1e-12)
        conf = q.max(1)
        which = np.clip(np.ceil(conf * 4).astype(int) - 1, 0, 3)
        ece = (
            sum(
                abs((w[which == b, r] * (hits[which == b] - conf[which == b])).sum())
                for b in range(4)
            )
            / w[:, r].sum()
        )
        assert stats["ece"][r] == pytest.approx(ece, rel=1e-9)


def test_ci_in_table_and_csv(xent_cli):
    table = xent_cli("compute", "-i", ANIMALS, "--ci", "0.9", "-f", "table")
    text = " ".join(table.stdout.split())
    assert "90% intervals, Student's t for the means, Wilson's for the accuracies" in text
    assert "--bootstrap 200 gives every statistic's" in text  # the calibration errors': none
    table = xent_cli("compute", "-i", ANIMALS, "--ci", "0.9", "--bootstrap", "200", "-f", "table")
    text = " ".join(table.stdout.split())
    assert "90% intervals, poisson bootstrap (200 replicates, seed 0)" in text
    csv_out = xent_cli("compute", "-i", ANIMALS, "--ci", "0.9", "-f", "csv").stdout.splitlines()
    header = csv_out[0].split(",")
    at = header.index("ci_level")
    assert header[at + 1] == "mean_cross_entropy_lo" and header[-2:] == [
        "brier_score_lo",
        "brier_score_hi",
    ]
    last = dict(zip(header, csv_out[-1].split(",")))
    assert last["ci_level"] == "0.9"
    assert float(last["mean_cross_entropy_lo"]) < 0.5068 < float(last["mean_cross_entropy_hi"])


def test_bad_ci_options(xent_cli):
    for args, where in (
        (["--ci", "1.5"], "--ci"),
        (["--ci", "0.9", "--bootstrap", "1"], "--bootstrap"),
        (["--ci", "0.9", "--seed", "-1"], "--seed"),
    ):
        result = xent_cli("compute", "-i", ANIMALS, *args)
        assert result.exit_code == 2 and where in result.stderr, result.stderr


def test_skill_against_the_base_rate(xent_cli):
    data = json.loads(xent_cli("compute", "-i", ANIMALS, "-f", "json").stdout)
    counts = np.array([c["rows"] for c in data["per_class"]], dtype=float)
    p = counts / counts.sum()
    base = float(-(p * np.log(p)).sum())
    skill = data["skill"]
    assert skill["base_rate_entropy"] == pytest.approx(base, rel=1e-12)
    assert skill["pseudo_r2"] == pytest.approx(1 - data["mean"] / base, rel=1e-12)
    assert skill["information_gain_bits"] == pytest.approx(
        (base - data["mean"]) / math.log(2), rel=1e-12
    )


def test_ci_with_one_loss_per_row_is_refused(xent_cli):
    """A file's ``-r none`` writes each row's loss and no summary: an interval would be
    computed and never shown (rows given as arguments show the summary beside them)."""
    result = xent_cli("compute", "-i", ANIMALS, "-r", "none", "--ci", "0.95")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == (
        "xent: --ci: the intervals are the summary's: leave out --reduction none\n"
    )
