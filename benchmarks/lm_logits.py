"""Perplexity of a language model's logits (issue 22): ``xent compute`` on a T x V float32
``.npy`` (memory-mapped, target tokens in a second ``.npy``) against a hand-written NumPy
float32 log-sum-exp over the same memory-mapped file, each in a process of its own,
alternating, ``--repeat`` rounds; both checked against a float64 reference computed here.

The hand-written pass, per 256 rows: the row's max m, exp(z - m) summed in float64,
log, and the logit at the target gathered: what one would write in a notebook.

    python benchmarks/lm_logits.py                       # T=8,192 x V=32,000 and 1,024 x 128,256
    python benchmarks/lm_logits.py --sizes 2048x32000 --repeat 3
    python benchmarks/lm_logits.py --profile             # where xent's time goes (cProfile)
    python benchmarks/lm_logits.py --compare             # two models: xent compare vs NumPy

``--compare``: two models, token by token. A second T x V float32 file (the first plus
N(0, 0.3) noise, a "quantized" copy); ``xent compare A B --labels-file Y -f json`` (every
token statistic: KL ± SE and percentiles, same top, Δp, both perplexities) against a
hand-written NumPy float64 KL pass over the same two memory-mapped files (per 256 rows:
both log-softmaxes in float64, Σ p_A (log p_A − log p_B)), each in a process of its own,
alternating; the mean KL of both checked against each other.

Prints, per size and method: the median wall time of the whole process (start-up and
imports included), logits per second, the peak resident set (``os.wait4``), and the
distance of its mean NLL from the float64 reference. Data under benchmarks/data/
(git-ignored; about 1 GB per 8,192 x 32,000): delete it afterwards.
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
DATA = HERE / "data"

HAND = """
import sys
import numpy as np
z = np.load(sys.argv[1], mmap_mode="r")
y = np.load(sys.argv[2])
total = 0.0
for start in range(0, z.shape[0], 256):
    block = z[start : start + 256]
    m = block.max(axis=1, keepdims=True)
    s = np.exp(block - m).sum(axis=1, dtype=np.float64)
    picked = block[np.arange(block.shape[0]), y[start : start + 256]]
    total += float((np.log(s) + m[:, 0] - picked).sum())
print(repr(total / z.shape[0]))
"""


# T x V float32 logits N(0, 3) (a few large ones per row, as a model's) and targets,
# written block by block (flat memory) in a process of its own: a parent that had written
# (touched) the file's pages would start every measured process with its resident set,
# and ru_maxrss counts it (the peak of the memory the parent held when it started them).
GENERATE = """
import sys
import numpy as np
t, v, seed = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
rng = np.random.default_rng(seed)
out = np.lib.format.open_memmap(sys.argv[1], mode="w+", dtype=np.float32, shape=(t, v))
y = np.empty(t, dtype=np.int64)
for start in range(0, t, 256):
    n = min(256, t - start)
    block = rng.standard_normal((n, v), dtype=np.float32) * 3
    top = rng.integers(0, v, (n, 8))
    block[np.arange(n)[:, None], top] += 12
    out[start : start + n] = block
    y[start : start + n] = np.where(rng.random(n) < 0.5, top[:, 0], rng.integers(0, v, n))
out.flush()
del out
np.save(sys.argv[2], y)
print(0)
"""


def generate(t: int, v: int, seed: int = 22) -> tuple[Path, Path]:
    """The logits and targets of a T x V model (:data:`GENERATE`), written once."""
    DATA.mkdir(exist_ok=True)
    logits, targets = DATA / f"lm_{t}x{v}.npy", DATA / f"lm_{t}x{v}_targets.npy"
    if not (logits.exists() and targets.exists()):
        run([sys.executable, "-c", GENERATE, str(logits), str(targets), str(t), str(v), str(seed)])
    return logits, targets


# The mean NLL in float64 (log_softmax of the float64 logits at the targets, summed with
# math.fsum), in a process of its own: a parent that touched the file's pages would pass
# its peak resident set on to the processes it starts (ru_maxrss survives fork and exec).
REFERENCE = """
import math, sys
import numpy as np
z = np.load(sys.argv[1], mmap_mode="r")
y = np.load(sys.argv[2])
parts = []
for s in range(0, z.shape[0], 256):
    b = np.asarray(z[s : s + 256], dtype=np.float64)
    m = b.max(axis=1)
    lse = np.log(np.exp(b - m[:, None]).sum(axis=1)) + m
    parts.append(float((lse - b[np.arange(len(b)), y[s : s + len(b)]]).sum()))
print(repr(math.fsum(parts) / z.shape[0]))
"""


# The hand-written float64 KL pass over two memory-mapped files: what one would write.
HAND_KL = """
import sys
import numpy as np
a = np.load(sys.argv[1], mmap_mode="r")
b = np.load(sys.argv[2], mmap_mode="r")
total = 0.0
for start in range(0, a.shape[0], 256):
    za = np.asarray(a[start : start + 256], dtype=np.float64)
    zb = np.asarray(b[start : start + 256], dtype=np.float64)
    la = za - za.max(axis=1, keepdims=True)
    la -= np.log(np.exp(la).sum(axis=1, keepdims=True))
    lb = zb - zb.max(axis=1, keepdims=True)
    lb -= np.log(np.exp(lb).sum(axis=1, keepdims=True))
    total += float((np.exp(la) * (la - lb)).sum())
print(repr(total / a.shape[0]))
"""

# xent compare's mean KL from its JSON, printed alone.
XENT_KL = """
import json, subprocess, sys
out = subprocess.run(sys.argv[1:], check=True, capture_output=True, text=True).stdout
print(repr(json.loads(out)["tokens"]["kl"]["value"]))
"""


# The second model: the first's logits plus N(0, 0.3) noise, block by block, written in a
# process of its own (a parent that touched the pages would pass its peak RSS on).
OTHER = """
import sys
import numpy as np
rng = np.random.default_rng(23)
base = np.load(sys.argv[1], mmap_mode="r")
out = np.lib.format.open_memmap(sys.argv[2], mode="w+", dtype=np.float32, shape=base.shape)
for start in range(0, base.shape[0], 256):
    block = np.asarray(base[start : start + 256])
    out[start : start + 256] = block + rng.standard_normal(block.shape, np.float32) * 0.3
out.flush()
print(0)
"""


def second_model(logits: Path) -> Path:
    other = logits.with_name(logits.stem + "_other.npy")
    if not other.exists():
        run([sys.executable, "-c", OTHER, str(logits), str(other)])
    return other


def bench_compare(t: int, v: int, repeat: int) -> list[str]:
    logits, targets = generate(t, v)
    other = second_model(logits)
    xent = shutil.which("xent") or str(Path(sys.executable).parent / "xent")
    methods = {
        "numpy float64 KL (hand)": [sys.executable, "-c", HAND_KL, str(logits), str(other)],
        "xent compare": [sys.executable, "-c", XENT_KL, xent, "compare", str(logits),
                         str(other), "--labels-file", str(targets), "-f", "json"],
    }  # fmt: skip
    times: dict[str, list[float]] = {name: [] for name in methods}
    results: dict[str, tuple[float, int]] = {}
    for _ in range(repeat):
        for name, command in methods.items():
            wall, value, peak = run(command)
            times[name].append(wall)
            results[name] = (value, max(peak, results.get(name, (0, 0))[1]))
    hand = statistics.median(times["numpy float64 KL (hand)"])
    expected = results["numpy float64 KL (hand)"][0]
    lines = []
    for name in methods:
        wall = statistics.median(times[name])
        value, peak = results[name]
        lines.append(
            f"| {t:,} x {v:,} | {name} | {wall:.2f} s | {2 * t * v / wall / 1e6:,.0f} M/s | "
            f"{hand / wall:.0%} | {peak / 2**20:,.0f} MiB | {abs(value - expected):.1e} |"
        )
    return lines


def reference(logits: Path, targets: Path) -> float:
    return run([sys.executable, "-c", REFERENCE, str(logits), str(targets)])[1]


def run(command: list[str]) -> tuple[float, float, int]:
    """(wall seconds, the printed number, peak resident set in bytes) of one process."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    out = process.stdout.read().decode() if process.stdout else ""
    err = process.stderr.read().decode() if process.stderr else ""
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{command[0]} failed: {err}")
    return wall, float(out.strip()), usage.ru_maxrss * 1024


def commands(logits: Path, targets: Path) -> dict[str, list[str]]:
    xent = shutil.which("xent") or str(Path(sys.executable).parent / "xent")
    return {
        "numpy float32 (hand)": [sys.executable, "-c", HAND, str(logits), str(targets)],
        "xent compute": [
            xent,
            "compute",
            "--file",
            str(logits),
            "--labels-file",
            str(targets),
            "-f",
            "plain",
        ],
    }


def bench(t: int, v: int, repeat: int) -> list[str]:
    logits, targets = generate(t, v)
    expected = reference(logits, targets)
    methods = commands(logits, targets)
    times: dict[str, list[float]] = {name: [] for name in methods}
    results: dict[str, tuple[float, int]] = {}
    for _ in range(repeat):
        for name, command in methods.items():
            wall, value, peak = run(command)
            times[name].append(wall)
            results[name] = (value, max(peak, results.get(name, (0, 0))[1]))
    lines = []
    hand = statistics.median(times["numpy float32 (hand)"])
    for name in methods:
        wall = statistics.median(times[name])
        value, peak = results[name]
        lines.append(
            f"| {t:,} x {v:,} | {name} | {wall:.2f} s | {t * v / wall / 1e6:,.0f} M/s | "
            f"{hand / wall:.0%} | {peak / 2**20:,.0f} MiB | {abs(value - expected):.1e} |"
        )
    return lines


def profile(t: int, v: int) -> None:
    """Where xent's time goes on one size: cProfile of the one library call."""
    import cProfile
    import pstats

    from xent import score_file
    from xent.readers.read_options import ReadOptions

    logits, targets = generate(t, v)
    read = ReadOptions(labels_file=str(targets))
    cProfile.runctx(
        "score_file(str(logits), read=read, metrics=False)",
        globals(),
        {"score_file": score_file, "logits": logits, "read": read},
        "/tmp/xent-lm.prof",
    )
    pstats.Stats("/tmp/xent-lm.prof").sort_stats("tottime").print_stats(16)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="8192x32000,1024x128256")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--compare", action="store_true", help="two models: xent compare")
    args = parser.parse_args()
    sizes = [tuple(int(n) for n in size.split("x")) for size in args.sizes.split(",")]
    if args.profile:
        profile(*sizes[0])
        return
    if args.compare:
        print(
            "| T x V | method | median wall | logits/s (both) | vs hand | peak RSS | |KL − hand| |"
        )
        print("|---|---|---|---|---|---|---|")
        for t, v in sizes:
            for line in bench_compare(t, v, args.repeat):
                print(line, flush=True)
        return
    print("| T x V | method | median wall | logits/s | vs hand | peak RSS | |NLL - float64| |")
    print("|---|---|---|---|---|---|---|")
    for t, v in sizes:
        for line in bench(t, v, args.repeat):
            print(line, flush=True)


if __name__ == "__main__":
    main()
