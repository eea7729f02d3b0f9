"""Time ``xent compute --file`` against what a user would use instead, on generated files.

One command: generates the data if it is missing (fixed seed), runs each method as its own
process, alternating, ``--repeat`` times, checks that every method's mean cross-entropy
agrees with pandas + scikit-learn to 1e-9, and prints the median wall time, the peak
memory of each run (resident set; with worker processes, their proportional share added),
and the ratios to pandas + scikit-learn, to the fastest method and to the fastest CSV parse
of the machine (the best of ``numpy.loadtxt``, ``pyarrow.csv.read_csv`` and
``polars.read_csv``, each parsing the file alone).

Besides xent and the usual pandas + scikit-learn script, two hand-written engine queries
(Polars and DuckDB) compute the same mean. They validate nothing (xent checks every row:
a distribution, a known label), so they are what the arithmetic costs with a fast engine.
A method whose package is missing is skipped with a line saying so
(``pip install '.[bench]'`` installs them all).

    python benchmarks/run.py                        # 1,000,000 rows x 10 classes
    python benchmarks/run.py --rows 200000 --classes 1000 --repeat 3
    python benchmarks/run.py --scaling              # xent at 10^4 ... 10^6 rows
    python benchmarks/run.py --scaling --max-rows 10000000   # ... 10^7 rows (a 1 GB file)
    python benchmarks/run.py --all                  # start-up, both files, scaling to 10^7
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

PANDAS_SKLEARN = """
import sys
import pandas as pd
from sklearn.metrics import log_loss
frame = pd.read_csv(sys.argv[1])
labels = pd.Categorical(frame.pop("label"), categories=frame.columns).codes
print(repr(log_loss(labels, frame.to_numpy(), labels=range(frame.shape[1]))))
"""

# The engine queries as /work/shared/PERFORMANCE.md measured them: the schema given (no
# type inference), the label's own column picked per row, -log of it averaged. No checks.
POLARS_COALESCE = """
import sys
import polars as pl
F = sys.argv[1]
classes = open(F).readline().rstrip("\\r\\n").split(",")[1:]
schema = {"label": pl.String, **{c: pl.Float64 for c in classes}}
q = pl.coalesce(pl.when(pl.col("label") == c).then(pl.col(c)) for c in classes)
print(repr(pl.scan_csv(F, schema=schema).select((-q.log()).mean()).collect().item()))
"""

# With many classes a 1000-way coalesce is slow to plan: one (label, class, q) row per
# cell, keep the label's own cell.
POLARS_UNPIVOT = """
import sys
import polars as pl
F = sys.argv[1]
classes = open(F).readline().rstrip("\\r\\n").split(",")[1:]
schema = {"label": pl.String, **{c: pl.Float64 for c in classes}}
q = (
    pl.scan_csv(F, schema=schema)
    .unpivot(on=classes, index="label", variable_name="class", value_name="q")
    .filter(pl.col("class") == pl.col("label"))
)
print(repr(q.select((-pl.col("q").log()).mean()).collect().item()))
"""

DUCKDB_CASE = """
import sys
import duckdb
F = sys.argv[1]
classes = open(F).readline().rstrip("\\r\\n").split(",")[1:]
case = " ".join(f"WHEN '{c}' THEN \\"{c}\\"" for c in classes)
columns = ", ".join(["'label': 'VARCHAR'"] + [f"'{c}': 'DOUBLE'" for c in classes])
path = F.replace("'", "''")
sql = (
    f"SELECT avg(-ln(CASE label {case} END)) FROM read_csv('{path}', header=true, "
    f"columns={{{columns}}}, auto_detect=false, delim=',', quote='', escape='')"
)
print(repr(duckdb.sql(sql).fetchall()[0][0]))
"""

# Beyond this many classes the Polars query unpivots instead of coalescing.
POLARS_UNPIVOT_CLASSES = 100

# The references parse the whole file and nothing else: the floor for any CSV reader.
PARSE_ONLY = {
    "parse only: numpy.loadtxt": (
        "numpy",
        "import sys, numpy as np\n"
        "k = len(open(sys.argv[1]).readline().split(','))\n"
        "print(np.loadtxt(sys.argv[1], delimiter=',', skiprows=1, usecols=range(1, k),"
        " comments=None, quotechar=None).shape[0])\n",
    ),
    "parse only: pyarrow.csv.read_csv": (
        "pyarrow",
        "import sys, pyarrow.csv as c\nprint(c.read_csv(sys.argv[1]).num_rows)\n",
    ),
    "parse only: polars.read_csv": (
        "polars",
        "import sys, polars as pl\nprint(pl.read_csv(sys.argv[1]).height)\n",
    ),
}

Method = tuple[list[str], dict[str, str]]


def have(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def xent_command() -> str:
    return shutil.which("xent", path=str(Path(sys.executable).parent)) or "xent"


def xent_methods(path: Path, xent: str | None = None, name: str = "xent") -> dict[str, Method]:
    """xent's installs: this Python's ``xent``, or the one at ``xent`` (another install,
    e.g. an earlier release's wheel in a venv of its own, named ``name``)."""
    command = [xent or xent_command(), "compute", "--file", str(path), "-f", "plain"]
    # The default install has no pyarrow: XENT_CSV_READER=numpy reads as it does.
    found = {f"{name}, default install (NumPy reader)": (command, {"XENT_CSV_READER": "numpy"})}
    if xent is not None:  # another install: its two readers only
        found[f"{name}[fast] (pyarrow reader)"] = (command, {"XENT_CSV_READER": "auto"})
        return found
    if have("pyarrow"):
        # As installed with the extra: pyarrow for up to 128 columns, else NumPy.
        found["xent[fast] (pyarrow reader)"] = (command, {"XENT_CSV_READER": "auto"})
        # The same rows as Parquet (one row group of 64k rows at a time).
        parquet = [*command]
        parquet[3] = str(parquet_file(path))
        found["xent[fast], the same rows as Parquet"] = (parquet, {})
    return found


# Row groups of about 64 MB, however wide the rows: the CSV reader's batches are ~1 MB
# (89 rows of 1000 classes), and a row group each made a footer of 2.2 million column
# chunks that alone took 2 GB to read.
PARQUET_WRITE = """
import sys, pyarrow as pa, pyarrow.csv as c, pyarrow.parquet as pq
reader = c.open_csv(sys.argv[1])
with pq.ParquetWriter(sys.argv[2], reader.schema) as writer:
    held, size = [], 0
    for batch in reader:
        held.append(batch)
        size += batch.nbytes
        if size >= 64 << 20:
            writer.write_table(pa.Table.from_batches(held), row_group_size=1 << 30)
            held, size = [], 0
    if held:
        writer.write_table(pa.Table.from_batches(held), row_group_size=1 << 30)
"""


def parquet_file(path: Path) -> Path:
    """The CSV file's rows as Parquet, written once beside it (streamed, in a process of
    its own, as the CSV is generated)."""
    out = path.with_suffix(".parquet")
    if not out.exists():
        print(f"writing {out} ...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-c", PARQUET_WRITE, str(path), str(out)], check=True)
    return out


def methods(path: Path, classes: int, report=print, baseline: str | None = None):
    """name -> (command, extra environment). The first is the reference. A method whose
    package is missing is left out, with a line through ``report``. ``baseline``: another
    xent executable (an earlier release) timed beside this one, with both readers."""
    python = [sys.executable, "-c"]
    found: dict[str, Method] = {}
    if have("pandas") and have("sklearn"):
        found["pandas + sklearn"] = ([*python, PANDAS_SKLEARN, str(path)], {})
    else:
        report("skipped: pandas + sklearn (needs pandas and scikit-learn)")
    found.update(xent_methods(path))
    if baseline is not None:
        found.update(xent_methods(path, baseline, "baseline xent"))
    if not have("pyarrow"):
        report("skipped: xent[fast] (pyarrow reader) (needs pyarrow)")
    if classes > POLARS_UNPIVOT_CLASSES:
        engines = {"Polars query (unpivot + filter)": ("polars", POLARS_UNPIVOT)}
    else:
        engines = {"Polars query (coalesce of when/then)": ("polars", POLARS_COALESCE)}
    engines["DuckDB query (CASE label)"] = ("duckdb", DUCKDB_CASE)
    for name, (module, code) in {**engines, **PARSE_ONLY}.items():
        if have(module):
            found[name] = ([*python, code, str(path)], {})
        else:
            report(f"skipped: {name} (needs {module})")
    return found


def run_once(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, the printed number) of one process."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **env}
    )
    out, err = process.communicate()
    wall = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"{command[0]} failed: {err.decode().strip()}")
    return wall, float(out.decode().split()[-1])  # the last word: Polars may draw a progress bar


def _tree_pss_kib(pid: int) -> int:
    """Proportional set size of a process and all its descendants (KiB), from /proc: pages
    shared after ``fork`` are split between the processes, not counted in each."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup") as status:
                for line in status:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as children:
                    todo += [int(c) for c in children.read().split()]
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return total


def peak_rss_mib(command: list[str], env: dict[str, str]) -> float:
    """Peak memory of one run: the larger of the process's own peak resident set
    (``wait4``) and the peak of the proportional set size summed over the process and its
    workers (sampled every 5 ms)."""
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **env}
    )
    peak = [0]
    finished = threading.Event()

    def sample() -> None:
        while not finished.is_set():
            peak[0] = max(peak[0], _tree_pss_kib(process.pid))
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, _, usage = os.wait4(process.pid, 0)
    finished.set()
    sampler.join()
    process.returncode = 0
    return max(peak[0], usage.ru_maxrss) / 1024  # KiB on Linux


def data_file(args, rows: int, classes: int) -> Path:
    path = args.data / f"preds_{rows}x{classes}_seed{args.seed}.csv"
    if not path.exists():
        print(f"generating {path} ...", file=sys.stderr, flush=True)
        # In a process of its own: a child's peak resident set (wait4) starts from this
        # process's, so this one must stay small for the memory figures to be right.
        script = str(HERE / "generate.py")
        command = [sys.executable, script, "--rows", str(rows), "--classes", str(classes)]
        command += ["--seed", str(args.seed), "--out", str(path)]
        subprocess.run(command, check=True)
    return path


def timed(todo: dict[str, Method], repeat: int):
    """Medians of ``repeat`` alternating runs, the printed numbers and peak memory."""
    times: dict[str, list[float]] = {name: [] for name in todo}
    values: dict[str, float] = {}
    for _ in range(repeat):  # alternate, so a noisy moment hits every method alike
        for name, (command, env) in todo.items():
            wall, value = run_once(command, env)
            times[name].append(wall)
            values[name] = value
    memory = {name: peak_rss_mib(command, env) for name, (command, env) in todo.items()}
    medians = {name: statistics.median(t) for name, t in times.items()}
    return medians, values, memory


def compare(args, rows: int, classes: int, repeat: int) -> None:
    path = data_file(args, rows, classes)
    size = path.stat().st_size / 2**20
    print(f"\n### {rows:,} rows x {classes} classes ({size:,.0f} MiB CSV), {repeat} runs each\n")
    todo = methods(path, classes, report=lambda line: print(line + "\n"), baseline=args.baseline)
    medians, values, memory = timed(todo, repeat)
    reference_name = next(iter(todo))
    reference = values[reference_name]
    parses = [medians[name] for name in todo if name.startswith("parse only")]
    fastest_parse = min(parses) if parses else float("nan")
    fastest = min(medians.values())
    print(
        f"| method | median wall s | peak MiB | vs {reference_name} | vs fastest "
        "| vs fastest parse |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    worst_gap, worst_name = 0.0, reference_name
    for name in todo:
        median = medians[name]
        if not name.startswith("parse only"):  # those print a row count
            gap = abs(values[name] - reference)
            if gap >= worst_gap:
                worst_gap, worst_name = gap, name
        speed_up = medians[reference_name] / median
        print(
            f"| {name} | {median:.2f} | {memory[name]:,.0f} | {speed_up:.2f}x faster "
            f"| {median / fastest:.2f}x the time | {median / fastest_parse:.2f}x the time |"
        )
    print(
        f"\nmean cross-entropy ({reference_name}): {reference!r}; largest difference of "
        f"the others: {worst_gap:.1e} ({worst_name}; limit 1e-9)"
    )
    if worst_gap > 1e-9:
        raise SystemExit("the methods disagree by more than 1e-9")


def scaling(args, classes: int = 10) -> None:
    sizes = [10**k for k in range(4, 8) if 10**k <= args.max_rows]
    print(f"\n### Cost growth: xent alone, {classes} classes, median of {args.repeat} runs\n")
    header = "| rows | MiB |"
    rule = "|---:|---:|"
    names = list(xent_methods(Path("x")))
    for name in names:
        header += f" {name}: s | µs a row | peak RSS MiB |"
        rule += "---:|---:|---:|"
    print(header)
    print(rule)
    for rows in sizes:
        path = data_file(args, rows, classes)
        todo = xent_methods(path)
        medians, values, memory = timed(todo, args.repeat)
        line = f"| {rows:,} | {path.stat().st_size / 2**20:,.1f} |"
        for name in names:
            per_row = medians[name] / rows * 1e6
            line += f" {medians[name]:.3f} | {per_row:.2f} | {memory[name]:.0f} |"
        print(line, flush=True)
        if len(set(round(v, 9) for v in values.values())) > 1:
            raise SystemExit(f"the xent readers disagree at {rows} rows: {values}")


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for name in ("xent", "numpy", "typer", "pandas", "scikit-learn", "pyarrow", "polars", "duckdb"):
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            pass
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; " + ", ".join(found)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--baseline",
        metavar="XENT",
        help="another xent executable (an earlier release's, in a venv of its own) timed "
        "beside this one: the ratios say whether a change made xent slower",
    )
    parser.add_argument("--data", type=Path, default=HERE / "data")
    parser.add_argument("--scaling", action="store_true", help="time xent at 10^4 rows and up")
    parser.add_argument("--max-rows", type=int, default=1_000_000, help="of --scaling")
    parser.add_argument(
        "--all",
        action="store_true",
        help="start-up, 1,000,000 x 10, 200,000 x 1,000 and scaling to 10^7 rows (long)",
    )
    args = parser.parse_args()
    print(versions(), flush=True)
    if args.all:
        from startup import startup_table

        print(f"\n### Start-up, median of {args.repeat * 6 + 1} alternating runs\n")
        print(startup_table(args.repeat * 6 + 1), flush=True)
        compare(args, 1_000_000, 10, args.repeat)
        compare(args, 200_000, 1000, max(args.repeat - 2, 1))
        args.max_rows = max(args.max_rows, 10_000_000)
        args.repeat = max(args.repeat - 2, 1)
        scaling(args)
    elif args.scaling:
        scaling(args, args.classes)
    else:
        compare(args, args.rows, args.classes, args.repeat)


if __name__ == "__main__":
    main()
