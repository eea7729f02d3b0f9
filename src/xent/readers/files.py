"""One entry point for prediction files: a path or ``-`` in, chunks of arrays out.

The format comes from ``--input-format``, else the file name's extension, else the first
bytes: ``[`` is a JSON document; ``{`` starts JSON Lines when the first line is a whole
object and another line follows (or the object is a row, not a document's columns), and a
JSON document otherwise (an object spanning lines); anything else is CSV.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import DataError, UsageError
from .chunks import PredictionChunk, ReadOptions
from .csv_rows import read_csv_chunks
from .json_rows import VALUE_KEYS, read_json_chunks, read_jsonl_chunks
from .limits import limit
from .text_chunks import BOM

INPUT_FORMATS = ("csv", "tsv", "json", "jsonl")
EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
STDIN = "-"
NO_INPUT = (
    "no input: {what}; give --labels and --pred (or --logits), a file with --file, "
    "or pipe rows in (see 'xent compute --help')"
)
# Bytes read first to tell the format; more while a first line of JSON is not whole.
SNIFF_BYTES = 4096


def source_name(path: str) -> str:
    """How errors name the input: the path as given, or ``<stdin>``."""
    return "<stdin>" if path == STDIN else path


def sniff_format(head: bytes) -> str:
    """The format of a file that begins with ``head`` (see the module's docstring)."""
    text = head.removeprefix(BOM).lstrip()
    if text.startswith(b"["):
        return "json"
    if not text.startswith(b"{"):
        return "csv"
    first, _, rest = text.partition(b"\n")
    try:
        row = json.loads(first)
    except ValueError:
        return "json"  # an object spanning lines: a JSON document
    if rest.strip() or not isinstance(row, dict):
        return "jsonl"  # another line follows
    # One object alone: the columns of a JSON document, or a JSON Lines file of one row.
    columns = "classes" in row or "labels" in row
    columns |= any(
        isinstance(row.get(key), list) and row[key] and isinstance(row[key][0], list)
        for key in VALUE_KEYS
    )
    return "json" if columns else "jsonl"


def needs_more(head: bytes) -> bool:
    """Whether ``sniff_format`` needs more than ``head``: all blank so far, or a first
    line of JSON not yet whole, or nothing yet after it."""
    text = head.removeprefix(BOM).lstrip()
    if not text:
        return True
    if not text.startswith(b"{"):
        return False
    end = text.find(b"\n")
    return end < 0 or not text[end + 1 :].strip()


class Replay(io.RawIOBase):
    """A stream with the bytes already read from it (``head``) put back in front."""

    def __init__(self, head: bytes, stream) -> None:
        self.head = memoryview(head)
        self.stream = stream
        self.read_some = getattr(stream, "read1", stream.read)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self.head:
            n = min(len(buffer), len(self.head))
            buffer[:n] = self.head[:n]
            self.head = self.head[n:]
            return n
        data = self.read_some(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def read_head(stream):
    """The first bytes of ``stream``, enough to tell its format (at most about one line
    past ``XENT_MAX_LINE_BYTES``), and a stream that reads them again."""
    read_some = getattr(stream, "read1", stream.read)
    max_line = limit("XENT_MAX_LINE_BYTES")
    head = read_some(SNIFF_BYTES)
    while head and needs_more(head) and len(head) <= max_line:
        more = read_some(max(SNIFF_BYTES, len(head)))
        if not more:
            break
        head += more
    return head, io.BufferedReader(Replay(head, stream), buffer_size=1 << 16)


@contextmanager
def open_binary(path: str):
    if path == STDIN:
        if sys.stdin is None:  # closed (<&-): nothing was given
            raise UsageError(NO_INPUT.format(what="stdin is closed"))
        yield sys.stdin.buffer
        return
    try:
        stream = open(path, "rb")
    except FileNotFoundError:
        raise UsageError("no such file", source=path) from None
    except IsADirectoryError:
        raise UsageError("is a directory, not a file", source=path) from None
    except OSError as error:
        raise UsageError(error.strerror or str(error), source=path) from None
    with stream:
        yield stream


def input_format(path: str, stream, options: ReadOptions, head: bytes | None = None):
    """The format, and the stream to read (the same one, unless its head was read);
    ``head`` is what was read of it already, with ``stream`` reading it again."""
    if options.input_format:
        if options.input_format not in INPUT_FORMATS:
            raise UsageError(
                f"{options.input_format!r} is not an input format: use " + ", ".join(INPUT_FORMATS),
                source="--input-format",
            )
        return options.input_format, stream
    suffix = Path(path).suffix.lower() if path != STDIN else ""
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix], stream
    if head is None:
        head, stream = read_head(stream)
    return sniff_format(head), stream


def read_prediction_chunks(
    path: str, options: ReadOptions | None = None
) -> Iterator[PredictionChunk]:
    """Chunks of rows from the file at ``path`` (``-`` for stdin), read as they are needed.

    Raises :class:`DataError` naming the file, line and column of the first problem (or,
    with ``on_error="skip"``, reports skipped rows in each chunk's ``skipped``), and when
    the file has no rows at all.
    """
    options = options or ReadOptions()
    source = source_name(path)
    with open_binary(path) as stream:
        head = None
        if path == STDIN:
            head, stream = read_head(stream)
            if not head:  # zero bytes: no input at all (a header alone is data)
                raise UsageError(NO_INPUT.format(what="stdin is empty"))
        fmt, stream = input_format(path, stream, options, head)
        if options.keep_columns and fmt not in ("csv", "tsv"):
            raise UsageError(
                f"--group-by and --id read a column of a CSV or TSV file, not {fmt}",
                source=source,
            )
        if fmt in ("csv", "tsv"):
            chunks = read_csv_chunks(stream, source, options, tab=fmt == "tsv")
        elif fmt == "json":
            chunks = read_json_chunks(stream, source, options)
        else:
            chunks = read_jsonl_chunks(stream, source, options)
        rows = 0
        for chunk in chunks:
            rows += len(chunk) + len(chunk.skipped)
            yield chunk
        if rows == 0:
            raise DataError(
                "no rows: expected one row per sample"
                + (" after the header" if fmt in ("csv", "tsv") else ""),
                source=source,
            )
