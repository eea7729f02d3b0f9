"""Parts of one prediction file, each read on its own (by a worker of a cluster): a byte
range of a CSV/TSV file, a set of a Parquet file's row groups, or the whole file.

A CSV range starts just after a newline and ends just after one, outside any quoted field
(a range whose end would fall inside one is joined with the next, see
:func:`join_quoted`). Its reader reads the header again (the layout, the delimiter) and
numbers its lines from ``first_line``: the file's real line numbers, known from a first
pass that counts the newlines (and quotes) of every range (:func:`count_range`). The rows
are cut into chunks, checked and parsed by the same code as the whole file's
(``text_chunks``, ``CsvChunkParser``), so a range gives the chunks the whole-file reader
gives for its lines, and the same errors at the same lines.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, cast

from .chunks import PredictionChunk, Said
from .limits import limit
from .read_options import ReadOptions

# Bytes read at a time when counting a range's newlines and quotes.
COUNT_BLOCK = 1 << 22


@dataclass(frozen=True)
class Part:
    """One partition: ``kind`` ``file`` (the whole file, read as locally), ``csv``
    (the bytes [start, end) of a CSV/TSV file; ``tab`` for TSV) or ``parquet`` (the row
    groups ``groups``, the first of them at row ``first_row``, 0-based).
    ``first_line`` (a CSV range's first line, 1-based) is set after the counting pass."""

    index: int  # which file of the run (0-based)
    path: str
    kind: str = "file"
    start: int = 0
    end: int = 0
    tab: bool = False
    groups: tuple[int, ...] = ()
    first_row: int = 0
    first_line: int = 0


# ------------------------------------------------------------------ planning


def plan_file(index: int, path: str, read: ReadOptions, range_bytes: int, group_rows: int):
    """The partitions of one file: byte ranges of a plain (uncompressed) CSV/TSV file
    larger than ``range_bytes``, sets of row groups of about ``group_rows`` rows of a
    Parquet file with several, else the whole file. Anything unusual (stdin, compressed,
    unreadable: the whole-file reader says what is wrong) is one whole-file part."""
    whole = [Part(index, path)]
    if path == "-" or not os.path.isfile(path):
        return whole
    try:
        fmt = _format(path, read)
    except Exception:  # the whole-file reader raises the same error, at its place
        return whole
    if fmt in ("csv", "tsv"):
        return _csv_ranges(index, path, fmt == "tsv", range_bytes) or whole
    if fmt == "parquet":
        try:
            return _row_group_sets(index, path, group_rows) or whole
        except Exception:  # unreadable: the whole-file reader says what is wrong, at its place
            return whole
    return whole


def _format(path: str, read: ReadOptions) -> str | None:
    """The format the whole-file reader would read ``path`` as, or None when compressed."""
    from .compressed import SUFFIXES, compression_of
    from .files import input_format, read_head, source_name

    with open(path, "rb") as stream:
        head, _ = read_head(stream)
    if compression_of(head) is not None or os.path.splitext(path)[1].lower() in SUFFIXES:
        return None
    return input_format(path, head, read, source_name(path))


def _csv_ranges(index: int, path: str, tab: bool, range_bytes: int) -> list[Part]:
    size = os.path.getsize(path)
    if size <= range_bytes:
        return []
    max_line = limit("XENT_MAX_LINE_BYTES")
    with open(path, "rb") as stream:
        header = stream.readline(max_line + 1)
        if not header.endswith(b"\n"):
            return []  # the reader says what is wrong with the header
        cuts = [len(header)]
        for nominal in range(len(header) + range_bytes, size, range_bytes):
            if nominal <= cuts[-1]:
                continue  # a line longer than a range: the next cut is past it
            stream.seek(nominal - 1)
            # To the end of the line holding byte nominal - 1.
            line = stream.readline(max_line + 1)
            cut = nominal - 1 + len(line)
            if not line.endswith(b"\n") and cut < size:
                return []  # a line too long: the reader names it
            if cut >= size:
                break
            cuts.append(cut)
        cuts.append(size)
    return [Part(index, path, "csv", start, end, tab) for start, end in zip(cuts[:-1], cuts[1:])]


def _row_group_sets(index: int, path: str, group_rows: int) -> list[Part]:
    import pyarrow.parquet as pq

    metadata = pq.ParquetFile(path).metadata
    if metadata.num_row_groups < 2:
        return []
    parts: list[Part] = []
    groups: list[int] = []
    rows = first = 0
    for group in range(metadata.num_row_groups):
        groups.append(group)
        rows += metadata.row_group(group).num_rows
        if rows - first >= group_rows:
            parts.append(Part(index, path, "parquet", groups=tuple(groups), first_row=first))
            groups, first = [], rows
    if groups:
        parts.append(Part(index, path, "parquet", groups=tuple(groups), first_row=first))
    return parts


def count_range(path: str, start: int, end: int) -> tuple[int, int]:
    """(newlines, double quotes) in the bytes [start, end) of ``path``."""
    import numpy as np

    newlines = quotes = 0
    with open(path, "rb") as stream:
        stream.seek(start)
        left = end - start
        while left > 0:
            block = stream.read(min(COUNT_BLOCK, left))
            if not block:
                break
            left -= len(block)
            data = np.frombuffer(block, dtype=np.uint8)
            newlines += int(np.count_nonzero(data == 10))
            quotes += int(np.count_nonzero(data == 34))
    return newlines, quotes


def join_quoted(parts: list[Part], counts: list[tuple[int, int]]) -> list[Part]:
    """The ranges of one file numbered (``first_line``), a range whose end falls inside a
    quoted field (an odd count of quotes before it) joined with the next: the whole-file
    reader never cuts a chunk there either."""
    out: list[Part] = []
    line, quotes = 2, 0  # the header is line 1
    begin: Part | None = None
    for part, (newlines, n_quotes) in zip(parts, counts):
        if begin is None:
            begin = Part(part.index, part.path, "csv", part.start, part.end, part.tab)
            begin = _with(begin, first_line=line)
        line += newlines
        quotes += n_quotes
        if quotes % 2 == 0 or part is parts[-1]:
            out.append(_with(begin, end=part.end))
            begin = None
    return out


def _with(part: Part, **changes) -> Part:
    from dataclasses import replace

    return replace(part, **changes)


# ------------------------------------------------------------------ reading


class Bounded:
    """The bytes [start, end) of a binary file, read as a stream."""

    def __init__(self, stream, start: int, end: int) -> None:
        stream.seek(start)
        self.stream, self.left = stream, end - start

    def read(self, n: int = -1) -> bytes:
        if n < 0 or n > self.left:
            n = self.left
        data = self.stream.read(n) if n else b""
        self.left -= len(data)
        return data


def read_part(part: Part, read: ReadOptions, said: Said) -> Iterator[PredictionChunk]:
    """The chunks of a ``csv`` or ``parquet`` part (not ``file``: the whole-file reader
    reads those). ``said`` hears of the classes and the reader's notes first."""
    from .files import source_name

    source = source_name(part.path)
    if part.kind == "csv":
        yield from _csv_range_chunks(part, read, source, said)
    elif part.kind == "parquet":
        yield from _row_group_chunks(part, read, source, said)
    else:
        raise ValueError(f"not a part read alone: {part.kind}")


def _csv_range_chunks(part: Part, read: ReadOptions, source: str, said: Said):
    from .csv_parse import CsvChunkParser
    from .csv_rows import CHUNK_BYTES, read_header
    from .csv_workers import read_ahead
    from .text_chunks import text_chunks

    with open(part.path, "rb") as stream:
        _, delimiter, layout = read_header(stream, source, read, part.tab)
        said.notes.extend(layout.notes)
        said.classes(layout.classes)
        parser = CsvChunkParser(layout, delimiter, read, source)
        bounded = cast(BinaryIO, Bounded(stream, part.start, part.end))
        pieces = text_chunks(bounded, source, part.first_line, CHUNK_BYTES)
        if parser.arrow is not None:
            yield from read_ahead(
                pieces, lambda piece: parser.parse(piece, part.start + piece.consumed)
            )
            return
        for piece in pieces:
            yield parser.parse(piece, part.start + piece.consumed)


def _row_group_chunks(part: Part, read: ReadOptions, source: str, said: Said):
    from .arrow_tables import TableLayout, check_extent, damaged_parquet, pyarrow_for
    from .chunks import CHUNK_ROWS

    pyarrow_for("parquet", source)
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ..errors import DataError

    try:
        parquet = pq.ParquetFile(part.path, pre_buffer=False, buffer_size=1 << 20)
    except (pa.ArrowException, OSError) as error:
        raise DataError(f"not a readable Parquet file ({error})", source=source) from None
    check_extent(parquet, part.path, source)
    layout = TableLayout(parquet.schema_arrow, read, source, said)
    first = part.first_row
    try:
        batches = parquet.iter_batches(
            batch_size=CHUNK_ROWS, row_groups=list(part.groups), columns=layout.columns
        )
        for batch in batches:
            yield layout.chunk(batch, first)
            first += batch.num_rows
    except (pa.ArrowException, OSError) as error:  # a page that cannot be decoded
        raise damaged_parquet(error, source) from None
