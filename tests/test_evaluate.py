"""xent.runner.evaluate: one request, one call, the same numbers as the command line and as
an independent reference (scikit-learn's log_loss, SciPy's entropy)."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import entropy as scipy_entropy
from sklearn.metrics import log_loss

from xent.errors import UsageError
from xent.evaluation import Evaluation
from xent.options import ScoreOptions
from xent.readers.read_options import ReadOptions
from xent.runner import evaluate

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def animals():
    with open(EXAMPLES / "animals.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    classes = [c for c in rows[0] if c != "label"]
    y = [classes.index(r["label"]) for r in rows]
    q = np.array([[float(r[c]) for c in classes] for r in rows])
    return classes, y, q


def test_a_file_is_scikit_learns_log_loss():
    _, y, q = animals()
    summary = evaluate(Evaluation(read=ReadOptions()), str(EXAMPLES / "animals.csv"))
    assert summary.rows == len(y)
    assert summary.mean == pytest.approx(log_loss(y, q, labels=range(q.shape[1])), rel=1e-14)


def test_two_files_and_their_rows():
    _, y, q = animals()
    evaluation = Evaluation(read=ReadOptions(), by_file=True, score=ScoreOptions(base=2))
    path = str(EXAMPLES / "animals.csv")
    summary = evaluate(evaluation, [path, path])
    expected = log_loss(y, q, labels=range(q.shape[1])) / math.log(2)
    assert summary.rows == 2 * len(y)
    assert summary.mean == pytest.approx(expected, rel=1e-14)
    assert [row.rows for row in summary.files] == [len(y), len(y)]


def test_entropy_of_a_file_of_distributions():
    with open(EXAMPLES / "distributions.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    q = np.array([[float(r[c]) for c in ("q_dog", "q_fox", "q_horse")] for r in rows])
    evaluation = Evaluation(
        read=ReadOptions(ignore_columns=("p_dog", "p_fox", "p_horse")), measure="entropy"
    )
    summary = evaluate(evaluation, str(EXAMPLES / "distributions.csv"))
    assert summary.mean == pytest.approx(float(np.mean(scipy_entropy(q, axis=1))), rel=1e-14)


def test_the_request_is_checked_when_it_is_built():
    with pytest.raises(UsageError) as error:
        Evaluation(reduction="median")
    assert "reduction" in str(error.value) and "--" not in str(error.value)
