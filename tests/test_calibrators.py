"""Fit on one file, apply to another (issue 24, item 11): vector scaling against
scipy.optimize.minimize on the NLL written out here; --calibration FILE and --temperature T
against the calibrated cross-entropy computed by hand in NumPy, on every input kind."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import log_softmax

from xent.calibrated import VectorSums, centred
from xent.calibrators import Calibration, from_dict, to_dict
from xent.errors import UsageError
from xent.evaluation import Evaluation
from xent.options import ScoreOptions

NAMES = ["a", "b", "c"]


def batch(n=600, seed=0, k=3):
    """Logits z, labels drawn from softmax(z), and predictions that are too sharp and
    biased: softmax(1.7·z + shift)."""
    rng = np.random.default_rng(seed)
    z = 2 * rng.normal(size=(n, k))
    y = np.array([rng.choice(k, p=row) for row in np.exp(log_softmax(z, axis=1))])
    shown = 1.7 * z + np.linspace(0.4, -0.3, k)
    return y, shown, np.exp(log_softmax(shown, axis=1))


def write_csv(path, y, values, names=NAMES, s=None):
    with open(path, "w") as f:
        f.write(",".join(["label", *(["w"] if s is not None else []), *names]) + "\n")
        for i, row in enumerate(values):
            weight = [repr(float(s[i]))] if s is not None else []
            f.write(",".join([names[y[i]], *weight, *map(repr, map(float, row))]) + "\n")


def vector_nll(theta, z, y, s):
    """The mean NLL of softmax(w·z + b), the biases summing to 0 (b_K = −Σ the others)."""
    k = z.shape[1]
    w, b = theta[:k], np.append(theta[k:], -theta[k:].sum())
    return float((s * -log_softmax(w * z + b, axis=1)[np.arange(len(y)), y]).sum() / s.sum())


def scipy_vector(z, y, s=None):
    s = np.ones(len(y)) if s is None else s
    k = z.shape[1]
    start = np.concatenate([np.ones(k), np.zeros(k - 1)])
    best = minimize(
        vector_nll, start, args=(z, y, s), method="BFGS", options={"gtol": 1e-11, "maxiter": 10_000}
    )
    w, b = best.x[:k], np.append(best.x[k:], -best.x[k:].sum())
    return w, b, best.fun


def calibrate(xent_cli, path, *extra):
    result = xent_cli("calibrate", "-i", str(path), *extra, "-f", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("kind", ["probabilities", "logits"])
def test_vector_scaling_is_scipys_minimum(xent_cli, tmp_path, seed, kind):
    y, z, q = batch(seed=seed)
    weights = np.random.default_rng(seed).uniform(0.2, 3.0, len(y)) if seed == 2 else None
    # z is log Q for a file of probabilities, the logits as given for a file of logits.
    scores = np.log(q) if kind == "probabilities" else z
    w, b, loss = scipy_vector(scores, y, weights)
    path = tmp_path / "f.csv"
    write_csv(path, y, q if kind == "probabilities" else z, s=weights)
    extra = ["--from-logits"] if kind == "logits" else []
    extra += ["--sample-weights", "w"] if weights is not None else []
    data = calibrate(xent_cli, path, "--method", "vector", *extra)
    fitted = data["calibration"]["parameters"]
    assert fitted["scales"] == pytest.approx(w, rel=1e-6)
    assert fitted["biases"] == pytest.approx(b, abs=1e-6)
    assert data["loss_after"] == pytest.approx(loss, rel=1e-10)  # the last read, scored
    assert data["calibration"]["holds"] == kind
    assert data["in_sample"] is True and data["temperature"] is None
    assert data["loss_after"] < data["loss_before"]


def test_vector_scaling_of_a_binary_file(xent_cli, tmp_path):
    y, _, q = batch(seed=4, k=2)
    with open(tmp_path / "b.csv", "w") as f:
        f.write("label,p\n")
        for yy, row in zip(y, q):
            f.write(f"{yy},{float(row[1])!r}\n")
    w, b, loss = scipy_vector(np.log(q), y)
    data = calibrate(xent_cli, tmp_path / "b.csv", "--method", "vector")
    assert data["calibration"]["parameters"]["scales"] == pytest.approx(w, rel=1e-6)
    assert data["loss_after"] == pytest.approx(loss, rel=1e-10)


def test_the_newton_sums_merge_and_their_gradient_is_the_nll_s():
    y, z, _ = batch(n=200, seed=5)
    p = np.eye(3)[y]
    w, b = np.array([0.8, 1.2, 0.9]), np.array([0.1, -0.3, 0.2])
    whole = VectorSums(w, b)
    whole.add(z, p)
    halves = [VectorSums(w, b), VectorSums(w, b)]
    halves[0].add(z[:77], p[:77])
    halves[1].add(z[77:], p[77:])
    assert whole.value == pytest.approx(halves[0].value + halves[1].value, rel=1e-12)
    assert np.allclose(whole.hessian, halves[0].hessian + halves[1].hessian, rtol=1e-12)

    def f(theta):
        return -log_softmax(theta[:3] * z + theta[3:], axis=1)[np.arange(200), y].sum()

    theta = np.concatenate([w, b])
    assert whole.value == pytest.approx(f(theta), rel=1e-12)
    h = 1e-6
    numeric = [(f(theta + h * e) - f(theta - h * e)) / (2 * h) for e in np.eye(6)]
    assert whole.gradient == pytest.approx(numeric, rel=1e-5, abs=1e-5)
    grad = [VectorSums(*np.split(theta + h * e, 2)) for e in np.eye(6)]
    for sums in grad:
        sums.add(z, p)
    column = [(sums.gradient - whole.gradient) / h for sums in grad]
    assert np.allclose(np.array(column).T, whole.hessian, rtol=1e-4, atol=1e-3)
    assert centred(np.array([1.0, 2.0, 6.0])) == pytest.approx([-2, -1, 3])


# --------------------------------------------------------------------------- fit A, apply to B


def test_fit_on_a_apply_to_b_is_the_calibrated_loss_of_b(xent_cli, tmp_path):
    ya, _, qa = batch(seed=6)
    yb, _, qb = batch(n=400, seed=7)
    write_csv(tmp_path / "valid.csv", ya, qa)
    write_csv(tmp_path / "test.csv", yb, qb)
    for method in ("temperature", "vector"):
        saved = tmp_path / f"{method}.json"
        fit = calibrate(
            xent_cli, tmp_path / "valid.csv", "--method", method, "--save-calibration", saved
        )
        document = json.loads(saved.read_text())
        assert document["format"] == "xent calibration" and document["method"] == method
        assert document["classes"] == NAMES and document["rows"] == 600
        assert document["fitted_on"].endswith("valid.csv") and document["xent_version"]
        assert document["holds"] == "probabilities"
        parameters = document["parameters"]
        if method == "temperature":
            assert parameters["temperature"] == fit["temperature"]
            scaled = np.log(qb) / parameters["temperature"]
        else:
            scaled = np.array(parameters["scales"]) * np.log(qb) + np.array(parameters["biases"])
        expected = -log_softmax(scaled, axis=1)[np.arange(len(yb)), yb]
        result = xent_cli(
            "compute", "-i", tmp_path / "test.csv", "--calibration", saved, "-f", "json"
        )
        assert result.exit_code == 0, result.stderr
        data = json.loads(result.stdout)
        assert data["cross_entropy"] == pytest.approx(expected.mean(), rel=1e-12)
        # Applied to the file it was fitted on: calibrate's (in-sample) loss after.
        same = xent_cli("compute", "-i", tmp_path / "valid.csv", "--calibration", saved)
        assert float(same.stdout) == pytest.approx(fit["loss_after"], rel=1e-12)


def test_every_input_kind(xent_cli, tmp_path):
    """The same rows as CSV, JSON Lines, Parquet and an .npz of logits: each scored as
    calibrated, against NumPy."""
    pd = pytest.importorskip("pandas")
    y, z, q = batch(n=300, seed=8)
    calibration = Calibration(
        "vector", scales=(0.7, 0.6, 0.65), biases=(0.05, 0.1, -0.15), classes=tuple(NAMES)
    )
    saved = tmp_path / "v.json"
    saved.write_text(json.dumps(to_dict(calibration, "0.3.0")))
    expected = -log_softmax(
        np.array(calibration.scales) * np.log(q) + np.array(calibration.biases), axis=1
    )[np.arange(len(y)), y]
    frame = pd.DataFrame(q, columns=NAMES)
    frame.insert(0, "label", [NAMES[i] for i in y])
    frame.to_csv(tmp_path / "f.csv", index=False)
    with open(tmp_path / "f.jsonl", "w") as f:  # full precision (pandas writes 10 digits)
        for record in frame.to_dict(orient="records"):
            f.write(json.dumps(record) + "\n")
    frame.to_parquet(tmp_path / "f.parquet")
    for name in ("f.csv", "f.jsonl", "f.parquet"):
        data = json.loads(
            xent_cli("compute", "-i", tmp_path / name, "--calibration", saved, "-f", "json").stdout
        )
        assert data["cross_entropy"] == pytest.approx(expected.mean(), rel=1e-12), name
    # An array of logits: vector scaling scales the logits; a temperature either.
    np.savez(tmp_path / "a.npz", logits=z, labels=y)
    by_hand = -log_softmax(z / 1.3, axis=1)[np.arange(len(y)), y]
    result = xent_cli("compute", "-i", tmp_path / "a.npz", "--temperature", "1.3", "-f", "json")
    assert json.loads(result.stdout)["cross_entropy"] == pytest.approx(by_hand.mean(), rel=1e-12)


def test_temperature_by_hand_on_logits_probabilities_and_vectors(xent_cli, tmp_path):
    y, z, q = batch(n=200, seed=9)
    write_csv(tmp_path / "z.csv", y, z)
    write_csv(tmp_path / "q.csv", y, q)
    t = 2.5
    logits = -log_softmax(z / t, axis=1)[np.arange(len(y)), y]  # softmax(logits / T)
    probabilities = -log_softmax(np.log(q) / t, axis=1)[np.arange(len(y)), y]  # softmax(log p / T)
    for name, extra, expected in (
        ("z.csv", ["--from-logits"], logits),
        ("q.csv", [], probabilities),
    ):
        result = xent_cli("compute", "-i", tmp_path / name, *extra, "--temperature", str(t))
        assert float(result.stdout) == pytest.approx(expected.mean(), rel=1e-12)
    # Vectors given as arguments: the article's dog at T = 2.
    pred = np.array([0.4, 0.3, 0.05, 0.05, 0.2])
    by_hand = -log_softmax(np.log(pred) / 2)[0]
    result = xent_cli(
        "compute", "-l", "dog", "-p", "0.4,0.3,0.05,0.05,0.2", "--temperature", "2", "-f", "plain"
    )
    assert float(result.stdout) == pytest.approx(by_hand, rel=1e-12)
    logit_row = xent_cli("compute", "-l", "0", "--logits", "2,1,0", "--temperature", "0.5")
    assert float(logit_row.stdout) == pytest.approx(-log_softmax(np.array([4.0, 2, 0]))[0])


def test_report_takes_a_calibration(xent_cli, tmp_path):
    y, _, q = batch(n=200, seed=10)
    write_csv(tmp_path / "q.csv", y, q)
    plain = xent_cli("report", tmp_path / "q.csv", "-o", tmp_path / "a.html")
    hot = xent_cli("report", tmp_path / "q.csv", "--temperature", "1.6", "-o", tmp_path / "b.html")
    assert plain.exit_code == hot.exit_code == 0
    expected = -log_softmax(np.log(q) / 1.6, axis=1)[np.arange(len(y)), y].mean()
    assert f"{expected:.4f}" in (tmp_path / "b.html").read_text()


# --------------------------------------------------------------------------- refusals


def test_a_calibration_of_other_classes_is_refused_naming_both(xent_cli, tmp_path):
    y, _, q = batch(n=50, seed=11)
    write_csv(tmp_path / "q.csv", y, q)
    write_csv(tmp_path / "other.csv", y, q, names=["a", "b", "d"])
    saved = tmp_path / "t.json"
    calibrate(xent_cli, tmp_path / "q.csv", "--save-calibration", saved)
    result = xent_cli("compute", "-i", tmp_path / "other.csv", "--calibration", saved)
    assert result.exit_code == 2 and result.stdout == ""
    assert "fitted on the classes a, b, c; these predictions have a, b, d" in result.stderr
    assert str(saved) in result.stderr and len(result.stderr.splitlines()) == 1


def test_a_vector_fit_on_probabilities_is_refused_for_logits(xent_cli, tmp_path):
    y, z, q = batch(n=50, seed=12)
    write_csv(tmp_path / "q.csv", y, q)
    write_csv(tmp_path / "z.csv", y, z)
    saved = tmp_path / "v.json"
    calibrate(xent_cli, tmp_path / "q.csv", "--method", "vector", "--save-calibration", saved)
    result = xent_cli("compute", "-i", tmp_path / "z.csv", "--from-logits", "--calibration", saved)
    assert result.exit_code == 2
    assert "scales probabilities; these predictions are logits" in result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["--temperature", "0"], "0.0 is not a temperature"),
        (["--temperature", "nan"], "nan is not a temperature"),
        (["--temperature", "2", "--multi-label"], "calibrating multi-label rows"),
    ],
)
def test_bad_temperatures_are_one_line(xent_cli, tmp_path, args, message):
    (tmp_path / "q.csv").write_text("label,a,b\na,0.9,0.1\n")
    result = xent_cli("compute", "-i", tmp_path / "q.csv", *args)
    assert result.exit_code == 2 and message in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_a_file_that_is_no_calibration(xent_cli, tmp_path):
    (tmp_path / "q.csv").write_text("label,a,b\na,0.9,0.1\n")
    (tmp_path / "x.json").write_text('{"temperature": 2}')
    (tmp_path / "bad.json").write_text("{")
    for name, message, status in (
        ("x.json", "not an xent calibration", 1),
        ("bad.json", "not JSON", 1),
        ("missing.json", "No such file", 2),
    ):
        result = xent_cli("compute", "-i", tmp_path / "q.csv", "--calibration", tmp_path / name)
        assert result.exit_code == status and message in result.stderr, result.stderr
        assert len(result.stderr.splitlines()) == 1


def test_the_rules_name_parameters():
    calibration = Calibration("temperature", temperature=2.0)
    with pytest.raises(UsageError, match="give temperature or calibration, not both"):
        ScoreOptions(temperature=1.5, calibration=calibration)
    with pytest.raises(UsageError, match="measure='compare' with a calibration: two models"):
        Evaluation(ScoreOptions(temperature=1.5), measure="compare")
    with pytest.raises(UsageError, match="measure='entropy' with a calibration"):
        Evaluation(ScoreOptions(calibration=calibration), measure="entropy")
    with pytest.raises(UsageError, match="not a calibration method"):
        Evaluation(calibrator="platt")
    with pytest.raises(UsageError, match="a scale and a bias for each"):
        Calibration("vector", scales=(1.0,), biases=(0.0, 0.0), classes=("a", "b"))
    options = ScoreOptions(calibration=from_dict(to_dict(calibration, "0.3.0")))
    assert pickle.loads(pickle.dumps(options)) == options  # travels to worker processes


def test_the_example_calibration(xent_cli, tmp_path, monkeypatch):
    """examples/animals-calibration.json is what calibrate writes for examples/animals.csv;
    applied to examples/animals-new.csv it is softmax(log Q / T) by hand."""
    import csv
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    monkeypatch.chdir(root)  # fitted_on names the file as given
    saved = tmp_path / "cal.json"
    result = xent_cli("calibrate", "-i", "examples/animals.csv", "--save-calibration", saved)
    assert result.exit_code == 0, result.stderr
    example = json.loads((root / "examples" / "animals-calibration.json").read_text())
    written = json.loads(saved.read_text())
    del example["xent_version"], written["xent_version"]
    assert written == example
    with open(root / "examples" / "animals-new.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    classes = example["classes"]
    q = np.array([[float(r[c]) for c in classes] for r in rows])
    y = np.array([classes.index(r["label"]) for r in rows])
    t = example["parameters"]["temperature"]
    expected = -log_softmax(np.log(q) / t, axis=1)[np.arange(len(y)), y].mean()
    applied = xent_cli(
        "compute", "-i", root / "examples" / "animals-new.csv", "--calibration",
        root / "examples" / "animals-calibration.json",
    )  # fmt: skip
    assert float(applied.stdout) == pytest.approx(expected, rel=1e-12)


def test_separable_rows_say_so(xent_cli):
    from pathlib import Path

    animals = Path(__file__).resolve().parents[1] / "examples" / "animals.csv"
    data = calibrate(xent_cli, animals, "--method", "vector")
    assert data["loss_after"] < 1e-6
    assert any("separate the rows" in note for note in data["notes"])


def test_calibrated_numbers_say_so(xent_cli, tmp_path):
    y, _, q = batch(n=100, seed=13)
    write_csv(tmp_path / "q.csv", y, q)
    saved = tmp_path / "v.json"
    calibrate(xent_cli, tmp_path / "q.csv", "--method", "vector", "--save-calibration", saved)
    data = json.loads(
        xent_cli("compute", "-i", tmp_path / "q.csv", "--calibration", saved, "-f", "json").stdout
    )
    assert any(
        note.startswith(f"calibrated by {saved}: vector scaling") and note.endswith("(100 rows)")
        for note in data["notes"]
    )
    hand = json.loads(
        xent_cli(
            "compute", "-l", "0", "--logits", "2,1,0", "--temperature", "0.5", "-f", "json"
        ).stdout
    )
    assert "calibrated: Q = softmax(z / T), T = 0.5 given by hand" in hand["notes"]
    plain = json.loads(xent_cli("compute", "-i", tmp_path / "q.csv", "-f", "json").stdout)
    assert not any("calibrated" in note for note in plain["notes"])


def test_a_logprobs_file_refuses_a_calibration(xent_cli, tmp_path):
    record = {
        "id": "x",
        "choices": [
            {"index": 0, "logprobs": {"content": [{"token": "a", "logprob": -0.5, "bytes": [97],
                                                   "top_logprobs": []}]}}
        ],
    }  # fmt: skip
    path = tmp_path / "lp.jsonl"
    path.write_text(json.dumps(record) + "\n")
    assert xent_cli("compute", "-i", path).exit_code == 0
    result = xent_cli("compute", "-i", path, "--temperature", "2")
    assert result.exit_code == 2 and "not the distribution over the vocabulary" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_vector_scaling_of_a_vocabulary_is_refused(xent_cli, tmp_path):
    z = np.random.default_rng(0).normal(size=(3, 1001))
    np.savez(tmp_path / "v.npz", logits=z, labels=np.array([0, 5, 9]))
    result = xent_cli("calibrate", "-i", tmp_path / "v.npz", "--method", "vector")
    assert result.exit_code == 2 and "at most 1,000 classes" in result.stderr
    assert "--method temperature" in result.stderr
    fit = xent_cli("calibrate", "-i", tmp_path / "v.npz", "-f", "json")
    assert fit.exit_code == 0, fit.stderr
