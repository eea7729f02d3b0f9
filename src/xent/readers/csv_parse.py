"""Chunks of CSV text to :class:`PredictionChunk` s, under the header's layout.

Parsing floats is the whole cost of reading a prediction file, so each chunk first takes a
fast path: pyarrow's parser (``csv_arrow``) when installed, else ``numpy.loadtxt`` (a C
parser) over its lines, the label column cut out with ``str.partition``. A chunk the fast
path cannot take as it is (quotes, blank lines, a row with the wrong number of fields, a
cell that is not a number) goes through the ``csv`` module row by row, which names the
line and field of each problem.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import os
from itertools import repeat
from operator import itemgetter

import numpy as np

from ..errors import DataError, UsageError, param
from .chunks import ErrorPolicy, LabelLookup, MultiLabelLookup, PredictionChunk
from .csv_layout import CsvLayout
from .read_options import ReadOptions
from .text_chunks import TextChunk, count_byte
from .values import shown, to_float

# Beyond this many columns the automatic choice is the NumPy reader (see use_arrow).
ARROW_MAX_FIELDS = 128


def use_arrow(options: ReadOptions, n_fields: int = 0) -> bool:
    """Parse with pyarrow (``pip install 'xent[fast]'``) when it is installed and the rows
    are not wide (pyarrow's cost per column makes ``numpy.loadtxt`` faster beyond about
    100 columns: 1.4x at 300, 2x at 1000), unless ``XENT_CSV_READER`` names a reader."""
    choice = options.csv_reader or os.environ.get("XENT_CSV_READER", "").strip() or "auto"
    if choice == "numpy":
        return False
    if choice not in ("auto", "arrow"):
        raise UsageError(
            f"{choice!r} is not a CSV reader: use auto, numpy or arrow", source="XENT_CSV_READER"
        )
    available = importlib.util.find_spec("pyarrow") is not None
    if choice == "arrow" and not available:
        raise UsageError(
            "the arrow reader needs pyarrow: pip install 'xent[fast]'", source="XENT_CSV_READER"
        )
    return available and (choice == "arrow" or n_fields <= ARROW_MAX_FIELDS)


def field_texts(lines: list[str], j: int, n_fields: int, d: str) -> list[str]:
    """Field ``j`` of each line (of ``n_fields``), without a Python loop of our own per
    line, and without splitting the fields after it."""
    if j == 0:
        return list(map(itemgetter(0), map(str.partition, lines, repeat(d))))
    if j == n_fields - 1:
        return list(map(itemgetter(2), map(str.rpartition, lines, repeat(d))))
    return list(map(itemgetter(j), map(str.split, lines, repeat(d), repeat(j + 1))))


def label_texts(lines: list[str], layout: CsvLayout, d: str) -> list[str]:
    """The label field of each line."""
    assert layout.label is not None  # the callers read labels only where there are some
    return field_texts(lines, layout.label, layout.n_fields, d)


class CsvChunkParser:
    """Turns chunks of text into :class:`PredictionChunk` s under one layout.

    Labels go through ``lookup``: a class index per text (multiclass, binary) or, for a
    multi-label file, a code into the lookup's table of target rows, reset every chunk.
    Either way -1 marks a label that names no class.
    """

    def __init__(self, layout: CsvLayout, delimiter: str, options: ReadOptions, source: str):
        self.layout = layout
        self.delimiter = delimiter
        self.source = source
        self.weights_option = options.sample_weights
        self.multi_label = layout.task == "multilabel"
        self.lookup: LabelLookup | MultiLabelLookup = (
            MultiLabelLookup(layout.classes)
            if self.multi_label
            else LabelLookup(layout.classes, options.ignore_labels, layout.task == "binary")
        )
        self.policy = ErrorPolicy(options.on_error)
        self.fields = layout.value_fields + layout.target_fields
        if layout.weight_field is not None:
            self.fields = self.fields + [layout.weight_field]
        self.parses_last_field = layout.n_fields - 1 in self.fields
        self.arrow = None
        if use_arrow(options, layout.n_fields):
            from .csv_arrow import ArrowChunkParser

            self.arrow = ArrowChunkParser(self)

    def parse(self, piece: TextChunk, position: int, parsed=False) -> PredictionChunk:
        """The chunk of ``piece``; ``parsed`` is the fast path's result if already computed
        (by a worker process), ``False`` if not."""
        if self.multi_label:
            assert isinstance(self.lookup, MultiLabelLookup)
            self.lookup.reset()
        data, first_line = piece.data, piece.first_line
        chunk = None
        if self.arrow is not None:
            if b'"' not in data:
                chunk = self.arrow.parse(data, first_line, piece.newlines)
        else:
            if parsed is False:
                parsed = self.fast_arrays(data, piece.text)
            if parsed is not None:
                chunk = self._chunk(parsed, data, first_line)
        if chunk is None:
            text = piece.text
            if text is None:
                text = data.decode("utf-8")  # already checked by text_chunks
            chunk = self._careful(text, first_line)
        chunk.position = position
        if chunk.sample_weights is not None:
            self._check_weights(chunk)
        return chunk

    def _kept(self, data: bytes, n: int) -> dict[str, list[str]]:
        """The kept columns' texts of a chunk the fast path took (no quotes, no blank
        lines: a line is a row)."""
        lines = data.decode("utf-8").replace("\r\n", "\n").split("\n")[:n]
        n_fields, d = self.layout.n_fields, self.delimiter
        return {name: field_texts(lines, j, n_fields, d) for name, j in self.layout.kept_fields}

    def split(self, numbers: np.ndarray):
        """The parsed fields as (values, soft-label targets, sample weights or None)."""
        n_values = len(self.layout.value_fields)
        end = n_values + len(self.layout.target_fields)
        weights = numbers[:, end] if self.layout.weight_field is not None else None
        return numbers[:, :n_values], numbers[:, n_values:end], weights

    def _check_weights(self, chunk: PredictionChunk) -> None:
        """A sample weight must be finite and non-negative; a bad one names its line."""
        weights = chunk.sample_weights
        assert weights is not None  # the caller checks
        bad = ~(np.isfinite(weights) & (weights >= 0))
        if not bad.any():
            return
        weight_field = self.layout.weight_field
        assert weight_field is not None  # sample weights come from their column
        for i in np.flatnonzero(bad):
            error = DataError(
                f"sample weight {float(weights[i])!r} is not a finite non-negative number "
                f"({param('sample_weights', self.weights_option, cli=repr(self.weights_option))})",
                source=self.source,
                line=int(chunk.lines[i]),
                column=weight_field + 1,
            )
            self.policy(error, chunk.skipped)
        keep_rows(chunk, ~bad)

    # -- the fast path: clean chunks, which is nearly all of them

    def fast_arrays(self, data: bytes, text: str | None = None):
        """``(numbers, labels)`` of a clean chunk, or None when the chunk needs the careful
        path. ``labels``: class indices (-1 for an unknown label), the label texts of a
        multi-label file, None without a label column.

        Pure: no errors raised, no state changed, so worker processes can run it."""
        if b'"' in data:
            return None
        layout, d = self.layout, self.delimiter
        if text is None:
            text = data.decode("utf-8")  # already checked by text_chunks
        if "\r" in text:
            text = text.replace("\r\n", "\n")
            if "\r" in text:
                return None
        lines = text.split("\n")
        if lines[-1] == "":
            lines.pop()
        if not lines:
            return None
        # Every line must have the header's field count. When the last field is parsed,
        # loadtxt rejects a short line, so a total count that matches rules out long ones
        # too; otherwise count line by line.
        expected = layout.n_fields - 1
        if self.parses_last_field:
            if self.count_delimiters(data) != expected * len(lines):
                return None
        elif list(map(str.count, lines, repeat(d))).count(expected) != len(lines):
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
        if numbers.shape[0] != len(lines):  # loadtxt passed over a blank line
            return None
        if layout.label is None:
            return numbers, None
        texts = label_texts(lines, layout, d)
        return numbers, texts if self.multi_label else self.lookup.indices(texts)

    def count_delimiters(self, data: bytes) -> int:
        encoded = self.delimiter.encode()
        return count_byte(data, encoded[0]) if len(encoded) == 1 else data.count(encoded)

    def numbers_chunk(self, numbers: np.ndarray, first_line: int) -> PredictionChunk:
        """The chunk of parsed numbers (rows from ``first_line`` on), without labels from
        a label column: the values, the soft-label targets if any, the sample weights."""
        values, targets, weights = self.split(numbers)
        lines = np.arange(first_line, first_line + numbers.shape[0], dtype=np.int64)
        chunk = PredictionChunk(
            self.layout.classes, values, lines, sample_weights=weights, task=self.layout.task
        )
        if self.layout.target_fields:
            chunk.targets = targets
        return chunk

    def _chunk(self, parsed, data: bytes, first_line: int) -> PredictionChunk:
        numbers, labels = parsed
        layout = self.layout
        chunk = self.numbers_chunk(numbers, first_line)
        if layout.kept_fields:
            chunk.columns = self._kept(data, numbers.shape[0])
        if layout.label is None:
            return chunk
        if self.multi_label:
            labels = self.lookup.indices(labels)

        lines: list[str] = []

        def text_of(i: int) -> str:  # only for an unknown label's message: rare
            if not lines:
                lines.extend(data.decode("utf-8").replace("\r\n", "\n").split("\n"))
            return label_texts([lines[i]], layout, self.delimiter)[0]

        return self.with_labels(chunk, labels, text_of)

    def with_labels(self, chunk: PredictionChunk, codes: np.ndarray, text_of) -> PredictionChunk:
        """Set the chunk's labels from the lookup's codes; a label that names no class
        (code -1) is an error naming its line (``text_of(i)`` is row i's label text)."""
        unknown = np.flatnonzero(codes < 0)
        label_field = self.layout.label
        assert label_field is not None  # codes come from the label column
        for i in unknown:
            error = DataError(
                self.lookup.unknown(text_of(i)),
                source=self.source,
                line=int(chunk.lines[i]),
                column=label_field + 1,
            )
            self.policy(error, chunk.skipped)
        if unknown.size:
            keep = codes >= 0
            keep_rows(chunk, keep)
            codes = codes[keep]
        if self.multi_label:
            assert isinstance(self.lookup, MultiLabelLookup)
            chunk.targets = self.lookup.targets(codes)
        else:
            chunk.labels = codes
        return chunk

    # -- the careful path: the csv module, row by row, naming each problem

    def _careful(self, text: str, first_line: int) -> PredictionChunk:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter, strict=True)
        rows: list[list[float]] = []
        lines: list[int] = []
        codes: list[int | None] = []
        skipped: list[DataError] = []
        kept: dict[str, list[str]] = {name: [] for name, _ in self.layout.kept_fields}
        line = first_line
        for row in self._rows(reader, first_line):
            row_line, line = line, first_line + reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # a blank line is not a row
            try:
                row_numbers, code = self._row(row, row_line)
            except DataError as error:
                self.policy(error, skipped)
                continue
            rows.append(row_numbers)
            lines.append(row_line)
            codes.append(code)
            for name, j in self.layout.kept_fields:
                kept[name].append(row[j])
        numbers = np.array(rows, dtype=np.float64).reshape(len(rows), len(self.fields))
        chunk = self.numbers_chunk(numbers, 0)
        chunk.lines = np.array(lines, dtype=np.int64)
        chunk.skipped = skipped
        if kept:
            chunk.columns = kept
        if self.layout.label is not None:
            label_codes = np.array(codes, dtype=np.intp)
            if self.multi_label:
                assert isinstance(self.lookup, MultiLabelLookup)
                chunk.targets = self.lookup.targets(label_codes)
            else:
                chunk.labels = label_codes
        return chunk

    def _rows(self, reader, first_line: int):
        """The reader's rows; a quoting error (which ends the reading) names its line."""
        line = first_line
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                if "field limit" in str(error):
                    message = (
                        f"a field longer than {csv.field_size_limit():,} characters: "
                        "expected a class name or a number"
                    )
                elif "end of data" in str(error):
                    message = (
                        "a quoted field is not closed before the end of the file: "
                        'close it with " (a quote inside a field is written "")'
                    )
                else:
                    message = (
                        f"bad quoting ({error}): a quoted field must be the whole field, "
                        'as in "dog, brown",0.4 (a quote inside it is written "")'
                    )
                raise DataError(message, source=self.source, line=line) from None
            line = first_line + reader.line_num
            yield row

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
                numbers.append(to_float(cell))
            except ValueError:
                what = shown(cell) if cell.strip() else "empty"
                role = " (a sample weight)" if j == layout.weight_field else ""
                raise DataError(
                    f"{what} is not a number{role}",
                    source=self.source,
                    line=line,
                    column=j + 1,
                ) from None
        code = None
        if layout.label is not None:
            text = row[layout.label]
            code = int(self.lookup.indices([text])[0])
            if code < 0:
                raise DataError(
                    self.lookup.unknown(text),
                    source=self.source,
                    line=line,
                    column=layout.label + 1,
                )
        return numbers, code


def keep_rows(chunk: PredictionChunk, keep: np.ndarray) -> None:
    """Leave out the rows where ``keep`` is False, from every array of the chunk."""
    chunk.values, chunk.lines = chunk.values[keep], chunk.lines[keep]
    if chunk.columns is not None:
        chunk.columns = {
            name: [t for t, k in zip(texts, keep.tolist()) if k]
            for name, texts in chunk.columns.items()
        }
    for name in ("labels", "targets", "sample_weights"):
        array = getattr(chunk, name)
        if array is not None:
            setattr(chunk, name, array[keep])
