"""xent.runner.dask: the same dataset scored locally and on a Dask LocalCluster gives the same
summary (1e-12 relative on every number, counts and histograms exactly), the same errors
at the same file:line:column, and survives a worker killed mid-run.

The tests start their own LocalCluster (threads: ``processes=False``, except where a
worker process is killed); they are skipped when dask is not installed."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import pickle
import sys
import time

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

from xent.errors import DataError, UsageError  # noqa: E402
from xent.options import ScoreOptions  # noqa: E402
from xent.pipeline import score_file  # noqa: E402
from xent.readers.partitions import Part  # noqa: E402
from xent.readers.read_options import ReadOptions  # noqa: E402
from xent.runner.dask import Outcome, score_on_cluster, score_part  # noqa: E402


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture(autouse=True)
def _parse_here(monkeypatch):
    # The tasks parse in their worker (XENT_CSV_WORKERS=0); set it here so that the
    # in-process workers leave the test process's environment as it was.
    monkeypatch.setenv("XENT_CSV_WORKERS", "0")


def same(local, remote, path="summary"):
    """Every number of two summaries agrees to 1e-12 relative; everything else exactly."""
    if dataclasses.is_dataclass(local):
        assert type(local) is type(remote), path
        for f in dataclasses.fields(local):
            same(getattr(local, f.name), getattr(remote, f.name), f"{path}.{f.name}")
    elif isinstance(local, (list, tuple)):
        assert len(local) == len(remote), path
        for i, (a, b) in enumerate(zip(local, remote)):
            same(a, b, f"{path}[{i}]")
    elif isinstance(local, dict):
        assert local.keys() == remote.keys(), path
        for key in local:
            same(local[key], remote[key], f"{path}[{key!r}]")
    elif isinstance(local, np.ndarray):
        same(local.tolist(), remote.tolist(), path)
    elif isinstance(local, float) and not isinstance(local, bool):
        assert isinstance(remote, float), path
        if math.isnan(local) or math.isinf(local):
            assert repr(local) == repr(remote), path
        else:
            assert math.isclose(local, remote, rel_tol=1e-12, abs_tol=1e-300), (
                path,
                local,
                remote,
            )
    else:
        assert local == remote, path  # counts, histograms' rows, names, lines: exactly


def write_csv(path, rows=600, seed=1, blank_at=None, ignored_at=None, quoted=False):
    """A 4-class CSV: a run of blank lines (a range with no rows) and a run of rows whose
    label is ignored (a range all ignored) where asked."""
    rng = np.random.default_rng(seed)
    classes = ["a", "b", "c", "d"]
    lines = ["label,a,b,c,d"]
    p = rng.dirichlet(np.ones(4), size=rows)
    labels = rng.integers(0, 4, size=rows)
    for i in range(rows):
        if blank_at is not None and blank_at <= i < blank_at + 40:
            lines.append("")
            continue
        label = "skip" if ignored_at is not None and ignored_at <= i < ignored_at + 40 else None
        label = label or classes[labels[i]]
        if quoted and i % 7 == 0:
            label = f'"{label}"'
        lines.append(",".join([label, *(repr(float(x)) for x in p[i])]))
    path.write_text("\n".join(lines) + "\n")
    return path


OPTIONS = [
    ScoreOptions(worst=4),
    ScoreOptions(ignore_label="skip", top_k=2, bins=10),
    ScoreOptions(ci=0.9, replicates=16, seed=3, ignore_label="skip"),
    ScoreOptions(ci=0.9, ignore_label="skip"),  # standard errors
]


@pytest.mark.parametrize("range_bytes", [300, 4000, 10**9])
@pytest.mark.parametrize("which", range(len(OPTIONS)))
def test_csv_ranges_agree_with_the_local_run(client, tmp_path, range_bytes, which):
    options = OPTIONS[which]
    read = ReadOptions(ignore_labels=("skip",) if options.ignore_label else ())
    ignored_at = 200 if options.ignore_label else None
    path = write_csv(tmp_path / "p.csv", 300, blank_at=100, ignored_at=ignored_at, quoted=True)
    local = score_file(str(path), options, read)
    remote = score_on_cluster(str(path), options, read, client=client, range_bytes=range_bytes)
    same(local, remote)
    assert remote.ci == local.ci  # exact sums: the intervals bit for bit


def test_zero_row_and_all_ignored_partitions(client, tmp_path):
    """Ranges of blank lines only (no rows) and of ignored rows only, beside others."""
    from xent.runner.dask import plan

    path = write_csv(tmp_path / "p.csv", rows=120, blank_at=30, ignored_at=75)
    options = ScoreOptions(ignore_label="skip")
    read = ReadOptions(ignore_labels=("skip",))
    files, parts = plan([str(path)], read, 30, 1)
    outcomes = [
        score_part(dataclasses.replace(p, first_line=2), options, read, True) for p in parts
    ]
    assert any(o.rows == 0 for o in outcomes)  # the blank lines
    assert any(o.totals is not None and o.totals.ignored and not o.totals.rows for o in outcomes)
    same(score_file(str(path), options, read), score_on_cluster(
        str(path), options, read, client=client, range_bytes=30
    ))  # fmt: skip


def write_dataset(directory):
    """Parquet files of several row groups (one of them empty), a CSV and a JSON Lines
    file (whole-file partitions) in one directory: one evaluation."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    directory.mkdir()
    rng = np.random.default_rng(7)
    for n, name in ((0, "0-empty-group"), (1000, "1-big"), (37, "2-small")):
        p = rng.dirichlet(np.ones(3), size=max(n, 1))[:n]
        table = pa.table(
            {
                "label": pa.array([["x", "y", "z"][i] for i in rng.integers(0, 3, n)], pa.string()),
                **{c: pa.array(p[:, j]) for j, c in enumerate("xyz")},
            }
        )
        if n == 0:  # a file of one row group with no rows, then rows in the next
            writer = pq.ParquetWriter(directory / f"{name}.parquet", table.schema)
            writer.write_table(table)
            q = rng.dirichlet(np.ones(3), size=5)
            writer.write_table(
                pa.table({"label": ["x"] * 5, **{c: q[:, j] for j, c in enumerate("xyz")}})
            )
            writer.close()
        else:
            pq.write_table(table, directory / f"{name}.parquet", row_group_size=64)
    p = rng.dirichlet(np.ones(3), size=50)
    (directory / "3-rows.csv").write_text(
        "label,x,y,z\n" + "".join(f"y,{a!r},{b!r},{c!r}\n" for a, b, c in p.tolist())
    )
    (directory / "4-rows.jsonl").write_text(
        "".join(json.dumps({"label": "z", "x": a, "y": b, "z": c}) + "\n" for a, b, c in p.tolist())
    )
    return directory


@pytest.mark.parametrize("group_rows", [1, 100, 10**9])
def test_files_and_row_groups_agree_with_the_local_run(client, tmp_path, group_rows):
    pytest.importorskip("pyarrow")
    directory = write_dataset(tmp_path / "data")
    options = ScoreOptions(bins=8)
    local = score_file(str(directory), options, by_file=True)
    remote = score_on_cluster(
        str(directory), options, client=client, by_file=True, group_rows=group_rows, range_bytes=300
    )
    same(local, remote)
    assert remote.rows == 1000 + 37 + 5 + 100


def local_error(call):
    with pytest.raises((DataError, UsageError)) as caught:
        call()
    return type(caught.value), str(caught.value)


@pytest.mark.parametrize("range_bytes", [300, 10**9])
def test_a_bad_row_fails_with_its_real_line_and_column(client, tmp_path, range_bytes):
    path = write_csv(tmp_path / "p.csv", rows=300)
    lines = path.read_text().splitlines()
    lines[250] = lines[250].replace(",", ",oops", 2).replace(",oops", ",", 1)
    path.write_text("\n".join(lines) + "\n")
    local = local_error(lambda: score_file(str(path)))
    assert ":251:" in local[1]
    remote = local_error(
        lambda: score_on_cluster(str(path), client=client, range_bytes=range_bytes)
    )
    assert remote == local


def test_skipped_bad_rows_are_the_same(client, tmp_path):
    path = write_csv(tmp_path / "p.csv", rows=300)
    lines = path.read_text().splitlines()
    for i in (20, 150, 151, 290):
        lines[i] = "a,nope,0.5,0.25,0.25"
    path.write_text("\n".join(lines) + "\n")
    read = ReadOptions(on_error="skip")
    options = ScoreOptions(skip_bad_rows=True)
    local = score_file(str(path), options, read)
    remote = score_on_cluster(str(path), options, read, client=client, range_bytes=500)
    same(local, remote)
    assert remote.skipped == 4


def test_the_errors_of_many_files_come_in_order(client, tmp_path):
    (tmp_path / "a.csv").write_text("label,x,y\nx,0.5,0.5\n")
    (tmp_path / "b.csv").write_text("label,x,y\n")  # no rows
    (tmp_path / "c.csv").write_text("label,x,z\nx,0.5,0.5\n")  # other classes
    # A file without rows among several adds none (issue 23): the same summary both ways.
    both = [str(tmp_path / "a.csv"), str(tmp_path / "b.csv")]
    local_summary = score_file(both)
    remote_summary = score_on_cluster(both, client=client, range_bytes=5)
    assert (remote_summary.rows, remote_summary.mean) == (local_summary.rows, local_summary.mean)
    assert remote_summary.notes == local_summary.notes
    for files in (["a.csv", "c.csv"], ["b.csv", "c.csv"]):
        paths = [str(tmp_path / f) for f in files]
        local = local_error(lambda paths=paths: score_file(paths))
        remote = local_error(
            lambda paths=paths: score_on_cluster(paths, client=client, range_bytes=5)
        )
        assert remote == local
    local = local_error(lambda: score_file(str(tmp_path / "missing.csv")))
    assert local_error(lambda: score_on_cluster(str(tmp_path / "missing.csv"), client=client)) == (
        local
    )


def test_a_header_only_file_in_ranges_has_no_rows(client, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("label,x,y\n" + "\n" * 50)
    local = local_error(lambda: score_file(str(path)))
    assert local_error(lambda: score_on_cluster(str(path), client=client, range_bytes=7)) == local


def test_a_partition_sends_little(tmp_path):
    """The fine calibration histogram (2^16 bins, 1.5 MB dense) is sent sparse."""
    path = write_csv(tmp_path / "p.csv", rows=500)
    outcome = score_part(Part(0, str(path)), ScoreOptions(), ReadOptions(), True)
    assert isinstance(outcome, Outcome) and outcome.totals.rows == 500
    assert len(pickle.dumps(outcome)) < 64_000


def test_ctrl_c_cancels_the_tasks(client, tmp_path):
    path = write_csv(tmp_path / "p.csv", rows=400)

    def interrupt(done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        score_on_cluster(str(path), client=client, range_bytes=200, on_part=interrupt, task=slow)
    deadline = time.monotonic() + 30
    while client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks)):
        assert time.monotonic() < deadline, "the tasks were not cancelled"
        time.sleep(0.05)


def slow(part, *args):
    if part.start > 500:
        time.sleep(2)
    return score_part(part, *args)


def kill_once(part, *args):
    """Kill this task's worker process the first time (a marker file says it was done)."""
    marker = os.environ["XENT_TEST_KILL_MARKER"]
    if part.start and not os.path.exists(marker):
        with open(marker, "w") as f:
            f.write(str(os.getpid()))
        os._exit(9)
    return score_part(part, *args)


def test_a_killed_worker_is_retried_and_the_result_is_exact(tmp_path, monkeypatch):
    import cloudpickle

    path = write_csv(tmp_path / "p.csv", rows=400, ignored_at=50)
    marker = tmp_path / "killed"
    monkeypatch.setenv("XENT_TEST_KILL_MARKER", str(marker))
    options = ScoreOptions(ignore_label="skip", worst=3)
    read = ReadOptions(ignore_labels=("skip",))
    local = score_file(str(path), options, read)
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    try:
        with (
            distributed.LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            remote = score_on_cluster(
                str(path), options, read, client=client, range_bytes=2000, task=kill_once
            )
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    assert marker.exists()  # a worker was killed
    same(local, remote)


# ------------------------------------------------------------------ the command line


def test_the_command_line_prints_what_the_local_run_prints(xent_cli, tmp_path, monkeypatch):
    path = write_csv(tmp_path / "p.csv", rows=300)
    monkeypatch.setenv("XENT_PARTITION_BYTES", "1000")
    local = xent_cli("compute", path, "-f", "json")
    remote = xent_cli("compute", path, "-f", "json", "--cluster", "local", "--workers", "1")
    assert remote.exit_code == 0, remote.stderr
    local, remote = json.loads(local.stdout), json.loads(remote.stdout)
    # The mean and the sum: exact sums, so the same floats; sums of float arrays (per
    # class, per bin) may differ in their last bits.
    assert (remote["mean"], remote["sum"]) == (local["mean"], local["sum"])
    same(local, remote)


def test_the_command_line_refuses_what_a_cluster_does_not_do(xent_cli, tmp_path):
    path = write_csv(tmp_path / "p.csv", rows=10)
    result = xent_cli("compute", path, "--cluster", "local", "-r", "none")
    assert result.exit_code == 2 and "--reduction none with --cluster" in result.stderr
    result = xent_cli("compute", path, "--workers", "2")
    assert result.exit_code == 2 and "--workers is for --cluster local" in result.stderr


def test_without_dask_one_line_names_the_extra(xent_cli, tmp_path, monkeypatch):
    path = write_csv(tmp_path / "p.csv", rows=10)
    monkeypatch.setitem(sys.modules, "distributed", None)
    result = xent_cli("compute", path, "--cluster", "local")
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0
    assert "pip install 'xent[dask]'" in result.stderr


@pytest.mark.parametrize("range_bytes", [700, 10**9])
def test_groups_and_sequences_agree_with_the_local_run(client, tmp_path, range_bytes):
    """A partition's totals carry its groups and sequences (Totals.grouped), merged in
    partition order: the local run's groups, intervals included, to 1e-12."""
    rng = np.random.default_rng(4)
    n = 400
    p = rng.dirichlet(np.ones(3), size=n)
    labels = rng.integers(0, 3, size=n)
    models = rng.choice(["m1", "m2", "m3"], size=n)
    sequences = np.cumsum(rng.random(n) < 0.2)
    lines = ["label,a,b,c,model,sequence"]
    for i in range(n):
        values = ",".join(repr(float(x)) for x in p[i])
        lines.append(f"{'abc'[labels[i]]},{values},{models[i]},s{sequences[i]}")
    path = tmp_path / "g.csv"
    path.write_text("\n".join(lines) + "\n")
    options = ScoreOptions(ci=0.9, replicates=16, seed=3)
    grouped = {"group_by": "model", "sequence_column": "sequence"}
    local = score_file(str(path), options, **grouped)
    remote = score_on_cluster(str(path), options, client=client, range_bytes=range_bytes, **grouped)
    same(local, remote)
    assert [name for name, _ in remote.groups] == [name for name, _ in local.groups]
    assert remote.sequences.sequences == len(set(sequences.tolist()))
    losses = -np.log(p[np.arange(n), labels])
    for name, group in remote.groups:
        assert group.mean == pytest.approx(losses[models == name].mean(), rel=1e-12)
