"""Generate a prediction CSV for the benchmarks: fixed seed, realistic probabilities.

Softmax of N(0, 2) logits, labels drawn from the softmax, values printed with ``%.6g``,
header ``label,c0,...,c{K-1}``, labels as class names. Written in blocks so memory stays
flat whatever the row count.

    python benchmarks/generate.py --rows 1000000 --classes 10 --out benchmarks/data/a.csv
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

BLOCK = 50_000


def generate(path: Path, rows: int, classes: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    names = [f"c{i}" for i in range(classes)]
    row_format = ",".join(["%s"] + ["%.6g"] * classes) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as out:
        out.write(",".join(["label", *names]) + "\n")
        done = 0
        while done < rows:
            n = min(BLOCK, rows - done)
            z = rng.normal(0.0, 2.0, size=(n, classes))
            p = np.exp(z - z.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            # Labels drawn from each row's own distribution: inverse-CDF sampling.
            u = rng.random(n)[:, None]
            labels = (p.cumsum(axis=1) < u).sum(axis=1).clip(0, classes - 1)
            label_names = np.array(names, dtype=object)[labels]
            table = np.empty((n, classes + 1), dtype=object)
            table[:, 0] = label_names
            table[:, 1:] = p
            out.write("".join(row_format % tuple(r) for r in table))
            done += n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    generate(args.out, args.rows, args.classes, args.seed)


if __name__ == "__main__":
    main()
