"""Hostile prediction files, shared by the fuzz tests and the long run (``fuzz/long_run.py``).

A strategy draws a valid table (class names, labels, probabilities), writes it as CSV,
TSV, JSON or JSON Lines, and then maybe mutates the bytes: truncation, NUL bytes, invalid
UTF-8, BOMs and quotes in odd places, extreme numbers, duplicated or deleted lines. The
check runs ``xent compute --file`` and holds it to the promise: exit 0 with a correct
result, or exit 1/2 with one line on stderr naming the file; never a traceback. Both CSV
readers (NumPy and pyarrow) must agree exactly.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import math
import os
from dataclasses import dataclass

from hypothesis import strategies as st
from typer.testing import CliRunner

from xent.cli import app

HAVE_ARROW = importlib.util.find_spec("pyarrow") is not None
FORMATS = ("csv", "tsv", "json", "jsonl")

# Class names: unicode, spaces inside, digits, but valid (unique, stripped, not "label").
NAME = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=8
).filter(lambda s: s == s.strip() and s != "label" and "\ufeff" not in s)

# Probabilities that stress the parser and the logs: subnormal, tiny, exact zeros.
WEIGHT = st.one_of(
    st.floats(0, 1, allow_subnormal=True),
    st.sampled_from([0.0, 1e-320, 5e-324, 1e-300, 1e-16, 0.5, 1.0]),
)


@dataclass
class Table:
    classes: list[str]
    labels: list[int]
    pred: list[list[float]]

    def expected(self) -> float:
        """The mean cross-entropy, computed independently: mean of -log q[label]."""
        losses = [
            math.inf if row[y] == 0 else -math.log(row[y]) for y, row in zip(self.labels, self.pred)
        ]
        return math.fsum(losses) / len(losses)


@st.composite
def tables(draw, max_rows: int = 8, max_classes: int = 6) -> Table:
    # Two classes at least: a file with one value column is a binary file (P(class 1)).
    classes = draw(st.lists(NAME, min_size=2, max_size=max_classes, unique=True))
    n = len(classes)
    rows = draw(st.integers(1, max_rows))
    labels, pred = [], []
    for _ in range(rows):
        weights = draw(st.lists(WEIGHT, min_size=n, max_size=n))
        total = math.fsum(weights)
        if total == 0 or not math.isfinite(total):
            weights, total = [1.0] * n, float(n)
        row = [w / total for w in weights]
        # Rounding may leave the sum off 1 by a few ulps: within the reader's tolerance.
        labels.append(draw(st.integers(0, n - 1)))
        pred.append(row)
    return Table(classes, labels, pred)


def write(table: Table, fmt: str, layout: int = 0) -> bytes:
    """The table as a file of format ``fmt`` (``layout`` picks a JSON variant)."""
    if fmt in ("csv", "tsv"):
        out = io.StringIO()
        writer = csv.writer(out, delimiter="\t" if fmt == "tsv" else ",", lineterminator="\n")
        writer.writerow(["label", *table.classes])
        for y, row in zip(table.labels, table.pred):
            writer.writerow([table.classes[y], *map(repr, row)])
        return out.getvalue().encode()
    if fmt == "jsonl":
        lines = [
            # No "classes" in JSON Lines: the classes are 0, 1, ..., and labels indices.
            json.dumps({"label": y, "pred": row}, ensure_ascii=layout % 2 == 0)
            for y, row in zip(table.labels, table.pred)
        ]
        return ("\n".join(lines) + "\n").encode()
    if layout % 2:
        # A list of rows has no "classes": the classes are 0, 1, ..., and labels indices.
        data = [{"label": y, "pred": row} for y, row in zip(table.labels, table.pred)]
    else:
        data = {
            "classes": table.classes,
            "labels": [table.classes[y] for y in table.labels],
            "pred": table.pred,
        }
    return json.dumps(data, ensure_ascii=False, indent=layout % 3 or None).encode()


# Bytes and text that break parsers.
NASTY = [
    b"\x00",
    b"\xff",
    b"\xc3",  # a truncated two-byte UTF-8 sequence
    b"\xed\xa0\x80",  # an encoded surrogate: not UTF-8
    b"\xef\xbb\xbf",  # a BOM
    b'"',
    b"'",
    b"\r",
    b"\r\n",
    b"\n",
    b"\n\n",
    b",",
    b"\t",
    b";",
    b" ",
    b"\\",
    b"[",
    b"]",
    b"{",
    b"}",
    b":",
    b"-0",
    b"1e-320",
    b"1e308",
    b"1e999",
    b"-1e999",
    b"inf",
    b"-inf",
    b"nan",
    b"NaN",
    b"Infinity",
    b"1_0",
    "١".encode(),
    "狗".encode(),
    b"null",
    b"true",
    b"label",
    b"[" * 200,
    b"{" * 200,
    b'"label"',
    b"9" * 400,
]


@st.composite
def mutations(draw, data: bytes) -> bytes:
    """``data`` with a few random edits."""
    for _ in range(draw(st.integers(1, 3))):
        kinds = ["truncate", "insert", "replace", "delete", "dupline", "drop", "header", "newlines"]
        kind = draw(st.sampled_from(kinds))
        at = draw(st.integers(0, len(data)))
        if kind == "header":  # edits in the first line, where the layout comes from
            kind, at = "insert", draw(st.integers(0, max(data.find(b"\n"), 0)))
        if kind == "truncate":
            data = data[:at]
        elif kind == "insert":
            piece = draw(st.sampled_from(NASTY) | st.binary(min_size=1, max_size=4))
            data = data[:at] + piece + data[at:]
        elif kind == "replace":
            piece = draw(st.sampled_from(NASTY) | st.binary(min_size=1, max_size=2))
            data = data[:at] + piece + data[at + len(piece) :]
        elif kind == "newlines":  # old Mac (\r) or Windows (\r\n) line ends
            data = data.replace(b"\n", draw(st.sampled_from([b"\r", b"\r\n", b"\n\r"])))
        elif kind == "delete":
            data = data[:at] + data[at + draw(st.integers(1, 8)) :]
        else:
            lines = data.split(b"\n")
            i = draw(st.integers(0, max(len(lines) - 1, 0)))
            if kind == "dupline":
                lines.insert(i, lines[i])
            elif len(lines) > 1:
                del lines[i]
            data = b"\n".join(lines)
    return data


def wide_table(columns: int) -> Table:
    """Tens of thousands of classes: one row, uniform."""
    return Table([f"c{i}" for i in range(columns)], [columns - 1], [[1 / columns] * columns])


@st.composite
def prediction_files(draw, max_rows: int = 8, max_classes: int = 6):
    """(format, table, bytes, mutated): a valid file, or a mutated one."""
    if draw(st.integers(0, 49)) == 0:  # now and then a very wide file
        table = wide_table(draw(st.sampled_from([2_000, 20_000])))
    else:
        table = draw(tables(max_rows, max_classes))
    fmt = draw(st.sampled_from(FORMATS))
    data = write(table, fmt, draw(st.integers(0, 5)))
    mutated = draw(st.booleans())
    if mutated:
        data = draw(mutations(data))
    return fmt, table, data, mutated


def run(args: list[str], reader: str = "numpy"):
    env = {"XENT_CSV_READER": reader, "XENT_CLASSES": None}
    return CliRunner().invoke(app, args, env=env)


def assert_clean(result, path: str, *, summary: bool) -> None:
    """Exit 0, or exit 1/2 with one ``xent: PATH...`` line on stderr; no traceback."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.stderr
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.stderr)
    if result.exit_code:
        assert result.stderr.startswith("xent: "), result.stderr
        assert result.stderr.count("\n") == 1, result.stderr
        assert path in result.stderr or "--" in result.stderr, result.stderr
        if summary:
            assert result.stdout == ""
    else:
        assert result.stderr == "", result.stderr


def check_file(fmt: str, table: Table, data: bytes, mutated: bool, directory: str) -> None:
    """The whole promise, for one file: summary and per-row output, both CSV readers."""
    path = os.path.join(directory, f"preds.{fmt}")
    with open(path, "wb") as f:
        f.write(data)
    readers = ["numpy", "arrow"] if HAVE_ARROW and fmt in ("csv", "tsv") else ["numpy"]
    outputs = []
    for reader in readers:
        summary = run(["compute", "--file", path, "-f", "json"], reader)
        assert_clean(summary, path, summary=True)
        rows = run(["compute", "--file", path, "-r", "none", "-f", "csv"], reader)
        assert_clean(rows, path, summary=False)
        assert rows.exit_code == summary.exit_code, (summary.stderr, rows.stderr)
        outputs.append((summary.exit_code, summary.stdout, summary.stderr, rows.stdout))
        if summary.exit_code == 0:
            result = json.loads(summary.stdout)
            n = result["rows"]
            assert rows.exit_code == 0, rows.stderr
            lines = list(csv.reader(io.StringIO(rows.stdout, newline="")))
            last = "source_row" if fmt == "json" else "line"
            assert lines[0] == ["row", "label", "cross_entropy", "predicted", last]
            assert len(lines) == n + 1
            losses = [float(line[2]) for line in lines[1:]]
            assert not any(math.isnan(x) for x in losses)
            mean = result["cross_entropy"]
            mean = float(mean) if isinstance(mean, str) else mean
            assert not math.isnan(mean)
            if not mutated:
                expected = table.expected()
                assert n == len(table.labels)
                if math.isinf(expected):
                    assert mean == math.inf
                else:
                    assert math.isclose(mean, expected, rel_tol=1e-9, abs_tol=1e-12), (
                        mean,
                        expected,
                    )
        elif not mutated:
            raise AssertionError(f"a valid file was rejected: {summary.stderr}")
    assert all(o == outputs[0] for o in outputs), "the NumPy and pyarrow readers disagree"
