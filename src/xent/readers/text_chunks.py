"""Bytes to text for the CSV reader: blocks of whole lines, checked UTF-8, numbered.

A chunk never ends inside a quoted field, and no line may be longer than
``XENT_MAX_LINE_BYTES``: a file without line ends would otherwise be held whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

import numpy as np

from ..errors import DataError
from .limits import limit, too_long

BOM = b"\xef\xbb\xbf"


def decode(data: bytes, source: str, first_line: int) -> str:
    """UTF-8 text, or a DataError naming the line and column of the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line = first_line + before.count(b"\n")
        line_start = before.rfind(b"\n") + 1
        column = len(before[line_start:].decode("utf-8", errors="replace")) + 1
        raise DataError(
            f"not UTF-8: byte 0x{data[error.start]:02x} cannot be decoded (save the file as UTF-8)",
            source=source,
            line=line,
            column=column,
        ) from None


def count_byte(data: bytes, byte: int) -> int:
    """How many times ``byte`` occurs in ``data`` (NumPy counts faster than bytes.count)."""
    return int(np.count_nonzero(np.frombuffer(data, dtype=np.uint8) == byte))


def first_long_line(data: bytes, max_line: int) -> int | None:
    """The 0-based index of the first line of ``data`` longer than ``max_line`` bytes
    (its newline included), or None. Free when ``data`` itself is not that long."""
    if len(data) <= max_line:
        return None
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
    if ends.size == 0 or ends[-1] != len(data) - 1:
        ends = np.append(ends, len(data) - 1)
    sizes = np.diff(ends, prepend=-1)
    long = np.flatnonzero(sizes > max_line)
    return int(long[0]) if long.size else None


class TextChunk(NamedTuple):
    data: bytes
    text: str | None  # None: decode ``data`` again when needed (it is valid UTF-8)
    first_line: int
    newlines: int
    consumed: int  # bytes of the stream consumed so far


def text_chunks(
    stream: BinaryIO, source: str, first_line: int, block_bytes: int, *, check: bool = True
) -> Iterator[TextChunk]:
    """Chunks of whole lines of about ``block_bytes``, as bytes and as text, with the
    number of their first line.

    A chunk never ends inside a quoted field: while the quotes in it are unbalanced, the
    next block is added. UTF-8 is checked per chunk, which cuts only at newlines; with
    ``check=False`` it is not, and ``text`` is None: whoever takes the chunk (a worker
    process) decodes it with :func:`decode`, which names the line of a bad byte.
    """
    rest = b""
    consumed = 0
    line = first_line
    max_line = limit("XENT_MAX_LINE_BYTES")
    while True:
        block = stream.read(block_bytes)
        data = rest + block
        if not data:
            return
        if block:
            cut = data.rfind(b"\n") + 1
            if cut == 0 or (data.find(b'"', 0, cut) >= 0 and data.count(b'"', 0, cut) % 2):
                if len(data) > max_line:  # a hostile line: do not read it all into memory
                    what, at = "the line", line
                    if cut:  # the quotes are unbalanced: the last one opens a field
                        what = "a quoted field (an unclosed quote?)"
                        at += data.count(b"\n", 0, data.rfind(b'"', 0, cut))
                    raise DataError(
                        too_long(what, max_line, "XENT_MAX_LINE_BYTES"), source=source, line=at
                    )
                rest = data  # no whole line yet, or a quoted field goes on: read more
                continue
            data, rest = data[:cut], data[cut:]
        else:
            rest = b""
        long = first_long_line(data, max_line)
        if long is not None:
            raise DataError(
                too_long("the line", max_line, "XENT_MAX_LINE_BYTES"),
                source=source,
                line=line + long,
            )
        consumed += len(data)
        text = decode(data, source, line) if check else None
        newlines = count_byte(data, 10)
        yield TextChunk(data, text, line, newlines, consumed)
        line += newlines
