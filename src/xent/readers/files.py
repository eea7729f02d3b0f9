"""One entry point for prediction files: a path or ``-`` in, chunks of arrays out.

Compressed input (gzip, bzip2, xz, zstd: by the magic bytes, which the name's suffix must
agree with) is decompressed as it is read, then the format is told: ``--input-format``,
else the magic bytes of a binary format (Parquet, Feather/Arrow IPC, NumPy; see
``sources``), else the file name's extension, else the first bytes of text: ``[`` is a
JSON document; ``{`` starts JSON Lines when the first line is a whole object and another
line follows (or the object is a row, not a document's columns), and a JSON document
otherwise (an object spanning lines); anything else is CSV.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path

from ..errors import DataError, NoRows, UsageError, param
from .chunks import Said
from .compressed import SUFFIXES, Counted, compression_of, decompressed
from .csv_rows import read_csv_chunks
from .csv_workers import Handoff
from .json_builder import VALUE_KEYS
from .json_documents import is_table_document
from .json_rows import read_json_chunks, read_jsonl_chunks
from .limits import limit
from .read_options import ReadOptions
from .sources import (
    BINARY_FORMATS,
    EXTENSIONS,
    FORMAT_NAMES,
    binary_suffix,
    magic_format,
    not_read,
    unreadable,
)
from .text_chunks import BOM

INPUT_FORMATS = (
    *("csv", "tsv", "json", "jsonl", "parquet", "feather", "npy", "npz"),
    *("safetensors", "llama", "logprobs"),
)
STDIN = "-"
# The formats whose chunks keep other columns' values per row (ReadOptions.keep_columns).
KEEPS_COLUMNS = ("csv", "tsv", "logprobs", "parquet", "feather", "npz", "zip", "safetensors")
NO_INPUT = (
    f"no input: {{what}}; give {param('labels')} and {param('pred')} (or {param('logits')}), "
    f"a file with {param('sources')}, or pipe rows in (see 'xent compute --help')"
)
# Bytes read first to tell the format; more while a first line of JSON is not whole.
SNIFF_BYTES = 4096


# The formats of arrays (their values may be logits or log-probabilities: ReadOptions.holds).
ARRAYS = ("npy", "npz", "zip", "safetensors", "llama")


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
    # One object alone: the columns of a JSON document (xent's, or a table as pandas writes
    # orient="split", "columns" or "index"), or a JSON Lines file of one row.
    columns = "classes" in row or "labels" in row or is_table_document(row)
    columns |= any(
        isinstance(row.get(key), list) and row[key] and isinstance(row[key][0], list)
        for key in VALUE_KEYS
    )
    return "json" if columns else "jsonl"


def holds_logprobs(head: bytes, fmt: str) -> bool:
    """Whether a JSON (Lines) file holds API responses with log-probs
    (:mod:`.logprobs`): its first line parsed, else the keys in its first bytes."""
    from .logprobs import is_logprobs_record

    text = head.removeprefix(BOM).lstrip()
    if fmt == "jsonl":
        try:
            return is_logprobs_record(json.loads(text.partition(b"\n")[0]))
        except (ValueError, RecursionError):  # the JSON reader says what is wrong
            return False
    has = text.__contains__
    return has(b'"prompt_logprobs"') or (
        has(b'"logprobs"') and (has(b'"choices"') or has(b'"outputs"'))
    )


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


def peek(stream):
    """The first bytes of ``stream`` (as :func:`read_head`) and a stream that reads them
    again: the same one, sought back, when it can seek."""
    if stream.seekable():
        start = stream.tell()
        head, _ = read_head(stream)
        stream.seek(start)
        return head, stream
    return read_head(stream)


def input_format(name: str, head: bytes, options: ReadOptions, source: str) -> str:
    """The format of a (decompressed) source whose name is ``name`` ("" for stdin) and
    whose first bytes are ``head``."""
    if options.input_format:
        if options.input_format not in INPUT_FORMATS:
            raise UsageError(
                f"{options.input_format!r} is not an input format: use " + ", ".join(INPUT_FORMATS),
                parameter="input_format",
            )
        _check_forced_text(options.input_format, head, source)
        return options.input_format
    magic = magic_format(head)
    if magic is not None:
        return magic
    named = binary_suffix(name)
    if named is not None:
        what = unreadable(head) or "text"
        raise DataError(f"not a {FORMAT_NAMES[named]} file: it looks like {what}", source=source)
    other = unreadable(head)
    if other is not None:
        raise not_read(other, source)
    suffix = Path(name).suffix.lower() if name else ""
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    return sniff_format(head)


def _check_forced_text(fmt: str, head: bytes, source: str) -> None:
    """A text format given for a binary file: said at once, not as the first byte that
    is not UTF-8 (whose hint, to save the file as UTF-8, would not help)."""
    if fmt in BINARY_FORMATS or fmt == "zip":
        return
    magic = magic_format(head)
    what = f"a {FORMAT_NAMES.get(magic, magic)} file" if magic else unreadable(head)
    if what is not None:
        raise UsageError(
            f"{source} is read as {FORMAT_NAMES.get(fmt, fmt)}, but it looks like {what}",
            parameter="input_format",
        )


def read_prediction_chunks(
    path: str,
    options: ReadOptions | None = None,
    on_classes=None,
    handoff: Handoff | None = None,
) -> Generator:
    """Chunks of rows from the file at ``path`` (``-`` for stdin), read as they are needed.

    Raises :class:`DataError` naming the file, line and column of the first problem (or,
    with ``on_error="skip"``, reports skipped rows in each chunk's ``skipped``), and when
    the file has no rows at all. What the summary must say of how the file was read is in
    the first chunk's ``notes``. ``on_classes(names)`` is called with the classes as soon
    as they are known (for a CSV file, before any row is parsed).

    ``handoff``: a backend takes the reading over (a CSV file's chunks to read in its
    worker processes, any other source's chunks as they are read): what it yields
    (scored parts) is yielded in place of the chunks, checked and noted as they are.
    """
    options = options or ReadOptions()
    source = source_name(path)
    with open_binary(path) as stream:
        rows = 0
        said = Said(on_classes)
        for chunk in _chunks(path, stream, source, options, said, handoff):
            if said.notes:
                chunk.notes = said.notes + chunk.notes
                said.notes = []
            rows += len(chunk) + len(chunk.skipped)
            yield chunk
        if rows == 0:
            raise NoRows(
                "no rows: expected one row per sample"
                + (" after the header" if said.format in ("csv", "tsv") else ""),
                source=source,
            )


# What reads a table's columns and means nothing to an array file's rows, and why.
TABLE_ONLY = {
    "sample_weights": "it has no column of per-row weights to read them from",
    "label_columns": "it has no columns of soft labels (its labels are class indices)",
    "ignore_columns": "it has no columns to leave out",
    "delimiter": "it is not text split by a delimiter",
}


def _check_array_options(options: ReadOptions, fmt: str, source: str) -> None:
    """An option that reads a table's columns, given for an array file (``fmt``): refused
    (one line), never ignored."""
    for name, why in TABLE_ONLY.items():
        if getattr(options, name) not in (None, ()):
            raise UsageError(f"{source} is an array file: {why}", parameter=name)
    if options.logprobs_mode != "auto":
        raise UsageError(
            f"{source} is an array file, not a logprobs file of responses",
            parameter="logprobs_mode",
        )


class KeptUnread(UsageError):
    """Columns to keep (:attr:`ReadOptions.keep_columns`) from a source of format
    ``fmt``, which has none."""

    def __init__(self, fmt: str, message: str, source: str) -> None:
        super().__init__(message, source=source)
        self.fmt = fmt


def _check_pairs(options: ReadOptions, fmt: str, source: str) -> None:
    """What rows of distributions hold is said for arrays only, and Q in a file of its
    own pairs with an .npy (kl and js of two models: :mod:`.array_pairs`)."""
    if options.label_column is None and options.holds != "auto" and fmt not in ARRAYS:
        raise UsageError(
            f"the rows of a {fmt} file are read as distributions: what values hold is said "
            "for prediction files and for the P and Q arrays of kl and js",
            parameter="holds",
        )
    if options.q_file is not None and fmt != "npy":
        raise UsageError(
            f"Q in a file of its own ({param('q_file')}) pairs with an .npy of P, not {fmt} "
            "(an .npz or .safetensors holds both, as arrays p and q)",
            source=source,
        )


def _chunks(path: str, stream, source: str, options: ReadOptions, said: Said, handoff=None):
    """The chunks of an open source (or what ``handoff`` makes of them); ``said`` gets its
    format and the notes of its reading."""
    name = "" if path == STDIN else path
    head, stream = peek(stream)
    if path == STDIN and not head:  # zero bytes: no input at all (a header alone is data)
        raise UsageError(NO_INPUT.format(what="stdin is empty"))
    kind = compression_of(head)
    suffix = Path(name).suffix.lower() if name else ""
    named = SUFFIXES.get(suffix)
    if named is not None and kind != named:
        what = f"{kind} data" if kind else (unreadable(head) or "text, not compressed")
        raise DataError(f"the name ends {suffix}, but it looks like {what}", source=source)
    counter = None
    if kind is not None:
        counter = Counted(stream)
        stream = decompressed(counter, kind, source)
        name = name[: -len(suffix)] if named else ""
        head, stream = peek(stream)
    fmt = input_format(name, head, options, source)
    if fmt in ("json", "jsonl") and not options.input_format and holds_logprobs(head, fmt):
        fmt = "logprobs"
    said.format = fmt
    _check_pairs(options, fmt, source)
    if fmt in ARRAYS:
        _check_array_options(options, fmt, source)
    if options.keep_columns and fmt not in KEEPS_COLUMNS:
        raise KeptUnread(
            fmt,
            f"{param('group_by')}, {param('id_column')}, {param('sequence_column')} and the "
            f"counts read a column of a CSV or TSV file (or Parquet, Feather, an array of an "
            f".npz or .safetensors), not {fmt}",
            source=source,
        )
    if fmt in BINARY_FORMATS or fmt == "zip":
        from .columnar import read_binary_chunks

        plain = path if kind is None and path != STDIN else None
        chunks = read_binary_chunks(fmt, plain, stream, source, options, said)
    elif fmt in ("csv", "tsv"):
        tasks = handoff.tasks if handoff is not None else None
        chunks = read_csv_chunks(
            stream, source, options, tab=fmt == "tsv", said=said, handoff=tasks
        )
    elif fmt == "logprobs":
        from .logprobs import read_logprobs_chunks

        jsonl = sniff_format(head) == "jsonl"
        chunks = read_logprobs_chunks(stream, source, options, jsonl)
    elif fmt == "json":
        chunks = read_json_chunks(stream, source, options)
    else:
        chunks = read_jsonl_chunks(stream, source, options)
    if handoff is not None and fmt not in ("csv", "tsv"):
        chunks = handoff.chunks(chunks)
    for chunk in chunks:
        if counter is not None:
            chunk.position = counter.count
        yield chunk
