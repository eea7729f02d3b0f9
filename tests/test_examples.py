"""Every file under examples/ is scored by a test, against an independent computation.

The table below names how each file is scored; a new example without an entry fails
``test_every_example_has_a_test``.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.special import rel_entr
from sklearn.metrics import log_loss

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

# name -> the extra arguments of `xent compute`, or None where another test scores it
# (the test named in the comment).
COMPUTE = {
    "animals.csv": [],
    "animals-new.csv": [],
    "animals.jsonl": [],
    "article.csv": [],
    "article.json": [],
    "animals.csv.gz": [],
    "animals.parquet": [],
    "animals.npz": [],
    "tokens.csv": ["--ignore-columns", "sequence,domain"],
    "weighted.csv": ["--sample-weights", "weight", "--ignore-index", "-100"],
    "fold.csv": ["--ignore-columns", "fold"],  # animals.csv and a fold column of zeros
}
ELSEWHERE = {
    "distributions.csv": "test_distributions_example_is_scipy below",
    "ci-gate.sh": "tests/test_intervals.py runs it",
    "animals-calibration.json": "tests/test_calibrators.py::test_the_example_calibration",
    "make_formats.py": "writes animals.csv.gz, .parquet, .npz (scored here)",
    "lm-logits.safetensors": "tests/test_lm_sources.py::test_the_example_file",
    "make_lm.py": "writes lm-logits.safetensors, lm-quantized.safetensors, lm-pair.npz",
    "lm-quantized.safetensors": "tests/test_lm_compare.py::test_the_example_files",
    "lm-pair.npz": "tests/test_lm_compare.py::test_the_example_files",
    "chat-logprobs.jsonl": "tests/test_logprobs.py::test_the_example_file",
    "tokens-counted.csv": "tests/test_normalised.py::test_the_example_file",
    "README.md": "the guide to the examples",
}


def test_every_example_has_a_test():
    names = {p.name for p in EXAMPLES.iterdir() if p.is_file()}
    assert names == set(COMPUTE) | set(ELSEWHERE)


def read_csv_rows(path: Path, skip: tuple[str, ...] = ()):
    """Labels, probabilities and sample weights of a CSV example, read by the csv module."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    classes = [c for c in rows[0] if c not in ("label", "weight", *skip)]
    labels = [r["label"] for r in rows]
    q = np.array([[float(r[c]) for c in classes] for r in rows])
    w = np.array([float(r.get("weight", 1)) for r in rows])
    return classes, labels, q, w


def expected_mean(name: str) -> float:
    """scikit-learn's log_loss on the example, read independently of xent."""
    if name in ("animals.csv.gz", "animals.parquet", "animals.npz"):
        name = "animals.csv"  # make_formats.py writes the same rows
    path = EXAMPLES / name
    if name == "animals.jsonl":
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        classes = ["dog", "fox", "horse", "eagle", "squirrel"]
        labels = [r["label"] for r in rows]
        q = np.array([r["pred"] for r in rows], dtype=float)
        return log_loss([classes.index(y) for y in labels], q, labels=range(len(classes)))
    if name == "article.json":
        rows = json.loads(path.read_text())
        classes = [k for k in rows[0] if k != "label"]
        q = np.array([[r[c] for c in classes] for r in rows])
        y = [classes.index(r["label"]) for r in rows]
        return log_loss(y, q, labels=range(len(classes)))
    skip = {"tokens.csv": ("sequence", "domain"), "fold.csv": ("fold",)}.get(name, ())
    classes, labels, q, w = read_csv_rows(path, skip)
    keep = [i for i, y in enumerate(labels) if y != "-100"]
    y = [classes.index(labels[i]) for i in keep]
    return log_loss(y, q[keep], sample_weight=w[keep], labels=range(len(classes)))


@pytest.mark.parametrize("name", sorted(COMPUTE))
def test_example_scores_as_scikit_learn_does(xent_cli, name):
    result = xent_cli("compute", "-i", str(EXAMPLES / name), *COMPUTE[name], "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["rows"] > 0
    assert data["mean"] == pytest.approx(expected_mean(name), rel=1e-12)


def test_distributions_example_is_scipy(xent_cli):
    path = EXAMPLES / "distributions.csv"
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    p = np.array([[float(r[k]) for k in r if k.startswith("p_")] for r in rows])
    q = np.array([[float(r[k]) for k in r if k.startswith("q_")] for r in rows])
    result = xent_cli("kl", "-i", str(path), "-f", "plain")
    assert result.exit_code == 0, result.stderr
    expected = rel_entr(p, q).sum(axis=1).mean()
    assert float(result.stdout) == pytest.approx(expected, rel=1e-12)
    assert math.isfinite(float(result.stdout))
