"""Which parser should the fast install use? Each candidate turns the CSV into what xent's
scorer takes, a float64 matrix of the class columns and an integer class per row, in a
process of its own (start-up and import included), alternating, ``--repeat`` rounds.

- numpy.loadtxt: the default install's parser (no extra package);
- pyarrow.csv.read_csv, typed columns, the label as a dictionary (its codes are the
  classes): what ``xent[fast]`` uses;
- polars.read_csv, typed columns, the label as an Enum of the classes;
- DuckDB read_csv, typed columns, the class index computed in SQL, fetched with
  ``fetchnumpy``.

Each prints a checksum (the sum of Q at the label over all rows), which must agree.

``--chunks`` times them as xent's worker processes use a parser instead: the file cut into
1 MiB pieces of whole lines, each parsed on one thread, CPU seconds for the whole file
(the processes' own time, after one untimed piece; start-up and the cutting left out).

    python benchmarks/parsers.py                       # the 1,000,000 x 10 file of run.py
    python benchmarks/parsers.py --file preds.csv --repeat 5
    python benchmarks/parsers.py --chunks
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402

HEADER = """
import sys
import numpy as np
F = sys.argv[1]
classes = open(F).readline().rstrip("\\r\\n").split(",")[1:]
"""

CHECK = """
assert "pandas" not in sys.modules  # a parser's hidden import would be timed as its own
print(repr(float(q[np.arange(len(y)), y].sum())))
"""

# Arrow's columns to xent's arrays, for both scripts below.
ARROW_ARRAYS = """
def arrow_arrays(t, classes):
    # As xent reads Arrow's buffers: to_numpy() would import pandas (0.27 s here).
    def floats(column):
        parts = [np.frombuffer(a.buffers()[1], float, len(a), a.offset * 8) for a in column.chunks]
        return np.concatenate(parts)
    q = np.column_stack([floats(t.column(c)) for c in classes])
    y = []
    for a in t.column("label").chunks:
        codes = np.array([classes.index(n) for n in a.dictionary.to_pylist()])
        idx = np.frombuffer(a.indices.buffers()[1], np.int32, len(a), a.indices.offset * 4)
        y.append(codes[idx])
    return q, np.concatenate(y)
"""

PARSERS = {
    "numpy.loadtxt (default install)": (
        None,
        """
labels = np.loadtxt(F, delimiter=",", skiprows=1, usecols=0, dtype=str, comments=None)
q = np.loadtxt(F, delimiter=",", skiprows=1, usecols=range(1, len(classes) + 1), comments=None)
index = {c: i for i, c in enumerate(classes)}
y = np.array([index[t] for t in labels.tolist()])
""",
    ),
    "pyarrow.csv.read_csv (xent[fast])": (
        "pyarrow",
        ARROW_ARRAYS
        + """
import pyarrow as pa, pyarrow.csv as pacsv
types = {"label": pa.dictionary(pa.int32(), pa.string())}
types.update({c: pa.float64() for c in classes})
t = pacsv.read_csv(F, convert_options=pacsv.ConvertOptions(column_types=types))
q, y = arrow_arrays(t, classes)
""",
    ),
    "polars.read_csv": (
        "polars",
        """
import polars as pl
schema = {"label": pl.Enum(classes), **{c: pl.Float64 for c in classes}}
d = pl.read_csv(F, schema=schema)
q = d.select(classes).to_numpy()
y = d["label"].to_physical().to_numpy().astype(np.intp)
""",
    ),
    "duckdb read_csv + fetchnumpy": (
        "duckdb",
        """
import duckdb
columns = {"label": "VARCHAR", **{c: "DOUBLE" for c in classes}}
names = "[" + ", ".join(f"'{c}'" for c in classes) + "]"
picked = ", ".join(f'"{c}"' for c in classes)
r = duckdb.sql(
    f"SELECT list_position({names}, label) - 1 AS y, {picked} "
    f"FROM read_csv('{F}', header = true, columns = {columns}, auto_detect = false)"
).fetchnumpy()
q = np.column_stack([r[c] for c in classes])
y = r["y"].astype(np.intp)
""",
    ),
}


# Per chunk, on one thread each: what a worker process does with its 1 MiB of lines.
CHUNKED = (
    ARROW_ARRAYS
    + """
import os, sys, time
os.environ["POLARS_MAX_THREADS"] = "1"
import numpy as np
F, which = sys.argv[1], sys.argv[2]
data = open(F, "rb").read()
header = data[: data.index(b"\\n") + 1]
classes = header.decode().strip().split(",")[1:]
names = ["label"] + classes
body, pieces, i = data[len(header):], [], 0
while i < len(body):
    j = body.rfind(b"\\n", i, i + (1 << 20)) + 1
    j = j if j > i else len(body)
    pieces.append(body[i:j])
    i = j
if which == "numpy":
    index = {c: k for k, c in enumerate(classes)}
    def parse(piece):
        lines = piece.decode().split("\\n")[:-1]
        q = np.loadtxt(lines, delimiter=",", usecols=range(1, len(names)), ndmin=2, comments=None)
        y = np.array([index[line.partition(",")[0]] for line in lines])
        return q, y
elif which == "pyarrow":
    import pyarrow as pa, pyarrow.csv as pacsv
    types = {"label": pa.dictionary(pa.int32(), pa.string())}
    types.update({c: pa.float64() for c in classes})
    read = pacsv.ReadOptions(column_names=names, use_threads=False)
    convert = pacsv.ConvertOptions(column_types=types)
    def parse(piece):
        t = pacsv.read_csv(pa.py_buffer(piece), read_options=read, convert_options=convert)
        return arrow_arrays(t, classes)
else:
    import polars as pl
    schema = {"label": pl.Enum(classes), **{c: pl.Float64 for c in classes}}
    def parse(piece):
        d = pl.read_csv(piece, has_header=False, new_columns=names, schema=schema)
        return d.select(classes).to_numpy(), d["label"].to_physical().to_numpy()
parse(pieces[0])  # a first call's one-time costs are start-up, not parsing
start = time.process_time()
total = 0.0
for piece in pieces:
    q, y = parse(piece)
    total += float(q[np.arange(len(y)), y].sum())
assert "pandas" not in sys.modules  # a parser's hidden import would be timed as its own
print(time.process_time() - start, repr(total))
"""
)


def chunked(path: Path, repeat: int) -> None:
    """CPU seconds to parse the file in 1 MiB pieces on one thread, per parser."""
    todo = ["numpy"] + [p for p in ("pyarrow", "polars") if importlib.util.find_spec(p)]
    seconds: dict[str, list[float]] = {name: [] for name in todo}
    sums: dict[str, float] = {}
    for _ in range(repeat):
        for name in todo:
            command = [sys.executable, "-c", CHUNKED, str(path), name]
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            cpu, total = done.stdout.split()
            seconds[name].append(float(cpu))
            sums[name] = float(total)
    title = f"{path.name} in 1 MiB pieces, one thread, median CPU s of {repeat} runs"
    print_table(title, "CPU s", seconds, sums)


def print_table(title: str, unit: str, seconds: dict[str, list[float]], sums) -> None:
    """Medians and ratios to the fastest, as Markdown, and how far the checksums differ."""
    fastest = min(statistics.median(v) for v in seconds.values())
    print(f"{title}\n")
    print(f"| parser | {unit} | × fastest |\n|---|--:|--:|")
    for name, values in seconds.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.2f} | {median / fastest:.2f} |")
    spread = max(sums.values()) - min(sums.values())
    print(f"\nchecksums agree to {spread:.1e} (sum of Q at the label)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--chunks", action="store_true", help="per 1 MiB piece, one thread")
    args = parser.parse_args()
    path = args.file or HERE / "data" / "preds_1000000x10_seed0.csv"
    if not path.exists():
        generate(path, 1_000_000, 10)
    if args.chunks:
        chunked(path, args.repeat)
        return
    todo = {}
    for name, (package, body) in PARSERS.items():
        if package and importlib.util.find_spec(package) is None:
            print(f"skipped: {name} (needs {package})", file=sys.stderr)
            continue
        todo[name] = [sys.executable, "-c", HEADER + body + CHECK, str(path)]
    times: dict[str, list[float]] = {name: [] for name in todo}
    sums: dict[str, float] = {}
    for _ in range(args.repeat):
        for name, command in todo.items():
            start = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            times[name].append(time.perf_counter() - start)
            sums[name] = float(done.stdout)
    title = f"{path.name}, median of {args.repeat} alternating runs, whole processes"
    print_table(title, "median s", times, sums)


if __name__ == "__main__":
    main()
