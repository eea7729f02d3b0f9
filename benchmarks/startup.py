"""Start-up cost of one-shot ``xent`` commands, side by side with ``import numpy``.

Shell scripts call xent in loops, so its start-up is what they pay. The commands run
alternately (so machine noise hits them alike), and the table gives medians and ratios to
``python -c "import numpy"``, the floor for anything that computes with NumPy.

    python benchmarks/startup.py [--runs 31]
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

ARTICLE = ["--labels", "dog", "--pred", "0.4,0.3,0.05,0.05,0.2"]


def commands() -> dict[str, list[str]]:
    xent = shutil.which("xent", path=str(Path(sys.executable).parent)) or "xent"
    py = sys.executable
    return {
        'python -c "pass"': [py, "-c", "pass"],
        'python -c "import numpy"': [py, "-c", "import numpy"],
        "xent --help": [xent, "--help"],
        "xent compute ... --format plain": [xent, "compute", *ARTICLE, "--format", "plain"],
        "xent compute ... --format json": [xent, "compute", *ARTICLE, "--format", "json"],
        "xent compute ... --format table": [xent, "compute", *ARTICLE, "--format", "table"],
    }


def startup_table(runs: int) -> str:
    """Alternating runs of each command; a Markdown table of medians and ratios."""
    cmds = commands()
    times: dict[str, list[float]] = {name: [] for name in cmds}
    for cmd in cmds.values():  # warm the page cache once
        subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
    for _ in range(runs):
        for name, cmd in cmds.items():
            start = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
            times[name].append(time.perf_counter() - start)
    floor = statistics.median(times['python -c "import numpy"'])
    lines = ["| command | median ms | × import numpy |", "|---|---:|---:|"]
    for name, values in times.items():
        median = statistics.median(values)
        lines.append(f"| `{name}` | {median * 1000:.0f} | {median / floor:.2f} |")
    return "\n".join(lines)


def uncached() -> str | None:
    """Why xent's modules would be compiled at every start (a warning), or None: an
    editable install under PYTHONDONTWRITEBYTECODE keeps no bytecode, and compiling some
    60 modules each time costs ~45 ms that no `pip install .` (which compiles them) pays."""
    import importlib.util

    spec = importlib.util.find_spec("xent")
    if spec is None or spec.origin is None:
        return None
    cached = Path(spec.origin).parent / "__pycache__"
    if cached.is_dir():
        return None
    return (
        f"warning: no bytecode beside {spec.origin} (PYTHONDONTWRITEBYTECODE="
        f"{os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r}): every start compiles xent; "
        "measure a `pip install .` instead, as users have it"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=31)
    args = parser.parse_args()
    warning = uncached()
    if warning:
        print(warning, file=sys.stderr)
    print(f"median of {args.runs} alternating runs, Python {sys.version.split()[0]}\n")
    print(startup_table(args.runs))


if __name__ == "__main__":
    main()
