"""Columnar and array files: Parquet, Feather/Arrow IPC (with pyarrow, the ``fast``
extra) and NumPy ``.npy``/``.npz``, read a block of rows at a time (memory stays flat).

A table holds a label column (strings, a dictionary, or integers: class names or indices)
and one number column per class, or one list column of K probabilities (``pred``, as
written from a NumPy array; ``logits`` holds logits). An ``.npz`` holds a predictions
array (n, K) (or (n,) for a binary P(class 1)) and a labels array (n,) (or (n, K) soft
labels). Rows are numbered by position (``row 3``), as in a JSON document; the chunks are
checked as the CSV reader checks them: every label a class, no missing value.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import numpy as np

from ..errors import DataError, UsageError
from .arguments import shown
from .chunks import (
    CHUNK_ROWS,
    ErrorPolicy,
    LabelLookup,
    MultiLabelLookup,
    PredictionChunk,
    Said,
    class_names,
    task_of,
)
from .csv_layout import INDEX_NOTE, UNNAMED
from .csv_parse import keep_rows
from .read_options import ReadOptions
from .sources import FORMAT_NAMES, not_read, zip_kind

FAST_EXTRA = "pip install 'xent[fast]'"
# The names of the arrays of an .npz, and of a list column of a table, in order of choice.
PRED_NAMES = ("pred", "preds", "probs", "proba", "probabilities", "y_pred", "predictions")
LOGIT_NAMES = ("logits",)
LABEL_NAMES = ("labels", "label", "y", "y_true", "targets", "target")
PANDAS_INDEX = re.compile(r"__index_level_\d+__")
PANDAS_INDEX_NOTE = "left out pandas' index ({name})"


# A batch holds about this many bytes of values: rows x columns x 8 bytes. A fixed row
# count would make a batch of 1,000-class rows 400 MB (measured: 394 MiB peak on 20k x 1000
# with 50,000-row batches, 159 MiB with 500-row ones).
BATCH_BYTES = 4 << 20


def batch_rows(columns: int) -> int:
    """Rows of a batch of ``columns`` float columns: about :data:`BATCH_BYTES`, at most
    :data:`CHUNK_ROWS`."""
    return max(1, min(CHUNK_ROWS, BATCH_BYTES // (8 * max(columns, 1))))


def pyarrow_for(fmt: str, source: str):
    try:
        import pyarrow
    except ImportError:
        raise UsageError(
            f"reading {FORMAT_NAMES[fmt]} needs pyarrow: {FAST_EXTRA}", source=source
        ) from None
    return pyarrow


@contextmanager
def seekable(path: str | None, stream):
    """A file that can seek: the path itself, or the stream (stdin, decompressed)
    copied block by block into a temporary file, never into memory."""
    if path is not None:
        yield path
        return
    with tempfile.TemporaryFile(prefix="xent-") as spool:
        shutil.copyfileobj(stream, spool, 1 << 20)
        spool.seek(0)
        yield spool


def read_binary_chunks(
    fmt: str, path: str | None, stream, source: str, options: ReadOptions, said: Said
) -> Iterator[PredictionChunk]:
    """The chunks of a binary source (``path`` when it is a plain file, else ``stream``)."""
    if fmt == "feather" and path is None:
        yield from _arrow_chunks(None, stream, source, options, said)
        return
    with seekable(path, stream) as file:
        if fmt == "zip":
            import zipfile

            try:
                with zipfile.ZipFile(file) as archive:
                    fmt = zip_kind(archive.namelist())
            except zipfile.BadZipFile as error:
                raise DataError(f"a damaged zip archive ({error})", source=source) from None
            if fmt != "npz":
                raise not_read(fmt, source)
            if not isinstance(file, str):
                file.seek(0)
        if fmt == "parquet":
            yield from _parquet_chunks(file, source, options, said)
        elif fmt == "feather":
            yield from _arrow_chunks(file, None, source, options, said)
        elif fmt == "npy":
            yield from _npy_chunks(file, source, options, said)
        else:
            yield from _npz_chunks(file, source, options, said)


# ------------------------------------------------------------------ labels and checks


class Rows:
    """Blocks of arrays to checked :class:`PredictionChunk` s: labels looked up, missing
    values and unknown labels named by row (``row 3``, 1-based)."""

    def __init__(self, classes, task, options: ReadOptions, source: str, label_name: str):
        self.classes, self.task, self.source = classes, task, source
        self.label_name = label_name
        self.policy = ErrorPolicy(options.on_error)
        self.multi = task == "multilabel"
        self.lookup: LabelLookup | MultiLabelLookup = (
            MultiLabelLookup(classes)
            if self.multi
            else LabelLookup(classes, options.ignore_labels, task == "binary")
        )
        self.weights_name = options.sample_weights
        self.logits = False

    def error(self, message: str, row: int) -> DataError:
        error = DataError(f"row {row}: {message}", source=self.source)
        error.number = row
        return error

    def chunk(
        self,
        first: int,
        values: np.ndarray,
        labels=None,
        targets: np.ndarray | None = None,
        weights: np.ndarray | None = None,
        missing: np.ndarray | None = None,
    ) -> PredictionChunk:
        """A chunk of rows ``first + 1 ...``: ``labels`` is None, ``(texts, codes)`` (the
        distinct label texts and each row's index into them) or an array of texts or
        numbers; ``missing`` marks rows with a missing value (with its column's name)."""
        n = values.shape[0]
        lines = np.arange(first + 1, first + n + 1, dtype=np.int64)
        chunk = PredictionChunk(
            self.classes,
            np.ascontiguousarray(values, dtype=np.float64),
            lines,
            numbered="row",
            task=self.task,
            logits=self.logits,
        )
        keep = np.ones(n, dtype=bool)
        if missing is not None:
            for i in np.flatnonzero(missing[0]):
                self.policy(self.error(f"no value in {missing[1]}", int(lines[i])), chunk.skipped)
                keep[i] = False
        if targets is not None:
            chunk.targets = np.asarray(targets, dtype=np.float64)
        if weights is not None:
            chunk.sample_weights = np.asarray(weights, dtype=np.float64)
            bad = ~(np.isfinite(chunk.sample_weights) & (chunk.sample_weights >= 0)) & keep
            for i in np.flatnonzero(bad):
                error = self.error(
                    f"sample weight {float(chunk.sample_weights[i])!r} is not a finite "
                    f"non-negative number (--sample-weights {self.weights_name!r})",
                    int(lines[i]),
                )
                self.policy(error, chunk.skipped)
                keep[i] = False
        if labels is not None:
            texts, codes = labels if isinstance(labels, tuple) else distinct(labels)
            if self.multi:
                assert isinstance(self.lookup, MultiLabelLookup)
                self.lookup.reset()
            found = self.lookup.indices(texts)[codes] if len(texts) else codes
            for i in np.flatnonzero((found < 0) & keep):
                message = self.lookup.unknown(texts[codes[i]])
                self.policy(self.error(message, int(lines[i])), chunk.skipped)
                keep[i] = False
            if self.multi:
                assert isinstance(self.lookup, MultiLabelLookup)
                chunk.targets = self.lookup.targets(np.where(keep, found, 0))
            else:
                chunk.labels = found
        if not keep.all():
            keep_rows(chunk, keep)
        return chunk


def distinct(labels: np.ndarray) -> tuple[list[str], np.ndarray]:
    """The distinct label texts of an array of labels, and each row's index into them.
    Integral floats (1.0, as pandas stores labels beside a missing one) read as integers."""
    labels = np.asarray(labels)
    if labels.dtype.kind == "f":
        if not np.isfinite(labels).all() or (labels != np.round(labels)).any():
            bad = labels[~np.isfinite(labels) | (labels != np.round(labels))][0]
            raise DataError(
                f"the labels hold {float(bad)!r}: a label is a class name or index (soft "
                "labels go in columns of their own, --label-columns)"
            )
        labels = labels.astype(np.int64)
    elif labels.dtype.kind == "b":
        labels = labels.astype(np.int64)
    elif labels.dtype.kind not in "iuUS":
        raise DataError(f"the labels are of type {labels.dtype}: expected names or indices")
    uniques, codes = np.unique(labels, return_inverse=True)
    if labels.dtype.kind == "S":
        texts = [u.decode("utf-8", "replace") for u in uniques.tolist()]
    else:
        texts = [str(u) for u in uniques.tolist()]
    return texts, codes.reshape(-1)


def placed(error: DataError, source: str) -> DataError:
    if error.source is None:
        error.source = source
    return error


# ------------------------------------------------------------------ Parquet and Arrow


class TableLayout:
    """Which column of a table holds what (as ``CsvLayout`` for a header)."""

    def __init__(self, schema, options: ReadOptions, source: str, said: Said) -> None:
        import pyarrow as pa

        self.source = source
        names = list(schema.names)
        shown_names = ", ".join(map(shown, names) if "" in names else names)

        def find(name: str, option: str) -> str:
            if name not in names:
                raise DataError(
                    f"no {name!r} column (columns: {shown_names}); name the column with {option}",
                    source=source,
                )
            return name

        ignored = {find(name, "--ignore-columns") for name in options.ignore_columns}
        for name in names:
            if PANDAS_INDEX.fullmatch(name) and name not in ignored:
                ignored.add(name)
                said.notes.append(PANDAS_INDEX_NOTE.format(name=name))
        named = {options.label_column, options.sample_weights, *options.label_columns}
        if names and names[0] in UNNAMED and names[0] not in named | ignored:
            ignored.add(names[0])
            said.notes.append(INDEX_NOTE)
        self.label = None
        self.targets: list[str] = []
        if options.label_columns:
            self.targets = [find(n, "--label-columns") for n in options.label_columns]
        elif options.label_column is not None:
            self.label = find(options.label_column, "--label-column")
        self.weight = None
        if options.sample_weights is not None:
            self.weight = find(options.sample_weights, "--sample-weights")
        taken = ignored | set(self.targets) | {self.label, self.weight}
        self.values = [n for n in names if n not in taken]
        if not self.values:
            raise DataError("the table has no class columns besides the label", source=source)
        self.list_column = None
        types = {name: schema.field(name).type for name in self.values}
        lists = [n for n, t in types.items() if pa.types.is_list(t) or _is_list(pa, t)]
        if lists:
            if len(self.values) > 1:
                raise DataError(
                    f"a list column ({lists[0]}) and other value columns "
                    f"({', '.join(n for n in self.values if n != lists[0])}): expected one "
                    "list of probabilities per row, or one number column per class (leave "
                    "the others out with --ignore-columns)",
                    source=source,
                )
            self.list_column = lists[0]
            width = getattr(types[lists[0]], "list_size", None)
            self.width = width
            value_names = None
        else:
            for name, kind in types.items():
                if not (pa.types.is_floating(kind) or pa.types.is_integer(kind)):
                    raise DataError(
                        f"column {shown(name)} holds {_type_name(pa, kind)}, not numbers: "
                        "every column but "
                        "the label is a class (name the others with --ignore-columns, the "
                        "label with --label-column)",
                        source=source,
                    )
            value_names = self.values
        self.labelled = self.label is not None or bool(self.targets)
        self.options = options
        self.said = said
        self.rows: Rows | None = None
        if value_names is not None:
            self._start(value_names)
        self.columns = [n for n in names if n not in ignored]

    def _start(self, value_names: list[str]) -> None:
        task = task_of(self.options, len(value_names), self.labelled)
        classes = class_names(self.options, task, value_names)
        if self.targets and len(self.targets) != len(classes) and task != "binary":
            raise UsageError(
                f"{len(self.targets)} label columns for {len(classes)} class columns",
                source="--label-columns",
            )
        self.said.classes(classes)
        self.rows = Rows(classes, task, self.options, self.source, self.label or "")
        self.rows.logits = self.list_column in LOGIT_NAMES

    def chunk(self, batch, first: int) -> PredictionChunk:
        import pyarrow as pa

        n = batch.num_rows
        missing = None
        if self.list_column is not None:
            column = batch.column(self.list_column)
            values, missing = self._list_values(pa, column, first)
        else:
            columns = []
            for name in self.values:
                column = batch.column(name)
                if column.null_count and missing is None:
                    missing = (_nulls(column), f"column {shown(name)}")
                columns.append(_floats(column))
            values = np.column_stack(columns) if columns else np.zeros((n, 0))
        assert self.rows is not None
        labels = None
        if self.label is not None:
            column = batch.column(self.label)
            if column.null_count and missing is None:
                missing = (_nulls(column), f"the label column {shown(self.label)}")
            labels = _labels(pa, column)
        targets = None
        if self.targets:
            targets = np.column_stack([_floats(batch.column(n)) for n in self.targets])
        weights = None if self.weight is None else _floats(batch.column(self.weight))
        try:
            return self.rows.chunk(first, values, labels, targets, weights, missing)
        except DataError as error:
            raise placed(error, self.source) from None

    def _list_values(self, pa, column, first: int):
        """The (n, K) values of a list column; K from the first row when not fixed."""
        import pyarrow.compute as pc

        n = len(column)
        missing = None
        if column.null_count:
            missing = (_nulls(column), f"column {shown(self.list_column)}")
            column = column.fill_null(pa.scalar([], type=column.type)) if not self.width else column
        if self.width is None:
            lengths = pc.list_value_length(column).to_numpy(zero_copy_only=False)
            if self.rows is None:
                self._start([str(i) for i in range(int(lengths[0]) if n else 0)])
            assert self.rows is not None  # _start made it
            k = len(self.rows.classes) if self.rows.task != "binary" else 1
            bad = lengths != k
            if missing is not None:
                bad &= ~missing[0]
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise self.rows.error(
                    f"{int(lengths[i])} values in {shown(self.list_column)}, expected {k} "
                    "(as in the first row)",
                    first + i + 1,
                )
            if missing is not None:  # rows with no list get NaN, and are left out
                flat = np.full((n, k), np.nan)
                flat[~missing[0]] = _floats(column.flatten()).reshape(-1, k)
                return flat, missing
            return _floats(column.flatten()).reshape(n, k), missing
        if self.rows is None:
            self._start([str(i) for i in range(self.width)])
        k = self.width
        return _floats(column.flatten()).reshape(-1, k) if n else np.zeros((0, k)), missing


def _type_name(pa, kind) -> str:
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return "text"
    if pa.types.is_dictionary(kind):
        return "categories"
    return str(kind)


def _is_list(pa, kind) -> bool:
    return pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind)


def _nulls(column) -> np.ndarray:
    return np.asarray(column.is_null().to_numpy(zero_copy_only=False), dtype=bool)


def _floats(column) -> np.ndarray:
    """A numeric Arrow array as float64; a missing value is NaN (the caller says so)."""
    import pyarrow as pa

    if column.null_count:
        column = column.cast(pa.float64()).fill_null(np.nan)
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64)


def _labels(pa, column):
    """``(texts, codes)`` of a label column: strings and dictionaries by their distinct
    values, numbers as an array (see :func:`distinct`)."""
    kind = column.type
    if pa.types.is_dictionary(kind) or pa.types.is_string(kind) or pa.types.is_large_string(kind):
        if not pa.types.is_dictionary(kind):
            column = column.dictionary_encode()
        texts = [str(t) for t in column.dictionary.to_pylist()]
        codes = column.indices.fill_null(0).to_numpy(zero_copy_only=False).astype(np.intp)
        return texts, codes
    if column.null_count:
        column = column.fill_null(0)
    if not (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)):
        raise DataError(f"the label column holds {kind}: expected class names or indices")
    return column.to_numpy(zero_copy_only=False)


def _slices(batch, size: int = CHUNK_ROWS):
    for start in range(0, batch.num_rows, size):
        yield batch.slice(start, size)


def _parquet_chunks(file, source: str, options: ReadOptions, said: Said):
    pyarrow_for("parquet", source)
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        # Without pre-buffering, a row group is read as it is needed: peak memory 118 MB
        # against 210 MB on 1M x 10, and faster (0.16 s against 0.52 s to read it).
        parquet = pq.ParquetFile(file, pre_buffer=False, buffer_size=1 << 20)
    except (pa.ArrowException, OSError) as error:
        raise DataError(f"not a readable Parquet file ({error})", source=source) from None
    layout = TableLayout(parquet.schema_arrow, options, source, said)
    first = 0
    try:
        batches = parquet.iter_batches(
            batch_size=batch_rows(len(layout.columns)), columns=layout.columns
        )
        for batch in batches:
            yield layout.chunk(batch, first)
            first += batch.num_rows
    except pa.ArrowException as error:
        raise DataError(f"a damaged Parquet file ({error})", source=source) from None


def _arrow_chunks(file, stream, source: str, options: ReadOptions, said: Said):
    """A Feather v2 / Arrow IPC file (``file``: random access, memory-mapped when a
    path) or an Arrow IPC stream (``stream``), a record batch at a time."""
    pyarrow_for("feather", source)
    import pyarrow as pa
    import pyarrow.ipc as ipc

    try:
        if file is None:
            reader = ipc.open_stream(stream)
            batches = iter(reader)
        else:
            opened = pa.memory_map(file) if isinstance(file, str) else file
            try:
                reader = ipc.open_file(opened)
            except pa.ArrowInvalid:  # an IPC stream saved to a file
                if not isinstance(file, str):
                    file.seek(0)
                reader = ipc.open_stream(pa.memory_map(file) if isinstance(file, str) else file)
            batches = (
                (reader.get_batch(i) for i in range(reader.num_record_batches))
                if hasattr(reader, "get_batch")
                else iter(reader)
            )
        layout = TableLayout(reader.schema, options, source, said)
        first = 0
        for batch in batches:
            batch = batch.select(layout.columns)
            for piece in _slices(batch):
                yield layout.chunk(piece, first)
                first += piece.num_rows
    except (pa.ArrowInvalid, pa.ArrowIOError) as error:
        raise DataError(f"not a readable Feather/Arrow file ({error})", source=source) from None


# ------------------------------------------------------------------ NumPy


def _npy_chunks(file, source: str, options: ReadOptions, said: Said):
    """An ``.npy`` holds predictions alone: read as rows of distributions (no label
    column), else refused: the labels are needed."""
    if options.label_column is not None or options.label_columns:
        raise DataError(
            "an .npy file holds one array, the predictions, and no labels: save both with "
            "np.savez('preds.npz', pred=pred, labels=labels)",
            source=source,
        )
    pred = _load_npy(file, source)
    if pred.ndim != 2:
        raise DataError(
            f"the array has shape {pred.shape}: expected (rows, classes)", source=source
        )
    classes = class_names(options, "multiclass", [str(i) for i in range(pred.shape[1])])
    said.classes(classes)
    rows = Rows(classes, "multiclass", options, source, "")
    step = batch_rows(pred.shape[1])
    for start in range(0, pred.shape[0], step):
        yield rows.chunk(start, np.asarray(pred[start : start + step], dtype=np.float64))


def _load_npy(file, source: str) -> np.ndarray:
    try:
        array = np.load(file, mmap_mode="r", allow_pickle=False)
    except ValueError as error:
        raise DataError(f"not a readable .npy file ({error})", source=source) from None
    _check_dtype(array.dtype, "the array", source)
    return array


def _check_dtype(dtype, what: str, source: str) -> None:
    if dtype.hasobject or dtype.kind not in "biufUS":
        raise DataError(
            f"{what} is of type {dtype}: expected numbers (or label names)", source=source
        )


class NpyStream:
    """An ``.npy`` in a stream (a member of an ``.npz``), read a block of rows at a time."""

    def __init__(self, stream, name: str, source: str) -> None:
        fmt = np.lib.format
        try:
            version = fmt.read_magic(stream)
            header = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
            self.shape, fortran, self.dtype = header(stream)
        except ValueError as error:
            raise DataError(f"{name} is not a readable array ({error})", source=source) from None
        _check_dtype(self.dtype, name, source)
        self.stream, self.name = stream, name
        self.whole = None
        if fortran and len(self.shape) > 1:  # column-major: read whole (rare: np.save of a .T)
            count = int(np.prod(self.shape))
            data = stream.read(count * self.dtype.itemsize)
            self.whole = np.frombuffer(data, self.dtype).reshape(self.shape, order="F")
        self.row_items = int(np.prod(self.shape[1:])) if len(self.shape) > 1 else 1
        self.at = 0

    def rows(self, n: int) -> np.ndarray:
        n = min(n, self.shape[0] - self.at) if self.shape else 0
        if self.whole is not None:
            block = self.whole[self.at : self.at + n]
        else:
            data = self.stream.read(n * self.row_items * self.dtype.itemsize)
            block = np.frombuffer(data, self.dtype).reshape((n, *self.shape[1:]))
        self.at += n
        return block


def _npz_chunks(file, source: str, options: ReadOptions, said: Said):
    import zipfile

    with zipfile.ZipFile(file) as archive:
        names = [n[: -len(".npy")] for n in archive.namelist()]
        if "classes" in names:  # the class names, saved beside the arrays
            names.remove("classes")
            if not options.classes:
                with archive.open("classes.npy") as member:
                    saved = np.lib.format.read_array(member, allow_pickle=False)
                options = replace(options, classes=tuple(str(c) for c in saved.reshape(-1)))
        pred_name, label_name, logits = _npz_names(names, options, source)
        opened = [archive.open(pred_name + ".npy")]
        if label_name is not None:
            opened.append(archive.open(label_name + ".npy"))
        pred = NpyStream(opened[0], pred_name, source)
        labels = NpyStream(opened[1], label_name, source) if label_name else None
        yield from _npz_rows(pred, labels, logits, options, source, said)
        for member in opened:
            member.close()


def _npz_names(names: list[str], options: ReadOptions, source: str):
    """The predictions array, the labels array (None for rows of distributions) and
    whether the predictions are logits."""
    listed = ", ".join(names) or "none"

    def pick(wanted, option: str | None, what: str) -> str:
        if option is not None:
            if option not in names:
                raise DataError(
                    f"no array {option!r} (arrays: {listed}); name the {what} with "
                    + ("--label-column" if what == "labels" else "--pred-array"),
                    source=source,
                )
            return option
        found = [n for n in wanted if n in names]
        if not found:
            raise DataError(
                f"no {what} array: expected one named {', '.join(wanted)} (arrays: {listed})",
                source=source,
            )
        return found[0]

    label = None
    if options.label_column is not None:
        chosen = options.label_column if options.label_column in names else None
        label = pick(LABEL_NAMES, chosen, "labels")
    pred_option = options.pred_array
    if pred_option is None:
        rest = [n for n in names if n != label]
        wanted = PRED_NAMES + LOGIT_NAMES
        pred_option = next((n for n in wanted if n in rest), rest[0] if len(rest) == 1 else None)
    pred = pick(PRED_NAMES + LOGIT_NAMES, pred_option, "predictions")
    return pred, label, pred in LOGIT_NAMES


def _npz_rows(pred: NpyStream, labels: NpyStream | None, logits, options, source: str, said):
    shape = pred.shape
    if len(shape) not in (1, 2) or (len(shape) == 2 and shape[1] == 0):
        raise DataError(
            f"{pred.name} has shape {shape}: expected (rows, classes), or (rows,) for a "
            "binary P(class 1)",
            source=source,
        )
    if pred.dtype.kind not in "biuf":
        raise DataError(f"{pred.name} is of type {pred.dtype}: expected numbers", source=source)
    binary = len(shape) == 1 or shape[1] == 1
    soft = False
    if labels is not None:
        if labels.shape[:1] != shape[:1]:
            raise DataError(
                f"{pred.name} has {shape[0]:,} rows but {labels.name} has "
                f"{labels.shape[0] if labels.shape else 0:,}: one label per prediction",
                source=source,
            )
        soft = len(labels.shape) == 2
        if soft and labels.shape != (shape[0], 1 if binary else shape[1]):
            raise DataError(
                f"{labels.name} has shape {labels.shape}: expected ({shape[0]},) labels or "
                f"{shape} soft labels, as {pred.name}",
                source=source,
            )
        if len(labels.shape) > 2:
            raise DataError(f"{labels.name} has shape {labels.shape}", source=source)
    k = 1 if binary else shape[1]
    labelled = labels is not None
    task = task_of(options, k, labelled)
    classes = class_names(options, task, [str(i) for i in range(k)])
    said.classes(classes)
    rows = Rows(classes, task, options, source, labels.name if labels else "")
    rows.logits = logits
    if task == "multilabel" and not soft:
        assert labels is not None  # a multi-label task is a labelled one
        raise DataError(
            f"--multi-label needs {labels.name} of shape {shape}: 0/1 per class", source=source
        )
    first = 0
    while first < shape[0]:
        values = pred.rows(batch_rows(k)).reshape(-1, k)
        n = values.shape[0]
        label_block = labels.rows(n) if labels is not None else None
        try:
            if soft:
                assert label_block is not None  # soft labels are labels
                chunk = rows.chunk(first, values, None, label_block.reshape(n, -1))
            else:
                chunk = rows.chunk(first, values, label_block)
        except DataError as error:
            raise placed(error, source) from None
        yield chunk
        first += n
