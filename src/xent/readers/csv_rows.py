"""CSV and TSV prediction files, read in chunks of whole lines.

Parsing floats is the whole cost of reading a prediction file, so each chunk first takes a
fast path: ``numpy.loadtxt`` (a C parser) over its lines, the label column cut out with
``str.partition``. A chunk the fast path cannot take as it is (quotes, blank lines, a row
with the wrong number of fields, a cell that is not a number) goes through the ``csv``
module row by row, which names the line and field of each problem.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import repeat
from typing import BinaryIO

import numpy as np

from ..errors import DataError, UsageError
from .chunks import ErrorPolicy, LabelLookup, PredictionChunk, ReadOptions

# Bytes read per chunk: a few MB keeps memory flat and NumPy's per-call cost negligible.
CHUNK_BYTES = 1 << 22
DELIMITERS = (",", "\t", ";")
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
            f"not UTF-8: byte 0x{data[error.start]:02x} cannot be decoded",
            source=source,
            line=line,
            column=column,
        ) from None


def sniff_delimiter(header: str) -> str:
    """The delimiter that splits the header into the most fields (comma on a tie)."""
    best, best_count = ",", 1
    for delimiter in DELIMITERS:
        count = len(next(csv.reader([header], delimiter=delimiter)))
        if count > best_count:
            best, best_count = delimiter, count
    return best


@dataclass(frozen=True)
class CsvLayout:
    """Which field holds what, from the header row."""

    n_fields: int
    label: int | None  # field of the class label (None with soft labels)
    value_fields: list[int]  # one per class, in class order
    target_fields: list[int]  # soft labels, one per class, in class order
    classes: list[str]

    @classmethod
    def from_header(cls, header: list[str], options: ReadOptions, source: str) -> CsvLayout:
        names = [name.strip() for name in header]
        position = {}
        for i, name in enumerate(names):
            if name in position:
                raise DataError(
                    f"column {name!r} appears twice in the header", source=source, line=1
                )
            position[name] = i

        def find(name: str, option: str) -> int:
            if name not in position:
                raise DataError(
                    f"no {name!r} column in the header (columns: {', '.join(names)}); "
                    f"name the column with {option}",
                    source=source,
                    line=1,
                )
            return position[name]

        ignored = {find(name, "--ignore-columns") for name in options.ignore_columns}
        label = None
        target_fields: list[int] = []
        if options.label_columns:
            target_fields = [find(name, "--label-columns") for name in options.label_columns]
        else:
            label = find(options.label_column, "--label-column")
        taken = ignored | set(target_fields) | {label}
        value_fields = [i for i in range(len(names)) if i not in taken]
        if not value_fields:
            raise DataError("the header has no class columns", source=source, line=1)
        classes = [names[i] for i in value_fields]
        if options.classes:
            if len(options.classes) != len(classes):
                raise UsageError(
                    f"{len(options.classes)} class names given, but the file has "
                    f"{len(classes)} class columns ({', '.join(classes)})",
                    source="--classes",
                )
            classes = list(options.classes)
        if target_fields and len(target_fields) != len(value_fields):
            raise UsageError(
                f"{len(target_fields)} label columns for {len(value_fields)} class columns",
                source="--label-columns",
            )
        return cls(len(names), label, value_fields, target_fields, classes)


def text_chunks(stream: BinaryIO, source: str, first_line: int) -> Iterator[tuple[str, int, int]]:
    """(text, its first line number, bytes consumed so far): chunks of whole lines.

    A chunk never ends inside a quoted field: while the quotes in it are unbalanced, the
    next block is added. UTF-8 is checked per chunk, which cuts only at newlines.
    """
    rest = b""
    consumed = 0
    line = first_line
    while True:
        block = stream.read(CHUNK_BYTES)
        data = rest + block
        if not data:
            return
        if block:
            cut = data.rfind(b"\n") + 1
            if cut == 0 or data.count(b'"', 0, cut) % 2:
                rest = data  # no whole line yet, or a quoted field goes on: read more
                continue
            data, rest = data[:cut], data[cut:]
        else:
            rest = b""
        consumed += len(data)
        text = decode(data, source, line)
        yield text, line, consumed
        line += text.count("\n")


class CsvChunkParser:
    """Turns chunks of text into :class:`PredictionChunk` s under one layout."""

    def __init__(self, layout: CsvLayout, delimiter: str, options: ReadOptions, source: str):
        self.layout = layout
        self.delimiter = delimiter
        self.source = source
        self.lookup = LabelLookup(layout.classes)
        self.policy = ErrorPolicy(options.on_error)
        self.fields = layout.value_fields + layout.target_fields

    def parse(self, text: str, first_line: int, position: int) -> PredictionChunk:
        chunk = self._fast(text, first_line)
        if chunk is None:
            chunk = self._careful(text, first_line)
        chunk.position = position
        return chunk

    # -- the fast path: clean chunks, which is nearly all of them

    def _fast(self, text: str, first_line: int) -> PredictionChunk | None:
        layout, d = self.layout, self.delimiter
        if '"' in text:
            return None
        if "\r" in text:
            text = text.replace("\r\n", "\n")
            if "\r" in text:
                return None
        lines = text.split("\n")
        if lines[-1] == "":
            lines.pop()
        if not lines or "" in lines:
            return None
        counts = list(map(str.count, lines, repeat(d)))
        if counts.count(layout.n_fields - 1) != len(lines):
            return None
        try:
            numbers = np.loadtxt(
                lines,
                delimiter=d,
                usecols=self.fields,
                dtype=np.float64,
                ndmin=2,
                comments=None,
                quotechar=None,
            )
        except ValueError:
            return None
        n_classes = len(layout.value_fields)
        values, targets = numbers[:, :n_classes], numbers[:, n_classes:]
        line_numbers = np.arange(first_line, first_line + len(lines), dtype=np.int64)
        chunk = PredictionChunk(layout.classes, values, line_numbers)
        if layout.target_fields:
            chunk.targets = targets
            return chunk
        j = layout.label
        if j == 0:
            texts = [line.partition(d)[0] for line in lines]
        elif j == layout.n_fields - 1:
            texts = [line.rpartition(d)[2] for line in lines]
        else:
            texts = [line.split(d)[j] for line in lines]
        labels = self.lookup.indices(texts)
        unknown = np.flatnonzero(labels < 0)
        for i in unknown:
            error = DataError(
                self.lookup.unknown(texts[i]),
                source=self.source,
                line=int(line_numbers[i]),
                column=j + 1,
            )
            self.policy(error, chunk.skipped)
        if unknown.size:
            keep = labels >= 0
            chunk.values, chunk.lines, labels = values[keep], line_numbers[keep], labels[keep]
        chunk.labels = labels
        return chunk

    # -- the careful path: the csv module, row by row, naming each problem

    def _careful(self, text: str, first_line: int) -> PredictionChunk:
        layout = self.layout
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter)
        rows, lines, labels, skipped = [], [], [], []
        line = first_line
        for row in reader:
            row_line, line = line, first_line + reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # a blank line is not a row
            try:
                numbers, label = self._row(row, row_line)
            except DataError as error:
                self.policy(error, skipped)
                continue
            rows.append(numbers)
            lines.append(row_line)
            labels.append(label)
        n_classes = len(layout.value_fields)
        numbers = np.array(rows, dtype=np.float64).reshape(len(rows), len(self.fields))
        chunk = PredictionChunk(
            layout.classes, numbers[:, :n_classes], np.array(lines, dtype=np.int64)
        )
        chunk.skipped = skipped
        if layout.target_fields:
            chunk.targets = numbers[:, n_classes:]
        else:
            chunk.labels = np.array(labels, dtype=np.intp)
        return chunk

    def _row(self, row: list[str], line: int) -> tuple[list[float], int | None]:
        layout = self.layout
        if len(row) != layout.n_fields:
            raise DataError(
                f"row has {len(row)} fields, expected {layout.n_fields} (as in the header)",
                source=self.source,
                line=line,
            )
        numbers = []
        for j in self.fields:
            cell = row[j]
            try:
                numbers.append(float(cell))
            except ValueError:
                shown = repr(cell) if cell.strip() else "empty"
                raise DataError(
                    f"{shown} is not a number", source=self.source, line=line, column=j + 1
                ) from None
        label = None
        if layout.label is not None:
            text = row[layout.label]
            label = int(self.lookup.indices([text])[0])
            if label < 0:
                raise DataError(
                    self.lookup.unknown(text),
                    source=self.source,
                    line=line,
                    column=layout.label + 1,
                )
        return numbers, label


def read_csv_chunks(
    stream: BinaryIO, source: str, options: ReadOptions, *, tab: bool = False
) -> Iterator[PredictionChunk]:
    """Chunks of a CSV (or, with ``tab``, TSV) file with a header row."""
    header_bytes = stream.readline()
    if header_bytes.startswith(BOM):
        header_bytes = header_bytes[len(BOM) :]
    if not header_bytes.strip():
        raise DataError(
            "the file is empty: expected a header row, then one row per sample",
            source=source,
            line=1 if header_bytes else None,
        )
    header_text = decode(header_bytes, source, 1).rstrip("\r\n")
    delimiter = options.delimiter or ("\t" if tab else sniff_delimiter(header_text))
    header = next(csv.reader([header_text], delimiter=delimiter))
    layout = CsvLayout.from_header(header, options, source)
    parser = CsvChunkParser(layout, delimiter, options, source)
    position = len(header_bytes)
    for text, first_line, consumed in text_chunks(stream, source, 2):
        yield parser.parse(text, first_line, position + consumed)
