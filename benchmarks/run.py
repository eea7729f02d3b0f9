"""Time ``xent compute --file`` against pandas + scikit-learn on the same generated file.

One command: generates the data if it is missing (fixed seed), runs each method as its own
process, alternating, ``--repeat`` times, checks that every method's mean cross-entropy
agrees with pandas + scikit-learn to 1e-9, and prints the median wall time, the peak RSS
of each process (from ``wait4``), and the speed-up over pandas + scikit-learn.

    python benchmarks/run.py                       # 1,000,000 rows x 10 classes
    python benchmarks/run.py --rows 200000 --classes 1000 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402

PANDAS_SKLEARN = """
import sys
import pandas as pd
from sklearn.metrics import log_loss
frame = pd.read_csv(sys.argv[1])
labels = pd.Categorical(frame.pop("label"), categories=frame.columns).codes
print(repr(log_loss(labels, frame.to_numpy(), labels=range(frame.shape[1]))))
"""


def methods(path: Path) -> dict[str, tuple[list[str], dict[str, str]]]:
    """name -> (command, extra environment). The first is the reference."""
    xent = shutil.which("xent", path=str(Path(sys.executable).parent)) or "xent"
    found = {
        "pandas + sklearn": ([sys.executable, "-c", PANDAS_SKLEARN, str(path)], {}),
        "xent (NumPy reader)": (
            [xent, "compute", "--file", str(path), "-f", "plain"],
            {"XENT_CSV_READER": "numpy"},
        ),
    }
    try:
        import pyarrow  # noqa: F401

        found["xent[fast] (pyarrow reader)"] = (
            [xent, "compute", "--file", str(path), "-f", "plain"],
            {"XENT_CSV_READER": "arrow"},
        )
    except ImportError:
        pass
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
    return wall, float(out.decode().strip())


def peak_rss_mib(command: list[str], env: dict[str, str]) -> float:
    """Peak resident memory of one run, from the kernel's rusage of that very process."""
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **env}
    )
    _, _, usage = os.wait4(process.pid, 0)
    process.returncode = 0
    return usage.ru_maxrss / 1024  # KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, default=HERE / "data")
    args = parser.parse_args()

    path = args.data / f"preds_{args.rows}x{args.classes}_seed{args.seed}.csv"
    if not path.exists():
        print(f"generating {path} ...", file=sys.stderr)
        generate(path, args.rows, args.classes, args.seed)
    size = path.stat().st_size / 2**20
    print(f"{path.name}: {args.rows:,} rows x {args.classes} classes, {size:.0f} MiB")

    todo = methods(path)
    times: dict[str, list[float]] = {name: [] for name in todo}
    values: dict[str, float] = {}
    for _ in range(args.repeat):  # alternate, so a noisy moment hits every method alike
        for name, (command, env) in todo.items():
            wall, value = run_once(command, env)
            times[name].append(wall)
            values[name] = value
    memory = {name: peak_rss_mib(command, env) for name, (command, env) in todo.items()}

    reference_name = next(iter(todo))
    reference = values[reference_name]
    base_time = statistics.median(times[reference_name])
    print("\n| method | median wall s | peak RSS MiB | speed-up | mean cross-entropy |")
    print("|---|---|---|---|---|")
    worst_gap = 0.0
    for name in todo:
        median = statistics.median(times[name])
        gap = abs(values[name] - reference)
        worst_gap = max(worst_gap, gap)
        print(
            f"| {name} | {median:.3f} | {memory[name]:.0f} | {base_time / median:.2f}x "
            f"| {values[name]!r} |"
        )
    print(
        f"\nruns per method: {args.repeat}; largest difference from {reference_name}: "
        f"{worst_gap:.1e}"
    )
    if worst_gap > 1e-9:
        raise SystemExit("the methods disagree by more than 1e-9")


if __name__ == "__main__":
    main()
