"""The fast path of the CSV reader with pyarrow (the optional ``xent[fast]``).

pyarrow's CSV parser converts floats several times faster than ``numpy.loadtxt`` and uses
both cores. It takes a chunk only when the chunk is clean; anything it rejects (a ragged
row, a cell that is not a number, an empty cell, a blank line) goes to the careful
``csv``-module path, which names the line and field. Columns are read with
``np.frombuffer`` on Arrow's buffers: ``to_numpy()`` would import pandas.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from .chunks import LabelLookup, MultiLabelLookup, PredictionChunk
from .csv_layout import CsvLayout


class CsvParser(Protocol):
    """What this fast path needs of the careful parser (``csv_parse.CsvChunkParser``, which
    imports this module): the layout and the fields parsed as numbers, the delimiter, the
    label lookup, and how a chunk is made from numbers and then given its labels."""

    @property
    def layout(self) -> CsvLayout: ...
    @property
    def fields(self) -> list[int]: ...
    @property
    def delimiter(self) -> str: ...
    @property
    def lookup(self) -> LabelLookup | MultiLabelLookup: ...
    def numbers_chunk(self, numbers: np.ndarray, first_line: int) -> PredictionChunk: ...
    def with_labels(
        self, chunk: PredictionChunk, codes: np.ndarray, text_of: Callable[[int], str]
    ) -> PredictionChunk: ...


def _native_reader(data: bytes, memory_pool: pa.MemoryPool | None) -> pa.BufferReader:
    """The chunk as a stream that Arrow's threads can finish with without Python.

    Even after ``read_csv`` returns, Arrow's I/O thread may still hold the input: its
    background reader drops its reference a moment later. Were that a Python object (an
    ``io.BytesIO``, or a buffer over ``bytes``), dropping it takes the GIL, and a thread
    that asks for the GIL while the interpreter is exiting is ended with ``pthread_exit``,
    which unwinds through Arrow's C++ and aborts the process ("terminate called without an
    active exception", status 134) after a correct result: about 1 run in 50. A copy into
    Arrow's own memory (about 0.1 ms a chunk) leaves those threads nothing of Python's.
    """
    sink = pa.BufferOutputStream(memory_pool=memory_pool)
    sink.write(data)
    return pa.BufferReader(sink.getvalue())


def _threads_memory_pool() -> pa.MemoryPool | None:
    """jemalloc, for parsing with Arrow's threads, where this pyarrow has it.

    Arrow's default, mimalloc, keeps a heap per thread: one process parsing with 16
    threads peaked at 157 MB, against 92 MB with jemalloc (1M x 10, the same run, 2 cores
    made to look like 16 by ``pa.set_cpu_count``). One thread (a worker process) keeps the
    default: one heap, and no slower."""
    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:  # a build without jemalloc (Windows, some macOS)
        return None


def _floats(column: pa.ChunkedArray) -> np.ndarray | None:
    parts = []
    for array in column.chunks:
        if array.null_count:
            return None
        parts.append(
            np.frombuffer(
                array.buffers()[1], dtype=np.float64, count=len(array), offset=array.offset * 8
            )
        )
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


class ArrowChunkParser:
    def __init__(self, parser: CsvParser) -> None:
        self.parser = parser
        layout = parser.layout
        names = [f"f{i}" for i in range(layout.n_fields)]
        self.value_names = [names[i] for i in parser.fields]
        self.label_name = None if layout.label is None else names[layout.label]
        types = {name: pa.float64() for name in self.value_names}
        # Texts (the label, the kept columns of --group-by) are parsed straight into a
        # dictionary: a few names and an int32 code per row.
        text = pa.dictionary(pa.int32(), pa.string())
        if self.label_name:
            types[self.label_name] = text
        self.kept_names = [(name, names[j]) for name, j in layout.kept_fields]
        for _, field in self.kept_names:
            types[field] = text
        self.read_options = pacsv.ReadOptions(column_names=names, use_threads=True)
        self.parse_options = pacsv.ParseOptions(
            delimiter=parser.delimiter, quote_char=False, ignore_empty_lines=False
        )
        self.convert_options = pacsv.ConvertOptions(
            column_types=types,
            include_columns=list(types),
            null_values=[],
            strings_can_be_null=False,
        )
        self.mapping_cache: dict[str, int] = {}
        # Chosen at the first parse, so never before a fork (worker processes).
        self.memory_pool: pa.MemoryPool | None = None
        self.pool_chosen = False

    def single_threaded(self) -> None:
        """Parse on this thread alone (in a worker process: one core each)."""
        names = self.read_options.column_names
        self.read_options = pacsv.ReadOptions(column_names=names, use_threads=False)
        self.memory_pool, self.pool_chosen = None, True

    def parse(self, data: bytes, first_line: int, newlines: int) -> PredictionChunk | None:
        """The chunk of clean ``data``, or None for the careful path."""
        parser, layout = self.parser, self.parser.layout
        if data.startswith(b"\xef\xbb\xbf"):
            return None  # pyarrow would drop a BOM here, where it is part of a label
        if not self.pool_chosen:
            self.memory_pool, self.pool_chosen = _threads_memory_pool(), True
        try:
            table = pacsv.read_csv(
                _native_reader(data, self.memory_pool),
                read_options=self.read_options,
                parse_options=self.parse_options,
                convert_options=self.convert_options,
                memory_pool=self.memory_pool,
            )
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return None
        n = table.num_rows
        n_lines = newlines + (not data.endswith(b"\n"))
        if n != n_lines:
            return None
        columns = [_floats(table.column(name)) for name in self.value_names]
        if any(c is None for c in columns):
            return None
        numbers = np.empty((n, len(columns)))
        for j, column in enumerate(columns):
            numbers[:, j] = column
        chunk = parser.numbers_chunk(numbers, first_line)
        if self.kept_names:
            chunk.columns = {}
            for name, field in self.kept_names:
                texts, codes = _texts(table.column(field))
                chunk.columns[name] = np.array(texts, dtype=object)[codes].tolist()
        if layout.label is None:
            return chunk
        names, codes = _texts(table.column(self.label_name))
        labels = parser.lookup.indices(names)[codes] if n else np.zeros(0, dtype=np.intp)
        return parser.with_labels(chunk, labels, lambda i: names[codes[i]])


def _texts(column: pa.ChunkedArray) -> tuple[list[str], np.ndarray]:
    """(names, a code per row) of a dictionary column. Each Arrow chunk has a dictionary
    of its own: their names are listed one after the other, the codes shifted to match."""
    names: list[str] = []
    parts = []
    for array in column.chunks:
        indices = array.indices
        codes = np.frombuffer(
            indices.buffers()[1], dtype=np.int32, count=len(indices), offset=indices.offset * 4
        )
        parts.append(codes.astype(np.intp) + len(names))
        names += array.dictionary.to_pylist()
    return names, np.concatenate(parts) if parts else np.zeros(0, dtype=np.intp)
