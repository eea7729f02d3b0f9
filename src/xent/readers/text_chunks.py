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


def count_byte(data: bytes | memoryview, byte: int, scratch: np.ndarray | None = None) -> int:
    """How many times ``byte`` occurs in ``data`` (NumPy counts faster than bytes.count);
    ``scratch``, a boolean array at least as long, saves allocating one each call."""
    values = np.frombuffer(data, dtype=np.uint8)
    if scratch is None or scratch.size < values.size:
        return int(np.count_nonzero(values == byte))
    return int(np.count_nonzero(np.equal(values, byte, out=scratch[: values.size])))


def first_long_line(data: bytes | memoryview, max_line: int) -> int | None:
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


class LineBlock(NamedTuple):
    view: memoryview  # whole lines, valid only until the next block is asked for
    first_line: int
    newlines: int
    consumed: int  # bytes of the stream consumed so far


def line_blocks(
    stream: BinaryIO, source: str, first_line: int, block_bytes: int
) -> Iterator[LineBlock]:
    """Blocks of whole lines of about ``block_bytes``, numbered, without copies: each is a
    view of one buffer that the stream is read into, released when the next is asked for
    (a reader that only needs where each block is, as worker processes reading a file at
    offsets do, pays for the reading alone).

    A block never ends inside a quoted field: while the quotes in it are unbalanced, the
    next block is added. A line longer than ``XENT_MAX_LINE_BYTES`` is an error.
    """
    buf = bytearray(block_bytes)
    have = 0  # bytes at the start of buf not yet given: the start of a line
    consumed = 0
    line = first_line
    max_line = limit("XENT_MAX_LINE_BYTES")
    scratch = np.empty(2 * block_bytes, dtype=bool)
    while True:
        if len(buf) < have + block_bytes:  # a long line or quoted field goes on
            buf.extend(bytes(have + block_bytes - len(buf)))
        with memoryview(buf) as whole:
            got = _read_into(stream, whole[have : have + block_bytes])
        end = have + got
        if end == 0:
            return
        cut = end
        if got:
            cut = buf.rfind(b"\n", 0, end) + 1
            if cut == 0 or (buf.find(b'"', 0, cut) >= 0 and buf.count(b'"', 0, cut) % 2):
                if end > max_line:  # a hostile line: do not read it all into memory
                    what, at = "the line", line
                    if cut:  # the quotes are unbalanced: the last one opens a field
                        what = "a quoted field (an unclosed quote?)"
                        at += buf.count(b"\n", 0, buf.rfind(b'"', 0, cut))
                    raise DataError(
                        too_long(what, max_line, "XENT_MAX_LINE_BYTES"), source=source, line=at
                    )
                have = end  # no whole line yet, or a quoted field goes on: read more
                continue
        view = memoryview(buf)[:cut]
        long = first_long_line(view, max_line)
        if long is not None:
            view.release()
            raise DataError(
                too_long("the line", max_line, "XENT_MAX_LINE_BYTES"),
                source=source,
                line=line + long,
            )
        consumed += cut
        newlines = count_byte(view, 10, scratch)
        yield LineBlock(view, line, newlines, consumed)
        view.release()
        line += newlines
        have = end - cut
        buf[:have] = buf[cut:end]


def _read_into(stream, view: memoryview) -> int:
    """Read into ``view``; 0 only at the end of the stream."""
    readinto = getattr(stream, "readinto", None)
    if readinto is not None:
        return readinto(view) or 0
    data = stream.read(len(view))
    view[: len(data)] = data
    return len(data)


def text_chunks(
    stream: BinaryIO, source: str, first_line: int, block_bytes: int, *, check: bool = True
) -> Iterator[TextChunk]:
    """Chunks of whole lines of about ``block_bytes``, as bytes and as text, with the
    number of their first line (the blocks of :func:`line_blocks`).

    A chunk never ends inside a quoted field: while the quotes in it are unbalanced, the
    next block is added. UTF-8 is checked per chunk, which cuts only at newlines; with
    ``check=False`` it is not, and ``text`` is None: whoever takes the chunk (a worker
    process) decodes it with :func:`decode`, which names the line of a bad byte.
    """
    for block in line_blocks(stream, source, first_line, block_bytes):
        data = bytes(block.view)
        text = decode(data, source, block.first_line) if check else None
        yield TextChunk(data, text, block.first_line, block.newlines, block.consumed)
