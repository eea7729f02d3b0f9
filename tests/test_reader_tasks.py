"""The readers' tasks and shapes: rows without labels, binary and multi-label files, JSON
as pandas writes it, and the bounds on a line, each read at the reader level."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from xent.cli.app import flag
from xent.errors import DataError, UsageError
from xent.readers.files import read_prediction_chunks
from xent.readers.read_options import ReadOptions

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
ANIMALS = ["dog", "fox", "horse", "eagle", "squirrel"]


def read(path, **options):
    """All the chunks of a file, joined into one."""
    chunks = list(read_prediction_chunks(str(path), ReadOptions(**options)))
    first = chunks[0]
    for name in ("labels", "targets", "sample_weights"):
        arrays = [getattr(c, name) for c in chunks]
        setattr(first, name, None if arrays[0] is None else np.concatenate(arrays))
    first.values = np.concatenate([c.values for c in chunks])
    first.lines = np.concatenate([c.lines for c in chunks])
    first.skipped = [e for c in chunks for e in c.skipped]
    assert {c.task for c in chunks} == {first.task}
    return first


def error_of(path, **options) -> str:
    """The error as the command line reports it (parameters spelled as flags)."""
    with pytest.raises((DataError, UsageError)) as caught:
        read(path, **options)
    return caught.value.spelled(flag)


def frame() -> pd.DataFrame:
    """Two rows of the article's animals, as a data frame with a label column."""
    return pd.DataFrame(
        {
            "label": ["dog", "eagle"],
            "dog": [0.4, 0.1],
            "fox": [0.3, 0.1],
            "horse": [0.05, 0.1],
            "eagle": [0.05, 0.6],
            "squirrel": [0.2, 0.1],
        }
    )


VALUES = [[0.4, 0.3, 0.05, 0.05, 0.2], [0.1, 0.1, 0.1, 0.6, 0.1]]


# -- JSON as pandas writes it: one key per class


def test_the_article_json_example_reads():
    chunk = read(EXAMPLES / "article.json")
    assert chunk.task == "multiclass"
    assert chunk.classes == ANIMALS
    assert chunk.labels.tolist() == [0, 0]
    assert chunk.values.tolist() == [
        [0.4, 0.3, 0.05, 0.05, 0.2],
        [0.98, 0.005, 0.005, 0.005, 0.005],
    ]
    assert chunk.numbered == "row" and chunk.lines.tolist() == [1, 2]


@pytest.mark.parametrize("lines", [False, True], ids=["json", "jsonl"])
def test_pandas_records(tmp_path, lines):
    path = tmp_path / ("p.jsonl" if lines else "p.json")
    frame().to_json(path, orient="records", lines=lines)
    chunk = read(path)
    assert chunk.classes == ANIMALS
    assert chunk.values.tolist() == VALUES
    assert chunk.labels.tolist() == [0, 3]
    assert chunk.lines.tolist() == [1, 2]
    assert chunk.numbered == ("line" if lines else "row")


def test_pandas_records_with_weights_and_ignored_keys(tmp_path):
    df = frame().assign(weight=[2.0, 0.5], id=["a", "b"])
    path = tmp_path / "p.jsonl"
    df.to_json(path, orient="records", lines=True)
    chunk = read(path, sample_weights="weight", ignore_columns=("id",))
    assert chunk.classes == ANIMALS
    assert chunk.sample_weights.tolist() == [2.0, 0.5]
    assert chunk.values.tolist() == VALUES


def test_records_keys_in_another_order_are_the_same_classes(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text('{"label": "a", "a": 0.9, "b": 0.1}\n{"b": 0.3, "a": 0.7, "label": "b"}\n')
    chunk = read(path)
    assert chunk.classes == ["a", "b"]
    assert chunk.values.tolist() == [[0.9, 0.1], [0.7, 0.3]]
    assert chunk.labels.tolist() == [0, 1]


@pytest.mark.parametrize(
    "second, message",
    [
        ('{"label": "a", "a": 0.9}', "p.jsonl:2: no 'b' key, which the first row has (a class)"),
        (
            '{"label": "a", "a": 0.9, "b": 0.1, "c": 0.0}',
            "p.jsonl:2: has the key 'c', which the first row does not have (its classes: "
            "'a', 'b'; --ignore-columns leaves a key out)",
        ),
        (
            '{"label": "a", "a": "0.9", "b": 0.1}',
            "p.jsonl:2: the value of 'a' is \"0.9\", not a number",
        ),
        (
            '{"label": "a", "pred": [0.9, 0.1]}',
            "p.jsonl:2: has a value list, but the first row has one number per class key "
            "('a', 'b'): the rows must have one shape",
        ),
    ],
)
def test_records_rows_must_match_the_first(tmp_path, second, message):
    path = tmp_path / "p.jsonl"
    path.write_text('{"label": "a", "a": 0.9, "b": 0.1}\n' + second + "\n")
    assert error_of(path) == str(tmp_path / message)


def test_a_records_document_names_the_row(tmp_path):
    path = tmp_path / "p.json"
    path.write_text('[{"label": "a", "a": 0.9, "b": 0.1}, {"label": "a", "a": 0.9}]')
    assert error_of(path) == f"{path}: row 2: no 'b' key, which the first row has (a class)"


@pytest.mark.parametrize(
    "row, found",
    [
        ('{"label": "a"}', "found the keys 'label'"),
        ('{"label": "a", "probs": [0.9, 0.1]}', "found the key 'probs' holding [0.9, 0.1]"),
        ('{"label": "a", "pred": [0.9], "logits": [1.0]}', None),
    ],
)
def test_a_row_of_no_known_shape_says_what_is_read(tmp_path, row, found):
    path = tmp_path / "p.jsonl"
    path.write_text(row + "\n")
    message = error_of(path)
    if found is None:
        assert message == f'{path}:1: has both a "pred" and a "logits" list: expected one of them'
    else:
        assert message.startswith(f"{path}:1: ")
        shapes = (
            'expected a "pred" (or "logits") list, or one number per class key (as pandas '
            'to_json(orient="records") writes); '
        )
        assert shapes + found in message


def test_the_vector_shape_still_ignores_other_keys(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text('{"id": 7, "label": "1", "pred": [0.2, 0.8]}\n')
    chunk = read(path)
    assert chunk.classes == ["0", "1"] and chunk.task == "multiclass"
    assert chunk.labels.tolist() == [1]


# -- rows of distributions: no label column


def test_csv_without_a_label_column(tmp_path, reader):
    path = tmp_path / "d.csv"
    pd.DataFrame({"a": [0.5, 0.25], "b": [0.5, 0.75], "w": [1.0, 2.0]}).to_csv(path, index=False)
    chunk = read(path, label_column=None, sample_weights="w")
    assert chunk.task == "multiclass"
    assert chunk.classes == ["a", "b"]
    assert chunk.values.tolist() == [[0.5, 0.5], [0.25, 0.75]]
    assert chunk.labels is None and chunk.targets is None
    assert chunk.sample_weights.tolist() == [1.0, 2.0]
    assert chunk.lines.tolist() == [2, 3]


def test_a_column_named_label_is_a_class_without_a_label_column(tmp_path, reader):
    path = tmp_path / "d.tsv"
    path.write_text("label\tother\n0.3\t0.7\n")
    chunk = read(path, label_column=None)
    assert chunk.classes == ["label", "other"] and chunk.values.tolist() == [[0.3, 0.7]]


def test_distribution_rows_in_json_and_jsonl(tmp_path):
    documents = {
        "a.json": '{"classes": ["a", "b"], "pred": [[0.5, 0.5], [0.1, 0.9]]}',
        "b.json": '[{"pred": [0.5, 0.5]}, {"pred": [0.1, 0.9]}]',
        "c.jsonl": '{"pred": [0.5, 0.5]}\n{"pred": [0.1, 0.9]}\n',
        "d.jsonl": '{"a": 0.5, "b": 0.5}\n{"a": 0.1, "b": 0.9}\n',
    }
    for name, text in documents.items():
        path = tmp_path / name
        path.write_text(text)
        chunk = read(path, label_column=None)
        assert chunk.values.tolist() == [[0.5, 0.5], [0.1, 0.9]], name
        assert chunk.labels is None and chunk.targets is None, name
        assert chunk.task == "multiclass", name
        assert chunk.classes == (["a", "b"] if name[0] in "ad" else ["0", "1"]), name


def test_a_csv_with_no_columns_left_says_so(tmp_path, reader):
    path = tmp_path / "d.csv"
    path.write_text("id\nx\n")
    assert error_of(path, label_column=None, ignore_columns=("id",)) == (
        f"{path}:1: the header has no class columns: expected <class>,<class>,..."
    )


# -- binary files: one value column, P(class 1)


def test_a_binary_csv(tmp_path, reader):
    path = tmp_path / "b.csv"
    pd.DataFrame({"label": [1, 0, 1], "p_spam": [0.9, 0.2, 0.6]}).to_csv(path, index=False)
    chunk = read(path)
    assert chunk.task == "binary"
    assert chunk.classes == ["0", "1"]
    assert chunk.values.shape == (3, 1)
    assert chunk.values[:, 0].tolist() == [0.9, 0.2, 0.6]
    assert chunk.labels.tolist() == [1, 0, 1]


def test_binary_values_are_not_range_checked(tmp_path, reader):
    path = tmp_path / "b.csv"
    path.write_text("label,logit\n1,3.5\n0,-2\n")
    assert read(path).values[:, 0].tolist() == [3.5, -2.0]


def test_a_binary_csv_with_class_names_and_weights(tmp_path, reader):
    path = tmp_path / "b.csv"
    path.write_text("id,label,p,w\n7,spam,0.9,1\n8,ham,0.2,3\n9,1,0.5,1\n")
    chunk = read(path, classes=("ham", "spam"), sample_weights="w", ignore_columns=("id",))
    assert chunk.task == "binary" and chunk.classes == ["ham", "spam"]
    assert chunk.labels.tolist() == [1, 0, 1]  # a name, or 0/1
    assert chunk.sample_weights.tolist() == [1.0, 3.0, 1.0]


def test_a_binary_label_outside_0_1_names_the_line(tmp_path, reader):
    path = tmp_path / "b.csv"
    path.write_text("label,p\n1,0.9\n2,0.2\n")
    assert error_of(path) == (
        f"{path}:3:1: unknown label '2': a binary file's labels are 0/1 or the two names "
        "given by --classes NEG,POS"
    )
    assert error_of(path, classes=("ham", "spam")).endswith(
        "given by --classes NEG,POS (here ham, spam)"
    )


def test_binary_needs_two_class_names(tmp_path, reader):
    path = tmp_path / "b.csv"
    path.write_text("label,p\n1,0.9\n")
    assert error_of(path, classes=("a", "b", "c")) == (
        "--classes: 3 class names given, but a binary file (one value column, p) has two "
        "classes: use --classes NEG,POS"
    )


def test_binary_skips_bad_labels(tmp_path, reader):
    path = tmp_path / "b.csv"
    path.write_text("label,p\n1,0.9\ncat,0.2\n0,0.4\n")
    chunk = read(path, on_error="skip")
    assert chunk.labels.tolist() == [1, 0] and chunk.lines.tolist() == [2, 4]
    assert [e.line for e in chunk.skipped] == [3]


def test_binary_soft_label_column(tmp_path, reader):
    path = tmp_path / "b.csv"
    path.write_text("y,p\n0.25,0.9\n1,0.2\n")
    chunk = read(path, label_columns=("y",))
    assert chunk.task == "binary" and chunk.labels is None
    assert chunk.targets.tolist() == [[0.25], [1.0]]


@pytest.mark.parametrize("lines", [False, True], ids=["json", "jsonl"])
def test_binary_pandas_records(tmp_path, lines):
    path = tmp_path / ("b.jsonl" if lines else "b.json")
    df = pd.DataFrame({"label": [1, 0], "p_spam": [0.9, 0.2], "w": [1.0, 2.0]})
    df.to_json(path, orient="records", lines=lines)
    chunk = read(path, sample_weights="w")
    assert chunk.task == "binary" and chunk.classes == ["0", "1"]
    assert chunk.values.tolist() == [[0.9], [0.2]]
    assert chunk.labels.tolist() == [1, 0]
    assert chunk.sample_weights.tolist() == [1.0, 2.0]


def test_binary_json_labels(tmp_path):
    path = tmp_path / "b.jsonl"
    path.write_text(
        '{"label": "spam", "pred": [0.9]}\n{"label": false, "pred": [0.1]}\n'
        '{"label": 1, "pred": [0.6]}\n'
    )
    chunk = read(path, classes=("ham", "spam"))
    assert chunk.task == "binary" and chunk.classes == ["ham", "spam"]
    assert chunk.labels.tolist() == [1, 0, 1]
    path.write_text('{"label": 0.25, "pred": [0.9]}\n{"label": 1, "pred": [0.1]}\n')
    assert read(path).targets.tolist() == [[0.25], [1.0]]  # a soft label: P(class 1)
    path.write_text('{"label": 3, "pred": [0.9]}\n')
    assert error_of(path) == (
        f"{path}:1: unknown label '3': a binary file's labels are 0/1 or the two names "
        "given by --classes NEG,POS"
    )


def test_a_binary_json_document(tmp_path):
    path = tmp_path / "b.json"
    path.write_text('{"classes": ["ham", "spam"], "labels": ["spam", 0], "pred": [[0.8], [0.3]]}')
    chunk = read(path)
    assert chunk.task == "binary" and chunk.classes == ["ham", "spam"]
    assert chunk.labels.tolist() == [1, 0] and chunk.values.tolist() == [[0.8], [0.3]]


# -- multi-label files: any number of positive classes a row


def test_a_multi_label_csv(tmp_path, reader):
    path = tmp_path / "m.csv"
    df = pd.DataFrame(
        {"label": ["dog|eagle", "", "fox"], "dog": [0.9, 0.1, 0.2], "fox": [0.2, 0.1, 0.7]}
    )
    df["eagle"] = [0.8, 0.3, 0.1]
    df.to_csv(path, index=False)
    chunk = read(path, multi_label=True)
    assert chunk.task == "multilabel"
    assert chunk.classes == ["dog", "fox", "eagle"]
    assert chunk.labels is None
    assert chunk.targets.tolist() == [[1, 0, 1], [0, 0, 0], [0, 1, 0]]
    assert chunk.values.tolist() == [[0.9, 0.2, 0.8], [0.1, 0.1, 0.3], [0.2, 0.7, 0.1]]


def test_a_multi_label_csv_in_many_chunks(tmp_path, reader, monkeypatch):
    from xent.readers import csv_rows

    monkeypatch.setattr(csv_rows, "CHUNK_BYTES", 64)
    monkeypatch.setenv("XENT_CSV_WORKERS", "2")
    labels = ["a|b", "b", "", "c|a", "a"] * 20
    path = tmp_path / "m.csv"
    path.write_text("label,a,b,c\n" + "".join(f"{t},0.5,0.5,0.5\n" for t in labels))
    chunk = read(path, multi_label=True)
    expected = [[float(name in t.split("|")) for name in "abc"] for t in labels]
    assert chunk.targets.tolist() == expected
    assert chunk.lines.tolist() == list(range(2, 102))


def test_a_multi_label_with_an_unknown_class_names_line_and_column(tmp_path, reader):
    path = tmp_path / "m.csv"
    path.write_text("id,label,dog,fox\n1,dog||fox,0.9,0.1\n2,dog| |cat,0.9,0.1\n")
    assert error_of(path, multi_label=True, ignore_columns=("id",)) == (
        f"{path}:3:2: unknown class 'cat' in the multi-label 'dog| |cat': the classes are "
        "dog, fox (a row names its positive classes separated by |)"
    )
    chunk = read(path, multi_label=True, ignore_columns=("id",), on_error="skip")
    assert chunk.targets.tolist() == [[1.0, 1.0]] and [e.line for e in chunk.skipped] == [3]


def test_multi_label_from_label_columns(tmp_path, reader):
    path = tmp_path / "m.csv"
    path.write_text("y_a,y_b,a,b\n1,0,0.9,0.2\n1,1,0.6,0.7\n")
    chunk = read(path, multi_label=True, label_columns=("y_a", "y_b"))
    assert chunk.task == "multilabel" and chunk.classes == ["a", "b"]
    assert chunk.targets.tolist() == [[1, 0], [1, 1]] and chunk.labels is None


def test_multi_label_json_and_jsonl(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text(
        '{"label": ["a", "c"], "pred": [0.9, 0.1, 0.8]}\n'
        '{"label": "b|c", "pred": [0.1, 0.7, 0.6]}\n'
        '{"label": [], "pred": [0.1, 0.1, 0.1]}\n'
    )
    chunk = read(path, multi_label=True, classes=("a", "b", "c"))
    assert chunk.task == "multilabel" and chunk.labels is None
    assert chunk.targets.tolist() == [[1, 0, 1], [0, 1, 1], [0, 0, 0]]
    records = tmp_path / "m.json"
    pd.DataFrame({"label": [["a"], ["a", "b"]], "a": [0.9, 0.5], "b": [0.1, 0.6]}).to_json(
        records, orient="records"
    )
    chunk = read(records, multi_label=True)
    assert chunk.classes == ["a", "b"] and chunk.targets.tolist() == [[1, 0], [1, 1]]
    path.write_text('{"label": ["a", "x"], "pred": [0.9, 0.1]}\n')
    assert error_of(path, multi_label=True, classes=("a", "b")) == (
        f"{path}:1: unknown class 'x' in the multi-label '[\"a\", \"x\"]': the classes are "
        "a, b (a row names its positive classes separated by |)"
    )


# -- the bounds: line length and absurd settings


def test_every_csv_line_is_bounded(tmp_path, reader, monkeypatch):
    monkeypatch.setenv("XENT_MAX_LINE_BYTES", "5000")
    path = tmp_path / "p.csv"
    path.write_text("label,a,b\na,0.5,0.5\nb," + "0" * 20_000 + ",1\na,0.5,0.5\n")
    assert error_of(path) == (
        f"{path}:3: the line is larger than 5,000 bytes (the limit; XENT_MAX_LINE_BYTES raises it)"
    )


def test_a_line_at_the_limit_is_read(tmp_path, reader, monkeypatch):
    line = "a,0.5," + "0" * 80 + "0.5\n"
    monkeypatch.setenv("XENT_MAX_LINE_BYTES", str(len(line)))
    path = tmp_path / "p.csv"
    path.write_text("label,a,b\n" + line * 3)
    assert read(path).values.tolist() == [[0.5, 0.5]] * 3


@pytest.mark.parametrize(
    "name", ["XENT_MAX_LINE_BYTES", "XENT_MAX_JSON_BYTES", "XENT_MAX_JSON_DEPTH"]
)
@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl"])
def test_an_absurd_limit_is_no_limit(tmp_path, monkeypatch, name, fmt):
    monkeypatch.setenv(name, "99999999999999999999999")
    monkeypatch.setenv("XENT_CSV_WORKERS", "99999999999999999999999")
    path = tmp_path / f"p.{fmt}"
    path.write_text(
        {
            "csv": "label,a,b\na,0.5,0.5\n",
            "json": '[{"label": "a", "a": 0.5, "b": 0.5}]',
            "jsonl": '{"label": "a", "a": 0.5, "b": 0.5}\n',
        }[fmt]
    )
    assert read(path).values.tolist() == [[0.5, 0.5]]
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(path.read_bytes())))
    assert read("-").values.tolist() == [[0.5, 0.5]]


def test_absurd_workers_are_clamped(monkeypatch):
    from xent.readers.csv_workers import MAX_WORKERS, csv_workers

    monkeypatch.setenv("XENT_CSV_WORKERS", "99999999999999999999999")
    assert csv_workers() == MAX_WORKERS


# -- telling JSON Lines from JSON by content


def test_jsonl_with_a_long_first_line_from_stdin(monkeypatch):
    row = {"label": 3, "pred": [0.001] * 1000}
    data = (pd.Series([row, row]).map(lambda r: pd.io.json.ujson_dumps(r)) + "\n").str.cat()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data.encode())))
    chunk = read("-")
    assert chunk.values.shape == (2, 1000) and chunk.labels.tolist() == [3, 3]
    assert chunk.lines.tolist() == [1, 2]


def test_pandas_jsonl_without_an_extension(tmp_path):
    path = tmp_path / "predictions"
    df = pd.DataFrame({"label": [0, 1]} | {f"c{i}": [0.001, 0.002] for i in range(1000)})
    df.to_json(path, orient="records", lines=True)
    assert len(path.read_text().split("\n")[0]) > 3000
    chunk = read(path)
    assert len(chunk.classes) == 1000 and chunk.classes[:2] == ["c0", "c1"]
    assert chunk.labels.tolist() == [0, 1] and chunk.numbered == "line"


@pytest.mark.parametrize(
    "text, fmt",
    [
        ('{"classes": ["a", "b"], "labels": ["a"], "pred": [[0.5, 0.5]]}', "json"),
        ('{"classes": ["a", "b"], "labels": ["a"], "pred": [[0.5, 0.5]]}\n', "json"),
        ('{"label": "a", "a": 0.5, "b": 0.5}\n', "jsonl"),
        ('{"label": "a", "a": 0.5, "b": 0.5}', "jsonl"),
        ('\n\n{"classes": ["a", "b"],\n "labels": [0], "pred": [[0.5, 0.5]]}\n', "json"),
    ],
)
def test_one_object_is_a_document_or_one_row(tmp_path, text, fmt):
    path = tmp_path / "p"
    path.write_text(text)
    chunk = read(path)
    assert chunk.numbered == ("row" if fmt == "json" else "line")
    assert chunk.values.tolist() == [[0.5, 0.5]] and chunk.labels.tolist() == [0]
