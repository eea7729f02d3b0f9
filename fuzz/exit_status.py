"""Run ``xent compute --file`` many times on one generated file and count bad exits.

    python fuzz/exit_status.py                      # 1000 runs, pyarrow reader, 1M x 10
    python fuzz/exit_status.py --runs 300 --jobs 8  # 8 at a time, as `xargs -P 8` would
    python fuzz/exit_status.py --reader numpy --rows 100000

A crash after the result is printed (pyarrow's threads killed at exit: status 134,
"terminate called without an active exception") shows only in a few runs of a hundred,
so one run proves nothing. Every run must exit 0, print the same number and write nothing
on stderr; the script prints the count of each exit status and of each distinct stderr
line, and exits 1 if any run failed.
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import generate  # noqa: E402


def xent_command() -> list[str]:
    found = shutil.which("xent", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "xent"]


def run_once(command: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    return done.returncode, done.stdout.strip(), done.stderr.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=1, help="runs at a time (default 1)")
    parser.add_argument("--reader", default="arrow", choices=["arrow", "numpy", "auto"])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, default=ROOT / "benchmarks" / "data")
    args = parser.parse_args()

    path = args.data / f"preds_{args.rows}x{args.classes}_seed{args.seed}.csv"
    if not path.exists():
        print(f"generating {path} ...", file=sys.stderr, flush=True)
        generate(path, args.rows, args.classes, args.seed)
    command = [*xent_command(), "compute", "--file", str(path), "-f", "plain"]
    env = {**os.environ, "XENT_CSV_READER": args.reader}

    statuses: collections.Counter = collections.Counter()
    errors: collections.Counter = collections.Counter()
    values: collections.Counter = collections.Counter()
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for i, (status, out, err) in enumerate(
            pool.map(lambda _: run_once(command, env), range(args.runs)), 1
        ):
            statuses[status] += 1
            values[out] += 1
            for line in err.splitlines():
                errors[line] += 1
            if i % 50 == 0 or i == args.runs:
                bad = sum(n for s, n in statuses.items() if s != 0)
                print(f"{i} runs, {bad} non-zero exits", file=sys.stderr, flush=True)
    wall = time.perf_counter() - start

    failed = sum(n for status, n in statuses.items() if status != 0)
    print(
        f"{args.runs} runs of `xent compute --file {path.name}` with XENT_CSV_READER="
        f"{args.reader}, {args.jobs} at a time, in {wall:.0f} s: {failed} non-zero exits"
    )
    for status, n in sorted(statuses.items()):
        if status < 0:  # killed by a signal: say it as a shell would (134 for SIGABRT)
            name = signal.Signals(-status).name
            print(f"  killed by {name} (a shell says exit {128 - status}): {n}")
        else:
            print(f"  exit {status}: {n}")
    for line, n in errors.most_common():
        print(f"  stderr {line!r}: {n}")
    if len(values) > 1:
        print(f"  different outputs: {dict(values)}")
    return 1 if failed or errors or len(values) > 1 else 0


if __name__ == "__main__":
    sys.exit(main())
