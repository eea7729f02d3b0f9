"""CSV and TSV prediction files, read in chunks of whole lines.

Parsing floats is the whole cost of reading a prediction file, so each chunk first takes a
fast path: ``numpy.loadtxt`` (a C parser) over its lines, the label column cut out with
``str.partition``. A chunk the fast path cannot take as it is (quotes, blank lines, a row
with the wrong number of fields, a cell that is not a number) goes through the ``csv``
module row by row, which names the line and field of each problem.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, count, repeat
from operator import itemgetter
from typing import BinaryIO, NamedTuple

import numpy as np

from ..errors import DataError, UsageError
from .arguments import shown, to_float
from .chunks import ErrorPolicy, LabelLookup, PredictionChunk, ReadOptions
from .limits import limit, too_long

# Bytes read per chunk: 1 MiB keeps memory flat and NumPy's per-call cost negligible, and
# measured faster than 4 MiB for both readers (1M x 10: NumPy 1.46 s against 1.60 s,
# pyarrow 1.10 s against 1.29 s; peak memory 49 MB against 96 MB).
CHUNK_BYTES = 1 << 20
DELIMITERS = (",", "\t", ";")
BOM = b"\xef\xbb\xbf"
# Beyond this many columns the automatic choice is the NumPy reader (see use_arrow).
ARROW_MAX_FIELDS = 128


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


def split_header(header: str, delimiter: str, source: str) -> list[str]:
    """The header's fields, or a DataError on line 1 when it is not one CSV row."""
    if "\r" in header:
        raise DataError(
            "a carriage return (\\r) inside the header: lines must end with \\n or \\r\\n",
            source=source,
            line=1,
        )
    try:
        return next(csv.reader([header], delimiter=delimiter, strict=True))
    except csv.Error as error:
        raise DataError(
            f"the header is not a CSV row ({error}): expected names separated by {delimiter!r}",
            source=source,
            line=1,
        ) from None


def sniff_delimiter(header: str, source: str = "") -> str:
    """The delimiter that splits the header into the most fields (comma on a tie)."""
    best, best_count = ",", 1
    for delimiter in DELIMITERS:
        try:
            count = len(next(csv.reader([header], delimiter=delimiter)))
        except csv.Error:  # split_header will say what is wrong
            continue
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
    weight_field: int | None = None  # the --sample-weights column

    @classmethod
    def from_header(cls, header: list[str], options: ReadOptions, source: str) -> CsvLayout:
        names = [name.strip() for name in header]
        position = {}
        for i, name in enumerate(names):
            if name in position:
                raise DataError(
                    f"column {shown(name)} appears twice in the header: "
                    "each column needs its own name",
                    source=source,
                    line=1,
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
        weight = None
        if options.sample_weights is not None:
            weight = find(options.sample_weights, "--sample-weights")
        taken = ignored | set(target_fields) | {label, weight}
        value_fields = [i for i in range(len(names)) if i not in taken]
        if not value_fields:
            raise DataError(
                "the header has no class columns: expected label,<class>,<class>,...",
                source=source,
                line=1,
            )
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
        return cls(len(names), label, value_fields, target_fields, classes, weight)


def count_byte(data: bytes, byte: int) -> int:
    """How many times ``byte`` occurs in ``data`` (NumPy counts faster than bytes.count)."""
    return int(np.count_nonzero(np.frombuffer(data, dtype=np.uint8) == byte))


class TextChunk(NamedTuple):
    data: bytes
    text: str | None  # None: decode ``data`` again when needed (it is valid UTF-8)
    first_line: int
    newlines: int
    consumed: int  # bytes of the stream consumed so far


def text_chunks(stream: BinaryIO, source: str, first_line: int) -> Iterator[TextChunk]:
    """Chunks of whole lines, as bytes and as text, with the number of their first line.

    A chunk never ends inside a quoted field: while the quotes in it are unbalanced, the
    next block is added. UTF-8 is checked per chunk, which cuts only at newlines.
    """
    rest = b""
    consumed = 0
    line = first_line
    max_line = limit("XENT_MAX_LINE_BYTES")
    while True:
        block = stream.read(CHUNK_BYTES)
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
        consumed += len(data)
        text = decode(data, source, line)
        newlines = count_byte(data, 10)
        yield TextChunk(data, text, line, newlines, consumed)
        line += newlines


def use_arrow(options: ReadOptions, n_fields: int = 0) -> bool:
    """Parse with pyarrow (``pip install 'xent[fast]'``) when it is installed and the rows
    are not wide (pyarrow's cost per column makes ``numpy.loadtxt`` faster beyond about
    100 columns: 1.4x at 300, 2x at 1000), unless ``XENT_CSV_READER`` names a reader."""
    choice = options.csv_reader or os.environ.get("XENT_CSV_READER", "auto")
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


def label_texts(lines: list[str], layout: CsvLayout, d: str) -> list[str]:
    """The label field of each line, without a Python loop of our own per line."""
    j = layout.label
    if j == 0:
        return list(map(itemgetter(0), map(str.partition, lines, repeat(d))))
    if j == layout.n_fields - 1:
        return list(map(itemgetter(2), map(str.rpartition, lines, repeat(d))))
    return list(map(itemgetter(j), map(str.split, lines, repeat(d))))


class CsvChunkParser:
    """Turns chunks of text into :class:`PredictionChunk` s under one layout."""

    def __init__(self, layout: CsvLayout, delimiter: str, options: ReadOptions, source: str):
        self.layout = layout
        self.delimiter = delimiter
        self.source = source
        self.options_weights = options.sample_weights
        self.lookup = LabelLookup(layout.classes, options.ignore_labels)
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
        data, first_line = piece.data, piece.first_line
        text = piece.text
        chunk = None
        if self.arrow is not None:
            if b'"' not in data:
                chunk = self.arrow.parse(data, first_line, piece.newlines)
        else:
            if parsed is False:
                parsed = self.fast_arrays(data, text)
            if parsed is not None:
                chunk = self._chunk(parsed, data, first_line)
        if chunk is None:
            if text is None:
                text = data.decode("utf-8")  # already checked by text_chunks
            chunk = self._careful(text, first_line)
        chunk.position = position
        if chunk.sample_weights is not None:
            self._check_weights(chunk)
        return chunk

    def split(self, numbers: np.ndarray):
        """The parsed fields as (values, soft-label targets, sample weights or None)."""
        n_classes = len(self.layout.value_fields)
        end = n_classes + len(self.layout.target_fields)
        weights = numbers[:, end] if self.layout.weight_field is not None else None
        return numbers[:, :n_classes], numbers[:, n_classes:end], weights

    def _check_weights(self, chunk: PredictionChunk) -> None:
        """A sample weight must be finite and non-negative; a bad one names its line."""
        weights = chunk.sample_weights
        assert weights is not None and self.layout.weight_field is not None  # parse() checks
        bad = ~(np.isfinite(weights) & (weights >= 0))
        if not bad.any():
            return
        for i in np.flatnonzero(bad):
            error = DataError(
                f"sample weight {float(weights[i])!r} is not a finite non-negative number "
                f"(--sample-weights {self.options_weights!r})",
                source=self.source,
                line=int(chunk.lines[i]),
                column=self.layout.weight_field + 1,
            )
            self.policy(error, chunk.skipped)
        keep = ~bad
        chunk.values, chunk.lines = chunk.values[keep], chunk.lines[keep]
        chunk.sample_weights = weights[keep]
        if chunk.labels is not None:
            chunk.labels = chunk.labels[keep]
        if chunk.targets is not None:
            chunk.targets = chunk.targets[keep]

    # -- the fast path: clean chunks, which is nearly all of them

    def fast_arrays(self, data: bytes, text: str | None = None):
        """``(numbers, labels)`` of a clean chunk (labels: class indices, -1 for an unknown
        label; None with soft labels), or None when the chunk needs the careful path.

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
        if layout.target_fields:
            return numbers, None
        return numbers, self.lookup.indices(label_texts(lines, layout, d))

    def count_delimiters(self, data: bytes) -> int:
        encoded = self.delimiter.encode()
        return count_byte(data, encoded[0]) if len(encoded) == 1 else data.count(encoded)

    def numbers_chunk(self, numbers: np.ndarray, first_line: int) -> PredictionChunk:
        """The chunk of parsed numbers (rows from ``first_line`` on), without class-index
        labels: the values, the soft-label targets if any, the sample weights if any."""
        values, targets, weights = self.split(numbers)
        lines = np.arange(first_line, first_line + numbers.shape[0], dtype=np.int64)
        chunk = PredictionChunk(self.layout.classes, values, lines, sample_weights=weights)
        if self.layout.target_fields:
            chunk.targets = targets
        return chunk

    def _chunk(self, parsed, data: bytes, first_line: int) -> PredictionChunk:
        numbers, labels = parsed
        layout = self.layout
        chunk = self.numbers_chunk(numbers, first_line)
        if layout.target_fields:
            return chunk

        lines: list[str] = []

        def text_of(i: int) -> str:  # only for an unknown label's message: rare
            if not lines:
                lines.extend(data.decode("utf-8").replace("\r\n", "\n").split("\n"))
            return label_texts([lines[i]], layout, self.delimiter)[0]

        return self.with_labels(chunk, labels, text_of)

    def with_labels(self, chunk: PredictionChunk, labels: np.ndarray, text_of) -> PredictionChunk:
        """Set the chunk's class indices; a label not in the vocabulary (index -1) is an
        error naming its line (``text_of(i)`` is row i's label text)."""
        unknown = np.flatnonzero(labels < 0)
        for i in unknown:
            assert self.layout.label is not None  # hard labels: a label field
            error = DataError(
                self.lookup.unknown(text_of(i)),
                source=self.source,
                line=int(chunk.lines[i]),
                column=self.layout.label + 1,
            )
            self.policy(error, chunk.skipped)
        if unknown.size:
            keep = labels >= 0
            chunk.values, chunk.lines, labels = chunk.values[keep], chunk.lines[keep], labels[keep]
            if chunk.sample_weights is not None:
                chunk.sample_weights = chunk.sample_weights[keep]
        chunk.labels = labels
        return chunk

    # -- the careful path: the csv module, row by row, naming each problem

    def _careful(self, text: str, first_line: int) -> PredictionChunk:
        layout = self.layout
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=self.delimiter, strict=True)
        rows, lines, labels = [], [], []
        skipped: list[DataError] = []
        line = first_line
        for row in self._rows(reader, first_line):
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
        array = np.array(rows, dtype=np.float64).reshape(len(rows), len(self.fields))
        values, targets, weights = self.split(array)
        chunk = PredictionChunk(
            layout.classes, values, np.array(lines, dtype=np.int64), sample_weights=weights
        )
        chunk.skipped = skipped
        if layout.target_fields:
            chunk.targets = targets
        else:
            chunk.labels = np.array(labels, dtype=np.intp)
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
    max_line = limit("XENT_MAX_LINE_BYTES")
    header_bytes = stream.readline(max_line + 1)
    if len(header_bytes) > max_line:
        raise DataError(
            too_long("the header", max_line, "XENT_MAX_LINE_BYTES"), source=source, line=1
        )
    if header_bytes.startswith(BOM):
        header_bytes = header_bytes[len(BOM) :]
    if not header_bytes.strip():
        raise DataError(
            "the file is empty: expected a header row, then one row per sample",
            source=source,
            line=1 if header_bytes else None,
        )
    header_text = decode(header_bytes, source, 1).rstrip("\r\n")
    delimiter = options.delimiter or ("\t" if tab else sniff_delimiter(header_text, source))
    header = split_header(header_text, delimiter, source)
    layout = CsvLayout.from_header(header, options, source)
    parser = CsvChunkParser(layout, delimiter, options, source)
    position = len(header_bytes)
    pieces = text_chunks(stream, source, 2)
    if parser.arrow is not None:
        # pyarrow parses without the GIL: the next chunk is parsed while this one is scored.
        yield from read_ahead(pieces, lambda piece: parser.parse(piece, position + piece.consumed))
        return
    workers = csv_workers()
    first = next(pieces, None)
    if first is None:
        return
    try:
        second = next(pieces, None)
    except DataError:  # a bad read (not UTF-8) comes after the rows before it
        yield parser.parse(first, position + first.consumed)
        raise
    rest = chain((first, second), pieces) if second is not None else (first,)
    if second is None or workers == 0:  # one chunk (or one core): no workers to start
        for piece in rest:
            yield parser.parse(piece, position + piece.consumed)
        return
    for piece, parsed in parse_in_workers(parser, rest, workers):
        yield parser.parse(piece, position + piece.consumed, parsed)


def csv_workers() -> int:
    """Worker processes for the NumPy reader's parsing: ``$XENT_CSV_WORKERS``, else one
    per core but one (the main process reads and scores), at most 3. 0 parses here."""
    text = os.environ.get("XENT_CSV_WORKERS")
    if text is None:
        return max(0, min((os.cpu_count() or 1) - 1, 3))
    try:
        workers = int(text)
    except ValueError:
        workers = -1
    if workers < 0:
        raise UsageError(
            f"{text!r} is not a number of worker processes (0 or more)",
            source="XENT_CSV_WORKERS",
        )
    return workers


_worker_parser: CsvChunkParser | None = None


def _start_worker(parser: CsvChunkParser) -> None:
    global _worker_parser
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process reports an interrupt
    _worker_parser = parser


def _parse_in_worker(data: bytes):
    assert _worker_parser is not None  # set by _start_worker
    return _worker_parser.fast_arrays(data)


def parse_in_workers(parser: CsvChunkParser, pieces: Iterable[TextChunk], workers: int):
    """``(piece, fast_arrays(piece) or False)`` in input order: of every ``workers + 1``
    chunks, ``workers`` are parsed by worker processes and one here (``False``: the caller
    parses it), so one worker already uses two cores.

    ``numpy.loadtxt`` holds the GIL, so threads would not help: processes, forked (cheap:
    NumPy is already imported), each given whole chunks. At most two chunks a worker are
    in flight, so memory stays flat. Without ``fork`` (Windows) every chunk is parsed here.
    """
    import multiprocessing
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor

    if "fork" not in multiprocessing.get_all_start_methods():
        yield from ((piece, False) for piece in pieces)
        return
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_start_worker,
        initargs=(parser,),
    )
    try:
        waiting: deque = deque()
        pieces = iter(pieces)
        for i in count():
            try:
                piece = next(pieces)
            except StopIteration:
                break
            except DataError:  # a bad read (not UTF-8) comes after the rows before it
                while waiting:
                    piece, future = waiting.popleft()
                    yield piece, False if future is None else future.result()
                raise
            if i % (workers + 1) == workers:
                waiting.append((piece, None))  # this process's share
            else:
                # The text is dropped while the chunk waits; decoded again only if needed.
                future = pool.submit(_parse_in_worker, piece.data)
                waiting.append((piece._replace(text=None), future))
            if len(waiting) > 2 * workers + 1:
                piece, future = waiting.popleft()
                yield piece, False if future is None else future.result()
        while waiting:
            piece, future = waiting.popleft()
            yield piece, False if future is None else future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def read_ahead(pieces: Iterator, parse):
    """``parse(piece)`` for each piece, the next one parsed in a thread while this one is
    used. The pieces are read here, in the calling thread: the worker never blocks on a
    read, so Ctrl-C on a pipe that stays open is not left waiting for it."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = None
        pieces = iter(pieces)
        while True:
            try:
                piece = next(pieces)
            except StopIteration:
                break
            except Exception:  # a bad read (not UTF-8) comes after the rows before it
                if pending is not None:
                    yield pending.result()
                raise
            future = pool.submit(parse, piece)
            if pending is not None:
                yield pending.result()
            pending = future
        if pending is not None:
            yield pending.result()
