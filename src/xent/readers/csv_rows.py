"""CSV and TSV prediction files: the header, then chunks of whole lines, parsed.

The work is split by job: ``csv_layout`` reads the header, ``text_chunks`` cuts the
bytes into checked lines, ``csv_parse`` (and ``csv_arrow``) parses a chunk and
``csv_workers`` parses chunks in worker processes, or cuts the file into tasks for a
backend that reads and scores them elsewhere (``handoff``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import chain, islice
from typing import BinaryIO

from ..errors import DataError
from .chunks import Said
from .csv_layout import CsvLayout, sniff_delimiter, split_header
from .csv_parse import CsvChunkParser
from .csv_workers import (
    BlockSpan,
    CsvTasks,
    csv_workers,
    file_offsets,
    parse_in_workers,
    read_ahead,
    spans_ahead,
)
from .limits import limit, too_long
from .read_options import ReadOptions
from .text_chunks import BOM, TextChunk, decode, line_blocks, text_chunks

# Bytes read per chunk: 1 MiB keeps memory flat and NumPy's per-call cost negligible, and
# measured faster than 4 MiB for both readers (1M x 10: NumPy 1.46 s against 1.60 s,
# pyarrow 1.10 s against 1.29 s; peak memory 49 MB against 96 MB).
CHUNK_BYTES = 1 << 20


def read_header(stream: BinaryIO, source: str, options: ReadOptions, tab: bool):
    """The header row: (its size in bytes, the delimiter, the layout)."""
    max_line = limit("XENT_MAX_LINE_BYTES")
    header_bytes = stream.readline(max_line + 1)
    if len(header_bytes) > max_line:
        raise DataError(
            too_long("the header", max_line, "XENT_MAX_LINE_BYTES"), source=source, line=1
        )
    size = len(header_bytes)
    header_bytes = header_bytes.removeprefix(BOM)
    if not header_bytes.strip():
        raise DataError(
            "the file is empty: expected a header row, then one row per sample",
            source=source,
            line=1 if header_bytes else None,
        )
    header_text = decode(header_bytes, source, 1).rstrip("\r\n")
    delimiter = options.delimiter or ("\t" if tab else sniff_delimiter(header_text))
    header = split_header(header_text, delimiter, source)
    return size, delimiter, CsvLayout.from_header(header, options, source)


def read_csv_chunks(
    stream: BinaryIO,
    source: str,
    options: ReadOptions,
    *,
    tab: bool = False,
    said: Said | None = None,
    handoff=None,
) -> Iterator:
    """Chunks of a CSV (or, with ``tab``, TSV) file with a header row; ``said`` hears of
    the header's classes and notes (a column left out) before any row is read.

    ``handoff(tasks)``: a backend that reads the chunks elsewhere (worker processes) is
    handed the file as :class:`~xent.readers.csv_workers.CsvTasks` and what it yields is
    yielded here, in place of chunks."""
    position, delimiter, layout = read_header(stream, source, options, tab)
    if said is not None:
        said.notes.extend(layout.notes)
        said.classes(layout.classes)
    parser = CsvChunkParser(layout, delimiter, options, source)
    if handoff is not None:
        tasks = csv_tasks(stream, parser, position)
        try:
            yield from handoff(tasks)
        finally:
            tasks.close()  # its thread stopped before the file is closed
        return
    yield from _parsed_chunks(stream, parser, position, csv_workers())


def csv_tasks(stream: BinaryIO, parser: CsvChunkParser, header: int) -> CsvTasks:
    """The rest of ``stream`` as tasks: where a worker can read the file at offsets, only
    the lines are counted here (in a thread: :func:`spans_ahead`); a pipe's bytes are sent."""
    file = file_offsets(stream)
    if file is None:
        texts = text_chunks(stream, parser.source, 2, CHUNK_BYTES, check=False)
        return CsvTasks(parser, texts, header)
    fd, start = file
    blocks = line_blocks(stream, parser.source, 2, CHUNK_BYTES)
    later: list = []

    def spans():
        # The first two spans are found here, the rest in a thread of its own: a backend
        # forks its workers once it has a second task, and a fork copies only the forking
        # thread (a lock another thread held would stay locked in the child).
        for block in islice(blocks, 2):
            yield BlockSpan.of(block)
        later.append(spans_ahead(blocks))
        yield from later[0]

    def close():
        if later:
            later[0].close()

    return CsvTasks(parser, spans(), header, fd, start, close)


def _parsed_chunks(stream: BinaryIO, parser: CsvChunkParser, position: int, workers: int):
    """The chunks of the rest of ``stream``, parsed here (pyarrow a chunk ahead in a
    thread) or, with ``workers`` > 1, by worker processes that parse only."""
    source = parser.source
    pieces = text_chunks(stream, source, 2, CHUNK_BYTES)
    if parser.arrow is not None:
        # pyarrow parses without the GIL: the next chunk is parsed while this one is scored.
        yield from read_ahead(pieces, lambda piece: parser.parse(piece, position + piece.consumed))
        return
    first = next(pieces, None)
    if first is None:
        return
    try:
        second = next(pieces, None)
    except DataError:  # a bad read (not UTF-8) comes after the rows before it
        yield parser.parse(first, position + first.consumed)
        raise
    rest: Iterable[TextChunk] = chain((first, second), pieces) if second is not None else (first,)
    if second is None or workers <= 1:  # one chunk (or one core): no workers to start
        for piece in rest:
            yield parser.parse(piece, position + piece.consumed)
        return
    # Parsing only: workers - 1 worker processes, and this one parses its share.
    for piece, parsed in parse_in_workers(parser, rest, workers - 1):
        yield parser.parse(piece, position + piece.consumed, parsed)


def checked(piece: TextChunk, source: str) -> TextChunk:
    """The piece with its text decoded (UTF-8 checked)."""
    return piece._replace(text=decode(piece.data, source, piece.first_line))
