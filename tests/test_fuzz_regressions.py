"""What the second fuzz round found, each pinned down by the smallest input that showed it.

- multi-label files with ``--reduction none``: an internal error (no class index to name);
- two infinite losses added (two chunks, a merge, a multi-label sum): ``nan`` with exit 0;
- ``--on-error skip`` that skips every row: ``nan`` with exit 0;
- ``--worst 100001``: "the 100,000 number of rowss allowed";
- ``explain -f csv`` with an infinite loss: two warnings before the one error line;
- a reader left suspended by a scoring error, closed later by the garbage collector inside
  threading's locks: a deadlock (the long run hung), or "Exception ignored" on stderr;
- a 20,000-class JSON Lines file read with --multi-label: a 20,000² identity, MemoryError;
- the memory cap of the fuzz runs themselves: a MemoryError under it, never a dead runner.
"""

from __future__ import annotations

import json
import math
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzz_inputs import limit_memory, memory_cap
from xent.totals import ExactSum

SCRIPT = Path(sys.executable).with_name("xent")


def one_error_line(result, text: str) -> None:
    assert result.exit_code == 1 or result.exit_code == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("xent: "), result.stderr
    assert text in result.stderr, result.stderr


@pytest.fixture
def multi_label_csv(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("label,a,b\na|b,0.9,0.8\n,0.1,0.2\nb,0.3,0.6\n")
    return path


def test_multi_label_rows_name_their_positive_classes(xent_cli, multi_label_csv):
    args = ["compute", "-i", multi_label_csv, "--multi-label", "-r", "none"]
    result = xent_cli(*args, "-f", "csv")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "row,label,cross_entropy,predicted,line"
    # label: the classes with y = 1; predicted: those with Q >= 0.5 (as a file writes them)
    assert [line.split(",")[1::2] for line in lines[1:]] == [["a|b", "a|b"], ["", ""], ["b", "b"]]
    rows = [json.loads(line) for line in xent_cli(*args, "-f", "json").stdout.splitlines()]
    assert [(r["label"], r["predicted"], r["line"]) for r in rows] == [
        ("a|b", "a|b", 2),
        ("", "", 3),
        ("b", "b", 4),
    ]
    expected = (-math.log(0.9) - math.log(0.8)) / 2
    assert math.isclose(rows[0]["cross_entropy"], expected, rel_tol=1e-12)
    plain = xent_cli(*args, "-f", "plain").stdout.split()
    assert [float(x) for x in plain] == [r["cross_entropy"] for r in rows]


@pytest.mark.skipif(not SCRIPT.exists(), reason="xent is not installed beside this Python")
def test_multi_label_rows_through_the_script(multi_label_csv):
    done = subprocess.run(
        [str(SCRIPT), "compute", "-i", str(multi_label_csv), "--multi-label", "-r", "none"],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=limit_memory,
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert done.stdout.splitlines()[1].startswith("1,a|b,")


def test_infinity_plus_infinity_is_infinity():
    for values in ([math.inf, math.inf], [1.0, math.inf, 2.0, math.inf], [1e308, 1e308]):
        total = ExactSum()
        for x in values:
            total.add(x)
        assert total.value == math.inf, values
    total = ExactSum()
    for x in (math.inf, -math.inf):
        total.add(x)
    assert math.isnan(total.value)
    merged, other = ExactSum(), ExactSum()
    merged.add(math.inf)
    other.add(math.inf)
    merged.merge(other)
    assert merged.value == math.inf
    finite = ExactSum()
    for x in [0.1] * 10:
        finite.add(x)
    assert finite.value == 1.0


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_a_multi_label_file_with_two_infinite_rows(xent_cli, tmp_path, reduction):
    path = tmp_path / "m.csv"
    path.write_text("label,a,b\nb,1,0.5\nb,1,0.5\na,0.5,0.5\n")  # y = 0 where Q = 1: inf
    result = xent_cli("compute", "-i", path, "--multi-label", "-f", "json", "-r", reduction)
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["cross_entropy"] == summary["sum"] == summary["mean"] == "inf"


def test_two_chunks_of_infinite_rows(xent_cli, tmp_path, monkeypatch):
    from xent.readers import csv_rows

    monkeypatch.setattr(csv_rows, "CHUNK_BYTES", 64)
    path = tmp_path / "p.csv"
    path.write_text("label,a,b\n" + "a,0,1\n" * 40)
    result = xent_cli("compute", "-i", path, "-f", "json", "-r", "sum")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["sum"] == "inf"


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_every_row_skipped_is_an_error_not_nan(xent_cli, tmp_path, reduction):
    path = tmp_path / "s.jsonl"
    path.write_text('{"label": "b", "a": 0.5, "b": 0.5}\n{"label": "b", "a": 0.3, "b": 0.7}\n')
    result = xent_cli(
        "compute", "-i", path, "--sample-weights", "w", "--on-error", "skip", "-r", reduction
    )
    assert result.exit_code == 1
    assert result.stderr == (
        f"xent: {path}: every row is skipped as bad: 2 rows (first: 1, 2), so there is no "
        "loss to average (--on-error raise shows the first problem)\n"
    )
    one = tmp_path / "one.csv"
    one.write_text("label,a,b\nb,x,0.5\n")
    result = xent_cli("compute", "-i", one, "--on-error", "skip", "-f", "plain")
    one_error_line(result, "every row is skipped as bad: 1 row (first: 2)")


@pytest.mark.parametrize(
    "option, value, message",
    [
        ("--worst", "100001", "--worst: 100,001 is more than the 100,000 rows allowed"),
        ("--bins", "10001", "--bins: 10,001 is more than the 10,000 bins allowed"),
        ("--top-k", "1000001", "--top-k: 1,000,001 is more than the 1,000,000 classes allowed"),
        ("--bins", "0", "--bins: 0 is not a positive number of bins"),
    ],
)
def test_bounds_say_their_noun_once(xent_cli, option, value, message):
    result = xent_cli("compute", "-l", "0", "-p", "0.5,0.5", option, value)
    one_error_line(result, message)


def test_explain_refuses_csv_before_any_warning(xent_cli):
    result = xent_cli("explain", "--labels", "1.0", "--pred", "0.0", "--pred", "1", "-f", "csv")
    assert result.exit_code == 2
    assert result.stderr == "xent: --format: explain writes table, plain or json, not csv\n"


def test_the_memory_cap_raises_memory_error_and_lifts():
    with memory_cap(256 << 20), pytest.raises(MemoryError):
        np.ones(64 << 20)  # 512 MiB
    assert np.ones(64 << 20).size == 64 << 20


def test_a_file_that_fails_mid_way_leaves_no_reader_thread(tmp_path, monkeypatch):
    """A scoring error while the reader is suspended (the pyarrow reader parses the next
    chunk in a thread) closes the reader at once. Left to the garbage collector, its
    ``ThreadPoolExecutor`` was shut down at an arbitrary moment, once inside threading's
    own bookkeeping of a new thread: a deadlock (the long fuzz run hung on it)."""
    pytest.importorskip("pyarrow")
    import gc
    import threading

    from xent.errors import DataError
    from xent.pipeline import score_file
    from xent.readers import csv_rows

    monkeypatch.setattr(csv_rows, "CHUNK_BYTES", 64)
    monkeypatch.setenv("XENT_CSV_READER", "arrow")
    path = tmp_path / "p.csv"
    path.write_text("label,a,b\n" + "a,0.5,0.5\n" * 20 + "a,0.5,0.9\n" + "a,0.5,0.5\n" * 20)
    gc.collect()
    before = set(threading.enumerate())
    gc.disable()  # only the pipeline itself may close the reader
    try:
        with pytest.raises(DataError, match="sums to 1.4"):
            score_file(str(path))
        left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    finally:
        gc.enable()
    assert left == []


@pytest.mark.parametrize("shape", ["records", "pred"])
def test_a_wide_json_lines_file_read_as_multi_label_takes_linear_memory(xent_cli, tmp_path, shape):
    """20,000 classes read with --multi-label built a 20,000 × 20,000 identity (3 GB) for
    one row: a MemoryError under the fuzz run's memory cap. Now n × K, as the input is."""
    k = 20_000
    if shape == "records":
        row = {"label": f"c{k - 1}", **{f"c{i}": 1 / k for i in range(k)}}
    else:
        row = {"label": k - 1, "pred": [1 / k] * k}
    path = tmp_path / "wide.jsonl"
    path.write_text(json.dumps(row) + "\n")
    with memory_cap(512 << 20):
        result = xent_cli("compute", "-i", path, "--multi-label", "-f", "json")
    assert result.exit_code == 0, result.stderr
    y = np.zeros(k)
    y[k - 1] = 1.0
    q = np.full(k, 1 / k)
    expected = float(np.mean(-(y * np.log(q) + (1 - y) * np.log1p(-q))))
    assert math.isclose(json.loads(result.stdout)["cross_entropy"], expected, rel_tol=1e-9)


def test_a_zero_class_weight_on_an_infinite_term_is_no_warning(xent_cli):
    """--weights 2,0 where class b's term is infinite (y = 0, Q = 1): the term is weighted
    out (0), and NumPy's "invalid value encountered in multiply" is no warning of xent's."""
    args = ["compute", "--multi-label", "-c", "a,b", "-l", "a", "-p", "1,1", "-f", "plain"]
    result = xent_cli(*args, "--weights", "2,0")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "0.0\n", "")


@pytest.mark.parametrize("typed", ["1e999", "1.5", "-0.25", "nan"])
@pytest.mark.parametrize("renormalize", [[], ["--renormalize"]])
def test_one_entropy_value_is_checked_as_typed(xent_cli, typed, renormalize):
    """``entropy --pred P`` is the binary distribution (1 − P, P): a P outside [0, 1] is
    named as typed, not as the 1 − P it would become (found by CI's fuzz: '--renormalize
    --pred 1e999' said "value 1 is -inf, negative" after a NumPy warning)."""
    result = xent_cli("entropy", *renormalize, "--pred", typed, "-f", "plain")
    shown = f"{float(typed):.6g}"
    one_error_line(result, f"--pred: binary probability {shown} is outside [0, 1]")


def test_one_entropy_value_is_a_binary_distribution(xent_cli):
    for args in (["--pred", "0.3"], ["--pred", "0.3", "--renormalize"]):
        result = xent_cli("entropy", *args, "-f", "plain")
        expected = -(0.3 * math.log(0.3) + 0.7 * math.log(0.7))
        assert result.exit_code == 0, result.stderr
        assert math.isclose(float(result.stdout), expected, rel_tol=1e-15)


@given(
    st.lists(
        st.one_of(
            st.floats(allow_nan=True, allow_infinity=True),
            st.floats(min_value=-1e3, max_value=1e3),
            st.floats(min_value=0.0, max_value=1.0),
            st.sampled_from([0.0, -0.0, 1.0, 5e-324, 2.2250738585072014e-308, 1e300, 2.0**-823]),
        ),
        min_size=1,
        max_size=300,
    )
)
def test_exact_sum_is_fsum_bit_for_bit(values):
    """totals.bucket_sum (exact_sum's buckets by exponent, which it uses from 2,048
    values) gives math.fsum's correctly rounded sum, or raises what fsum raises (inf −
    inf, an overflow), for any doubles."""
    from xent.totals import bucket_sum

    array = np.array(values, dtype=np.float64)
    try:
        expected = math.fsum(values)
    except (ValueError, OverflowError) as error:
        with pytest.raises(type(error)):
            bucket_sum(array)
        return
    found = bucket_sum(array)
    assert struct.pack("<d", found) == struct.pack("<d", expected) or (
        math.isnan(found) and math.isnan(expected)
    )


@pytest.mark.parametrize("seed", range(20))
def test_exact_sum_of_chunks_of_losses(seed):
    """The sums a chunk makes (thousands of losses, hits, Brier terms), against
    math.fsum: by the buckets from 2,048 values, by fsum below."""
    from xent.totals import exact_sum

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 50_000)) if seed else 3
    for values in (
        -np.log(rng.random(n)),
        (rng.random(n) < 0.5).astype(np.float64),
        rng.normal(size=n) * 10.0 ** rng.integers(-200, 200, n),
        np.concatenate([x := rng.normal(size=n), -x]),
    ):
        assert exact_sum(values) == math.fsum(values.tolist())
