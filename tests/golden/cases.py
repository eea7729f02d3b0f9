"""The recorded outputs that a refactor must keep byte for byte.

Each case is a name and the arguments of one ``xent`` run (in-process, from the repository
root, ``examples/`` at hand). ``python tests/golden/cases.py`` records every case's stdout
and exit status into ``tests/golden/outputs.json``; ``tests/test_golden.py`` compares.
Record again only when an output is meant to change, and say so in the commit.
"""

from __future__ import annotations

E = "examples/"
DOG = ["--labels", "dog", "--pred", "0.4,0.3,0.05,0.05,0.2"]

CASES: dict[str, list[str]] = {
    # Vectors.
    "card-json": ["compute", *DOG, "-f", "json"],
    "card-csv": ["compute", *DOG, "-f", "csv"],
    "card-plain-bits": ["compute", *DOG, "-f", "plain", "--base", "2"],
    "card-logits": ["compute", "--labels", "1", "--logits", "2,1,0.5", "-f", "json"],
    "card-smooth-weights": [
        "compute",
        *DOG,
        "--label-smoothing",
        "0.1",
        "--weights",
        "1,2,1,1,1",
        "-f",
        "json",
    ],
    "card-clip": [
        "compute",
        "--labels",
        "0",
        "--pred",
        "0,0.5,0.5",
        "--clip",
        "1e-7",
        "-f",
        "json",
    ],
    "vectors-batch": [
        "compute",
        "--labels",
        "dog",
        "--labels",
        "fox",
        "--pred",
        "0.4,0.3,0.05,0.05,0.2",
        "--pred",
        "0.1,0.6,0.1,0.1,0.1",
        "--sample-weights",
        "1,3",
        "-f",
        "json",
    ],
    "vectors-none": [
        "compute",
        "--labels",
        "dog",
        "--labels",
        "fox",
        "--pred",
        "0.4,0.3,0.05,0.05,0.2",
        "--pred",
        "0.1,0.6,0.1,0.1,0.1",
        "-r",
        "none",
        "-f",
        "csv",
    ],
    "vectors-soft": ["compute", "--labels", "0.7,0.3", "--pred", "0.6,0.4", "-f", "json"],
    "vectors-binary": ["compute", "--labels", "1", "--pred", "0.8", "-f", "json"],
    "vectors-multilabel": [
        "compute",
        "--multi-label",
        "--labels",
        "1,0,1",
        "--pred",
        "0.9,0.2,0.6",
        "-f",
        "json",
    ],
    "entropy-vector": ["entropy", "--pred", "0.4,0.3,0.05,0.05,0.2", "-f", "json"],
    "entropy-logits": ["entropy", "--logits", "1,2,3", "-f", "json", "--base", "2"],
    "kl-vector": ["kl", "--p", "0.5,0.5", "--q", "0.9,0.1", "-f", "json"],
    "js-vector": ["js", "--p", "0.5,0.5", "--q", "0.9,0.1", "-f", "json"],
    "explain-json": ["explain", *DOG, "-f", "json"],
    # Every file format.
    "csv": ["compute", "-i", E + "animals.csv", "-f", "json"],
    "csv-new": ["compute", "-i", E + "animals-new.csv", "-f", "json"],
    "csv-gz": ["compute", "-i", E + "animals.csv.gz", "-f", "json"],
    "jsonl": ["compute", "-i", E + "animals.jsonl", "-f", "json"],
    "json": ["compute", "-i", E + "article.json", "-f", "json"],
    "article-csv": ["compute", "-i", E + "article.csv", "-f", "json"],
    "parquet": ["compute", "-i", E + "animals.parquet", "-f", "json"],
    "npz": ["compute", "-i", E + "animals.npz", "-f", "json"],
    "weighted": [
        "compute",
        "-i",
        E + "weighted.csv",
        "--sample-weights",
        "weight",
        "--ignore-index",
        "-100",
        "-f",
        "json",
    ],
    "csv-rows": ["compute", "-i", E + "animals.csv", "-r", "none", "-f", "csv"],
    "csv-sum-bits": ["compute", "-i", E + "animals.csv", "-r", "sum", "--base", "2", "-f", "json"],
    "csv-options": [
        "compute",
        "-i",
        E + "animals.csv",
        "--top-k",
        "2",
        "--bins",
        "5",
        "--worst",
        "3",
        "--clip",
        "1e-9",
        "--label-smoothing",
        "0.05",
        "-f",
        "json",
    ],
    "csv-reliability": ["compute", "-i", E + "animals.csv", "--reliability", "-f", "json"],
    "many-files": [
        "compute",
        "-i",
        E + "animals.csv",
        "-i",
        E + "animals-new.csv",
        "--by-file",
        "-f",
        "json",
    ],
    # Groups, sequences, intervals.
    "group-by": [
        "compute",
        "-i",
        E + "tokens.csv",
        "--ignore-columns",
        "sequence",
        "--group-by",
        "domain",
        "-f",
        "json",
    ],
    "sequences": [
        "compute",
        "-i",
        E + "tokens.csv",
        "--ignore-columns",
        "domain",
        "--sequence-column",
        "sequence",
        "-f",
        "json",
    ],
    "ci": ["compute", "-i", E + "animals.csv", "--ci", "0.95", "--bootstrap", "50", "-f", "json"],
    # Language models: a logprobs file, counts on token rows.
    "logprobs-json": [
        "compute",
        "-i",
        E + "chat-logprobs.jsonl",
        "--vocab-size",
        "50",
        "-f",
        "json",
    ],
    "counts-csv": [
        "compute",
        "-i",
        E + "tokens-counted.csv",
        "--from-logits",
        "--byte-column",
        "bytes",
        "--word-column",
        "words",
        "--sequence-column",
        "doc",
        "-f",
        "csv",
    ],
    "ci-groups": [
        "compute",
        "-i",
        E + "tokens.csv",
        "--ignore-columns",
        "sequence",
        "--group-by",
        "domain",
        "--ci",
        "0.9",
        "--bootstrap",
        "30",
        "-f",
        "json",
    ],
    # Distributions.
    "entropy-file": [
        "entropy",
        "-i",
        E + "distributions.csv",
        "--ignore-columns",
        "p_dog,p_fox,p_horse",
        "-f",
        "json",
    ],
    "kl-file": ["kl", "-i", E + "distributions.csv", "-f", "json"],
    "js-file": ["js", "-i", E + "distributions.csv", "-f", "json"],
    "kl-file-rows": ["kl", "-i", E + "distributions.csv", "-r", "none", "-f", "csv"],
    # Two models, calibration, explain of a batch.
    "compare": ["compare", E + "animals.csv", E + "animals-new.csv", "-f", "json"],
    "compare-ci": [
        "compare",
        E + "animals.csv",
        E + "animals-new.csv",
        "--ci",
        "0.95",
        "--bootstrap",
        "40",
        "-f",
        "json",
    ],
    "calibrate": ["calibrate", "-i", E + "animals.csv", "-f", "json"],
    "explain-file": ["explain", "-i", E + "animals.csv", "-f", "json"],
    # Errors: the message and the status.
    "error-unknown-label": ["compute", "--labels", "cat", "--pred", "0.4,0.3,0.05,0.05,0.2"],
    "error-sum": ["compute", "--labels", "dog", "--pred", "0.4,0.3,0.05,0.05,0.3"],
    "error-base": ["compute", *DOG, "--base", "1"],
}

# Tables, as a terminal shows them.
CASES.update(
    {
        "card-table": ["compute", *DOG, "-f", "table"],
        "file-table": ["compute", "-i", E + "animals.csv", "-f", "table", "--worst", "2"],
        "compare-table": ["compare", E + "animals.csv", E + "animals-new.csv", "-f", "table"],
        "kl-table": ["kl", "--p", "0.5,0.5", "--q", "0.9,0.1", "-f", "table"],
        "logprobs-table": [
            "compute",
            "-i",
            E + "chat-logprobs.jsonl",
            "--vocab-size",
            "50",
            "-f",
            "table",
        ],
        "explain-table": ["explain", *DOG, "-f", "table"],
        "explain-zh": ["explain", *DOG, "-f", "table", "--lang", "zh"],
    }
)

# A file large enough for worker processes and many chunks: BIG is written by big_file().
BIG = "big.csv"
BIG_CASES: dict[str, tuple[dict[str, str], list[str]]] = {
    f"big-{reader}-{workers}w{'-' + tag if tag else ''}": (
        {"XENT_CSV_READER": reader, "XENT_CSV_WORKERS": str(workers)},
        ["compute", "-i", BIG, *extra, "-f", "json"],
    )
    for reader in ("numpy", "arrow")
    for workers in (0, 2)
    for tag, extra in (
        ("", ["--ignore-columns", "group", "--worst", "3", "--top-k", "2"]),
        ("groups", ["--group-by", "group", "--worst", "3"]),
        ("ci", ["--ignore-columns", "group", "--ci", "0.95", "--bootstrap", "20"]),
    )
}


def big_file(path) -> None:
    """120,000 rows of 6 classes and a group column, the same bytes on every machine."""
    import numpy as np

    rng = np.random.default_rng(2026)
    n, k = 120_000, 6
    z = rng.normal(0.0, 2.0, size=(n, k))
    q = np.exp(z - z.max(axis=1, keepdims=True))
    q /= q.sum(axis=1, keepdims=True)
    labels = (q.cumsum(axis=1) < rng.random((n, 1))).sum(axis=1).clip(0, k - 1)
    with open(path, "w") as f:
        f.write("label,group," + ",".join(f"c{j}" for j in range(k)) + "\n")
        for i in range(n):
            values = ",".join(f"{v:.6g}" for v in q[i])
            f.write(f"c{labels[i]},g{i % 7},{values}\n")


# Runs on a Dask LocalCluster (slow to start: one case).
CLUSTER_CASES: dict[str, list[str]] = {
    "cluster": [
        "compute",
        "-i",
        E + "animals.csv",
        "-i",
        E + "animals-new.csv",
        "--cluster",
        "local",
        "--workers",
        "1",
        "-f",
        "json",
    ],
}


def run(args: list[str], env: dict[str, str] | None = None) -> dict:
    """One in-process run: its exit status, stdout and stderr."""
    from typer.testing import CliRunner

    from xent.cli import app

    environment = {"XENT_CLASSES": None, "COLUMNS": "100", "NO_COLOR": "1", **(env or {})}
    result = CliRunner().invoke(app, args, env=environment)
    return {"exit": result.exit_code, "stdout": result.stdout, "stderr": result.stderr}


if __name__ == "__main__":
    import json
    import os
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    os.chdir(root)
    import tempfile

    names = sys.argv[1:]
    todo = {name: ({}, args) for name, args in {**CASES, **CLUSTER_CASES}.items()}
    out = {name: run(args) for name, (_, args) in todo.items() if not names or name in names}
    with tempfile.TemporaryDirectory() as tmp:
        big_file(Path(tmp) / BIG)
        for name, (env, args) in BIG_CASES.items():
            if not names or name in names:
                args = [str(Path(tmp) / BIG) if a == BIG else a for a in args]
                out[name] = run(args, env)
                for stream in ("stdout", "stderr"):
                    out[name][stream] = out[name][stream].replace(str(Path(tmp) / BIG), BIG)
    path = Path(__file__).with_name("outputs.json")
    if names and path.exists():
        out = {**json.loads(path.read_text()), **out}
    path.write_text(json.dumps(out, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    print(f"recorded {len(out)} cases in {path}")
