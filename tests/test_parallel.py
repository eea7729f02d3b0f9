"""Map-reduce over CSV chunks: worker processes parse and score, this process merges.

Whatever the number of processes, a file gives the same summary, the same first error
(in file order, with its line and column), the same skipped rows and the same per-row
output as one process. Chunks are made small here so that a small file has many.
"""

from __future__ import annotations

import io
import json
import os
import threading

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xent.errors import DataError
from xent.options import ScoreOptions
from xent.pipeline import score_file
from xent.readers import csv_rows, csv_workers
from xent.readers.read_options import ReadOptions
from xent.render import render_summary

pytestmark = pytest.mark.skipif(os.name != "posix", reason="worker processes are forked")

CLASSES = ["a", "b", "c", "d"]
READERS = [
    "numpy",
    pytest.param(
        "arrow",
        marks=pytest.mark.skipif(
            not __import__("importlib").util.find_spec("pyarrow"), reason="needs pyarrow"
        ),
    ),
]


def rows(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(len(CLASSES)), size=n)
    labels = rng.integers(0, len(CLASSES), size=n)
    return [f"{CLASSES[y]}," + ",".join(f"{v:.6g}" for v in row) for y, row in zip(labels, p)]


def write(path, lines: list[str]) -> str:
    path.write_text("label," + ",".join(CLASSES) + "\n" + "\n".join(lines) + "\n")
    return str(path)


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr(csv_rows, "CHUNK_BYTES", 2048)  # about 50 rows a chunk


def run(monkeypatch, path, workers: int, reader: str, options=None, fmt="json", **kwargs):
    """The rendered summary (or the error's text) and the per-row output's rows."""
    monkeypatch.setenv("XENT_CSV_WORKERS", str(workers))
    monkeypatch.setenv("XENT_CSV_READER", reader)
    written = []

    def on_rows(scored, part):
        written.append((scored.lines.tolist(), scored.losses.tolist()))

    try:
        summary = score_file(
            path,
            options or ScoreOptions(worst=3),
            ReadOptions(on_error="skip" if options and options.skip_bad_rows else "raise"),
            on_rows=on_rows if kwargs.get("per_row") else None,
            metrics=fmt != "plain",
        )
    except DataError as error:
        return f"error: {error}", written
    out = io.StringIO()
    render_summary(summary, fmt, out, precision=4)
    return out.getvalue(), written


@pytest.mark.parametrize("reader", READERS)
def test_the_same_summary_with_any_number_of_processes(monkeypatch, tmp_path, reader):
    path = write(tmp_path / "p.csv", rows(3000))
    one = run(monkeypatch, path, 1, reader)
    assert one[0].startswith("{")
    for workers in (2, 3, 5):
        assert run(monkeypatch, path, workers, reader) == one


@pytest.mark.parametrize("reader", READERS)
def test_per_row_output_in_input_order(monkeypatch, tmp_path, reader):
    path = write(tmp_path / "p.csv", rows(2000))
    _, one = run(monkeypatch, path, 1, reader, per_row=True)
    _, three = run(monkeypatch, path, 3, reader, per_row=True)
    assert three == one
    assert [line for lines, _ in three for line in lines] == list(range(2, 2002))


BAD_ROWS = {
    700: "a,0.5,0.5,0.5,0.5",  # not a distribution
    400: "b,x,0.5,0.25,0.25",  # not a number, in an earlier chunk
    1500: "zebra,0.25,0.25,0.25,0.25",  # unknown label
    1800: "a,0.5,0.5",  # too few fields
}


@pytest.mark.parametrize("fmt", ["csv", "json", "table"])
def test_multi_label_rows_in_every_format_from_workers(monkeypatch, tmp_path, xent_cli, fmt):
    """Multi-label rows name their positive classes (y) and predicted ones (Q >= 0.5): a
    worker sends both back with each row (found by fuzzing: they were dropped, and
    ``-r none`` failed with an internal error whenever a file had more than one chunk)."""
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, size=(400, len(CLASSES)))
    q = rng.uniform(0.01, 0.99, size=(400, len(CLASSES)))
    labels = ["|".join(c for c, bit in zip(CLASSES, row) if bit) for row in y]
    lines = [f"{name}," + ",".join(f"{v:.4f}" for v in row) for name, row in zip(labels, q)]
    path = write(tmp_path / "m.csv", lines)
    outputs = []
    for workers in (1, 3):
        monkeypatch.setenv("XENT_CSV_WORKERS", str(workers))
        result = xent_cli("compute", "-i", path, "--multi-label", "-r", "none", "-f", fmt)
        assert result.exit_code == 0, result.stderr
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
    if fmt == "csv":
        written = [line.split(",") for line in outputs[1].splitlines()[1:]]
        assert [row[1] for row in written] == labels
        q4 = np.round(q, 4)
        expected = -(y * np.log(q4) + (1 - y) * np.log1p(-q4)).mean(axis=1)
        np.testing.assert_allclose([float(row[2]) for row in written], expected, rtol=1e-12)


@pytest.mark.parametrize("reader", READERS)
def test_the_first_error_in_file_order(monkeypatch, tmp_path, reader):
    lines = rows(2500)
    for i, text in BAD_ROWS.items():
        lines[i] = text
    path = write(tmp_path / "p.csv", lines)
    one = run(monkeypatch, path, 1, reader)
    assert one[0] == f"error: {path}:402:2: 'x' is not a number"
    for workers in (2, 4):
        assert run(monkeypatch, path, workers, reader) == one


@pytest.mark.parametrize("reader", READERS)
def test_skipped_rows_counted_as_in_one_process(monkeypatch, tmp_path, reader):
    lines = rows(2500)
    for i, text in BAD_ROWS.items():
        lines[i] = text
    path = write(tmp_path / "p.csv", lines)
    options = ScoreOptions(skip_bad_rows=True, worst=2)
    one = run(monkeypatch, path, 1, reader, options)
    assert "skipped 4 bad rows (lines 402, 702, 1502, 1802)" in one[0]
    for workers in (2, 3):
        assert run(monkeypatch, path, workers, reader, options) == one


def test_not_utf8_in_a_later_chunk(monkeypatch, tmp_path):
    lines = rows(2000)
    path = tmp_path / "p.csv"
    write(path, lines)
    data = path.read_bytes().split(b"\n")
    data[1200] = b"c\xff," + data[1200].split(b",", 1)[1]
    data[1700] = b"a,0.5,0.5,0.5,0.5"
    path.write_bytes(b"\n".join(data))
    one = run(monkeypatch, str(path), 1, "numpy")
    assert one[0].startswith(f"error: {path}:1201:2: not UTF-8")
    assert run(monkeypatch, str(path), 3, "numpy") == one


def test_a_line_too_long_far_into_the_file(monkeypatch, tmp_path):
    """Line ends are found beside the workers (a thread): a line over the limit, found
    there, is the error in its place, after the rows before it, as in one process."""
    lines = rows(3000)
    lines[2400] = "a," + "0" * 6000 + ",0,0,1"  # line 2402 (after the header)
    path = write(tmp_path / "p.csv", lines)
    monkeypatch.setenv("XENT_MAX_LINE_BYTES", "5000")
    one = run(monkeypatch, path, 1, "numpy")
    assert one[0] == (
        f"error: {path}:2402: the line is larger than 5,000 bytes (the limit; "
        "XENT_MAX_LINE_BYTES raises it)"
    )
    assert run(monkeypatch, path, 3, "numpy") == one


FORKS: list[int] | None = None  # threads alive at each fork, while a test records them


def _before_fork() -> None:
    if FORKS is not None:
        FORKS.append(threading.active_count())


os.register_at_fork(before=_before_fork)


def test_workers_are_forked_before_any_thread_starts(monkeypatch, tmp_path):
    """A fork copies only the forking thread: the workers are forked while this process
    has no other thread (the thread that finds line ends starts after them)."""
    global FORKS
    path = write(tmp_path / "p.csv", rows(3000))
    baseline = threading.active_count()
    FORKS = []
    try:
        run(monkeypatch, path, 3, "numpy")
        assert FORKS == [baseline] * 3
    finally:
        FORKS = None


def test_a_pipe_sends_the_bytes(monkeypatch, tmp_path):
    """Without a regular file to read at offsets (stdin), the chunks go to the workers."""
    path = write(tmp_path / "p.csv", rows(2000))
    one = run(monkeypatch, path, 1, "numpy")
    monkeypatch.setattr(csv_workers, "file_offsets", lambda stream: None)
    assert run(monkeypatch, path, 2, "numpy") == one


def test_plain_asks_for_the_loss_alone(monkeypatch, tmp_path):
    path = write(tmp_path / "p.csv", rows(500))
    plain, _ = run(monkeypatch, path, 2, "numpy", ScoreOptions(), fmt="plain")
    full, _ = run(monkeypatch, path, 1, "numpy", ScoreOptions(), fmt="json")
    assert float(plain) == json.loads(full)["cross_entropy"]


def test_worker_count(monkeypatch):
    monkeypatch.setenv("XENT_CSV_WORKERS", "3")
    assert csv_workers.csv_workers() == 3
    monkeypatch.setenv("XENT_CSV_WORKERS", "1000")
    assert csv_workers.csv_workers() == csv_workers.MAX_WORKERS
    monkeypatch.delenv("XENT_CSV_WORKERS")
    assert csv_workers.csv_workers() >= 1


def distribution_rows(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    p, q = rng.dirichlet(np.ones(3), size=n), rng.dirichlet(np.ones(3), size=n)
    return [",".join(f"{v:.6g}" for v in row) for row in np.hstack([p, q])]


def distribution_run(xent_cli, monkeypatch, workers: int, reader: str, *args):
    monkeypatch.setenv("XENT_CSV_WORKERS", str(workers))
    monkeypatch.setenv("XENT_CSV_READER", reader)
    result = xent_cli(*args)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("kind", ["entropy", "kl", "js"])
@pytest.mark.parametrize("shown", [["-f", "json"], ["-r", "none", "-f", "csv"]])
def test_files_of_distributions_are_scored_in_the_workers(
    xent_cli, monkeypatch, tmp_path, reader, kind, shown
):
    """entropy, kl and js of a file are map-reduce too (their rows scored in the workers,
    merged in the same groups): the same bytes at any number of processes, and the
    numbers of SciPy's formulas (the file's rows, by hand)."""
    path = tmp_path / "d.csv"
    lines = distribution_rows(3000)
    path.write_text("p_a,p_b,p_c,q_a,q_b,q_c\n" + "\n".join(lines) + "\n")
    if kind == "entropy":  # the P columns alone: a distribution per row
        path.write_text("a,b,c\n" + "\n".join(",".join(r.split(",")[:3]) for r in lines) + "\n")
    args = [kind, "--file", path, *shown]
    one = distribution_run(xent_cli, monkeypatch, 1, reader, *args)
    assert one[0] == 0, one
    for workers in (2, 3):
        assert distribution_run(xent_cli, monkeypatch, workers, reader, *args) == one
    values = np.array([[float(v) for v in row.split(",")] for row in lines])
    p, q = values[:, :3], values[:, 3:]  # as written: sums within the tolerance, not renormalized
    m = (p + q) / 2
    expected = {
        "entropy": -(p * np.log(p)).sum(axis=1),
        "kl": (p * np.log(p / q)).sum(axis=1),
        "js": ((p * np.log(p / m)).sum(axis=1) + (q * np.log(q / m)).sum(axis=1)) / 2,
    }[kind]
    key = {"entropy": "entropy", "kl": "kl_divergence", "js": "js_divergence"}[kind]
    if shown[0] == "-f":
        assert json.loads(one[1])[key] == pytest.approx(expected.mean(), rel=1e-12)
    else:
        header, *rows = one[1].splitlines()
        column = header.split(",").index(key)
        written = [float(row.split(",")[column]) for row in rows]
        np.testing.assert_allclose(written, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("reader", READERS)
def test_a_bad_distribution_row_is_the_same_error_from_the_workers(
    xent_cli, monkeypatch, tmp_path, reader
):
    lines = distribution_rows(3000)
    lines[1700] = "0.5,0.5,0.5,0.2,0.3,0.5"  # P sums to 1.5: line 1702
    path = tmp_path / "d.csv"
    path.write_text("p_a,p_b,p_c,q_a,q_b,q_c\n" + "\n".join(lines) + "\n")
    one = distribution_run(xent_cli, monkeypatch, 1, reader, "kl", "--file", path)
    assert one[0] == 1 and f"{path}:1702" in one[2], one
    assert distribution_run(xent_cli, monkeypatch, 3, reader, "kl", "--file", path) == one


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.integers(1, 400),
    bad=st.sets(st.integers(0, 399), max_size=4),
    kind=st.sampled_from(["entropy", "kl", "js"]),
    skip=st.booleans(),
    chunk=st.sampled_from([256, 1024, 4096]),
)
def test_distribution_files_give_one_answer_at_any_worker_count(
    xent_cli, monkeypatch, tmp_path_factory, rows, bad, kind, skip, chunk
):
    """Random files of P and Q rows, some of them not distributions, in chunks of random
    size: the output (or the error) is the same bytes with one process and with three."""
    monkeypatch.setattr(csv_rows, "CHUNK_BYTES", chunk)
    lines = distribution_rows(rows, seed=rows)
    for i in bad:
        if i < rows:
            lines[i] = "0.9,0.9,0.1,0.2,0.3,0.5"  # P sums to 1.9
    path = tmp_path_factory.mktemp("d") / "d.csv"
    if kind == "entropy":  # the P columns alone
        lines = [",".join(line.split(",")[:3]) for line in lines]
        path.write_text("a,b,c\n" + "\n".join(lines) + "\n")
    else:
        path.write_text("p_a,p_b,p_c,q_a,q_b,q_c\n" + "\n".join(lines) + "\n")
    args = [kind, "--file", path, "-f", "json"] + (["--on-error", "skip"] if skip else [])
    one = distribution_run(xent_cli, monkeypatch, 1, "numpy", *args)
    assert one[0] in (0, 1), one
    assert distribution_run(xent_cli, monkeypatch, 3, "numpy", *args) == one


# --------------------------------------------------------------------------- groups


def grouped_rows(n: int, groups: int, seed: int = 0) -> list[str]:
    """Rows with a group (``g0``...) and a sequence (runs of 1-30 rows) column."""
    rng = np.random.default_rng(seed)
    names = rng.integers(0, groups, size=n)
    sequences = np.cumsum(rng.random(n) < 0.1)
    return [f"{line},g{g},s{s}" for line, g, s in zip(rows(n, seed), names.tolist(), sequences)]


def grouped_run(xent_cli, monkeypatch, path, workers: int, *args):
    monkeypatch.setenv("XENT_CSV_WORKERS", str(workers))
    result = xent_cli("compute", "--file", path, *args)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    "shown",
    [
        ["--group-by", "model", "--ignore-columns", "sequence", "--ci", "0.9", "-f", "json"],
        ["--group-by", "model", "--sequence-column", "sequence", "-f", "csv"],
        ["--sequence-column", "sequence", "--ignore-columns", "model", "-f", "json"],
    ],
)
def test_groups_are_scored_in_the_workers(xent_cli, monkeypatch, tmp_path, shown):
    """--group-by and --sequence-column are map-reduce too: each chunk's groups scored
    where the chunk is, merged in input order: the same bytes with 1 to 3 processes, and
    each group's numbers are those of its rows (NumPy, in the test)."""
    lines = grouped_rows(3000, 7)
    path = tmp_path / "g.csv"
    path.write_text("label," + ",".join(CLASSES) + ",model,sequence\n" + "\n".join(lines) + "\n")
    one = grouped_run(xent_cli, monkeypatch, path, 1, *shown)
    assert one[0] == 0, one[2]
    for workers in (2, 3):
        assert grouped_run(xent_cli, monkeypatch, path, workers, *shown) == one
    cells = [line.split(",") for line in lines]
    q = np.array([[float(x) for x in c[1:5]] for c in cells])
    y = np.array([CLASSES.index(c[0]) for c in cells])
    losses = -np.log(q[np.arange(len(y)), y])
    model, sequence = np.array([c[5] for c in cells]), np.array([c[6] for c in cells])
    if shown[-1] == "csv":
        for row in one[1].splitlines()[1:-1]:  # the groups, then (all)
            name, n, mean = row.split(",")[:3]
            assert int(n) == (model == name).sum()
            assert float(mean) == pytest.approx(losses[model == name].mean(), rel=1e-12)
        return
    data = json.loads(one[1])
    if "groups" in data:
        assert len(data["groups"]) == 7
        for group in data["groups"]:
            mine = model == group["group"]
            assert group["mean_cross_entropy"] == pytest.approx(losses[mine].mean(), rel=1e-12)
            hits = q[mine].argmax(axis=1) == y[mine]
            assert group["accuracy"] == pytest.approx(hits.mean(), rel=1e-12)
    else:
        per_sequence = [np.exp(losses[sequence == s].mean()) for s in np.unique(sequence)]
        found = data["sequences"]
        assert found["sequences"] == len(per_sequence)
        assert found["mean_sequence_perplexity"] == pytest.approx(np.mean(per_sequence))
        assert found["corpus_perplexity"] == pytest.approx(np.exp(losses.mean()), rel=1e-12)


def test_too_many_groups_is_the_same_error_from_the_workers(xent_cli, monkeypatch, tmp_path):
    """The limit is checked as groups merge, in input order: the same error, naming a
    row of a group beyond it, with 1 to 3 processes."""
    from xent.accumulators import groups

    monkeypatch.setattr(groups, "MAX_GROUPS", 5)  # the workers are forked: they see it too
    lines = grouped_rows(3000, 40)
    path = tmp_path / "g.csv"
    path.write_text("label," + ",".join(CLASSES) + ",model,sequence\n" + "\n".join(lines) + "\n")
    args = ["--group-by", "model", "--ignore-columns", "sequence", "-f", "json"]
    one = grouped_run(xent_cli, monkeypatch, path, 1, *args)
    assert one[0] == 1
    assert "more than 5 distinct values in the --group-by column 'model'" in one[2]
    line = int(one[2].split(f"{path}:")[1].split(":")[0])
    names = [text.split(",")[5] for text in lines[: line - 1]]
    assert len(set(names)) >= 5 and names[-1] not in names[:-1]  # a group's first row
    for workers in (2, 3):
        assert grouped_run(xent_cli, monkeypatch, path, workers, *args) == one
