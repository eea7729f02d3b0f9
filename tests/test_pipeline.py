"""One pipeline: arguments and files meet the same scorer and the same mergeable totals."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from sklearn.metrics import log_loss

import references
import xent
from xent.options import ScoreOptions
from xent.readers.chunks import PredictionChunk
from xent.scorer import score_chunk
from xent.totals import Totals

RNG = np.random.default_rng(7)


def random_chunk(n=400, k=6, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, k)) * 2
    q = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    labels = rng.integers(0, k, n)
    s = rng.uniform(0, 3, n)
    return PredictionChunk(
        classes=[f"c{i}" for i in range(k)],
        values=q,
        lines=np.arange(2, n + 2),
        labels=labels,
        sample_weights=s,
    )


def totals_of(chunks, options):
    totals = Totals(chunks[0].classes, worst=options.worst, top_k=options.top_k, bins=options.bins)
    for chunk in chunks:
        totals.add(score_chunk(chunk, options, source="t", metrics=True))
    return totals


def split(chunk, cuts):
    from xent.scorer import rows_of

    edges = [0, *cuts, len(chunk)]
    return [rows_of(chunk, slice(a, b)) for a, b in zip(edges, edges[1:])]


@pytest.mark.parametrize("seed", range(5))
def test_merging_random_splits_gives_what_one_pass_gives(seed):
    chunk = random_chunk(seed=seed)
    options = ScoreOptions(weights=(1, 2, 0.5, 1, 3, 1), label_smoothing=0.1, worst=7, top_k=2)
    whole = totals_of([chunk], options)
    cuts = sorted(np.random.default_rng(seed).choice(np.arange(1, len(chunk)), 4, replace=False))
    parts = [totals_of([piece], options) for piece in split(chunk, cuts)]
    merged = parts[0]
    for part in parts[1:]:
        merged.merge(part)
    # Counts, histograms, min, max and the worst rows exactly; sums to rounding.
    assert merged.rows == whole.rows
    assert np.array_equal(merged.class_rows, whole.class_rows)
    assert (merged.min, merged.max) == (whole.min, whole.max)
    assert merged.worst_rows() == whole.worst_rows()
    assert merged.mean() == pytest.approx(whole.mean(), rel=1e-15)
    assert merged.std == pytest.approx(whole.std, rel=1e-12)
    np.testing.assert_allclose(merged.calibration, whole.calibration, rtol=1e-13)
    assert merged.ece() == pytest.approx(whole.ece(), rel=1e-12)
    # ...and the PyTorch reference (weights, smoothing, sample weights) agrees.
    expected = references.torch_cross_entropy(
        np.log(chunk.values), chunk.labels, options.weights, -100, 0.1, chunk.sample_weights
    )
    assert merged.mean() == pytest.approx(expected, rel=1e-12)


def test_an_empty_part_and_an_all_ignored_part_merge_as_nothing():
    chunk = random_chunk(n=50)
    options = ScoreOptions(ignore_index=0)
    whole = totals_of([chunk], options)
    ignored = random_chunk(n=5, seed=3)
    ignored.labels[:] = 0
    merged = totals_of([chunk], options).merge(totals_of([ignored], options))
    assert merged.rows == whole.rows and merged.mean() == whole.mean()
    assert merged.ignored == whole.ignored + 5


def test_merging_in_and_out_of_order_keeps_the_calibration_histograms():
    """Totals without metrics (--format plain) hold no histograms at all; merged into or
    from totals with them, the histograms are those of one pass."""
    chunk = random_chunk(seed=2)
    options = ScoreOptions()
    whole = totals_of([chunk], options)
    first, second = split(chunk, [len(chunk) // 2])
    merged = Totals(chunk.classes).merge(totals_of([first], options))
    merged.merge(Totals(chunk.classes)).merge(totals_of([second], options))
    assert Totals(chunk.classes).has_metrics is False
    for name in ("fine_calibration", "calibration", "calibration_counts"):  # weighted sums
        np.testing.assert_allclose(getattr(merged, name), getattr(whole, name), rtol=1e-13)
    assert merged.adaptive_ece() == pytest.approx(whole.adaptive_ece(), rel=1e-12)
    assert merged.has_metrics


ARTICLE = ["--labels", "dog", "--pred", "0.4,0.3,0.05,0.05,0.2"]
ROWS = [
    ("dog", [0.4, 0.3, 0.05, 0.05, 0.2]),
    ("fox", [0.1, 0.6, 0.1, 0.1, 0.1]),
    ("horse", [0.2, 0.2, 0.2, 0.2, 0.2]),
]
OPTION_SETS = [
    [],
    ["--label-smoothing", "0.2"],
    ["--weights", "1,2,3,0.5,1"],
    ["--weights", "1,2,3,0.5,1", "--label-smoothing", "0.1"],
    ["--clip", "0.1"],
    ["--ignore-label", "fox"],
    ["--ignore-index", "2"],
    ["--top-k", "2", "--bins", "4"],
]


@pytest.mark.parametrize("extra", OPTION_SETS)
def test_vectors_and_a_file_give_the_same_numbers_for_every_option(xent_cli, tmp_path, extra):
    path = tmp_path / "p.csv"
    path.write_text(
        "label,dog,fox,horse,eagle,squirrel\n"
        + "".join(f"{y},{','.join(map(str, q))}\n" for y, q in ROWS)
    )
    args = []
    for y, q in ROWS:
        args += ["--labels", y, "--pred", ",".join(map(str, q))]
    vectors = json.loads(xent_cli("compute", *args, *extra, "-f", "json").stdout)
    file = json.loads(xent_cli("compute", "-i", str(path), *extra, "-f", "json").stdout)
    assert vectors["cross_entropy"] == file["mean"]
    for key in ("top_k_accuracy", "brier_score", "ece"):
        assert vectors[key] == pytest.approx(file[key], rel=1e-15)


def test_sample_weights_on_vectors_are_one_per_pred(xent_cli):
    args = ["-l", "dog", "-p", "0.4,0.3,0.05,0.05,0.2", "-l", "fox", "-p", "0.1,0.6,0.1,0.1,0.1"]
    result = xent_cli("compute", *args, "--sample-weights", "1,3", "-f", "plain")
    expected = log_loss(
        [0, 1],
        [[0.4, 0.3, 0.05, 0.05, 0.2], [0.1, 0.6, 0.1, 0.1, 0.1]],
        sample_weight=[1, 3],
        labels=range(5),
    )
    assert float(result.stdout) == pytest.approx(expected, rel=1e-15)


def test_binary_vectors_are_sklearn_log_loss(xent_cli):
    result = xent_cli("compute", "-l", "1", "-p", "0.8", "-l", "0", "-p", "0.3", "-f", "plain")
    assert float(result.stdout) == pytest.approx(log_loss([1, 0], [0.8, 0.3]), rel=1e-15)


def test_a_binary_label_that_is_not_0_or_1_says_so(xent_cli):
    result = xent_cli("compute", "-l", "2", "--pred", "0.2")
    assert result.exit_code == 1
    assert (
        result.stderr
        == "xent: --labels: binary label '2' is not 0 or 1 (or a soft label in [0, 1])\n"
    )


def test_a_binary_prediction_outside_0_1_names_the_value_typed(xent_cli):
    result = xent_cli("compute", "-l", "1", "--pred", "1.5")
    assert result.exit_code == 1
    assert (
        result.stderr == "xent: --pred: binary prediction 1.5 is outside [0, 1]: give P(class 1)\n"
    )


def test_multi_label_vectors_are_bce_with_logits(xent_cli):
    logits = [[1.5, -0.5, 3.0], [-2.0, 0.25, 0.0]]
    y = [[1, 0, 1], [0, 0, 1]]
    args = []
    for row, labels in zip(logits, ["a,c", "c"]):
        args += ["-l", labels, "--logits", ",".join(map(str, row))]
    result = xent_cli("compute", *args, "--multi-label", "-c", "a,b,c", "-f", "plain")
    assert result.exit_code == 0, result.stderr
    assert float(result.stdout) == pytest.approx(
        references.torch_bce_with_logits(logits, y), rel=1e-14
    )


def test_the_confident_logit_loss_is_exact(xent_cli):
    result = xent_cli("compute", "--labels", "0", "--logits", "30,0,0,0", "-f", "plain")
    assert float(result.stdout) == pytest.approx(math.log1p(3 * math.exp(-30)), rel=1e-15)


def test_the_python_api_of_rows_and_files(tmp_path):
    report = xent.score_rows(["dog"], [[0.4, 0.3, 0.05, 0.05, 0.2]])
    assert report.cross_entropy == pytest.approx(-math.log(0.4), rel=1e-15)
    path = tmp_path / "p.csv"
    path.write_text("label,a,b\na,0.7,0.3\nb,0.4,0.6\n")
    summary = xent.score_file(str(path), xent.ScoreOptions(label_smoothing=0.1))
    expected = references.torch_cross_entropy(
        np.log([[0.7, 0.3], [0.4, 0.6]]), [0, 1], None, -100, 0.1
    )
    assert summary.rows == 2 and summary.mean == pytest.approx(expected, rel=1e-15)


def test_a_binary_file_is_sklearn_log_loss(xent_cli, tmp_path):
    path = tmp_path / "binary.csv"
    path.write_text("label,prob\n1,0.9\n0,0.2\n1,0.4\n")
    result = xent_cli("compute", "-i", str(path), "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["mean"] == pytest.approx(log_loss([1, 0, 1], [0.9, 0.2, 0.4]), rel=1e-15)
    assert any(note.startswith("binary:") for note in data["notes"])


def test_a_multi_label_file_is_bce(xent_cli, tmp_path):
    path = tmp_path / "tags.csv"
    path.write_text("label,a,b,c\na|c,0.8,0.1,0.7\n,0.2,0.3,0.1\n")
    result = xent_cli("compute", "-i", str(path), "--multi-label", "-f", "plain")
    assert result.exit_code == 0, result.stderr
    y = np.array([[1, 0, 1], [0, 0, 0]])
    q = np.array([[0.8, 0.1, 0.7], [0.2, 0.3, 0.1]])
    expected = -(y * np.log(q) + (1 - y) * np.log1p(-q)).mean()
    assert float(result.stdout) == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("name", ["animals.csv", "animals.jsonl", "article.csv", "article.json"])
def test_every_example_file_scores(xent_cli, name):
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "examples" / name
    result = xent_cli("compute", "-i", str(path), "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["rows"] > 0 and math.isfinite(data["mean"])
    if name.startswith("article"):  # the article's two predictions for a dog
        assert data["mean"] == pytest.approx((-math.log(0.4) - math.log(0.98)) / 2, rel=1e-15)


def test_intervals_over_several_files_draw_a_stream_per_file(xent_cli, tmp_path):
    # Line numbers repeat across files: each file draws its own bootstrap weights.
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("label,x,y\nx,0.7,0.3\ny,0.4,0.6\nx,0.9,0.1\n")
    b.write_text("label,x,y\ny,0.2,0.8\nx,0.6,0.4\n")
    result = xent_cli("compute", str(a), str(b), "--ci", "0.9", "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    expected = log_loss(
        [0, 1, 0, 1, 0], [[0.7, 0.3], [0.4, 0.6], [0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]
    )
    assert data["mean"] == pytest.approx(expected, rel=1e-15)
    low, high = data["ci"]["mean_cross_entropy"]
    assert low <= data["mean"] <= high
