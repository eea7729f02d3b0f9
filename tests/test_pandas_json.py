"""JSON documents in every shape pandas ``to_json`` writes a prediction table in (issue 11):
orient="split", "columns", "index", "table" and "values" (with --classes), scored through
the CLI against scikit-learn's log_loss; and the message for a document of no known shape."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import log_loss

from test_reader_tasks import error_of, read

ORIENTS = ["split", "columns", "index", "table", "values"]
CLASSES = ["dog", "fox", "eagle"]


def multiclass_frame(n: int = 40, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    # Four decimals, which to_json (10 significant digits) writes exactly, summing to 1.
    p = (rng.dirichlet(np.ones(len(CLASSES)), size=n) * 0.97 + 0.01).round(4)
    p[:, -1] = (1 - p[:, :-1].sum(axis=1)).round(4)
    labels = rng.integers(0, len(CLASSES), size=n)
    df = pd.DataFrame(p, columns=CLASSES)
    df.insert(0, "label", [CLASSES[i] for i in labels])
    return df


def score(xent_cli, path, *options) -> dict:
    result = xent_cli("compute", "-i", path, "-f", "json", *options)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def one_line_error(result) -> str:
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert result.stderr.count("\n") == 1, result.stderr
    return result.stderr.rstrip("\n")


@pytest.mark.parametrize("orient", ORIENTS)
def test_multiclass_orient_agrees_with_sklearn(xent_cli, tmp_path, orient):
    df = multiclass_frame()
    path = tmp_path / "p.json"
    df.to_json(path, orient=orient)
    options = ("--classes", ",".join(CLASSES)) if orient == "values" else ()
    data = score(xent_cli, path, *options)
    assert data["rows"] == len(df) and data["classes"] == CLASSES
    labels = [CLASSES.index(x) for x in df["label"]]
    expected = log_loss(labels, df[CLASSES].to_numpy(), labels=range(len(CLASSES)))
    assert data["cross_entropy"] == pytest.approx(expected, rel=1e-12, abs=0)


@pytest.mark.parametrize("orient", ORIENTS)
def test_binary_orient_agrees_with_sklearn(xent_cli, tmp_path, orient):
    rng = np.random.default_rng(5)
    df = pd.DataFrame(
        {"label": rng.integers(0, 2, size=30), "p_spam": rng.uniform(0.01, 0.99, size=30).round(6)}
    )
    path = tmp_path / "b.json"
    df.to_json(path, orient=orient)
    options = ("--classes", "0,1") if orient == "values" else ()
    data = score(xent_cli, path, *options)
    assert data["rows"] == 30 and data["classes"] == ["0", "1"]
    expected = log_loss(df["label"], df["p_spam"], labels=[0, 1])
    assert data["cross_entropy"] == pytest.approx(expected, rel=1e-12, abs=0)


@pytest.mark.parametrize("orient", ["split", "columns", "index", "table"])
def test_weights_and_ignored_columns(xent_cli, tmp_path, orient):
    df = multiclass_frame(seed=3)
    df["w"] = np.linspace(0.5, 2.0, len(df)).round(3)
    df["id"] = [f"s{i}" for i in range(len(df))]
    path = tmp_path / "p.json"
    df.to_json(path, orient=orient)
    data = score(xent_cli, path, "--sample-weights", "w", "--ignore-columns", "id")
    assert data["classes"] == CLASSES
    labels = [CLASSES.index(x) for x in df["label"]]
    expected = log_loss(labels, df[CLASSES].to_numpy(), sample_weight=df["w"], labels=range(3))
    assert data["cross_entropy"] == pytest.approx(expected, rel=1e-12, abs=0)


@pytest.mark.parametrize("orient", ["split", "columns", "index"])
def test_rows_keep_the_documents_index_order(tmp_path, orient):
    df = multiclass_frame(n=4).set_axis([7, 2, 9, 0])
    path = tmp_path / "p.json"
    df.to_json(path, orient=orient)
    chunk = read(path)
    assert chunk.values.tolist() == df[CLASSES].to_numpy().tolist()
    assert chunk.labels.tolist() == [CLASSES.index(x) for x in df["label"]]
    assert chunk.numbered == "row" and chunk.lines.tolist() == [1, 2, 3, 4]


@pytest.mark.parametrize("orient", ["split", "columns", "index"])
def test_a_one_line_document_on_stdin_is_json(xent_cli, orient):
    df = multiclass_frame(n=6)
    result = xent_cli("compute", input=df.to_json(orient=orient))
    assert result.exit_code == 0, result.stderr
    labels = [CLASSES.index(x) for x in df["label"]]
    expected = log_loss(labels, df[CLASSES].to_numpy(), labels=range(3))
    assert float(result.stdout) == pytest.approx(expected, rel=1e-12, abs=0)


@pytest.mark.parametrize("orient", ["columns", "index"])
def test_rows_of_distributions_by_the_default_index(tmp_path, orient):
    """No label key to tell columns from index: the default index 0, 1, 2, ... does."""
    df = pd.DataFrame({"a": [0.5, 0.25, 0.1], "b": [0.5, 0.75, 0.9]})
    path = tmp_path / "d.json"
    df.to_json(path, orient=orient)
    chunk = read(path, label_column=None)
    assert chunk.classes == ["a", "b"]
    assert chunk.values.tolist() == df.to_numpy().tolist()


def test_the_existing_document_shapes_still_read(tmp_path):
    own = tmp_path / "own.json"
    own.write_text(
        '{"classes": ["a", "b"], "labels": ["b", "a"], "pred": [[0.2, 0.8], [0.6, 0.4]]}'
    )
    rows = tmp_path / "rows.json"
    rows.write_text('[{"label": "b", "pred": [0.2, 0.8]}, {"label": "a", "pred": [0.6, 0.4]}]')
    for path in (own, rows):
        chunk = read(path, classes=("a", "b"))
        assert chunk.values.tolist() == [[0.2, 0.8], [0.6, 0.4]]
        assert chunk.labels.tolist() == [1, 0]


SHAPES = (
    'expected a list of row objects (pandas orient="records", or {"label": ..., '
    '"pred": [...]}), pandas orient="split" ({"columns", "index", "data"}), '
    'orient="columns" or "index" (an object of objects), orient="table", orient="values" '
    '(a list of lists, with --classes), or {"classes", "labels", "pred"}; found '
)


@pytest.mark.parametrize(
    "content, found",
    [
        ('{"dog": 0.4, "fox": 0.6}', "an object whose values are numbers (keys 'dog', 'fox')"),
        (
            '{"a": {"x": 1}, "b": 2}',
            "an object whose values are objects and numbers (keys 'a', 'b')",
        ),
        ("[0.4, 0.6]", "a list of numbers"),
        ('"dog"', '"dog"'),
    ],
)
def test_a_document_of_no_known_shape(xent_cli, tmp_path, content, found):
    path = tmp_path / "p.json"
    path.write_text(content)
    message = one_line_error(xent_cli("compute", "-i", path))
    assert message == f"xent: {path}: {SHAPES}{found}"


def test_an_ambiguous_object_of_objects(xent_cli, tmp_path):
    path = tmp_path / "p.json"
    path.write_text('{"a": {"x": 0.1, "label": "a"}, "label": {"x": "a", "label": "b"}}')
    message = one_line_error(xent_cli("compute", "-i", path))
    assert message == (
        f'xent: {path}: an object of objects is read as pandas orient="columns" when its '
        "keys hold the label key 'label' (--label-column), or as orient=\"index\" when its "
        "objects do; found both its keys and its first object's keys (keys 'a', 'label'; "
        "first object's keys 'x', 'label')"
    )
    path.write_text('{"a": {"x": 0.1}, "b": {"x": 0.9}}')
    assert one_line_error(xent_cli("compute", "-i", path)).endswith(
        "found neither (keys 'a', 'b'; first object's keys 'x')"
    )


def test_values_need_classes(xent_cli, tmp_path):
    path = tmp_path / "v.json"
    multiclass_frame(n=3).to_json(path, orient="values")
    message = one_line_error(xent_cli("compute", "-i", path))
    assert message == (
        f'xent: {path}: a list of lists, as pandas to_json(orient="values") writes, names no '
        "columns: --classes names the classes (the label is the first value, then one value "
        "per class)"
    )


def test_values_rows_of_another_width(tmp_path):
    path = tmp_path / "v.json"
    path.write_text('[["a", 0.5, 0.5], ["b", 0.5]]')
    assert error_of(path, classes=("a", "b")) == (
        f"{path}: row 2: expected a list of 3 values (the label and one per --classes name), "
        'got ["b", 0.5]'
    )


def test_split_without_the_label_column(tmp_path):
    path = tmp_path / "s.json"
    pd.DataFrame({"y": ["a"], "a": [0.5], "b": [0.5]}).to_json(path, orient="split")
    assert error_of(path) == (
        f"{path}: no 'label' column among 'y', 'a', 'b' (orient=\"split\"; --label-column "
        "names another)"
    )


def test_split_rows_of_another_width_are_skipped_by_row(tmp_path):
    path = tmp_path / "s.json"
    path.write_text('{"columns": ["label", "a", "b"], "data": [["a", 0.5, 0.5], ["b", 0.5]]}')
    chunk = read(path, on_error="skip")
    assert chunk.values.tolist() == [[0.5, 0.5]]
    assert [str(e) for e in chunk.skipped] == [
        f'{path}: row 2: expected a list of 3 values (one per column), got ["b", 0.5]'
    ]
