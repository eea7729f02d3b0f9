"""How xent's time falls with cores, beside DuckDB and Polars, on one large CSV.

Generates 10,000,000 rows x 10 classes (about 1 GB, fixed seed: the file of
``run.py --scaling --max-rows 10000000``) unless ``--file`` names one, then runs, as whole
processes, alternating, ``--repeat`` rounds:

- xent, default install (NumPy reader) and xent[fast] (pyarrow reader), each with
  ``XENT_CSV_WORKERS`` = 1, 2, 4, 8, 16 (those up to the cores, unless ``--workers``);
- the DuckDB and Polars queries of ``run.py`` (they validate nothing; xent checks every row).

It checks that all agree to 1e-9, and prints a Markdown table (median seconds, the ratio to
DuckDB, the peak resident set of the largest process) that ``--out`` also receives. Needs
only numpy, pyarrow, duckdb, polars and xent; about 6 minutes on 16 cores.

    python benchmarks/scaling.py --out scaling.md
    python benchmarks/scaling.py --file big.csv --workers 1,4,16 --repeat 5 --out scaling.md
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402
from run import DUCKDB_CASE, POLARS_COALESCE  # noqa: E402

Method = tuple[list[str], dict[str, str]]


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def methods(path: Path, workers: list[int]) -> dict[str, Method]:
    xent = [sys.executable, "-m", "xent", "compute", "--file", str(path), "-f", "plain"]
    from importlib.util import find_spec

    found: dict[str, Method] = {
        "DuckDB query (CASE label)": ([sys.executable, "-c", DUCKDB_CASE, str(path)], {}),
    }
    if find_spec("polars") is not None:
        found["Polars query (coalesce)"] = ([sys.executable, "-c", POLARS_COALESCE, str(path)], {})
    else:
        print("skipped: Polars query (needs polars)", file=sys.stderr)
    for reader, name in (("numpy", "xent, default install"), ("arrow", "xent[fast]")):
        for n in workers:
            env = {"XENT_CSV_READER": reader, "XENT_CSV_WORKERS": str(n)}
            found[f"{name}, {n} process{'es' if n > 1 else ''}"] = (xent, env)
    return found


def run_once(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, the printed number) of one process."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("XENT_")}
    start = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**environment, **env},
    )
    out, err = process.communicate()
    wall = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command[:3])} failed: {err.decode().strip()}")
    return wall, float(out.decode().split()[-1])  # the last word: Polars may draw a progress bar


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, help="a CSV label,c0,...; default: generate one")
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--data", type=Path, default=HERE / "data")
    parser.add_argument("--workers", help="XENT_CSV_WORKERS values, e.g. 1,2,4,8,16")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, help="also write the table here")
    args = parser.parse_args()

    path = args.file
    if path is None:
        path = args.data / f"preds_{args.rows}x{args.classes}_seed0.csv"
        if not path.exists():
            print(f"generating {path} ...", file=sys.stderr, flush=True)
            generate(path, args.rows, args.classes, 0, processes=cores())
    if args.workers:
        workers = [int(w) for w in args.workers.split(",")]
    else:
        workers = [n for n in (1, 2, 4, 8, 16) if n <= cores()] or [1]
    todo = methods(path, workers)

    times: dict[str, list[float]] = {name: [] for name in todo}
    values: dict[str, float] = {}
    for round_ in range(args.repeat):  # alternate: a noisy moment hits every method alike
        for name, (command, env) in todo.items():
            wall, value = run_once(command, env)
            times[name].append(wall)
            values[name] = value
            print(f"round {round_ + 1}: {name}: {wall:.2f} s", file=sys.stderr, flush=True)
    memory = {name: _peak_of(command, env) for name, (command, env) in todo.items()}

    medians = {name: statistics.median(t) for name, t in times.items()}
    duckdb = medians["DuckDB query (CASE label)"]
    reference = values["DuckDB query (CASE label)"]
    gap = max(abs(v - reference) for v in values.values())
    size = path.stat().st_size / 2**20
    lines = [
        f"{platform.system()} {platform.machine()}, {cores()} cores, Python "
        f"{platform.python_version()}; {versions()}",
        "",
        f"{path.name}: {size:,.0f} MiB; median of {args.repeat} alternating runs, whole processes",
        "",
        "| method | median s | × DuckDB | peak MiB (largest process) |",
        "|---|--:|--:|--:|",
    ]
    for name in todo:
        lines.append(
            f"| {name} | {medians[name]:.2f} | {medians[name] / duckdb:.2f} | {memory[name]:,.0f} |"
        )
    lines += ["", f"mean cross-entropy {reference!r}; largest difference {gap:.1e} (limit 1e-9)"]
    table = "\n".join(lines) + "\n"
    print(table)
    if args.out:
        args.out.write_text(table)
    if gap > 1e-9:
        raise SystemExit("the methods disagree by more than 1e-9")


def _peak_of(command: list[str], env: dict[str, str]) -> float:
    """Peak resident set (MiB) of the largest process of one run: ``wait4``'s rusage
    covers the process and the workers it waited for."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("XENT_")}
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**environment, **env},
    )
    _, _, usage = os.wait4(process.pid, 0)
    process.returncode = 0
    return usage.ru_maxrss / 1024


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for name in ("xent", "numpy", "pyarrow", "duckdb", "polars"):
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            pass
    return ", ".join(found)


if __name__ == "__main__":
    main()
