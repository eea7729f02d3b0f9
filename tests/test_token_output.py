"""Token rows (a logprobs file: each token's log-probability, not a distribution) show
what applies to them: tokens in the headline, no accuracy, classes, per-class table or
calibration (JSON keeps the keys, null, and says why in "notes"), no label or prediction
in the worst rows and the per-row output. Classification files keep every key as before
(their golden outputs do not move)."""

from __future__ import annotations

import csv
import io
import json

import pytest

LOGPROBS = "examples/chat-logprobs.jsonl"  # 5 tokens of 2 chat responses
# Each token's -logprob, read from the file by hand (OpenAI chat: choices[].logprobs.content).
with open(LOGPROBS, encoding="utf-8") as lines:
    LOSSES = [
        -token["logprob"]
        for line in lines
        for choice in json.loads(line)["choices"]
        for token in choice["logprobs"]["content"]
    ]


def _json(xent_cli, *args):
    result = xent_cli("compute", "-i", LOGPROBS, *args, "-f", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_json_of_tokens_has_null_where_classes_would_be(xent_cli):
    data = _json(xent_cli)
    assert data["rows"] == data["language_model"]["tokens"] == 5
    assert data["mean"] == pytest.approx(sum(LOSSES) / 5, rel=1e-15)  # 0.875
    for key in ("accuracy", "classes", "per_class", "top_k_accuracy", "brier_score", "ece"):
        assert key in data and data[key] is None, key
    assert "classes_left_out" not in data
    assert (
        "token rows: each token's log-probability, not a distribution over classes"
        in (data["notes"][-1])
    )
    assert "token" not in json.dumps({k: data[k] for k in ("classes", "per_class")})


def test_the_keys_are_a_classification_files(xent_cli):
    tokens = _json(xent_cli)
    animals = json.loads(xent_cli("compute", "-i", "examples/animals.csv", "-f", "json").stdout)
    assert set(tokens) - {"language_model", "top_k_entropy"} == set(animals)
    assert animals["classes"] == ["dog", "fox", "horse", "eagle", "squirrel"]
    assert animals["accuracy"] == pytest.approx(10 / 12)  # 10 of 12 rows' arg-max is right
    assert not any("token rows" in note for note in animals["notes"])


def test_worst_tokens_have_no_label(xent_cli):
    data = _json(xent_cli, "--worst", "2")
    assert [(w["row"], w["cross_entropy"], w["label"], w["predicted"]) for w in data["worst"]] == [
        (4, 2.0, None, None),
        (2, 1.5, None, None),
    ]
    assert "(and the worst rows' label and prediction)" in data["notes"][-1]
    table = xent_cli("compute", "-i", LOGPROBS, "--worst", "2", "-f", "table").stdout
    assert "worst tokens" in table and "predicted" not in table and "label" not in table


def test_table_of_tokens_counts_tokens(xent_cli):
    table = xent_cli("compute", "-i", LOGPROBS, "-f", "table").stdout
    assert table.splitlines()[0] == f"Cross-entropy of {LOGPROBS}: 5 tokens"
    assert "accuracy" not in table and "per class" not in table.lower()
    assert "token " not in table.split("Language model")[0].replace("5 tokens", "")


def test_rows_of_tokens_have_no_label(xent_cli):
    rows = list(
        csv.DictReader(
            io.StringIO(xent_cli("compute", "-i", LOGPROBS, "-r", "none", "-f", "csv").stdout)
        )
    )
    assert [float(r["cross_entropy"]) for r in rows] == LOSSES
    assert all(r["label"] == "" and r["predicted"] == "" for r in rows)
    lines = xent_cli("compute", "-i", LOGPROBS, "-r", "none", "-f", "json").stdout.splitlines()
    first = json.loads(lines[0])
    assert first == {"row": 1, "label": None, "cross_entropy": 0.25, "predicted": None, "line": 1}
    table = xent_cli("compute", "-i", LOGPROBS, "-r", "none", "-f", "table").stdout
    assert "→" not in table and table.splitlines()[1].split() == ["1", "1", "0.2500"]
