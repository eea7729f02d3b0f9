"""Issue 4 in file mode: PyTorch's and scikit-learn's options on prediction files, streamed.

Every number is checked against an independent reference: scikit-learn's ``log_loss``,
``top_k_accuracy_score`` and ``brier_score_loss`` with ``sample_weight``, PyTorch's
``CrossEntropyLoss`` formula written out by hand with loops (torch is not imported), and a
literal ECE. Files are split over many chunks by shrinking the readers' chunk size.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.metrics import brier_score_loss, log_loss, top_k_accuracy_score

import references
from xent.readers import chunks as chunk_module
from xent.readers import csv_rows

REL = 1e-9


def random_rows(rows: int, classes: int, seed: int, *, ignore_every: int = 0):
    """Softmax of N(0, 2) logits, labels, sample weights in [0, 3) and, every
    ``ignore_every`` rows, the label -100 (PyTorch's default ignore index)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 2, size=(rows, classes))
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    y = rng.integers(0, classes, size=rows)
    s = rng.uniform(0, 3, size=rows).round(3)
    if ignore_every:
        y[::ignore_every] = -100
    return y, p, s


def write_csv(path, y, p, s, *, weight_column="w"):
    """Columns id, c0.., w (the sample weights in the middle of the class columns), label."""
    k = p.shape[1]
    half = k // 2
    names = [f"c{i}" for i in range(k)]
    header = ["id", *names[:half], weight_column, *names[half:], "label"]
    with open(path, "w") as f:
        f.write(",".join(header) + "\n")
        for i, (label, row, weight) in enumerate(zip(y, p, s)):
            cells = [repr(float(x)) for x in row]
            label_text = str(label) if label < 0 else f"c{label}"
            f.write(
                ",".join([str(i), *cells[:half], repr(float(weight)), *cells[half:], label_text])
                + "\n"
            )
    return path


def run_json(xent_cli, *args, input=None):
    result = xent_cli("compute", *args, "-f", "json", input=input)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def torch_cross_entropy(y, q, w=None, alpha=0.0, ignore_index=-100, s=None, reduction="mean"):
    """The PyTorch reference (tests/references.py) on probabilities."""
    with np.errstate(divide="ignore"):
        return references.torch_cross_entropy(np.log(q), y, w, ignore_index, alpha, s, reduction)


# -- scikit-learn's sample weights ---------------------------------------------------------


@pytest.mark.parametrize("rows, classes, seed", [(1, 3, 0), (300, 2, 1), (2000, 7, 2)])
def test_sample_weights_agree_with_sklearn_over_many_chunks(
    xent_cli, tmp_path, monkeypatch, reader, rows, classes, seed
):
    monkeypatch.setattr(csv_rows, "CHUNK_BYTES", 2048)  # many chunks
    y, p, s = random_rows(rows, classes, seed)
    path = write_csv(tmp_path / "p.csv", y, p, s)
    data = run_json(xent_cli, "-i", path, "--sample-weights", "w", "--ignore-columns", "id")
    labels = list(range(classes))
    assert data["classes"] == [f"c{i}" for i in labels]  # the weight column is no class
    expected = log_loss(y, p, sample_weight=s, labels=labels)
    assert data["cross_entropy"] == pytest.approx(expected, rel=REL)
    assert data["sum"] == pytest.approx(
        log_loss(y, p, sample_weight=s, labels=labels, normalize=False), rel=REL
    )
    assert data["weighted"] is True and data["weighting"] == "sklearn_sample_weight"
    assert data["accuracy"] == pytest.approx(
        top_k_accuracy_score(y, p if classes > 2 else p[:, 1], k=1, labels=labels, sample_weight=s),
        rel=REL,
    )
    # The weighted spread around the weighted mean: what numpy computes with weights.
    mean = np.average(-np.log(p[np.arange(rows), y]), weights=s)
    std = math.sqrt(np.average((-np.log(p[np.arange(rows), y]) - mean) ** 2, weights=s))
    assert data["std"] == pytest.approx(std, rel=1e-7, abs=1e-12)
    # min, max and the per-row output are the rows' own losses, not multiplied by s.
    assert data["max"] == pytest.approx(float((-np.log(p[np.arange(rows), y])).max()), rel=1e-12)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=st.integers(1, 40),
    classes=st.integers(2, 6),
    seed=st.integers(0, 2**32 - 1),
    chunk=st.sampled_from([256, 1024, 1 << 22]),
)
def test_sample_weights_property_against_sklearn(xent_cli, monkeypatch, rows, classes, seed, chunk):
    monkeypatch.setattr(csv_rows, "CHUNK_BYTES", chunk)
    y, p, s = random_rows(rows, classes, seed)
    s[0] = s[0] + 0.5  # some weight, so the mean exists
    lines = ["label," + ",".join(f"c{i}" for i in range(classes)) + ",weight"]
    lines += [
        f"{label}," + ",".join(repr(float(x)) for x in row) + f",{float(weight)!r}"
        for label, row, weight in zip(y, p, s)
    ]
    data = run_json(xent_cli, "--sample-weights", "weight", input="\n".join(lines) + "\n")
    expected = log_loss(y, p, sample_weight=s, labels=list(range(classes)))
    assert data["cross_entropy"] == pytest.approx(expected, rel=REL)


def test_sample_weights_in_json_lines_and_json_documents(xent_cli, tmp_path):
    y, p, s = random_rows(60, 4, 7)
    rows = [
        {"label": int(label), "pred": row.tolist(), "weight": float(weight)}
        for label, row, weight in zip(y, p, s)
    ]
    jsonl = tmp_path / "p.jsonl"
    jsonl.write_text("".join(json.dumps(row) + "\n" for row in rows))
    document = tmp_path / "p.json"
    document.write_text(
        json.dumps({"labels": y.tolist(), "pred": p.tolist(), "weight": s.tolist()})
    )
    expected = log_loss(y, p, sample_weight=s, labels=range(4))
    for path in (jsonl, document):
        data = run_json(xent_cli, "-i", path, "--sample-weights", "weight")
        assert data["cross_entropy"] == pytest.approx(expected, rel=REL)


# -- PyTorch's class weights, label smoothing and ignore_index -----------------------------


@pytest.mark.parametrize(
    "weights, alpha, sample",
    [
        (None, 0.1, False),
        ((1.0, 2.0, 3.0, 0.5), 0.0, False),
        ((1.0, 2.0, 3.0, 0.5), 0.2, False),
        ((0.0, 2.0, 3.0, 0.5), 0.3, True),  # a class of weight 0, smoothing, sample weights
    ],
)
def test_torch_formula_with_ignored_rows_over_many_chunks(
    xent_cli, tmp_path, monkeypatch, reader, weights, alpha, sample
):
    monkeypatch.setattr(csv_rows, "CHUNK_BYTES", 1024)
    y, p, s = random_rows(500, 4, 11, ignore_every=7)
    path = write_csv(tmp_path / "p.csv", y, p, s)
    args = ["-i", path, "--ignore-index", "-100", "--label-smoothing", str(alpha)]
    args += ["--sample-weights", "w", "--ignore-columns", "id"] if sample else []
    args += [] if sample else ["--ignore-columns", "id,w"]
    if weights:
        args += ["--weights", ",".join(map(str, weights))]
    data = run_json(xent_cli, *args)
    s_used = s if sample else None
    expected = torch_cross_entropy(y, p, weights, alpha, s=s_used)
    assert data["cross_entropy"] == pytest.approx(expected, rel=REL)
    assert data["ignored_rows"] == int((y == -100).sum()) == 72
    assert data["rows"] == 500 - 72
    total = xent_cli("compute", *args, "-r", "sum")
    assert float(total.stdout) == pytest.approx(
        torch_cross_entropy(y, p, weights, alpha, s=s_used, reduction="sum"), rel=REL
    )
    kept = y != -100
    per_class = {c["class"]: c for c in data["per_class"]}
    for c in range(4):  # each class's mean is the same weighted mean over its own rows
        if weights is not None and weights[c] == 0:
            assert per_class[f"c{c}"]["mean_cross_entropy"] == "nan"  # 0/0: no mean
            continue
        rows = kept & (y == c)
        want = torch_cross_entropy(
            y[rows], p[rows], weights, alpha, s=None if s_used is None else s[rows]
        )
        assert per_class[f"c{c}"]["mean_cross_entropy"] == pytest.approx(want, rel=REL)


def test_ignore_label_and_class_index(xent_cli, tmp_path):
    y, p, s = random_rows(80, 3, 5)
    path = write_csv(tmp_path / "p.csv", y, p, s)
    args = ["-i", path, "--ignore-columns", "id,w"]
    by_name = run_json(xent_cli, *args, "--ignore-label", "c1")
    by_index = run_json(xent_cli, *args, "--ignore-index", "1")  # PyTorch: the class index
    expected = log_loss(y[y != 1], p[y != 1], labels=range(3))
    for data in (by_name, by_index):
        assert data["cross_entropy"] == pytest.approx(expected, rel=REL)
        assert data["ignored_rows"] == int((y == 1).sum())


def test_jsonl_integer_ignore_index(xent_cli):
    rows = [
        {"label": 0, "pred": [0.7, 0.3]},
        {"label": -100, "pred": [0.5, 0.5]},
        {"label": "1", "pred": [0.2, 0.8]},
    ]
    text = "".join(json.dumps(r) + "\n" for r in rows)
    data = run_json(xent_cli, "--ignore-index", "-100", input=text)
    assert data["cross_entropy"] == pytest.approx((-math.log(0.7) - math.log(0.8)) / 2, rel=1e-12)
    assert data["ignored_rows"] == 1


def test_every_row_ignored_is_one_clear_error(xent_cli):
    result = xent_cli(
        "compute", "--ignore-index", "-100", input="label,a,b\n-100,0.5,0.5\n-100,0.2,0.8\n"
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("xent: <stdin>: every row is ignored: all 2 labels are")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "nan" not in result.stdout


def test_ignored_rows_are_left_out_of_per_row_output(xent_cli):
    text = "label,a,b\n0,0.5,0.5\n-100,0.2,0.8\n1,0.2,0.8\n"
    result = xent_cli("compute", "--ignore-index", "-100", "-r", "none", "-f", "csv", input=text)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(",")[-1] for line in lines[1:]] == ["2", "4"]  # lines 2 and 4
    assert "1 row ignored" in result.stderr


# -- the metrics ---------------------------------------------------------------------------


@pytest.mark.parametrize("k, bins, classes", [(1, 15, 5), (2, 10, 5), (3, 7, 6), (1, 5, 2)])
def test_metrics_agree_with_sklearn_and_literal_ece(
    xent_cli, tmp_path, monkeypatch, reader, k, bins, classes
):
    monkeypatch.setattr(csv_rows, "CHUNK_BYTES", 1024)
    y, p, s = random_rows(700, classes, 3 + k)
    p[:50] = np.round(p[:50], 1)  # ties, for the ranking
    p[:50] /= p[:50].sum(axis=1, keepdims=True)
    path = write_csv(tmp_path / "p.csv", y, p, s)
    data = run_json(
        xent_cli, "-i", path, "--ignore-columns", "id", "--sample-weights", "w",
        "--top-k", k, "--bins", bins,
    )  # fmt: skip
    labels = list(range(classes))
    score = p[:, 1] if classes == 2 else p
    assert data["k"] == k and data["bins"] == bins
    assert data["top_k_accuracy"] == pytest.approx(
        top_k_accuracy_score(y, score, k=k, labels=labels, sample_weight=s), rel=REL
    )
    brier = np.average(((p - np.eye(classes)[y]) ** 2).sum(axis=1), weights=s)
    assert data["brier_score"] == pytest.approx(brier, rel=REL)
    if classes > 2:
        sk = brier_score_loss(y, p, labels=labels, sample_weight=s, scale_by_half=False)
        assert data["brier_score"] == pytest.approx(sk, rel=REL)
    assert data["ece"] == pytest.approx(references.ece(y, p, bins, s), rel=REL, abs=1e-15)


def test_metrics_unweighted_and_in_the_table(xent_cli, tmp_path):
    y, p, s = random_rows(100, 4, 9)
    path = write_csv(tmp_path / "p.csv", y, p, s)
    data = run_json(xent_cli, "-i", path, "--ignore-columns", "id,w", "--top-k", "2")
    assert data["weighted"] is False and data["weighting"] is None
    assert data["top_k_accuracy"] == pytest.approx(
        top_k_accuracy_score(y, p, k=2, labels=range(4)), rel=REL
    )
    assert data["ece"] == pytest.approx(references.ece(y, p, 15, np.ones(100)), rel=REL)
    table = xent_cli(
        "compute", "-i", path, "--ignore-columns", "id,w", "--top-k", "2", "-f", "table"
    )
    for text in ("top-2 accuracy", "Brier score", "calibration error", "ECE, 15 bins"):
        assert text in table.stdout
    csv_out = xent_cli("compute", "-i", path, "--ignore-columns", "id,w", "-f", "csv").stdout
    header, *rows = csv_out.splitlines()
    assert header == (
        "class,rows,mean_cross_entropy,share,accuracy,unit,top_k_accuracy,k,brier_score,ece,bins,"
        "mce,rms_calibration_error,classwise_ece,adaptive_ece,binary_ece"
    )
    assert float(rows[-1].split(",")[9]) == pytest.approx(data["ece"], rel=1e-15)


def test_plain_is_the_one_number(xent_cli, tmp_path):
    y, p, s = random_rows(30, 3, 1)
    path = write_csv(tmp_path / "p.csv", y, p, s)
    result = xent_cli("compute", "-i", path, "--ignore-columns", "id", "--sample-weights", "w")
    assert result.stdout.count("\n") == 1
    assert float(result.stdout) == pytest.approx(log_loss(y, p, sample_weight=s), rel=REL)


# -- one chunk or many: the same numbers ---------------------------------------------------


def test_many_chunks_give_the_numbers_of_one(xent_cli, tmp_path, monkeypatch, reader):
    y, p, s = random_rows(3000, 6, 21, ignore_every=9)
    path = write_csv(tmp_path / "p.csv", y, p, s)
    args = ["-i", path, "--ignore-columns", "id", "--sample-weights", "w", "--top-k", "2"]
    args += ["--weights", "1,2,1,0.5,3,1", "--label-smoothing", "0.05", "--ignore-index", "-100"]
    one = run_json(xent_cli, *args)
    monkeypatch.setattr(csv_rows, "CHUNK_BYTES", 700)
    monkeypatch.setattr(chunk_module, "CHUNK_ROWS", 7)
    many = run_json(xent_cli, *args)
    for key in ("cross_entropy", "sum", "std", "min", "max", "accuracy", "top_k_accuracy"):
        assert many[key] == pytest.approx(one[key], rel=1e-12), key
    for key in ("brier_score", "ece", "rows", "ignored_rows"):
        assert many[key] == pytest.approx(one[key], rel=1e-12), key
    for a, b in zip(one["per_class"], many["per_class"]):
        assert a["mean_cross_entropy"] == pytest.approx(b["mean_cross_entropy"], rel=1e-12)


# -- bad sample weights and refused combinations -------------------------------------------


@pytest.mark.parametrize(
    "cell, message",
    [
        ("abc", "/p.csv:3:2: 'abc' is not a number (a sample weight)"),
        ("", "/p.csv:3:2: empty is not a number (a sample weight)"),
        ("-1", "/p.csv:3:2: sample weight -1.0 is not a finite non-negative number"),
        ("inf", "/p.csv:3:2: sample weight inf is not a finite non-negative number"),
    ],
)
def test_bad_sample_weight_is_one_line_naming_file_line_column(
    xent_cli, tmp_path, reader, cell, message
):
    path = tmp_path / "p.csv"
    path.write_text(f"label,w,a,b\na,1,0.5,0.5\nb,{cell},0.2,0.8\na,2,0.9,0.1\n")
    result = xent_cli("compute", "-i", path, "--sample-weights", "w")
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert message in result.stderr
    skipped = xent_cli("compute", "-i", path, "--sample-weights", "w", "--on-error", "skip")
    assert skipped.exit_code == 0
    expected = (1 * -math.log(0.5) + 2 * -math.log(0.9)) / 3
    assert float(skipped.stdout) == pytest.approx(expected, rel=1e-12)
    assert "skipped 1 bad row (line 3)" in skipped.stderr


def test_missing_sample_weight_column_is_bad_data_like_a_missing_label_column(xent_cli):
    result = xent_cli("compute", "--sample-weights", "weight", input="label,a,b\na,0.5,0.5\n")
    assert result.exit_code == 1
    assert result.stderr == (
        "xent: <stdin>:1: no 'weight' column in the header (columns: label, a, b); "
        "name the column with --sample-weights\n"
    )


@pytest.mark.parametrize(
    "row, message",
    [
        ({"label": 0, "pred": [0.5, 0.5]}, "<stdin>:1: no 'w' key (--sample-weights)"),
        ({"label": 0, "pred": [0.5, 0.5], "w": "x"}, "<stdin>:1: sample weight 'w' is \"x\""),
        ({"label": 0, "pred": [0.5, 0.5], "w": -2}, "<stdin>:1: sample weight 'w' is -2"),
    ],
)
def test_bad_sample_weight_in_json_lines(xent_cli, row, message):
    result = xent_cli("compute", "--sample-weights", "w", input=json.dumps(row) + "\n")
    assert result.exit_code == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_all_sample_weights_zero_is_an_error_not_nan(xent_cli):
    result = xent_cli("compute", "--sample-weights", "w", input="label,w,a,b\na,0,0.5,0.5\n")
    assert result.exit_code == 1
    assert "the weights of the 1 rows that count sum to 0" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    "args, source, status",
    [
        (["--sample-weights", "w", "-l", "0", "--pred", "0.5,0.5"], "--sample-weights", 2),
        (["--weights", "1,2,3"], "--weights: 3 weights for 2 classes", 2),
        (["--label-columns", "ya,yb", "--ignore-index", "0"], "--ignore-index", 2),
        (["--save-svg", "x.svg", "-r", "none"], "--save-svg", 2),
    ],
)
def test_refused_combinations(xent_cli, args, source, status):
    vectors = "--pred" in args
    text = None if vectors else "label,a,b\na,0.5,0.5\n"
    if "--label-columns" in args:
        text = "ya,yb,a,b\n1,0,0.5,0.5\n"
    result = xent_cli("compute", *args, input=text)
    assert result.exit_code == status, result.stderr
    assert result.stderr.startswith(f"xent: {source}")
    assert len(result.stderr.strip().splitlines()) == 1


def test_weights_and_soft_labels_follow_pytorch_probability_targets(xent_cli):
    # Probability targets: each class term weighted, the mean divided by the rows.
    text = "ya,yb,a,b\n0.8,0.2,0.6,0.4\n0,1,0.3,0.7\n"
    data = run_json(xent_cli, "--label-columns", "ya,yb", "--weights", "2,1", input=text)
    rows = [
        2 * 0.8 * -math.log(0.6) + 1 * 0.2 * -math.log(0.4),
        1 * -math.log(0.7),
    ]
    assert data["cross_entropy"] == pytest.approx(sum(rows) / 2, rel=1e-12)


def test_save_svg_and_html_of_a_file_summary(xent_cli, tmp_path):
    y, p, s = random_rows(20, 3, 2)
    path = write_csv(tmp_path / "p.csv", y, p, s)
    svg, html = tmp_path / "s.svg", tmp_path / "s.html"
    result = xent_cli(
        "compute", "-i", path, "--ignore-columns", "id,w", "--save-svg", svg, "--save-html", html
    )
    assert result.exit_code == 0, result.stderr
    assert float(result.stdout) == pytest.approx(log_loss(y, p), rel=REL)  # stdout unchanged
    assert svg.read_text().startswith("<svg") and "Brier score" in html.read_text()


# -- the documented example (docs/conventions.md, examples/weighted.csv) -------------------

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "weighted.csv"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "conventions.md"


@pytest.mark.parametrize(
    "extra, printed, by_hand",
    [
        (
            [],
            "0.4968278678925949",
            (1 * -math.log(0.7) + 3 * -math.log(0.6) + 0.5 * -math.log(0.5)) / 4.5,
        ),
        (
            ["--weights", "1,2,3", "--label-smoothing", "0.1"],
            "0.6331727125566394",
            torch_cross_entropy(
                [0, 1, -100, 2],
                np.array([[0.7, 0.2, 0.1], [0.3, 0.6, 0.1], [0.2, 0.2, 0.6], [0.25, 0.25, 0.5]]),
                [1, 2, 3],
                0.1,
                s=[1, 3, 2, 0.5],
            ),
        ),
    ],
)
def test_documented_file_examples(xent_cli, monkeypatch, extra, printed, by_hand):
    monkeypatch.chdir(EXAMPLE.parent.parent)
    args = ["-i", "examples/weighted.csv", "--sample-weights", "weight", "--ignore-index", "-100"]
    command = " ".join(["xent compute", *args, *extra])
    assert f"`{command}`" in DOCS.read_text("utf-8")
    assert printed in DOCS.read_text("utf-8")
    result = xent_cli("compute", *args, *extra)
    assert result.stdout == printed + "\n"
    assert float(printed) == pytest.approx(by_hand, rel=1e-14)


def test_documented_file_metrics(xent_cli):
    data = run_json(xent_cli, "-i", EXAMPLE, "--sample-weights", "weight", "--ignore-index", "-100")
    assert data["brier_score"] == pytest.approx((0.14 + 3 * 0.26 + 0.5 * 0.375) / 4.5, rel=1e-14)
    assert data["ece"] == pytest.approx((0.3 + 3 * 0.4 + 0.5 * 0.5) / 4.5, rel=1e-14)
    for key in ("brier_score", "ece"):
        assert repr(data[key]) in DOCS.read_text("utf-8")


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=st.integers(2, 60),
    classes=st.integers(2, 5),
    seed=st.integers(0, 2**32 - 1),
    alpha=st.sampled_from([0.0, 0.05, 0.5, 1.0]),
    chunk=st.sampled_from([200, 600, 1 << 22]),
)
def test_torch_formula_property(xent_cli, monkeypatch, rows, classes, seed, alpha, chunk):
    """Class weights, smoothing, ignore_index and sample weights at once, any chunking."""
    monkeypatch.setattr(csv_rows, "CHUNK_BYTES", chunk)
    y, p, s = random_rows(rows, classes, seed, ignore_every=3)
    y[1] = 0  # one row kept
    w = np.random.default_rng(seed).uniform(0.5, 3, size=classes).round(2)
    s[1] += 1.0
    lines = ["label," + ",".join(f"c{i}" for i in range(classes)) + ",s"]
    lines += [
        f"{label}," + ",".join(repr(float(x)) for x in row) + f",{float(weight)!r}"
        for label, row, weight in zip(y, p, s)
    ]
    args = ["--sample-weights", "s", "--ignore-index", "-100", "--label-smoothing", alpha]
    args += ["--weights", ",".join(map(str, w))]
    data = run_json(xent_cli, *args, input="\n".join(lines) + "\n")
    expected = torch_cross_entropy(y, p, w.tolist(), alpha, s=s.tolist())
    assert data["cross_entropy"] == pytest.approx(expected, rel=REL)
    assert data["ignored_rows"] == int((y == -100).sum())


def test_a_weight_column_that_is_also_the_label_is_a_usage_error(xent_cli, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("label,a,b\na,0.5,0.5\n")
    result = xent_cli("compute", "-i", path, "--sample-weights", "label")
    assert result.exit_code == 2
    assert result.stderr == (
        "xent: --sample-weights: 'label' is also named by --label-column: the weights need a "
        "column of their own\n"
    )
