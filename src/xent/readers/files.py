"""One entry point for prediction files: a path or ``-`` in, chunks of arrays out.

The format comes from ``--input-format``, else the file name's extension, else the first
bytes: ``[`` is a JSON document, ``{`` on a line of its own JSON Lines (or a JSON object
spanning lines), anything else CSV.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import DataError, UsageError
from .chunks import PredictionChunk, ReadOptions
from .csv_rows import read_csv_chunks
from .json_rows import read_json_chunks, read_jsonl_chunks
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


def source_name(path: str) -> str:
    """How errors name the input: the path as given, or ``<stdin>``."""
    return "<stdin>" if path == STDIN else path


def sniff_format(head: bytes) -> str:
    text = head.removeprefix(BOM).lstrip()
    if text.startswith(b"["):
        return "json"
    if text.startswith(b"{"):
        first_line = text.split(b"\n", 1)[0]
        try:
            json.loads(first_line)
        except ValueError:
            return "json"  # an object spanning lines: a JSON document
        return "jsonl"
    return "csv"


@contextmanager
def open_binary(path: str):
    if path == STDIN:
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


def input_format(path: str, stream, options: ReadOptions) -> str:
    if options.input_format:
        if options.input_format not in INPUT_FORMATS:
            raise UsageError(
                f"{options.input_format!r} is not an input format: use " + ", ".join(INPUT_FORMATS),
                source="--input-format",
            )
        return options.input_format
    suffix = Path(path).suffix.lower() if path != STDIN else ""
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    return sniff_format(peek(stream, 4096))


def peek(stream, size: int) -> bytes:
    """The first bytes of a stream, left unread (a pipe has ``peek``; BytesIO can seek)."""
    if hasattr(stream, "peek"):
        return stream.peek(size)[:size]
    if stream.seekable():
        position = stream.tell()
        head = stream.read(size)
        stream.seek(position)
        return head
    return b""


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
        fmt = input_format(path, stream, options)
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
