"""The file readers: formats, dialects, line numbers, and every kind of bad input."""

from __future__ import annotations

import io

import numpy as np
import pytest

from xent.cli.app import flag
from xent.errors import DataError, UsageError
from xent.readers import csv_parse, csv_rows
from xent.readers.files import read_prediction_chunks, sniff_format
from xent.readers.read_options import ReadOptions

READERS = ["numpy", "arrow"]


def read_all(path, **options):
    chunks = list(read_prediction_chunks(str(path), ReadOptions(**options)))
    values = np.concatenate([c.values for c in chunks])
    lines = np.concatenate([c.lines for c in chunks])
    labels = None
    if chunks[0].labels is not None:
        labels = np.concatenate([c.labels for c in chunks])
    skipped = [e for c in chunks for e in c.skipped]
    return chunks[0].classes, values, labels, lines, skipped


def write(tmp_path, name, content, mode="w"):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, newline="")
    return path


@pytest.fixture(params=READERS)
def reader(request):
    if request.param == "arrow":
        pytest.importorskip("pyarrow")  # the optional xent[fast] reader
    return request.param


def test_csv_classes_labels_values_and_lines(tmp_path, reader):
    path = write(tmp_path, "p.csv", "label,a,b,c\nb,0.2,0.5,0.3\n2,0.1,0.1,0.8\n")
    classes, values, labels, lines, skipped = read_all(path, csv_reader=reader)
    assert classes == ["a", "b", "c"]
    assert values.tolist() == [[0.2, 0.5, 0.3], [0.1, 0.1, 0.8]]
    assert labels.tolist() == [1, 2]  # a name, and an index
    assert lines.tolist() == [2, 3]
    assert skipped == []


@pytest.mark.parametrize(
    "content",
    [
        "label,a,b\r\na,0.25,0.75\r\nb,0.5,0.5\r\n",  # CRLF
        "\ufefflabel,a,b\na,0.25,0.75\nb,0.5,0.5\n",  # UTF-8 BOM
        '"label","a","b"\na,0.25,0.75\nb,0.5,0.5\n',  # quoted header
        'label,a,b\n"a","0.25",0.75\nb,0.5,0.5',  # quoted fields, no final newline
        "label;a;b\na;0.25;0.75\nb;0.5;0.5\n",  # semicolons
        "label\ta\tb\na\t0.25\t0.75\nb\t0.5\t0.5\n",  # tabs
        "a,label,b\n0.25,a,0.75\n0.5,b,0.5\n",  # the label in the middle
        "a,b,label\n0.25,0.75,a\n0.5,0.5,b\n",  # the label last
    ],
    ids=["crlf", "bom", "quoted-header", "quoted-fields", "semicolon", "tab", "middle", "last"],
)
def test_csv_dialects(tmp_path, reader, content):
    path = write(tmp_path, "p.csv", content)
    classes, values, labels, lines, _ = read_all(path, csv_reader=reader)
    assert classes == ["a", "b"]
    assert values.tolist() == [[0.25, 0.75], [0.5, 0.5]]
    assert labels.tolist() == [0, 1]
    assert lines.tolist() == [2, 3]


def test_quoted_newline_keeps_line_numbers(tmp_path, reader):
    path = write(tmp_path, "p.csv", 'id,label,a,b\n"x\ny",a,0.25,0.75\nz,b,0.5,0.5\n')
    _, values, labels, lines, _ = read_all(path, csv_reader=reader, ignore_columns=("id",))
    assert lines.tolist() == [2, 4]
    assert labels.tolist() == [0, 1]


def test_one_row_file(tmp_path, reader):
    path = write(tmp_path, "p.csv", "label,a,b\nb,0.1,0.9\n")
    _, values, labels, lines, _ = read_all(path, csv_reader=reader)
    assert values.shape == (1, 2) and labels.tolist() == [1] and lines.tolist() == [2]


def test_blank_lines_are_not_rows(tmp_path, reader):
    path = write(tmp_path, "p.csv", "label,a,b\na,0.5,0.5\n\nb,0.5,0.5\n\n")
    _, _, labels, lines, _ = read_all(path, csv_reader=reader)
    assert labels.tolist() == [0, 1]
    assert lines.tolist() == [2, 4]


def test_soft_label_columns(tmp_path, reader):
    path = write(tmp_path, "p.csv", "y_a,y_b,a,b\n0.9,0.1,0.25,0.75\n")
    chunks = list(
        read_prediction_chunks(
            str(path), ReadOptions(label_columns=("y_a", "y_b"), csv_reader=reader)
        )
    )
    assert chunks[0].classes == ["a", "b"]
    assert chunks[0].targets.tolist() == [[0.9, 0.1]]
    assert chunks[0].values.tolist() == [[0.25, 0.75]]


def test_classes_option_renames(tmp_path):
    path = write(tmp_path, "p.csv", "label,c0,c1\ncat,0.25,0.75\n")
    classes, _, labels, _, _ = read_all(path, classes=("dog", "cat"))
    assert classes == ["dog", "cat"] and labels.tolist() == [1]


def test_chunks_keep_line_numbers_across_boundaries(tmp_path, monkeypatch, reader):
    monkeypatch.setattr(csv_rows, "CHUNK_BYTES", 64)
    rows = "".join(f"{'ab'[i % 2]},0.25,0.75\n" for i in range(100))
    path = write(tmp_path, "p.csv", "label,a,b\n" + rows)
    chunks = list(read_prediction_chunks(str(path), ReadOptions(csv_reader=reader)))
    assert len(chunks) > 10
    lines = np.concatenate([c.lines for c in chunks])
    labels = np.concatenate([c.labels for c in chunks])
    assert lines.tolist() == list(range(2, 102))
    assert labels.tolist() == [i % 2 for i in range(100)]


def test_json_object_and_list_and_jsonl(tmp_path):
    obj = write(
        tmp_path,
        "p.json",
        '{"classes": ["a", "b"], "labels": ["b", 0], "pred": [[0.25, 0.75], [0.5, 0.5]]}',
    )
    rows = write(
        tmp_path,
        "r.json",
        '[{"label": "b", "pred": [0.25, 0.75]}, {"label": 0, "pred": [0.5, 0.5]}]',
    )
    lines = write(
        tmp_path,
        "p.jsonl",
        '{"label": 1, "pred": [0.25, 0.75]}\n\n{"label": 0, "pred": [0.5, 0.5]}\n',
    )
    _, values, labels, numbers, _ = read_all(obj)
    assert values.tolist() == [[0.25, 0.75], [0.5, 0.5]] and labels.tolist() == [1, 0]
    assert numbers.tolist() == [1, 2]  # rows of a JSON document
    assert read_all(rows, classes=("a", "b"))[2].tolist() == [1, 0]
    _, values, labels, numbers, _ = read_all(lines)
    assert labels.tolist() == [1, 0] and numbers.tolist() == [1, 3]


def test_jsonl_logits_and_soft_labels(tmp_path):
    path = write(
        tmp_path,
        "p.jsonl",
        '{"label": [0.9, 0.1], "logits": [2.0, 1.0]}\n{"label": 1, "logits": [0.0, 0.0]}\n',
    )
    (chunk,) = read_prediction_chunks(str(path))
    assert chunk.logits is True
    assert chunk.targets.tolist() == [[0.9, 0.1], [0.0, 1.0]]


@pytest.mark.parametrize(
    "head, expected",
    [(b"label,a\n", "csv"), (b"[{", "json"), (b'{"label": 0}\n', "jsonl"), (b'{\n "a"', "json")],
)
def test_sniff_format(head, expected):
    assert sniff_format(head) == expected


def test_stdin_format_sniffed(monkeypatch):
    data = b'{"label": "dog", "pred": [0.4, 0.3, 0.05, 0.05, 0.2]}\n'
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
    (chunk,) = read_prediction_chunks("-")
    assert chunk.classes[0] == "dog" and chunk.labels.tolist() == [0]


# --------------------------------------------------------------------------- bad input


BAD_CSV = [
    ("label,a,b\na,0.5,0.5\nb,0.5\n", "p.csv:3: row has 2 fields, expected 3 (as in the header)"),
    (
        "label,a,b\na,0.5,0.5\nb,0.5,0.5,9\n",
        "p.csv:3: row has 4 fields, expected 3 (as in the header)",
    ),
    ("label,a,b\na,0.5,0.5\nb,abc,0.5\n", "p.csv:3:2: 'abc' is not a number"),
    ("label,a,b\na,0.5,\n", "p.csv:2:3: empty is not a number"),
    (
        "label,a,b\na,0.5,0.5\ncat,0.5,0.5\n",
        "p.csv:3:1: unknown label 'cat': the classes are a, b (or an index 0 to 1)",
    ),
    (
        "label,a,b\na,0.5,0.5\n7,0.5,0.5\n",
        "p.csv:3:1: unknown label '7': the classes are a, b (or an index 0 to 1)",
    ),
    ("", "p.csv: the file is empty: expected a header row, then one row per sample"),
    ("label,a,b\n", "p.csv: no rows: expected one row per sample after the header"),
    (
        "y,a,b\na,0.5,0.5\n",
        "p.csv:1: no 'label' column in the header (columns: y, a, b); name the column with "
        "--label-column",
    ),
    (
        b"label,a,b\na,0.5,0.5\n\xffb,0.5,0.5\n",
        "p.csv:3:1: not UTF-8: byte 0xff cannot be decoded (save the file as UTF-8)",
    ),
]


@pytest.mark.parametrize("content, message", BAD_CSV)
def test_bad_csv_names_file_line_and_column(tmp_path, reader, content, message):
    path = write(tmp_path, "p.csv", content)
    with pytest.raises(DataError) as caught:
        read_all(path, csv_reader=reader)
    assert caught.value.spelled(flag).replace(str(tmp_path) + "/", "") == message


def test_skip_reports_each_bad_row(tmp_path, reader):
    content = "label,a,b\na,0.5,0.5\nb,x,0.5\ncat,0.5,0.5\nb,0.5\nb,0.25,0.75\n"
    path = write(tmp_path, "p.csv", content)
    _, values, labels, lines, skipped = read_all(path, csv_reader=reader, on_error="skip")
    assert lines.tolist() == [2, 6]
    assert labels.tolist() == [0, 1]
    assert sorted(e.line for e in skipped) == [3, 4, 5]


@pytest.mark.parametrize(
    "name, content, message",
    [
        (
            "p.json",
            '{"labels": [0], "pred": [[0.5, 0.5]',
            "p.json:1:36: invalid JSON: Expecting ',' delimiter",
        ),
        (
            "p.jsonl",
            '{"label": 0, "pred": [0.5, 0.5]}\n{"label": 0, pred}\n',
            "p.jsonl:2:14: invalid JSON: Expecting property name enclosed in double quotes",
        ),
        (
            "p.jsonl",
            '{"label": 0, "pred": [0.5, 0.5]}\n{"label": 0, "pred": [0.5]}\n',
            "p.jsonl:2: pred has 1 values, expected 2 (one per class)",
        ),
        (
            "p.jsonl",
            '{"label": 0, "pred": [0.5, 0.5]}\n{"pred": [0.5, 0.5]}\n',
            "p.jsonl:2: no 'label' key (--label-column names another)",
        ),
        (
            "p.jsonl",
            '{"label": "cat", "pred": [0.5, 0.5]}\n',
            "p.jsonl:1: unknown label 'cat': the classes are 0, 1 (or an index 0 to 1)",
        ),
        (
            "p.jsonl",
            '{"label": 0, "pred": [0.5, "x"]}\n',
            'p.jsonl:1: pred value 2 is "x", not a number',
        ),
        (
            "p.json",
            '{"labels": [0, 1], "pred": [[0.5, 0.5]]}',
            'p.json: 2 labels for 1 rows of "pred"',
        ),
        (
            "p.json",
            '[{"label": 0, "pred": [0.5, 0.5]}, {"label": 5, "pred": [0.5, 0.5]}]',
            "p.json: row 2: label index 5 is out of range: expected 0 to 1",
        ),
        ("p.jsonl", "", "p.jsonl: no rows: expected one row per sample"),
    ],
)
def test_bad_json(tmp_path, name, content, message):
    path = write(tmp_path, name, content)
    with pytest.raises(DataError) as caught:
        read_all(path)
    assert caught.value.spelled(flag).replace(str(tmp_path) + "/", "") == message


def test_missing_file_is_usage_error(tmp_path):
    with pytest.raises(UsageError, match="no such file"):
        read_all(tmp_path / "nope.csv")


@pytest.mark.parametrize("on_error", ["raise", "skip"])
def test_worker_processes_read_as_the_main_process_does(tmp_path, monkeypatch, on_error):
    """Many chunks, parsed by worker processes or here: the same rows, lines and errors."""
    monkeypatch.setattr(csv_rows, "CHUNK_BYTES", 256)
    rows = [f"{'ab'[i % 2]},0.25,0.75\n" for i in range(300)]
    rows[40] = "cat,0.5,0.5\n"  # unknown label
    rows[120] = "a,x,0.5\n"  # not a number
    rows[200] = "b,0.5\n"  # ragged
    path = write(tmp_path, "p.csv", "label,a,b\n" + "".join(rows))
    results = []
    for workers in ("0", "1", "2"):
        monkeypatch.setenv("XENT_CSV_WORKERS", workers)
        try:
            _, values, labels, lines, skipped = read_all(
                path, csv_reader="numpy", on_error=on_error
            )
            results.append(
                (values.tolist(), labels.tolist(), lines.tolist(), [str(e) for e in skipped])
            )
        except DataError as error:
            results.append(str(error))
    assert results[0] == results[1] == results[2]
    if on_error == "raise":
        assert results[0].endswith(
            "p.csv:42:1: unknown label 'cat': the classes are a, b (or an index 0 to 1)"
        )
    else:
        assert [s.split(":")[1] for s in results[0][3]] == ["42", "122", "202"]
        assert len(results[0][2]) == 297


def test_workers_setting_must_be_a_positive_number(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_rows, "CHUNK_BYTES", 64)
    monkeypatch.setenv("XENT_CSV_WORKERS", "none")
    path = write(tmp_path, "p.csv", "label,a,b\n" + "a,0.25,0.75\n" * 20)
    with pytest.raises(UsageError, match="'none' is not a number of worker processes"):
        read_all(path, csv_reader="numpy")


@pytest.mark.parametrize("position", ["first", "middle", "last"])
@pytest.mark.parametrize("ending", ["\n", ""])
def test_labels_in_any_field_non_ascii_spaced_or_indices(tmp_path, position, ending):
    """Labels anywhere in the row, non-ASCII names, spaces, indices, no final newline."""
    names = ["dog", "狐狸", "a b", "x" * 40]
    labels = ["dog", "狐狸", " dog", "a b", "1", "x" * 40, "3", "dog "]
    rows = []
    for label in labels * 5:
        cells = ["0.25", "0.25", "0.25", "0.25"]
        at = {"first": 0, "middle": 2, "last": 4}[position]
        rows.append(",".join(cells[:at] + [label] + cells[at:]))
    header = ["dog", "狐狸", "a b", "x" * 40]
    header.insert({"first": 0, "middle": 2, "last": 4}[position], "label")
    path = write(tmp_path, "p.csv", ",".join(header) + "\n" + "\n".join(rows) + ending)
    classes, _, found, lines, _ = read_all(path, csv_reader="numpy")
    assert classes == names
    assert found.tolist() == [0, 1, 0, 2, 1, 3, 3, 0] * 5
    assert lines.tolist() == list(range(2, 42))


def test_auto_reader_takes_numpy_for_wide_rows(monkeypatch):
    pytest.importorskip("pyarrow")
    monkeypatch.delenv("XENT_CSV_READER", raising=False)
    assert csv_parse.use_arrow(ReadOptions(), 11)
    assert not csv_parse.use_arrow(ReadOptions(), csv_parse.ARROW_MAX_FIELDS + 1)
    assert csv_parse.use_arrow(ReadOptions(csv_reader="arrow"), 1001)
    assert not csv_parse.use_arrow(ReadOptions(csv_reader="numpy"), 11)


@pytest.mark.parametrize("workers", ["0", "1", "2"])
def test_a_bad_row_is_reported_before_a_bad_byte_after_it(tmp_path, monkeypatch, workers):
    """Reading runs ahead of parsing (to feed the workers); an undecodable byte near the
    end must still come after the error of a row before it, in file order."""
    monkeypatch.setattr(csv_rows, "CHUNK_BYTES", 256)
    monkeypatch.setenv("XENT_CSV_WORKERS", workers)
    rows = [f"{'ab'[i % 2]},0.25,0.75\n" for i in range(100)]
    rows[10] = "a,x,0.5\n"  # line 12
    path = tmp_path / "p.csv"
    path.write_bytes(("label,a,b\n" + "".join(rows)).encode() + b"a,0.5,0.5\n\xf0\x90\x80")
    with pytest.raises(DataError) as caught:
        read_all(path, csv_reader="numpy")
    assert str(caught.value).endswith("p.csv:12:2: 'x' is not a number")


def test_arrow_threads_parse_into_jemalloc_and_a_worker_into_the_default_pool(tmp_path):
    """With Arrow's threads (one process), mimalloc's heap per thread peaked at 157 MB
    on 16 threads; jemalloc kept it at 92 MB. A worker process parses on one thread and
    keeps Arrow's default pool. Either way the chunk is the same."""
    pa = pytest.importorskip("pyarrow")
    from xent.readers.text_chunks import text_chunks

    path = write(tmp_path, "p.csv", "label,a,b\na,0.25,0.75\nb,0.5,0.5\n")

    def first_chunk(single_threaded: bool):
        options = ReadOptions(csv_reader="arrow")
        with open(path, "rb") as stream:
            position, delimiter, layout = csv_rows.read_header(stream, str(path), options, False)
            parser = csv_parse.CsvChunkParser(layout, delimiter, options, str(path))
            if single_threaded:
                parser.arrow.single_threaded()
            piece = next(text_chunks(stream, str(path), 2, 1 << 20))
            return parser, parser.parse(piece, position + piece.consumed)

    threads, chunk = first_chunk(False)
    try:
        pa.jemalloc_memory_pool()
    except NotImplementedError:  # a pyarrow built without jemalloc: the default pool
        assert threads.arrow.memory_pool is None
    else:
        assert threads.arrow.memory_pool.backend_name == "jemalloc"
    worker, same = first_chunk(True)
    assert worker.arrow.memory_pool is None
    np.testing.assert_array_equal(chunk.values, [[0.25, 0.75], [0.5, 0.5]])
    np.testing.assert_array_equal(same.values, chunk.values)
    assert chunk.labels.tolist() == same.labels.tolist() == [0, 1]


def test_arrow_reads_kept_columns_as_it_reads_the_label(tmp_path):
    """A kept column (--group-by) is parsed by pyarrow's fast path into a dictionary, as
    the label is: the texts of each row, the same as the NumPy reader's."""
    pytest.importorskip("pyarrow")
    from xent.readers.text_chunks import text_chunks

    body = "".join(f"{'ab'[i % 2]},0.25,0.75,g{i % 3},s{i // 4}\n" for i in range(12))
    path = write(tmp_path, "p.csv", "label,a,b,g,s\n" + body)
    texts = {}
    for reader in ("arrow", "numpy"):
        options = ReadOptions(csv_reader=reader, keep_columns=("s", "g"))
        with open(path, "rb") as stream:
            position, delimiter, layout = csv_rows.read_header(stream, str(path), options, False)
            parser = csv_parse.CsvChunkParser(layout, delimiter, options, str(path))
            piece = next(text_chunks(stream, str(path), 2, 1 << 20))
        assert (parser.arrow is not None) == (reader == "arrow")
        if reader == "arrow":
            fast = parser.arrow.parse(piece.data, piece.first_line, piece.newlines)
            assert fast is not None  # the fast path took it
        chunk = parser.parse(piece, position + piece.consumed)
        assert chunk.classes == ["a", "b"]
        texts[reader] = chunk.columns
    assert texts["arrow"] == texts["numpy"]
    assert texts["arrow"]["g"] == [f"g{i % 3}" for i in range(12)]
    assert texts["arrow"]["s"] == [f"s{i // 4}" for i in range(12)]
