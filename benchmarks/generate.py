"""Generate a prediction CSV for the benchmarks: fixed seed, realistic probabilities.

Softmax of N(0, 2) logits, labels drawn from the softmax, values printed with ``%.6g``,
header ``label,c0,...,c{K-1}``, labels as class names. Written in blocks so memory stays
flat whatever the row count; ``--processes`` formats them in parallel (the same bytes).

    python benchmarks/generate.py --rows 1000000 --classes 10 --out benchmarks/data/a.csv
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

BLOCK = 50_000


def _blocks(rows: int, classes: int, seed: int):
    """(labels, probabilities) of each block, in order: the random draws, made here."""
    rng = np.random.default_rng(seed)
    done = 0
    while done < rows:
        n = min(BLOCK, rows - done)
        z = rng.normal(0.0, 2.0, size=(n, classes))
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        # Labels drawn from each row's own distribution: inverse-CDF sampling.
        u = rng.random(n)[:, None]
        labels = (p.cumsum(axis=1) < u).sum(axis=1).clip(0, classes - 1)
        yield labels, p
        done += n


def _text(block) -> str:
    """A block's lines: the slow part (Python's % formatting), done in worker processes."""
    labels, p = block
    classes = p.shape[1]
    names = np.array([f"c{i}" for i in range(classes)], dtype=object)
    row_format = ",".join(["%s"] + ["%.6g"] * classes) + "\n"
    table = np.empty((len(labels), classes + 1), dtype=object)
    table[:, 0] = names[labels]
    table[:, 1:] = p
    return "".join(row_format % tuple(r) for r in table)


def generate(path: Path, rows: int, classes: int, seed: int = 0, processes: int = 1) -> None:
    """Write the file; ``processes`` > 1 formats blocks in parallel (the same bytes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as out:
        out.write(",".join(["label", *(f"c{i}" for i in range(classes))]) + "\n")
        blocks = _blocks(rows, classes, seed)
        if processes <= 1:
            out.writelines(map(_text, blocks))
            return
        from multiprocessing import Pool

        with Pool(processes) as pool:
            out.writelines(pool.imap(_text, blocks))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--processes", type=int, default=1, help="format blocks in parallel")
    args = parser.parse_args()
    generate(args.out, args.rows, args.classes, args.seed, args.processes)


if __name__ == "__main__":
    main()
