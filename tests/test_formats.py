"""Every file shape of issue 11 written the usual ways (pandas, NumPy, pyarrow) and
scored against scikit-learn's log_loss: pandas' index column, compressed input, Parquet,
Feather/Arrow, .npy/.npz, many files, formats xent does not read."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import sys
from pathlib import Path

import numpy as np
import pytest

pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
from sklearn.metrics import log_loss  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CLASSES = ["cat", "dog", "fox"]


def table(n=40, k=3, seed=0):
    rng = np.random.default_rng(seed)
    pred = rng.dirichlet(np.ones(k), size=n)
    y = rng.integers(0, k, n)
    y[:k] = np.arange(k)  # every class present
    return pred, y


def frame(pred, y, classes=CLASSES):
    df = pd.DataFrame(pred, columns=classes)
    df.insert(0, "label", np.array(classes)[y])
    return df


def mean_of(result):
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def score(xent_cli, *args, input=None):
    return mean_of(xent_cli("compute", *args, "--format", "json", input=input))


# ----------------------------------------------------------------- pandas' index column


def test_the_issues_example_with_pandas_index(tmp_path, xent_cli):
    # The issue: the index was taken as a class, and the mean was wrong (0.841 for 0.494).
    pred = np.array([[0.7, 0.2, 0.1], [0.3, 0.6, 0.1], [0.2, 0.3, 0.5]])
    y = np.array([0, 1, 2])
    path = tmp_path / "preds.csv"
    frame(pred, y).to_csv(path)  # index=True, the default
    data = score(xent_cli, "--file", path)
    assert data["mean"] == pytest.approx(log_loss(y, pred), rel=1e-12)
    assert data["classes"] == CLASSES
    assert "left out the unnamed first column (pandas' index)" in data["notes"]


def test_index_column_written_twice_is_unnamed_0(tmp_path, xent_cli, reader):
    pred, y = table()
    frame(pred, y).to_csv(tmp_path / "a.csv")
    pd.read_csv(tmp_path / "a.csv").to_csv(tmp_path / "b.csv", index=False)  # "Unnamed: 0"
    data = score(xent_cli, "--file", tmp_path / "b.csv")
    assert data["mean"] == pytest.approx(log_loss(y, pred), rel=1e-12)
    assert data["notes"] == ["left out the unnamed first column (pandas' index)"]


@pytest.mark.parametrize("spelling", ["", 'id,""', '"",id'])
def test_ignore_columns_names_the_empty_column(tmp_path, xent_cli, spelling):
    pred, y = table()
    df = frame(pred, y)
    df.insert(1, "id", range(len(df)))
    df.to_csv(tmp_path / "p.csv")
    if spelling == "":
        df.drop(columns="id").to_csv(tmp_path / "p.csv")
    data = score(xent_cli, "--file", tmp_path / "p.csv", "--ignore-columns", spelling)
    assert data["mean"] == pytest.approx(log_loss(y, pred), rel=1e-12)
    assert data["notes"] == []  # named: nothing to say


# ----------------------------------------------------------------- compressed input

COMPRESSORS = {
    ".gz": gzip.compress,
    ".bz2": bz2.compress,
    ".xz": lzma.compress,
}
try:
    import zstandard

    COMPRESSORS[".zst"] = lambda data: zstandard.ZstdCompressor().compress(data)
except ImportError:  # the fast extra
    pass


@pytest.mark.parametrize("suffix", sorted(COMPRESSORS))
@pytest.mark.parametrize("fmt", ["csv", "jsonl", "tsv"])
def test_compressed_text_by_name_and_by_magic(tmp_path, xent_cli, suffix, fmt):
    pred, y = table(n=3000)
    df = frame(pred, y)
    if fmt == "jsonl":
        text = "\n".join(
            json.dumps({"label": int(label), "pred": row.tolist()}) for label, row in zip(y, pred)
        )
    else:
        text = df.to_csv(index=False, sep="\t" if fmt == "tsv" else ",")
    data = COMPRESSORS[suffix](text.encode())
    path = tmp_path / f"p.{fmt}{suffix}"
    path.write_bytes(data)
    expected = log_loss(y, pred)
    assert score(xent_cli, "--file", path)["mean"] == pytest.approx(expected, rel=1e-12)
    if fmt != "tsv":  # stdin: the compression from the magic bytes, then the format
        assert score(xent_cli, input=data)["mean"] == pytest.approx(expected, rel=1e-12)


def test_compressed_parquet_and_npz(tmp_path, xent_cli):
    pred, y = table()
    frame(pred, y).to_parquet(tmp_path / "p.parquet")
    gz = tmp_path / "p.parquet.gz"
    gz.write_bytes(gzip.compress((tmp_path / "p.parquet").read_bytes()))
    expected = log_loss(y, pred)
    assert score(xent_cli, "--file", gz)["mean"] == pytest.approx(expected, rel=1e-12)
    np.savez(tmp_path / "p.npz", pred=pred, labels=y)
    data = (tmp_path / "p.npz").read_bytes()
    assert score(xent_cli, input=lzma.compress(data))["mean"] == pytest.approx(expected)


def test_damaged_and_misnamed_compressed_files(tmp_path, xent_cli):
    pred, y = table()
    data = gzip.compress(frame(pred, y).to_csv(index=False).encode())
    (tmp_path / "cut.csv.gz").write_bytes(data[: len(data) // 2])
    result = xent_cli("compute", "--file", tmp_path / "cut.csv.gz")
    assert result.exit_code == 1
    assert result.stderr == (
        f"xent: {tmp_path / 'cut.csv.gz'}: the gzip data ends early: the file is cut short\n"
    )
    (tmp_path / "plain.csv.gz").write_text("label,a,b\na,0.5,0.5\n")
    result = xent_cli("compute", "--file", tmp_path / "plain.csv.gz")
    assert result.exit_code == 1
    assert result.stderr == (
        f"xent: {tmp_path / 'plain.csv.gz'}: the name ends .gz, but it looks like text, "
        "not compressed\n"
    )


def test_zstd_without_zstandard_names_the_extra(tmp_path, xent_cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "zstandard", None)
    (tmp_path / "p.csv.zst").write_bytes(b"\x28\xb5\x2f\xfd" + b"\x00" * 20)
    result = xent_cli("compute", "--file", tmp_path / "p.csv.zst")
    assert result.exit_code == 2
    assert result.stderr == (
        f"xent: {tmp_path / 'p.csv.zst'}: reading zstd needs the zstandard package: "
        "pip install 'xent[fast]'\n"
    )


# ----------------------------------------------------------------- Parquet and Feather


@pytest.mark.parametrize("label", ["string", "category", "int"])
def test_parquet_from_pandas(tmp_path, xent_cli, label):
    pred, y = table(n=500)
    df = frame(pred, y)
    if label == "category":
        df["label"] = df["label"].astype("category")
    elif label == "int":
        df["label"] = y
    df.to_parquet(tmp_path / "p.parquet", row_group_size=64)  # many row groups
    data = score(xent_cli, "--file", tmp_path / "p.parquet")
    assert data["mean"] == pytest.approx(log_loss(y, pred), rel=1e-12)
    assert data["rows"] == 500


def test_parquet_list_column_from_numpy(tmp_path, xent_cli):
    pred, y = table(n=300, k=4)
    for kind in (pa.list_(pa.float64()), pa.list_(pa.float64(), 4)):
        t = pa.table({"label": pa.array(y), "pred": pa.array(list(pred), type=kind)})
        pq.write_table(t, tmp_path / "p.parquet", row_group_size=100)
        data = score(xent_cli, "--file", tmp_path / "p.parquet")
        assert data["mean"] == pytest.approx(log_loss(y, pred), rel=1e-12)
        assert data["classes"] == ["0", "1", "2", "3"]
    t = pa.table({"label": pa.array(y), "logits": pa.array(list(np.log(pred)))})
    pq.write_table(t, tmp_path / "l.parquet")
    data = score(xent_cli, "--file", tmp_path / "l.parquet")
    assert data["mean"] == pytest.approx(log_loss(y, pred), rel=1e-12)


def test_parquet_binary(tmp_path, xent_cli):
    rng = np.random.default_rng(3)
    p = rng.uniform(0.05, 0.95, 200)
    y = rng.integers(0, 2, 200)
    pd.DataFrame({"label": y, "prob": p}).to_parquet(tmp_path / "b.parquet")
    data = score(xent_cli, "--file", tmp_path / "b.parquet")
    assert data["mean"] == pytest.approx(log_loss(y, p), rel=1e-12)


def test_parquet_errors_name_the_row(tmp_path, xent_cli):
    pred, y = table(n=500)
    df = frame(pred, y)
    df.loc[321, "label"] = "wolf"
    df.to_parquet(tmp_path / "p.parquet", row_group_size=100)
    result = xent_cli("compute", "--file", tmp_path / "p.parquet")
    assert result.exit_code == 1
    assert result.stderr == (
        f"xent: {tmp_path / 'p.parquet'}: row 322: unknown label 'wolf': the classes are "
        "cat, dog, fox (or an index 0 to 2)\n"
    )
    df = frame(pred, y)
    df.loc[10, "dog"] = None
    df.to_parquet(tmp_path / "n.parquet")
    result = xent_cli("compute", "--file", tmp_path / "n.parquet")
    assert result.stderr == f"xent: {tmp_path / 'n.parquet'}: row 11: no value in column 'dog'\n"
    df = frame(pred, y)
    df["note"] = "x"
    df.to_parquet(tmp_path / "s.parquet")
    result = xent_cli("compute", "--file", tmp_path / "s.parquet")
    assert result.stderr == (
        f"xent: {tmp_path / 's.parquet'}: column 'note' holds text, not numbers: every "
        "column but the label is a class (name the others with --ignore-columns, the label "
        "with --label-column)\n"
    )
    data = score(xent_cli, "--file", tmp_path / "s.parquet", "--ignore-columns", "note")
    assert data["mean"] == pytest.approx(log_loss(y, pred), rel=1e-12)


def test_parquet_skip_bad_rows(tmp_path, xent_cli):
    pred, y = table(n=100)
    df = frame(pred, y)
    df.loc[[5, 50], "label"] = "wolf"
    df.to_parquet(tmp_path / "p.parquet")
    keep = np.ones(100, bool)
    keep[[5, 50]] = False
    data = score(xent_cli, "--file", tmp_path / "p.parquet", "--on-error", "skip")
    assert data["mean"] == pytest.approx(log_loss(y[keep], pred[keep]), rel=1e-12)
    assert data["skipped"] == {"rows": 2, "first": [6, 51], "numbered_by": "row"}


def test_feather_and_arrow_stream(tmp_path, xent_cli):
    pred, y = table(n=200)
    df = frame(pred, y)
    df.to_feather(tmp_path / "p.feather")
    expected = log_loss(y, pred)
    assert score(xent_cli, "--file", tmp_path / "p.feather")["mean"] == pytest.approx(expected)
    sink = pa.BufferOutputStream()
    t = pa.Table.from_pandas(df, preserve_index=False)
    with pa.ipc.new_stream(sink, t.schema) as writer:
        for batch in t.to_batches(max_chunksize=50):
            writer.write_batch(batch)
    stream = sink.getvalue().to_pybytes()
    assert score(xent_cli, input=stream)["mean"] == pytest.approx(expected, rel=1e-12)
    (tmp_path / "p.arrows").write_bytes(stream)
    assert score(xent_cli, "--file", tmp_path / "p.arrows")["mean"] == pytest.approx(expected)


def test_pandas_index_in_parquet_is_left_out(tmp_path, xent_cli):
    pred, y = table()
    df = frame(pred, y)
    df.index = df.index + 100  # not a RangeIndex from 0: pandas stores it as a column
    df.index = list(df.index)
    df.to_parquet(tmp_path / "p.parquet")
    data = score(xent_cli, "--file", tmp_path / "p.parquet")
    assert data["mean"] == pytest.approx(log_loss(y, pred), rel=1e-12)
    assert data["notes"] == ["left out pandas' index (__index_level_0__)"]


def test_pyarrow_missing_names_the_extra(tmp_path, xent_cli, monkeypatch):
    pred, y = table()
    frame(pred, y).to_parquet(tmp_path / "p.parquet")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    result = xent_cli("compute", "--file", tmp_path / "p.parquet")
    assert result.exit_code == 2
    assert result.stderr == (
        f"xent: {tmp_path / 'p.parquet'}: reading Parquet needs pyarrow: pip install 'xent[fast]'\n"
    )


# ----------------------------------------------------------------- NumPy


def test_npz_from_numpy(tmp_path, xent_cli):
    pred, y = table(n=120_000, k=3)  # more than one chunk
    expected = log_loss(y, pred)
    np.savez(tmp_path / "a.npz", pred=pred, labels=y)
    assert score(xent_cli, "--file", tmp_path / "a.npz")["mean"] == pytest.approx(expected)
    np.savez_compressed(tmp_path / "b.npz", probs=pred, y=y)
    assert score(xent_cli, "--file", tmp_path / "b.npz")["mean"] == pytest.approx(expected)
    np.savez(tmp_path / "c.npz", logits=np.log(pred) + 3.0, label=np.array(CLASSES)[y])
    data = score(xent_cli, "--file", tmp_path / "c.npz", "--classes", "cat,dog,fox")
    assert data["mean"] == pytest.approx(expected, rel=1e-9)
    np.savez(tmp_path / "d.npz", scores=pred, truth=y)
    args = ("--file", tmp_path / "d.npz", "--pred-array", "scores", "--label-column", "truth")
    assert score(xent_cli, *args)["mean"] == pytest.approx(expected)


def test_npz_binary_and_soft(tmp_path, xent_cli):
    rng = np.random.default_rng(5)
    p = rng.uniform(0.05, 0.95, 100)
    y = rng.integers(0, 2, 100)
    np.savez(tmp_path / "b.npz", pred=p, labels=y)
    assert score(xent_cli, "--file", tmp_path / "b.npz")["mean"] == pytest.approx(log_loss(y, p))
    pred, y = table()
    onehot = np.eye(3)[y]
    np.savez(tmp_path / "s.npz", pred=pred, labels=onehot)
    data = score(xent_cli, "--file", tmp_path / "s.npz")
    assert data["mean"] == pytest.approx(log_loss(y, pred), rel=1e-12)


def test_npy_alone_is_refused(tmp_path, xent_cli):
    pred, _ = table()
    np.save(tmp_path / "p.npy", pred)
    result = xent_cli("compute", "--file", tmp_path / "p.npy")
    assert result.exit_code == 1
    assert result.stderr == (
        f"xent: {tmp_path / 'p.npy'}: an .npy file holds one array, the predictions, and no "
        "labels: save both with np.savez('preds.npz', pred=pred, labels=labels)\n"
    )


def test_npy_rows_of_distributions(tmp_path):
    from xent.readers.files import read_prediction_chunks
    from xent.readers.read_options import ReadOptions

    pred, _ = table(n=100_001)
    np.save(tmp_path / "p.npy", pred)
    chunks = list(read_prediction_chunks(str(tmp_path / "p.npy"), ReadOptions(label_column=None)))
    assert len(chunks) == 3
    assert np.array_equal(np.concatenate([c.values for c in chunks]), pred)
    assert chunks[-1].lines[-1] == 100_001 and chunks[0].numbered == "row"


def test_npz_errors(tmp_path, xent_cli):
    pred, y = table()
    np.savez(tmp_path / "p.npz", pred=pred, labels=y[:-1])
    result = xent_cli("compute", "--file", tmp_path / "p.npz")
    assert result.stderr == (
        f"xent: {tmp_path / 'p.npz'}: pred has 40 rows but labels has 39: one label per "
        "prediction\n"
    )
    y2 = y.copy()
    y2[7] = 9
    np.savez(tmp_path / "q.npz", pred=pred, labels=y2)
    result = xent_cli("compute", "--file", tmp_path / "q.npz")
    assert result.stderr == (
        f"xent: {tmp_path / 'q.npz'}: row 8: unknown label '9': the classes are 0, 1, 2 "
        "(or an index 0 to 2)\n"
    )
    np.savez(tmp_path / "r.npz", a=pred, b=y, c=y)
    result = xent_cli("compute", "--file", tmp_path / "r.npz")
    assert result.stderr == (
        f"xent: {tmp_path / 'r.npz'}: no labels array: expected one named labels, label, "
        "y, y_true, targets, target (arrays: a, b, c)\n"
    )


# ----------------------------------------------------------------- many files


def test_many_files_are_one_evaluation(tmp_path, xent_cli):
    pred, y = table(n=90)
    parts = [slice(0, 30), slice(30, 60), slice(60, 90)]
    frame(pred[parts[0]], y[parts[0]]).to_csv(tmp_path / "a.csv", index=False)
    frame(pred[parts[1]], y[parts[1]]).to_parquet(tmp_path / "b.parquet")
    np.savez(tmp_path / "c.npz", pred=pred[parts[2]], labels=y[parts[2]], classes=CLASSES)
    files = [tmp_path / "a.csv", tmp_path / "b.parquet", tmp_path / "c.npz"]
    expected = log_loss(y, pred)
    data = score(xent_cli, "--file", files[0], "--file", files[1], "--file", files[2])
    assert data["mean"] == pytest.approx(expected, rel=1e-12)
    assert data["rows"] == 90
    data = score(xent_cli, "--file", *files, "--by-file")  # a shell glob
    assert data["mean"] == pytest.approx(expected, rel=1e-12)
    assert [f["rows"] for f in data["files"]] == [30, 30, 30]
    for f, part in zip(data["files"], parts):
        assert f["mean_cross_entropy"] == pytest.approx(
            log_loss(y[part], pred[part], labels=[0, 1, 2])
        )
    data = score(xent_cli, "--file", tmp_path, "--by-file")  # a directory, sorted by name
    assert [f["source"] for f in data["files"]] == [str(f) for f in files]
    assert data["mean"] == pytest.approx(expected, rel=1e-12)
    assert data["source"] == f"{tmp_path} (3 files)"


def test_parquet_dataset_directory(tmp_path, xent_cli):
    pred, y = table(n=100)
    df = frame(pred, y)
    df["part"] = np.arange(100) % 3
    df.to_parquet(tmp_path / "ds", partition_cols=["part"])
    data = score(xent_cli, "--file", tmp_path / "ds")
    assert data["mean"] == pytest.approx(log_loss(y, pred), rel=1e-12)


def test_files_with_different_classes(tmp_path, xent_cli):
    pred, y = table()
    frame(pred, y).to_csv(tmp_path / "a.csv", index=False)
    frame(pred, y, ["cat", "dog", "wolf"]).to_csv(tmp_path / "b.csv", index=False)
    result = xent_cli("compute", "--file", tmp_path / "a.csv", "--file", tmp_path / "b.csv")
    assert result.exit_code == 1
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    assert result.stderr == (
        f"xent: {a} and {b} have different classes (only in {a}: fox; only in {b}: wolf): "
        "the files of one evaluation need the same classes\n"
    )


# ----------------------------------------------------------------- formats not read


def test_a_format_xent_does_not_read_is_named(tmp_path, xent_cli):
    import zipfile

    with zipfile.ZipFile(tmp_path / "p.xlsx", "w") as book:  # as Excel writes it
        book.writestr("[Content_Types].xml", "<Types/>")
        book.writestr("xl/workbook.xml", "<workbook/>")
    result = xent_cli("compute", "--file", tmp_path / "p.xlsx")
    assert result.exit_code == 1
    assert result.stderr == (
        f"xent: {tmp_path / 'p.xlsx'}: looks like an Excel file (zip); xent reads CSV, TSV, "
        "JSON, JSON Lines, Parquet, Feather, .npy/.npz, compressed with gzip, bzip2, xz or "
        "zstd\n"
    )


def test_a_pickle_on_stdin_is_named(xent_cli):
    import pickle

    result = xent_cli("compute", input=pickle.dumps({"a": 1}, protocol=4))
    assert result.exit_code == 1
    assert result.stderr.startswith("xent: <stdin>: looks like a Python pickle; xent reads CSV")


def test_parquet_named_but_text(tmp_path, xent_cli):
    (tmp_path / "p.parquet").write_text("label,a,b\na,0.5,0.5\n")
    result = xent_cli("compute", "--file", tmp_path / "p.parquet")
    assert (
        result.stderr == f"xent: {tmp_path / 'p.parquet'}: not a Parquet file: it looks like text\n"
    )


# ----------------------------------------------------------------- examples


@pytest.mark.parametrize("name", ["animals.csv.gz", "animals.parquet", "animals.npz"])
def test_examples_of_each_format(name, xent_cli):
    import csv

    with open(ROOT / "examples" / "animals.csv", newline="") as f:
        rows = list(csv.reader(f))
    classes = rows[0][1:]
    y = [classes.index(r[0]) for r in rows[1:]]
    pred = [[float(v) for v in r[1:]] for r in rows[1:]]
    data = score(xent_cli, "--file", ROOT / "examples" / name)
    assert data["mean"] == pytest.approx(log_loss(y, pred, labels=range(5)), rel=1e-12)
    assert data["classes"] == classes
