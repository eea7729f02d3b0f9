"""``xent compute`` on prediction files and stdin, checked against independent references."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import log_loss

from xent.cli.app import Terminal
from xent.readers import csv_rows

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
ANIMALS = ["dog", "fox", "horse", "eagle", "squirrel"]


def animals():
    with open(EXAMPLES / "animals.csv") as f:
        rows = list(csv.DictReader(f))
    labels = np.array([ANIMALS.index(r["label"]) for r in rows])
    pred = np.array([[float(r[c]) for c in ANIMALS] for r in rows])
    return labels, pred


def random_csv(path: Path, rows: int, classes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A file like the benchmark's: softmax of N(0, 2) logits, 17 significant digits."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 2, size=(rows, classes))
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    labels = rng.integers(0, classes, size=rows)
    with open(path, "w") as f:
        f.write(",".join(["label"] + [f"c{i}" for i in range(classes)]) + "\n")
        for y, row in zip(labels, p):
            f.write(f"c{y}," + ",".join(repr(float(x)) for x in row) + "\n")
    return labels, p


def test_piped_animals_prints_the_mean(xent_cli):
    labels, pred = animals()
    result = xent_cli("compute", input=(EXAMPLES / "animals.csv").read_text())
    assert result.exit_code == 0, result.stderr
    expected = log_loss(labels, pred, labels=range(5))
    assert float(result.stdout) == pytest.approx(expected, rel=1e-12, abs=0)


def test_animals_summary_json_against_hand_and_sklearn(xent_cli, reader):
    labels, pred = animals()
    result = xent_cli("compute", "--file", EXAMPLES / "animals.csv", "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    losses = -np.log(pred[np.arange(len(labels)), labels])
    assert data["rows"] == 12
    assert data["cross_entropy"] == pytest.approx(log_loss(labels, pred), rel=1e-12)
    assert data["sum"] == pytest.approx(losses.sum(), rel=1e-12)
    assert data["std"] == pytest.approx(losses.std(), rel=1e-12)
    assert data["min"] == pytest.approx(-math.log(0.98))
    assert data["max"] == pytest.approx(-math.log(0.3))
    assert data["perplexity"] == pytest.approx(math.exp(losses.mean()))
    assert data["accuracy"] == pytest.approx(10 / 12)  # fox row 5 and eagle row 9 are missed
    dog = data["per_class"][0]
    assert dog["class"] == "dog" and dog["rows"] == 3
    dog_losses = [-math.log(0.4), -math.log(0.98), -math.log(0.7)]
    assert dog["mean_cross_entropy"] == pytest.approx(sum(dog_losses) / 3)
    assert dog["share"] == pytest.approx(sum(dog_losses) / losses.sum())
    assert dog["accuracy"] == 1.0
    assert sum(c["share"] for c in data["per_class"]) == pytest.approx(1.0)
    assert data["skipped"] == {"rows": 0, "first": [], "numbered_by": "line"}
    assert data["classes"] == ["dog", "fox", "horse", "eagle", "squirrel"]


def test_jsonl_matches_csv(xent_cli):
    from_csv = xent_cli("compute", "-i", EXAMPLES / "animals.csv", "-f", "json")
    from_jsonl = xent_cli("compute", "-i", EXAMPLES / "animals.jsonl", "-f", "json")
    a, b = json.loads(from_csv.stdout), json.loads(from_jsonl.stdout)
    for key in ("cross_entropy", "sum", "std", "accuracy", "classes"):
        assert a[key] == b[key]


def test_table_has_summary_and_per_class_table(xent_cli):
    result = xent_cli("compute", "-i", EXAMPLES / "animals.csv", "-f", "table", "--worst", "2")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    for text in (
        "12 rows",
        "mean cross-entropy",
        "0.5068",
        "accuracy",
        "83.3%",
        "squirrel",
        "share of loss",
        "worst rows",
    ):
        assert text in out


@pytest.mark.parametrize(
    "rows, classes, seed", [(1, 3, 0), (200, 2, 1), (3000, 10, 2), (50, 40, 3)]
)
def test_agrees_with_sklearn_log_loss(xent_cli, tmp_path, monkeypatch, reader, rows, classes, seed):
    monkeypatch.setattr(csv_rows, "CHUNK_BYTES", 4096)  # many chunks
    path = tmp_path / "p.csv"
    labels, p = random_csv(path, rows, classes, seed)
    result = xent_cli("compute", "--file", path, "-f", "json")
    assert result.exit_code == 0, result.stderr
    expected = log_loss(labels, p, labels=range(classes))
    assert abs(json.loads(result.stdout)["cross_entropy"] - expected) <= 1e-9
    total = xent_cli("compute", "--file", path, "-r", "sum")
    assert abs(float(total.stdout) - expected * rows) <= 1e-9 * rows


def test_base_2(xent_cli):
    labels, pred = animals()
    result = xent_cli("compute", "-i", EXAMPLES / "animals.csv", "--base", "2")
    assert float(result.stdout) == pytest.approx(log_loss(labels, pred) / math.log(2), rel=1e-12)


def test_reduction_none_rows_in_equal_rows_out(xent_cli, tmp_path, monkeypatch, reader):
    monkeypatch.setattr(csv_rows, "CHUNK_BYTES", 2048)
    path = tmp_path / "p.csv"
    labels, p = random_csv(path, 500, 4, 7)
    result = xent_cli("compute", "-i", path, "-r", "none")  # piped: CSV
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 500
    assert [int(r["row"]) for r in rows] == list(range(1, 501))
    assert [int(r["line"]) for r in rows] == list(range(2, 502))
    expected = -np.log(p[np.arange(500), labels])
    assert np.array([float(r["cross_entropy"]) for r in rows]) == pytest.approx(expected, rel=1e-12)
    assert [r["label"] for r in rows] == [f"c{y}" for y in labels]
    assert [r["predicted"] for r in rows] == [f"c{i}" for i in p.argmax(axis=1)]


def test_reduction_none_json_lines_and_plain(xent_cli):
    labels, pred = animals()
    expected = -np.log(pred[np.arange(12), labels])
    jsonl = xent_cli("compute", "-i", EXAMPLES / "animals.csv", "-r", "none", "-f", "json")
    rows = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert rows[0] == {
        "row": 1,
        "label": "dog",
        "cross_entropy": 0.916290731874155,
        "predicted": "dog",
        "line": 2,
    }
    assert [r["cross_entropy"] for r in rows] == pytest.approx(expected)
    plain = xent_cli("compute", "-i", EXAMPLES / "animals.csv", "-r", "none", "-f", "plain")
    assert [float(x) for x in plain.stdout.split()] == pytest.approx(expected)


def test_worst_rows_with_line_numbers(xent_cli):
    result = xent_cli("compute", "-i", EXAMPLES / "animals.csv", "--worst", "3", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "row,line,label,predicted,cross_entropy",
        f"4,5,fox,dog,{-math.log(0.3)!r}",  # ties keep input order
        f"8,9,eagle,squirrel,{-math.log(0.3)!r}",
        f"1,2,dog,dog,{-math.log(0.4)!r}",
    ]


def test_worst_across_chunks(xent_cli, tmp_path, monkeypatch, reader):
    monkeypatch.setattr(csv_rows, "CHUNK_BYTES", 1024)
    path = tmp_path / "p.csv"
    labels, p = random_csv(path, 400, 3, 11)
    result = xent_cli("compute", "-i", path, "--worst", "5", "-f", "json")
    worst = json.loads(result.stdout)["worst"]
    losses = -np.log(p[np.arange(400), labels])
    top = np.argsort(-losses, kind="stable")[:5]
    assert [w["line"] for w in worst] == (top + 2).tolist()
    assert [w["cross_entropy"] for w in worst] == pytest.approx(losses[top])


def test_logits_file(xent_cli, tmp_path):
    path = tmp_path / "z.csv"
    path.write_text("label,a,b,c\n0,2.0,1.0,0.1\nc,1000,-1000,0\n")
    result = xent_cli("compute", "-i", path, "--from-logits", "-r", "none", "-f", "plain")
    z = np.array([2.0, 1.0, 0.1])
    first = -(z[0] - np.log(np.exp(z).sum()))
    assert [float(x) for x in result.stdout.split()] == pytest.approx([first, 1000.0])


def test_soft_labels_file(xent_cli, tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("y_a,y_b,a,b\n0.9,0.1,0.25,0.75\n")
    result = xent_cli("compute", "-i", path, "--label-columns", "y_a,y_b")
    expected = -(0.9 * math.log(0.25) + 0.1 * math.log(0.75))
    assert float(result.stdout) == pytest.approx(expected, rel=1e-12)


def test_ignore_columns_and_label_column(xent_cli, tmp_path):
    path = tmp_path / "p.tsv"
    path.write_text("id\ttruth\ta\tb\nx17\tb\t0.25\t0.75\n")
    result = xent_cli("compute", "-i", path, "--label-column", "truth", "--ignore-columns", "id")
    assert float(result.stdout) == pytest.approx(-math.log(0.75))
    extra = xent_cli("compute", "-i", path, "--label-column", "truth")
    assert extra.exit_code == 1
    assert extra.stderr.startswith("xent: " + str(path) + ":2:1: 'x17' is not a number")


RENORMALIZE = " (--renormalize divides by the sum)"
BAD = [
    (
        "label,a,b\na,0.5,0.5\nb,0.5\n",
        "2 fields, expected 3",
        ":3: row has 2 fields, expected 3 (as in the header)",
    ),
    ("label,a,b\na,0.5,0.5\nb,x,0.5\n", "", ":3:2: 'x' is not a number"),
    (
        "label,a,b\na,0.5,0.5\ncat,0.5,0.5\n",
        "",
        ":3:1: unknown label 'cat': the classes are a, b (or an index 0 to 1)",
    ),
    (
        "label,a,b\na,0.5,0.5\nb,0.5,0.6\n",
        "",
        ":3: prediction sums to 1.1, not 1 (tolerance 2e-06): [0.5, 0.6]" + RENORMALIZE,
    ),
    (
        "label,a,b\na,0.5,0.5\nb,1.5,-0.5\n",
        "",
        ":3: prediction value 1 is 1.5, outside [0, 1]: [1.5, -0.5]",  # negative: no hint
    ),
    ("", "", ": the file is empty: expected a header row, then one row per sample"),
    (
        "x,a,b\na,0.5,0.5\n",
        "",
        ":1: no 'label' column in the header (columns: x, a, b); "
        "name the column with --label-column",
    ),
]


@pytest.mark.parametrize("content, _, message", BAD)
def test_bad_input_is_one_line_and_exit_1(xent_cli, tmp_path, reader, content, _, message):
    path = tmp_path / "p.csv"
    path.write_text(content)
    result = xent_cli("compute", "-i", path)
    assert result.exit_code == 1
    assert result.stderr == f"xent: {path}{message}\n"
    assert result.stdout == ""


def test_bad_input_from_stdin_names_stdin(xent_cli):
    result = xent_cli("compute", input="label,a,b\na,0.5,0.5\nb,0.5,0.6\n")
    assert result.exit_code == 1
    assert result.stderr.startswith("xent: <stdin>:3: prediction sums to 1.1")


def test_invalid_json_and_non_utf8(xent_cli, tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text('{"label": 0, "pred": [0.5, 0.5]}\n{"label": 1, "pred": [0.5, 0.5]\n')
    result = xent_cli("compute", "-i", path)
    assert result.stderr == f"xent: {path}:2:32: invalid JSON: Expecting ',' delimiter\n"
    assert result.exit_code == 1
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"label,a,b\na,0.5,0.5\nb,0.5,0.5\xe9\n")
    result = xent_cli("compute", "-i", binary)
    assert (
        result.stderr
        == f"xent: {binary}:3:10: not UTF-8: byte 0xe9 cannot be decoded (save the file as UTF-8)\n"
    )
    assert result.exit_code == 1


def test_on_error_skip_counts_and_names_lines(xent_cli, tmp_path, reader):
    path = tmp_path / "p.csv"
    path.write_text("label,a,b\na,0.5,0.5\nb,x,0.5\ncat,0.5,0.5\nb,0.5,0.6\nb,0.25,0.75\nb,0.5\n")
    result = xent_cli("compute", "-i", path, "--on-error", "skip", "-f", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["rows"] == 2
    assert data["cross_entropy"] == pytest.approx((math.log(2) - math.log(0.75)) / 2)
    assert data["skipped"] == {"rows": 4, "first": [3, 4, 5, 7], "numbered_by": "line"}
    assert "skipped 4 bad rows (lines 3, 4, 5, 7)" in data["notes"][0]
    assert result.stderr == f"xent: {path}: skipped 4 bad rows (lines 3, 4, 5, 7)\n"


def test_on_error_skip_with_reduction_none(xent_cli, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("label,a,b\na,0.5,0.5\nb,0.5,0.6\nb,0.25,0.75\n")
    result = xent_cli("compute", "-i", path, "--on-error", "skip", "-r", "none")
    assert [r.split(",")[-1] for r in result.stdout.splitlines()] == ["line", "2", "4"]
    assert "skipped 1 bad row (line 3)" in result.stderr


def test_infinite_loss_is_noted(xent_cli, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("label,a,b\na,0,1\nb,0.5,0.5\n")
    result = xent_cli("compute", "-i", path, "-f", "json")
    data = json.loads(result.stdout)
    assert data["cross_entropy"] == "inf" and data["max"] == "inf"
    assert "1 row gives probability 0" in data["notes"][0]


def test_no_input_on_a_terminal_is_a_usage_error(xent_cli, monkeypatch):
    monkeypatch.setattr(Terminal, "detect", classmethod(lambda cls: cls(False, True, False)))
    result = xent_cli("compute")
    assert result.exit_code == 2
    assert result.stderr.startswith("xent: no input: give --labels and --pred")


def test_file_and_vectors_together_is_a_usage_error(xent_cli):
    result = xent_cli("compute", "-i", EXAMPLES / "animals.csv", "-p", "0.5,0.5")
    assert result.exit_code == 2


def test_missing_file(xent_cli, tmp_path):
    result = xent_cli("compute", "-i", tmp_path / "nope.csv")
    assert result.exit_code == 2
    assert result.stderr == f"xent: {tmp_path / 'nope.csv'}: no such file\n"
