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

    python benchmarks/parsers.py                       # the 1,000,000 x 10 file of run.py
    python benchmarks/parsers.py --file preds.csv --repeat 5
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
print(repr(float(q[np.arange(len(y)), y].sum())))
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
        """
import pyarrow as pa, pyarrow.csv as pacsv
types = {"label": pa.dictionary(pa.int32(), pa.string())}
types.update({c: pa.float64() for c in classes})
t = pacsv.read_csv(F, convert_options=pacsv.ConvertOptions(column_types=types))
q = np.column_stack([t.column(c).to_numpy() for c in classes])
label = t.column("label").combine_chunks()
names = label.dictionary.to_pylist()
y = np.array([classes.index(n) for n in names])[label.indices.to_numpy()]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    path = args.file or HERE / "data" / "preds_1000000x10_seed0.csv"
    if not path.exists():
        generate(path, 1_000_000, 10)
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
    fastest = min(statistics.median(t) for t in times.values())
    print(f"{path.name}, median of {args.repeat} alternating runs, whole processes\n")
    print("| parser | median s | × fastest |\n|---|--:|--:|")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.2f} | {median / fastest:.2f} |")
    spread = max(sums.values()) - min(sums.values())
    print(f"\nchecksums agree to {spread:.1e} (sum of Q at the label)")


if __name__ == "__main__":
    main()
