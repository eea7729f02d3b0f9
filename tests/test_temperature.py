"""Temperature scaling: T against scipy.optimize.minimize_scalar on the NLL written out
directly, to 1e-6; the sums merge; the recalibrated file scores the loss after."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax

from xent.calibration import TemperatureSums


def batch(n=800, k=4, seed=0, power=0.6):
    rng = np.random.default_rng(seed)
    z = 2 * rng.normal(size=(n, k))
    q = np.exp(log_softmax(z, axis=1))
    p = q**power
    p /= p.sum(axis=1, keepdims=True)
    y = np.array([rng.choice(k, p=row) for row in p])
    return y, z, q


def direct_temperature(z, y, s=None):
    """argmin_T Σ s·(−log softmax(z/T)[y]) / Σ s by SciPy (bounded Brent, tight)."""
    s = np.ones(len(y)) if s is None else s

    def nll(t):
        return float((s * -log_softmax(z / t, axis=1)[np.arange(len(y)), y]).sum() / s.sum())

    best = minimize_scalar(nll, bounds=(0.01, 100), method="bounded", options={"xatol": 1e-12})
    return best.x, nll(best.x)


def write(path, y, values, names, s=None):
    with open(path, "w") as f:
        f.write(",".join(["label", *(["w"] if s is not None else []), *names]) + "\n")
        for i, row in enumerate(values):
            weight = [repr(float(s[i]))] if s is not None else []
            f.write(",".join([names[y[i]], *weight, *map(repr, map(float, row))]) + "\n")


@pytest.mark.parametrize("seed, power", [(0, 0.6), (1, 1.5), (2, 1.0), (3, 0.3)])
def test_the_temperature_of_probabilities_and_logits_is_scipys(xent_cli, tmp_path, seed, power):
    y, z, q = batch(seed=seed, power=power)
    expected, loss = direct_temperature(z, y)
    names = ["a", "b", "c", "d"]
    write(tmp_path / "q.csv", y, q, names)
    write(tmp_path / "z.csv", y, z, names)
    for name, extra in (("q.csv", []), ("z.csv", ["--from-logits"])):
        result = xent_cli("calibrate", "-i", str(tmp_path / name), *extra, "-f", "json")
        data = json.loads(result.stdout)
        assert data["temperature"] == pytest.approx(expected, rel=1e-6)
        assert data["loss_after"] == pytest.approx(loss, rel=1e-9)
        assert data["calibration_loss"] == pytest.approx(data["loss_before"] - loss, abs=1e-9)


def test_sample_weights_and_a_binary_file(xent_cli, tmp_path):
    y, z, q = batch(seed=5, k=2)
    s = np.random.default_rng(5).uniform(0.1, 3, size=len(y))
    expected, _ = direct_temperature(z, y, s)
    write(tmp_path / "w.csv", y, q, ["a", "b"], s)
    data = json.loads(
        xent_cli(
            "calibrate", "-i", str(tmp_path / "w.csv"), "--sample-weights", "w", "-f", "json"
        ).stdout
    )
    assert data["temperature"] == pytest.approx(expected, rel=1e-6)
    # One column, P(class 1): the same rows as a binary file.
    with open(tmp_path / "b.csv", "w") as f:
        f.write("label,p\n")
        for yy, row in zip(y, q):
            f.write(f"{yy},{float(row[1])!r}\n")
    expected, _ = direct_temperature(z, y)
    data = json.loads(xent_cli("calibrate", "-i", str(tmp_path / "b.csv"), "-f", "json").stdout)
    assert data["temperature"] == pytest.approx(expected, rel=1e-6)


def test_the_output_scores_the_loss_after_and_stdin_works(xent_cli, tmp_path):
    y, z, q = batch(seed=7)
    names = ["a", "b", "c", "d"]
    write(tmp_path / "q.csv", y, q, names)
    out = tmp_path / "cal.csv"
    fit = json.loads(
        xent_cli("calibrate", "-i", str(tmp_path / "q.csv"), "-o", str(out), "-f", "json").stdout
    )
    again = json.loads(xent_cli("compute", "-i", str(out), "-f", "json").stdout)
    assert again["cross_entropy"] == pytest.approx(fit["loss_after"], rel=1e-12)
    assert again["ece"] == pytest.approx(fit["ece_after"], rel=1e-9)
    assert fit["ece_after"] < fit["ece_before"]
    # The recalibrated file is calibrated: its own temperature is 1.
    refit = json.loads(xent_cli("calibrate", "-i", str(out), "-f", "json").stdout)
    assert refit["temperature"] == pytest.approx(1.0, rel=1e-6)
    piped = xent_cli("calibrate", "-f", "plain", input=(tmp_path / "q.csv").read_text())
    assert float(piped.stdout) == pytest.approx(fit["temperature"], rel=1e-15)


def test_rows_ranked_all_right_say_that_t_is_the_edge(xent_cli, tmp_path):
    (tmp_path / "s.csv").write_text("label,a,b\na,0.9,0.1\nb,0.2,0.8\n")
    result = xent_cli("calibrate", "-i", str(tmp_path / "s.csv"), "-f", "json")
    data = json.loads(result.stdout)
    assert data["temperature"] == pytest.approx(0.01)
    assert "rank every row right" in data["notes"][0]


@pytest.mark.parametrize("seed", range(3))
def test_the_sums_merge_from_random_splits(seed):
    y, z, _ = batch(n=300, seed=seed)
    t = z[np.arange(300), y]
    betas = [0.3, 0.7, 1.0, 2.5]
    whole = TemperatureSums(betas)
    whole.add(z, t)
    cuts = [
        0,
        *sorted(np.random.default_rng(seed).choice(np.arange(1, 300), 3, replace=False)),
        300,
    ]
    merged = TemperatureSums(betas)
    for a, b in zip(cuts, cuts[1:]):
        part = TemperatureSums(betas)
        part.add(z[a:b], t[a:b])
        merged.merge(part)
    for name in ("value", "slope", "curvature"):
        np.testing.assert_allclose(getattr(merged, name), getattr(whole, name), rtol=1e-12)
    # f is the summed NLL, f' its derivative in β (a central difference checks it).
    for i, beta in enumerate(betas):
        nll = -log_softmax(beta * z, axis=1)[np.arange(300), y].sum()
        assert whole.value[i] == pytest.approx(nll, rel=1e-12)
        step = 1e-6
        up = -log_softmax((beta + step) * z, axis=1)[np.arange(300), y].sum()
        down = -log_softmax((beta - step) * z, axis=1)[np.arange(300), y].sum()
        assert whole.slope[i] == pytest.approx((up - down) / (2 * step), rel=1e-6)
