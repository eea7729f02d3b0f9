"""The cost of ``--ci``: ``xent compute`` with and without ``--ci 0.95`` on the same file.

Issue 24, item 5: the interval cost 6.47 s against 2.01 s on 1M rows; the bar is at most
1.5x the run without it. Each command is a process of its own, the three alternating
(without intervals, ``--ci 0.95``: standard errors, and ``--ci 0.95 --bootstrap 200``),
and the medians are compared, for plain output (the mean, and the mean's interval) and
for json (every metric, and every metric's interval: with the bootstrap the calibration
errors' too); wall time, and CPU time (user + system of xent and its worker processes:
steadier on a shared machine).

    python benchmarks/ci_cost.py                      # 1,000,000 rows x 10 classes, 5 runs
    python benchmarks/ci_cost.py --rows 200000 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def data_file(data: Path, rows: int, classes: int, seed: int = 0) -> Path:
    path = data / f"preds_{rows}x{classes}_seed{seed}.csv"
    if not path.exists():
        print(f"generating {path} ...", file=sys.stderr, flush=True)
        command = [sys.executable, str(HERE / "generate.py"), "--rows", str(rows)]
        command += ["--classes", str(classes), "--seed", str(seed), "--out", str(path)]
        subprocess.run(command, check=True)
    return path


def timed(command: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds: user + system of the process and its workers)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def ci_rows(path: Path, repeat: int, xent: str) -> list[tuple]:
    """(format, method, wall without, wall with --ci, ratio, CPU without, CPU with, ratio):
    medians, for plain and json, of --ci (standard errors) and --ci --bootstrap 200. On a
    shared machine the CPU ratio is the steadier figure."""
    out = []
    for fmt in ("plain", "json"):
        base = [xent, "compute", "-i", str(path), "-f", fmt]
        variants = {"--ci 0.95": ["--ci", "0.95"]}
        variants["--ci 0.95 --bootstrap 200"] = [*variants["--ci 0.95"], "--bootstrap", "200"]
        without: list[tuple[float, float]] = []
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
        for _ in range(repeat):  # alternating: a noisy moment hits all alike
            without.append(timed(base))
            for name, extra in variants.items():
                runs[name].append(timed([*base, *extra]))
        a = statistics.median(t[0] for t in without)
        c = statistics.median(t[1] for t in without)
        for name, timings in runs.items():
            b = statistics.median(t[0] for t in timings)
            d = statistics.median(t[1] for t in timings)
            out.append((fmt, name, a, b, b / a, c, d, d / c))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--data", type=Path, default=HERE / "data")
    parser.add_argument("--xent", default=str(Path(sys.executable).with_name("xent")))
    args = parser.parse_args()
    path = data_file(args.data, args.rows, args.classes)
    print(
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; {args.rows:,} rows x {args.classes} classes, "
        f"medians of {args.repeat} alternating runs\n"
    )
    print("| -f | intervals | wall without s | with s | ratio | CPU without s | with s | ratio |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for fmt, name, a, b, ratio, c, d, cpu in ci_rows(path, args.repeat, args.xent):
        cells = [fmt, f"`{name}`", f"{a:.2f}", f"{b:.2f}", f"{ratio:.2f}x", f"{c:.2f}"]
        print("| " + " | ".join([*cells, f"{d:.2f}", f"{cpu:.2f}x"]) + " |")


if __name__ == "__main__":
    main()
