"""Hostile inputs, shared by the fuzz tests and the long run (``fuzz/long_run.py``).

A case draws a valid table (multi-class, binary with one probability column, or
multi-label with ``a|b`` labels or 0/1 ``--label-columns``), writes it as CSV, TSV (maybe
with pandas' unnamed index column), JSON or JSON Lines (a document, a list of rows, or
pandas records with a key per class; maybe a sample-weight key), then maybe mutates the
bytes: truncation, NUL bytes, invalid UTF-8, BOMs and quotes in odd places, extreme
numbers, duplicated or deleted lines. It adds options (``--weights``,
``--label-smoothing``, ``--ignore-index``, ``--clip``, ``--top-k``, ``--bins``,
``--worst``, ``--from-logits``, ``--on-error skip``, ``-o FILE``, ...), valid or not, and a
summary run and a ``--reduction none`` run, each in a drawn format.

The check holds ``xent`` to the promise: exit 0 with output valid for its format (strict
JSON, CSV with a header, plain numbers) and, where the inputs fix it, the right number;
or exit 1/2 with exactly one ``xent: ...`` line on stderr; never a traceback, never an
internal error, never a NaN loss with exit 0. Both CSV readers (NumPy and pyarrow) must
agree exactly.

Every generator takes a ``Draw``: :class:`HypothesisDraw` in the tests (shrinking),
:class:`RandomDraw` in the long run (fast, reproducible from a seed).
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import math
import os
import random
import resource
from contextlib import contextmanager
from dataclasses import dataclass, field
from unittest import mock

import typer.testing
from hypothesis import strategies as st
from typer.testing import CliRunner

from xent.cli import app

HAVE_ARROW = importlib.util.find_spec("pyarrow") is not None
FORMATS = ("csv", "tsv", "json", "jsonl")
TASKS = ("multiclass", "binary", "multilabel")
WEIGHT_KEY = "__w"
MEMORY_CAP = 1536 << 20  # bytes of address space a fuzzed run may add (ulimit -v)

# Class names: unicode, spaces inside, digits, but valid (unique, stripped, not a key the
# readers give a meaning, no | (the multi-label separator) and no ; (a delimiter)).
RESERVED = {"label", "labels", "pred", "logits", "classes", "nan", "inf", "infinity"}


def good_name(s: str) -> bool:
    return (
        s == s.strip()
        and s.lower() not in RESERVED
        and not s.startswith("__")
        and not any(c in s for c in "\ufeff|;")
    )


NAME = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=8
).filter(good_name)
NAME_ALPHABET = "abcxyzABC019 _-.,'\"é狗ça١½ΣДアﬁ\u200b\u00a0"

# Probabilities that stress the parser and the logs: subnormal, tiny, exact zeros.
SPECIAL = [0.0, 1e-320, 5e-324, 1e-300, 1e-16, 0.5, 1.0]
WEIGHT = st.one_of(st.floats(0, 1, allow_subnormal=True), st.sampled_from(SPECIAL))

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
    b"|",
    b"||",
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
    b'"pred"',
    b"9" * 400,
    b"1",
    b"0",
    b"2",
]

# Argument values that parsers trip on, mixed with arbitrary text.
ARG_NASTY = [
    "",
    " ",
    ",",
    ",,",
    "-0",
    "0",
    "1",
    "2",
    "-1",
    "-100",
    "0.5",
    "1e-320",
    "1e308",
    "1e999",
    "-1e999",
    "inf",
    "-inf",
    "nan",
    "NaN",
    "0x10",
    "1_000",
    "١",
    "½",
    "\x00",
    "\t",
    "dog",
    "狗",
    "dog,eagle",
    "--pred",
    "-",
    "0.4,0.3,0.05,0.05,0.2",
    "1,0,0,0,0",
    "0.9,0.1",
    "1,0",
    "2,1",
    "0,1,nan",
    "99999999999999999999999",
    "9" * 400,
]


# -- draws: the same generators, driven by hypothesis or by a seeded random.Random


class HypothesisDraw:
    """Draws through hypothesis (``st.composite``'s ``draw``): the tests shrink failures."""

    def __init__(self, draw) -> None:
        self._draw = draw

    def integer(self, low: int, high: int) -> int:
        return self._draw(st.integers(low, high))

    def choice(self, items):
        return self._draw(st.sampled_from(list(items)))

    def boolean(self, p: float = 0.5) -> bool:
        return self._draw(st.booleans())

    def unit(self) -> float:
        return self._draw(WEIGHT)

    def name(self) -> str:
        return self._draw(NAME)

    def blob(self, low: int, high: int) -> bytes:
        return self._draw(st.binary(min_size=low, max_size=high))

    def text(self, high: int) -> str:
        return self._draw(st.text(max_size=high))


class RandomDraw:
    """Draws from a seeded ``random.Random``: a thousand times faster than hypothesis, and
    one seed reproduces one input."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def integer(self, low: int, high: int) -> int:
        return self.r.randint(low, high)

    def choice(self, items):
        items = list(items)
        return items[self.r.randrange(len(items))]

    def boolean(self, p: float = 0.5) -> bool:
        return self.r.random() < p

    def unit(self) -> float:
        if self.r.random() < 0.2:
            return self.choice(SPECIAL)
        return self.r.random()

    def name(self) -> str:
        while True:
            s = "".join(self.r.choices(NAME_ALPHABET, k=self.r.randint(1, 8)))
            if good_name(s):
                return s

    def blob(self, low: int, high: int) -> bytes:
        return self.r.randbytes(self.r.randint(low, high))

    def text(self, high: int) -> str:
        pool = NAME_ALPHABET + "\x00\t\n\r\x1b|;:[]{}\\/+-eE"
        return "".join(self.r.choices(pool, k=self.r.randint(0, high)))


# -- tables and files


@dataclass
class Table:
    classes: list[str]
    labels: list  # class indices; binary 0/1; multi-label a 0/1 list per row
    pred: list[list[float]]  # binary: one value, P(class 1)
    task: str = "multiclass"
    weights: list[float] | None = None  # a sample-weight column
    index: bool = False  # pandas' unnamed index column first (CSV/TSV)
    label_columns: bool = False  # multi-label targets as 0/1 columns

    def losses(self) -> list[float]:
        """Each row's loss, computed independently of xent."""

        def bce(y: int, q: float) -> float:
            p = q if y else 1.0 - q
            return math.inf if p == 0 else -math.log(p)

        if self.task == "multiclass":
            return [bce(1, row[y]) for y, row in zip(self.labels, self.pred)]
        if self.task == "binary":
            return [bce(y, row[0]) for y, row in zip(self.labels, self.pred)]
        return [
            math.fsum(bce(y, q) for y, q in zip(ys, row)) / len(row)
            for ys, row in zip(self.labels, self.pred)
        ]

    def expected(self) -> float:
        """The mean loss (weighted by the sample weights, when there are)."""
        losses = self.losses()
        if self.weights is None:
            return math.fsum(losses) / len(losses)
        if any(math.isinf(x) for x in losses):
            return math.inf
        # Scaled by hand into [0.5, 1) by a power of two (exact; issue 23, item 4): weights
        # of 1e308 would overflow the sums, of 1e-320 lose their digits in the products.
        top = max(self.weights)
        shift = -math.frexp(top)[1] if top > 0 else 0
        weights = [math.ldexp(w, shift) for w in self.weights]
        return math.fsum(s * x for s, x in zip(weights, losses)) / math.fsum(weights)


def draw_table(d, max_rows: int = 8, max_classes: int = 6, task: str | None = None) -> Table:
    task = task or d.choice(TASKS)
    if d.integer(0, 49) == 0 and task == "multiclass":  # now and then a very wide file
        return wide_table(d.choice([2_000, 20_000]))
    # Two classes at least: a file with one value column is a binary file (P(class 1)).
    n = 2 if task == "binary" else d.integer(2, max_classes)
    classes: list[str] = []
    while len(classes) < n:
        name = d.name()
        if name not in classes:
            classes.append(name)
    rows = d.integer(1, max_rows)
    labels: list = []
    pred = []
    for _ in range(rows):
        if task == "multiclass":
            weights = [d.unit() for _ in range(n)]
            total = math.fsum(weights)
            if total == 0 or not math.isfinite(total):
                weights, total = [1.0] * n, float(n)
            # Rounding may leave the sum off 1 by a few ulps: within the reader's tolerance.
            pred.append([w / total for w in weights])
            labels.append(d.integer(0, n - 1))
        elif task == "binary":
            pred.append([d.unit()])
            labels.append(d.integer(0, 1))
        else:
            pred.append([d.unit() for _ in range(n)])
            labels.append([d.integer(0, 1) for _ in range(n)])
    weights = None
    if d.boolean(0.3):
        weights = [d.choice([0.5, 1.0, 2.0, 3.25, 1e-3, 100.0]) for _ in range(rows)]
        ends = [1e-320, 5e-324, 1e-300, 1e300, 1e308, 1.7976931348623157e308]
        if rows and d.boolean(0.1):  # the ends of the float range (issue 23): exact
            weights[d.integer(0, rows - 1)] = d.choice(ends)
        elif rows and d.boolean(0.1):  # every weight there, or a mix of both ends
            weights = [d.choice(ends) for _ in range(rows)]
            if d.boolean(0.5):
                weights = [weights[0]] * rows
    index = d.boolean(0.15)
    label_columns = task == "multilabel" and d.boolean(0.3)
    return Table(classes, labels, pred, task, weights, index, label_columns)


def wide_table(columns: int) -> Table:
    """Tens of thousands of classes: one row, uniform."""
    return Table([f"c{i}" for i in range(columns)], [columns - 1], [[1 / columns] * columns])


def _label_text(table: Table, y) -> str:
    if table.task == "multilabel":
        return "|".join(name for name, bit in zip(table.classes, y) if bit)
    if table.task == "binary":
        return str(y)
    return table.classes[y]


def write(table: Table, fmt: str, layout: int = 0) -> bytes:
    """The table as a file of format ``fmt`` (``layout`` picks a JSON shape and spacing)."""
    binary = table.task == "binary"
    value_names = [table.classes[1]] if binary else table.classes
    if fmt in ("csv", "tsv"):
        out = io.StringIO()
        writer = csv.writer(out, delimiter="\t" if fmt == "tsv" else ",", lineterminator="\n")
        label_header = (
            [f"__y{i}" for i in range(len(table.classes))] if table.label_columns else ["label"]
        )
        header = label_header + value_names + ([WEIGHT_KEY] if table.weights else [])
        writer.writerow(([""] if table.index else []) + header)
        for i, (y, row) in enumerate(zip(table.labels, table.pred)):
            label = [str(bit) for bit in y] if table.label_columns else [_label_text(table, y)]
            weight = [repr(table.weights[i])] if table.weights else []
            writer.writerow(
                ([str(i)] if table.index else []) + label + list(map(repr, row)) + weight
            )
        return out.getvalue().encode()
    shape = layout % 3  # 0: a document of arrays (JSON only), 1: rows with "pred", 2: records
    if fmt == "jsonl" and shape == 0:
        shape = 1
    if table.task == "multilabel" and shape == 1:
        shape = 2  # rows with "pred" name classes 0, 1, ...: records keep the names
    rows = []
    for i, (y, row) in enumerate(zip(table.labels, table.pred)):
        if table.task == "multilabel":
            names = [name for name, bit in zip(table.classes, y) if bit]
            label: object = names if layout % 2 else "|".join(names)
        elif binary:
            label = y
        else:
            # Rows with "pred" have no "classes": the classes are 0, 1, ..., labels indices.
            label = y if shape == 1 else table.classes[y]
        record: dict = {"label": label}
        if shape == 1:
            record["pred"] = row
        else:
            record.update(zip(value_names, row))
        if table.weights:
            record[WEIGHT_KEY] = table.weights[i]
        rows.append(record)
    if fmt == "jsonl":
        lines = [json.dumps(r, ensure_ascii=layout % 2 == 0) for r in rows]
        return ("\n".join(lines) + "\n").encode()
    if shape == 0 and not table.weights:
        data: object = {
            "classes": ["0", "1"] if binary else table.classes,
            "labels": [y if binary else table.classes[y] for y in table.labels]
            if table.task != "multilabel"
            else [r["label"] for r in rows],
            "pred": table.pred,
        }
    else:
        data = rows
    return json.dumps(data, ensure_ascii=False, indent=layout % 4 or None).encode()


def mutate(d, data: bytes) -> bytes:
    """``data`` with a few random edits."""
    for _ in range(d.integer(1, 3)):
        kinds = ["truncate", "insert", "replace", "delete", "dupline", "drop", "header", "newlines"]
        kind = d.choice(kinds)
        at = d.integer(0, len(data))
        if kind == "header":  # edits in the first line, where the layout comes from
            kind, at = "insert", d.integer(0, max(data.find(b"\n"), 0))
        if kind == "truncate":
            data = data[:at]
        elif kind == "insert":
            piece = d.choice(NASTY) if d.boolean() else d.blob(1, 4)
            data = data[:at] + piece + data[at:]
        elif kind == "replace":
            piece = d.choice(NASTY) if d.boolean() else d.blob(1, 2)
            data = data[:at] + piece + data[at + len(piece) :]
        elif kind == "newlines":  # old Mac (\r) or Windows (\r\n) line ends
            data = data.replace(b"\n", d.choice([b"\r", b"\r\n", b"\n\r"]))
        elif kind == "delete":
            data = data[:at] + data[at + d.integer(1, 8) :]
        else:
            lines = data.split(b"\n")
            i = d.integer(0, max(len(lines) - 1, 0))
            if kind == "dupline":
                lines.insert(i, lines[i])
            elif len(lines) > 1:
                del lines[i]
            data = b"\n".join(lines)
    return data


# -- options


@dataclass
class Case:
    fmt: str
    table: Table
    data: bytes
    mutated: bool
    options: list[str] = field(default_factory=list)
    exact: bool = True  # the options leave the mean loss as Table.expected() says
    valid: bool = True  # the options are surely valid for this table
    summary: tuple[str, str] = ("json", "mean")  # (format, reduction)
    rows_format: str = "csv"
    output: str = ""  # "summary" or "rows": that run writes to -o FILE

    @property
    def task(self) -> str:
        return self.table.task


def draw_options(d, table: Table, fmt: str) -> tuple[list[str], bool, bool]:
    """Options for ``table``: (arguments, exact, valid)."""
    args: list[str] = []
    exact = valid = True
    k = len(table.classes)
    multi = table.task == "multilabel"
    if multi and not d.boolean(0.05):
        args.append("--multi-label")
    elif multi:  # a multi-label file read without --multi-label
        exact = valid = False
    elif d.boolean(0.05):
        args.append("--multi-label")
        exact = valid = False
    if table.label_columns:
        args += ["--label-columns", ",".join(f"__y{i}" for i in range(k))]
    if table.index:
        # pandas' index column: read as a class named "" until issue 11's readers leave it
        # out (a wrong number where the rows still sum to 1): only the promise is checked.
        exact = valid = False
    if table.weights:
        if d.boolean(0.8):
            args += ["--sample-weights", WEIGHT_KEY]
        else:
            exact = valid = False  # the weight column is read as a class
    for _ in range(d.choice([0, 0, 1, 1, 2, 3, 4])):
        option = d.choice(
            [
                "--top-k",
                "--bins",
                "--worst",
                "--on-error",
                "--weights",
                "--label-smoothing",
                "--ignore-index",
                "--ignore-label",
                "--clip",
                "--renormalize",
                "--from-logits",
                "--base",
                "--input-format",
                "--classes",
                "--sample-weights",
                "--delimiter",
                "--ci",
            ]
        )
        if option == "--top-k":
            value = d.choice([1, 2, k, k + 1, 0, -1, 10**7, "x"])
            valid &= isinstance(value, int) and 1 <= value <= k and not multi
        elif option == "--bins":
            value = d.choice([1, 2, 15, 10_000, 10_001, 0, -3, 10**12, "1e3"])
            valid &= isinstance(value, int) and 1 <= value <= 10_000
        elif option == "--worst":
            value = d.choice([0, 1, 3, 100_000, 100_001, -1])
            valid &= isinstance(value, int) and 0 <= value <= 100_000
        elif option == "--ci":  # the summary's intervals: the mean stays as it is
            value = d.choice([0.9, 0.95, 0.5, 0.999999, 0, 1, "nan", "x"])
            valid &= isinstance(value, float) and 0 < value < 1
        elif option == "--on-error":
            value = d.choice(["skip", "skip", "raise", "ignore"])
            valid &= value != "ignore"
        elif option == "--weights":
            value = ",".join(
                d.choice(["0.5", "1", "2", "0", "-1", "nan", "1e308", "1e-320"]) for _ in range(k)
            )
            exact = valid = False
        elif option == "--label-smoothing":
            value = d.choice([0, 0.1, 0.5, 1, 1.5, -0.1, "nan"])
            exact = valid = False
        elif option == "--ignore-index":
            value = d.choice([-100, 0, 1, k, "x"])
            exact = valid = False
        elif option == "--ignore-label":
            value = d.choice([*table.classes, "zzz", ""])
            exact = valid = False
        elif option == "--clip":
            value = d.choice([1e-15, 1e-7, 0.1, 0.5, 0, 0.6, -1, "nan", "inf"])
            exact = valid = False
        elif option in ("--renormalize", "--from-logits"):
            args.append(option)
            exact = valid = False
            continue
        elif option == "--base":
            value = d.choice(["2", "10", "e", "1", "0", "-2", "nan", "inf"])
            exact = valid = False
        elif option == "--input-format":
            value = d.choice([fmt, fmt, *FORMATS, "xml"])
            valid &= value == fmt
        elif option == "--classes":
            value = d.choice(["neg,pos", ",".join(table.classes), "a,a", ""])
            exact = valid = False
        elif option == "--sample-weights":
            value = d.choice([WEIGHT_KEY, "missing", "label"])
            exact = valid = False
        else:
            value = d.choice([",", "\t", ";", "\\t", "", "ab"])
            exact = valid = False
        args += [option, str(value)]
    return args, exact, valid


def draw_case(
    d, max_rows: int = 8, max_classes: int = 6, fmt: str | None = None, task: str | None = None
) -> Case:
    """A prediction file (valid or mutated), its options and its two runs."""
    fmt = fmt or d.choice(FORMATS)
    table = draw_table(d, max_rows, max_classes, task)
    if fmt not in ("csv", "tsv"):
        table.index = table.label_columns = False  # pandas writes neither in JSON
        if table.task == "multilabel":
            table.label_columns = False
    data = write(table, fmt, d.integer(0, 7))
    mutated = d.boolean()
    if mutated:
        data = mutate(d, data)
    options, exact, valid = draw_options(d, table, fmt)
    summary = (d.choice(["json", "json", "csv", "plain"]), d.choice(["mean", "mean", "sum"]))
    rows_format = d.choice(["csv", "csv", "json", "plain"])
    output = d.choice(["", "", "", "summary", "rows"])
    return Case(fmt, table, data, mutated, options, exact, valid, summary, rows_format, output)


@st.composite
def prediction_cases(draw, max_rows: int = 8, max_classes: int = 6, task=None):
    return draw_case(HypothesisDraw(draw), max_rows, max_classes, task=task)


# -- running xent, and the promise


class Runner(CliRunner):
    """Typer's CliRunner, with the Click command built once (Typer rebuilds it on every
    invoke: three quarters of a fuzz input's time)."""

    command = None

    def invoke(self, app, *args, **kwargs):
        if Runner.command is None:
            Runner.command = typer.testing._get_command(app)
        with mock.patch.object(typer.testing, "_get_command", lambda _: Runner.command):
            return super().invoke(app, *args, **kwargs)


RUNNER = Runner()


def run(args: list[str], reader: str = "numpy", input=None):
    env = {"XENT_CSV_READER": reader, "XENT_CLASSES": None, "XENT_DEBUG": None}
    return RUNNER.invoke(app, [str(a) for a in args], env=env, input=input)


@contextmanager
def memory_cap(extra: int = MEMORY_CAP):
    """A memory cap for in-process runs: this process may take only ``extra`` more bytes of
    data while inside, so that a memory blow-up fails the test (a MemoryError: an internal
    error) instead of the machine.

    In-process this is ``ulimit -d`` (RLIMIT_DATA: the memory written to), not ``ulimit -v``
    (RLIMIT_AS: address space): glibc reserves 64 MiB of address space per thread's malloc
    arena, and a thread started by pyarrow or the CSV workers when the address space is
    used up kills the whole process ("cannot allocate memory for thread-local data"), the
    test runner with it. A subprocess gets the real ``ulimit -v`` (:func:`limit_memory`).
    """
    with open("/proc/self/status") as f:
        size = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmData"))
    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    cap = size + extra
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))


def limit_memory() -> None:
    """A subprocess' ``preexec_fn``: ``ulimit -v`` of MEMORY_CAP."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def xent_command() -> list[str]:
    """The installed script beside this Python, else ``python -m xent``."""
    import shutil
    import sys
    from pathlib import Path

    found = shutil.which("xent", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "xent"]


def in_subprocess(args: list[str], timeout: float) -> str | None:
    """Run ``xent ARGS`` as a process under ``ulimit -v`` (MEMORY_CAP): None when it kept
    the promise, else what broke it: "hangs", "crashes" (a signal), "internal errors",
    "other failures" (another status, or not one ``xent: ...`` line on failure)."""
    import subprocess

    env = {**os.environ, "XENT_CSV_READER": "auto"}
    for name in ("XENT_CLASSES", "XENT_DEBUG"):
        env.pop(name, None)
    try:
        done = subprocess.run(
            [*xent_command(), *args],
            capture_output=True,
            text=True,
            errors="replace",
            env=env,
            timeout=timeout,
            preexec_fn=limit_memory,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return "hangs"
    if done.returncode < 0:
        return "crashes"
    if done.returncode == 70 or "internal error" in done.stderr or "Traceback" in done.stderr:
        return "internal errors"
    if done.returncode not in (0, 1, 2):
        return "other failures"
    if done.returncode and (not done.stderr.startswith("xent: ") or done.stderr.count("\n") != 1):
        return "other failures"
    return None


class InternalError(AssertionError):
    """Exit 70, an exception out of the command, or a traceback: a bug in xent."""


def assert_clean(result, source: str | None = None, *, quiet_stdout: bool = False) -> None:
    """Exit 0, or exit 1/2 with one ``xent: ...`` line on stderr; no traceback."""
    exception = result.exception
    if exception is not None and not isinstance(exception, SystemExit):
        raise InternalError(f"{type(exception).__name__}: {exception}")
    if result.exit_code == 70 or "internal error" in result.stderr:
        raise InternalError(result.stderr.strip())
    assert "Traceback" not in result.stderr, result.stderr
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.stderr)
    if result.exit_code:
        assert result.stderr.startswith("xent: "), result.stderr
        assert result.stderr.count("\n") == 1, result.stderr
        if source is not None:
            assert source in result.stderr or "--" in result.stderr, result.stderr
        if quiet_stdout:
            assert result.stdout == "", result.stdout
    else:
        # Notes on success (rows skipped, an infinite loss): lines that say who speaks.
        for line in result.stderr.splitlines():
            assert line.startswith("xent: "), result.stderr


def _strict(text: str):
    def reject(constant):
        raise AssertionError(f"not strict JSON: {constant}")

    return json.loads(text, parse_constant=reject)


LOSS_KEYS = ("cross_entropy", "mean", "sum", "entropy", "kl_divergence", "js_divergence")


def _is_nan(value) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and value.strip().lower() == "nan"


def _no_nan_loss(obj, keys=LOSS_KEYS) -> None:
    """No loss in a JSON value is NaN (a class without rows may show NaN: not a loss)."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key in keys:
                assert not _is_nan(value), (key, value)
            _no_nan_loss(value, keys)
    elif isinstance(obj, list):
        for value in obj:
            _no_nan_loss(value, keys)


def check_output(
    text: str, fmt: str, reduction: str = "mean"
) -> tuple[list[str], list[list[str]] | None, object]:
    """Output valid for its format. Returns (plain numbers, CSV rows, JSON value).

    With ``-r sum`` the weighted mean may not exist (weights that sum to 0) while the sum
    does: the summary shows that mean as nan, by design."""
    means = ("mean_cross_entropy", "mean") if reduction == "mean" else ()
    if fmt == "plain" and text.startswith("row,"):  # --worst K: the rows, as CSV
        fmt = "csv"
    if fmt == "plain":  # a number a line; with --ci, the mean and "[low, high]" after it
        numbers = [line.split(" [")[0] for line in text.splitlines()]
        for line, number in zip(text.splitlines(), numbers):
            assert not math.isnan(float(number)), text
            if line != number:
                low, high = map(float, line[len(number) + 2 : -1].split(", "))
                assert low <= float(number) <= high or math.isinf(high), text
        return numbers, None, None
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(text, newline="")))
        assert rows and rows[0], text
        width = len(rows[0])
        assert all(len(row) == width for row in rows), text
        header = rows[0]
        for name in ("cross_entropy", *means[:1]):
            if name in header:
                at = header.index(name)
                for row in rows[1:]:
                    if name == "cross_entropy" or row[0] == "(all)":
                        assert not _is_nan(row[at]), row
        return [], rows, None
    try:
        value = _strict(text)
    except json.JSONDecodeError:  # JSON Lines: an object a line
        value = [_strict(line) for line in text.splitlines()]
    _no_nan_loss(value, [k for k in LOSS_KEYS if k != "mean" or means])
    return [], None, value


def _number(value) -> float:
    return float(value) if isinstance(value, str) else value


def _invoke(args: list[str], reader: str, out_path: str | None, directory: str):
    if out_path is None:
        result = run(args, reader)
        return result, result.stdout
    result = run([*args, "-o", out_path], reader)
    if result.exit_code == 0:
        assert result.stdout == "", "-o FILE: stdout must stay empty"
        with open(out_path, encoding="utf-8") as f:
            text = f.read()
        os.unlink(out_path)
    else:
        assert not os.path.exists(out_path), "a failed run left its -o FILE"
        text = ""
    leftovers = [n for n in os.listdir(directory) if n != os.path.basename(out_path)]
    assert all(not n.startswith(".") for n in leftovers), leftovers  # no temporary file
    return result, text


def without_worst(args: list[str]) -> list[str]:
    """The arguments without ``--worst K`` and ``--ci LEVEL``, which need a summary."""
    out = list(args)
    for option in ("--worst", "--ci"):
        while option in out:
            at = out.index(option)
            del out[at : at + 2]
    return out


def check_case(case: Case, directory: str, readers: list[str] | None = None) -> int:
    """The whole promise, for one file: a summary run and a per-row run, both CSV readers.
    Returns the exit status."""
    path = os.path.join(directory, f"preds.{case.fmt}")
    with open(path, "wb") as f:
        f.write(case.data)
    if readers is None:
        readers = ["numpy", "arrow"] if HAVE_ARROW and case.fmt in ("csv", "tsv") else ["numpy"]
    out_path = os.path.join(directory, "out.txt")
    fmt, reduction = case.summary
    base = ["compute", "--file", path, *case.options]
    outputs = []
    for reader in readers:
        summary, summary_text = _invoke(
            [*base, "-f", fmt, "-r", reduction],
            reader,
            out_path if case.output == "summary" else None,
            directory,
        )
        assert_clean(summary, path, quiet_stdout=True)
        rows, rows_text = _invoke(
            [*without_worst(base), "-r", "none", "-f", case.rows_format],
            reader,
            out_path if case.output == "rows" else None,
            directory,
        )
        assert_clean(rows, path)
        # The per-row run leaves --worst out, and needs no mean (a summary may find that
        # the weights sum to 0): it may succeed where the summary fails, never the reverse.
        summary_only = "--worst" in case.options or "--ci" in case.options
        if not summary_only and not (summary.exit_code and not rows.exit_code):
            assert rows.exit_code == summary.exit_code, (summary.stderr, rows.stderr)
        outputs.append((summary.exit_code, summary_text, summary.stderr, rows_text))
        if summary.exit_code:
            if not case.mutated and case.valid:
                raise AssertionError(f"a valid file was rejected: {summary.stderr}")
            continue
        numbers, table, value = check_output(summary_text, fmt, reduction)
        check_output(rows_text, case.rows_format)
        if case.mutated or not case.exact:
            continue
        n = len(case.table.labels)
        expected = case.table.expected()
        if reduction == "sum":
            expected = math.fsum(case.table.losses()) if case.table.weights is None else None
        if fmt == "json" and "--worst" not in case.options:
            assert value["rows"] == n, (value["rows"], n)
            got = _number(value["cross_entropy"])
        elif fmt == "plain" and "--worst" not in case.options:
            assert len(numbers) == 1, numbers
            got = float(numbers[0])
        else:
            continue
        if expected is None:
            continue
        if math.isinf(expected):
            assert got == math.inf, (got, expected)
        else:
            assert math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-12), (got, expected)
    assert all(o == outputs[0] for o in outputs), "the NumPy and pyarrow readers disagree"
    return outputs[0][0]


# -- argument lists


def _vector(d, k: int) -> str:
    """A plausible prediction: k probabilities that sum to 1 (or an index, or 0/1s)."""
    kind = d.integer(0, 3)
    if kind == 0:
        return str(d.integer(0, k - 1))
    if kind == 1:
        return ",".join(str(d.integer(0, 1)) for _ in range(k))
    weights = [d.unit() for _ in range(k)]
    total = math.fsum(weights) or 1.0
    return ",".join(repr(w / total) for w in weights)


def _arg_value(d) -> str:
    if d.boolean(0.3):
        return _vector(d, d.integer(1, 5))
    if d.boolean(0.6):
        return d.choice(ARG_NASTY)
    if d.boolean():
        return ",".join(d.choice(ARG_NASTY) for _ in range(d.integer(0, 6)))
    return d.text(12)


ARG_OPTIONS = {
    "compute": [
        "--labels",
        "--pred",
        "--logits",
        "--classes",
        "--base",
        "--weights",
        "--sample-weights",
        "--label-smoothing",
        "--ignore-index",
        "--ignore-label",
        "--clip",
        "--top-k",
        "--bins",
        "--worst",
        "--precision",
    ],
    "entropy": ["--pred", "--logits", "--base", "--classes", "--precision"],
    "explain": ["--labels", "--pred", "--classes", "--base", "--lang", "--precision"],
    "kl": ["--p", "--q", "--base", "--classes", "--precision"],
    "js": ["--p", "--q", "--base", "--classes", "--precision"],
}
FLAGS = ["--renormalize", "--multi-label", "--from-logits", "-h"]


@dataclass
class ArgumentCase:
    args: list[str]
    fmt: str
    output: bool


def draw_arguments(d) -> ArgumentCase:
    """A command and its options, each with a plausible or hostile value."""
    command = d.choice(list(ARG_OPTIONS))
    args = [command]
    if command in ("compute", "explain") and d.boolean(0.7):  # mostly a vector run
        k = d.integer(1, 5)
        args += ["--labels", _vector(d, k), "--pred", _vector(d, k)]
        if d.boolean(0.3):
            args += ["--pred", _vector(d, k) if d.boolean(0.8) else _arg_value(d)]
    elif command in ("kl", "js", "entropy") and d.boolean(0.7):
        k = d.integer(1, 5)
        args += ["--pred", _vector(d, k)] if command == "entropy" else []
        args += [] if command == "entropy" else ["--p", _vector(d, k), "--q", _vector(d, k)]
    for _ in range(d.integer(0, 5)):
        if d.boolean(0.15):
            args.append(d.choice(FLAGS))
        else:
            args += [d.choice(ARG_OPTIONS[command]), _arg_value(d)]
    fmt = d.choice(["plain", "plain", "json", "csv"])
    args += ["-f", fmt]
    if d.boolean(0.4):
        args += ["-r", d.choice(["none", "mean", "sum", "all"])]
    return ArgumentCase(args, fmt, d.boolean(0.15) and "-h" not in args)


@st.composite
def argument_cases(draw):
    return draw_arguments(HypothesisDraw(draw))


def check_arguments(case: ArgumentCase, directory: str) -> int:
    """Exit 0 with valid output, or one line on stderr (exit 1/2). Returns the exit status."""
    out_path = os.path.join(directory, "out.txt") if case.output else None
    result, text = _invoke(case.args, "numpy", out_path, directory)
    assert_clean(result, quiet_stdout=True)
    if result.exit_code == 0 and not result.stdout.lstrip().startswith("Usage:"):  # -h: the help
        # explain's plain output is its prose; the other commands' plain output is numbers
        if not (case.args[0] == "explain" and case.fmt == "plain"):
            check_output(text, case.fmt)
    return result.exit_code
