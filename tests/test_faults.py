"""Regression tests for what the fuzzers found, and the limits on hostile input."""

from __future__ import annotations

import os
import signal

import pytest


def one_line_error(result, status=1):
    assert result.exit_code == status, (result.stdout, result.stderr, result.exception)
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("xent: ")
    return result.stderr.rstrip("\n")


@pytest.mark.parametrize(
    "content, message",
    [
        # A bare \r inside the header was an internal error (csv.Error), exit 70.
        (
            b"label,a,b\ra,0.5,0.5\r",
            ":1: a carriage return (\\r) inside the header: lines must end with \\n or \\r\\n",
        ),
        # An unclosed quote at the end of the file was read as if it were closed.
        (
            b'label,a,b\na,0.5,"0.5\n',
            ':2: a quoted field is not closed before the end of the file: close it with " '
            '(a quote inside a field is written "")',
        ),
        (b'label,a,b\n"a" ,0.5,0.5\n', ":2: bad quoting (',' expected after '\"')"),
        # float() reads 1_0 as 10 and Arabic-Indic digits as numbers: not in a file.
        (b"label,a,b\na,1_0,0.5\n", ":2:2: '1_0' is not a number"),
        ("label,a,b\na,١,0\n".encode(), ":2:2: '١' is not a number"),
        # pyarrow drops a BOM at the start of a chunk: there it is part of a label.
        (b"label,a,b\n\xef\xbb\xbfa,0.5,0.5\n", ":2:1: unknown label '\\ufeffa'"),
        # A field over the csv module's limit was an internal error.
        (b"label,a,b\n" + b"a" * 200_000 + b",0.5,0.5\n", ":2:1: unknown label 'aaaaaaaa"),
        (
            b'label,a,b\n"' + b"a" * 200_000 + b'",0.5,0.5\n',
            ":2: a field longer than 131,072 characters",
        ),
        # The pyarrow reader read the next chunk before reporting this one's error.
        (
            b"label,x,y\nlabel,x,y\na,0.5,0.5\n\xf0\x90\x80",
            ":2:2: 'x' is not a number",
        ),
    ],
)
def test_bad_csv_is_one_line_naming_the_line(xent_cli, tmp_path, reader, content, message):
    path = tmp_path / "p.csv"
    path.write_bytes(content)
    line = one_line_error(xent_cli("compute", "--file", path, "-f", "json"))
    assert line.startswith(f"xent: {path}{message}")
    assert len(line) < 300  # a 200,000-character label is shown cut short


@pytest.mark.parametrize("value", ["1_000", "١"])
def test_arguments_take_plain_numbers_only(xent_cli, value):
    line = one_line_error(xent_cli("compute", "--labels", "0", "--pred", f"{value},0"))
    assert line == f"xent: --pred: value 1 is {value!r}, not a number"


def test_json_messages_are_cut_short(xent_cli, tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text('{"label": 0, "pred": [0.5, "' + "x" * 10_000 + '"]}\n')
    line = one_line_error(xent_cli("compute", "--file", path))
    assert line.startswith(f'xent: {path}:1: pred value 2 is "xxx')
    assert len(line) < 200


# -- limits: one line naming the file and line, instead of exhausted memory


@pytest.mark.parametrize(
    "name, content, message",
    [
        (
            "p.csv",
            b"a" * 10_000,
            ":1: the header is larger than 1,000 bytes (the limit; XENT_MAX_LINE_BYTES raises it)",
        ),
        (
            "p.csv",
            b"label,a,b\na,0.5,0.5\n" + b"a" * 10_000,
            ":3: the line is larger than 1,000 bytes (the limit; XENT_MAX_LINE_BYTES raises it)",
        ),
        (
            "p.csv",
            b'label,a,b\na,0.5,0.5\n"' + b"\n" * 10_000,
            ":3: a quoted field (an unclosed quote?) is larger than 1,000 bytes",
        ),
        (
            "p.jsonl",
            b'{"label": 0, "pred": [1.0]}\n' + b" " * 10_000,
            ":2: the line is larger than 1,000 bytes",
        ),
    ],
)
def test_line_limit(xent_cli, tmp_path, monkeypatch, reader, name, content, message):
    monkeypatch.setattr("xent.readers.csv_rows.CHUNK_BYTES", 4096)
    path = tmp_path / name
    path.write_bytes(content)
    result = xent_cli("compute", "--file", path, env={"XENT_MAX_LINE_BYTES": "1000"})
    assert one_line_error(result).startswith(f"xent: {path}{message}")


def test_json_document_size_limit(xent_cli, tmp_path):
    path = tmp_path / "p.json"
    path.write_text('{"labels": [0], "pred": [[1.0]]}' + " " * 2000)
    result = xent_cli("compute", "--file", path, env={"XENT_MAX_JSON_BYTES": "1000"})
    assert one_line_error(result) == (
        f"xent: {path}: the JSON document is larger than 1,000 bytes (the limit; "
        "XENT_MAX_JSON_BYTES raises it): JSON Lines, one row a line, is read in chunks at any size"
    )


@pytest.mark.parametrize("name", ["p.json", "p.jsonl"])
@pytest.mark.parametrize("depth", [65, 100_000])  # 100,000 was a RecursionError (exit 70)
def test_json_depth_limit(xent_cli, tmp_path, name, depth):
    path = tmp_path / name
    path.write_text('{"label": 0, "pred": ' + "[" * depth + "]" * depth + "}\n")
    line = one_line_error(xent_cli("compute", "--file", path))
    where = ":1" if name == "p.jsonl" else ""
    assert line == (
        f"xent: {path}{where}: JSON nested more than 64 levels deep (the limit; "
        "XENT_MAX_JSON_DEPTH raises it): a prediction file needs 3"
    )


def test_json_depth_ignores_brackets_in_strings():
    from xent.readers.limits import json_depth

    assert json_depth(b'{"a": "[[[[{{", "b": [[1]]}') == 3
    assert json_depth(b'["\\"[[", [["\\\\"], []]]') == 3  # escaped quote; escaped backslash
    assert json_depth(b"") == 0


def test_a_bad_limit_is_a_usage_error(xent_cli, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("label,a\na,1\n")
    result = xent_cli("compute", "--file", path, env={"XENT_MAX_LINE_BYTES": "lots"})
    assert one_line_error(result, 2) == (
        "xent: XENT_MAX_LINE_BYTES: 'lots' is not a limit: use a positive whole number "
        "(default 67108864)"
    )


def _killed_worker(tasks):
    os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's OOM killer ends a process


def test_a_killed_worker_process_is_one_line_and_exit_71(xent_cli, monkeypatch, tmp_path):
    """A worker that dies (out of memory, killed) was "internal error: BrokenProcessPool",
    exit 70: the run has no result, and the line says what to try."""
    from xent.readers import csv_rows
    from xent.runner import processes

    path = tmp_path / "p.csv"
    path.write_text("label,a,b\n" + "a,0.25,0.75\n" * 400)
    monkeypatch.setattr(csv_rows, "CHUNK_BYTES", 512)  # many chunks: workers start
    monkeypatch.setattr(processes, "_score_in_worker", _killed_worker)
    monkeypatch.setenv("XENT_CSV_WORKERS", "2")
    message = one_line_error(xent_cli("compute", "--file", path, "-f", "plain"), status=71)
    assert message == (
        f"xent: {path}: a worker process ended abruptly (out of memory, or killed); "
        "XENT_CSV_WORKERS=1 reads in this process alone, with less memory"
    )


def test_out_of_memory_is_one_line_and_exit_71(xent_cli, monkeypatch):
    """NumPy's MemoryError (an array too large for the machine) names the allocation."""
    from xent import pipeline

    def no_memory(*args, **kwargs):
        raise MemoryError("Unable to allocate 8.00 GiB for an array with shape (1073741824,)")

    monkeypatch.setattr(pipeline, "score_chunks", no_memory)
    result = xent_cli("compute", "--labels", "dog", "--pred", "0.4,0.6", "--classes", "dog,fox")
    assert one_line_error(result, status=71) == (
        "xent: out of memory: Unable to allocate 8.00 GiB for an array with shape (1073741824,)"
    )


def test_a_killed_parsing_worker_is_one_line_and_exit_71(xent_cli, monkeypatch, tmp_path):
    """The same for the workers that only parse (a reader without a scoring spec:
    ``xent compare`` pairs the rows of two files in this process)."""
    from xent.readers import csv_rows, csv_workers

    path = tmp_path / "a.csv"
    path.write_text("label,a,b\n" + "a,0.25,0.75\n" * 400)
    monkeypatch.setattr(csv_rows, "CHUNK_BYTES", 512)
    monkeypatch.setattr(csv_workers, "_parse_in_worker", _killed_worker)
    monkeypatch.setenv("XENT_CSV_WORKERS", "2")
    monkeypatch.setenv("XENT_CSV_READER", "numpy")
    message = one_line_error(xent_cli("compare", path, path), status=71)
    assert message.startswith(f"xent: {path}: a worker process ended abruptly")
