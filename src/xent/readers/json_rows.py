"""JSON and JSON Lines prediction files.

A row is an object in one of two shapes, fixed by the first row:

- a list of values: ``{"label": "dog", "pred": [0.4, 0.3, 0.05, 0.05, 0.2]}`` (``"logits"``
  instead of ``"pred"`` for logits; a list as the label is a soft label);
- one number per class, as pandas ``to_json(orient="records")`` writes a data frame:
  ``{"label": "dog", "dog": 0.4, "fox": 0.3, ...}``; the classes are the first object's
  keys, in order, less the label, the ``--sample-weights`` and ``--ignore-columns`` keys.

JSON Lines holds one row object a line. A JSON document is a list of row objects, the
columns ``{"classes": [...], "labels": [...], "pred": [[...], ...]}``, or a table in another
of the shapes pandas ``to_json`` writes: ``orient="split"`` (``{"columns", "index",
"data"}``), ``"columns"`` (``{column: {index: value}}``, rows in the first column's index
order), ``"index"`` (``{index: row object}``), ``"table"`` (records less the index) and
``"values"`` (``[[label, q1, ..., qK], ...]``: no names, so only with ``--classes``; the label
is the first value). ``"columns"`` and ``"index"`` are told apart by where the label key is.
A document is parsed whole, so its rows are numbered by position ("row 3"), not by line.

One value a row (one ``pred`` value, or one number key) makes a binary file; with
``label_column=None`` the rows hold no label at all; with ``multi_label`` a label names the
positive classes, as a list of names or a ``|``-separated text.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from typing import BinaryIO

import numpy as np

from ..errors import DataError, UsageError
from .arguments import resolve_classes, shown
from .chunks import (
    CHUNK_ROWS,
    ErrorPolicy,
    LabelLookup,
    MultiLabelLookup,
    PredictionChunk,
    class_names,
    task_of,
)
from .limits import check_json_depth, limit, read_at_most, too_long
from .read_options import ReadOptions
from .text_chunks import BOM, decode

VALUE_KEYS = ("pred", "logits")
SHAPES = (
    'a "pred" (or "logits") list, or one number per class key (as pandas '
    'to_json(orient="records") writes)'
)


def _json(value, limit: int = 40) -> str:
    """A JSON value as text for a message, cut short: it may be a whole document."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _keys(keys: Iterable[str], limit: int = 8) -> str:
    keys = list(keys)
    text = ", ".join(map(shown, keys[:limit]))
    return text + (", ..." if len(keys) > limit else "")


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _number_list(value, what: str, n: int | None) -> list[float]:
    if not isinstance(value, list) or not value:
        raise DataError(f"{what} must be a non-empty list of numbers, got {_json(value)}")
    for i, x in enumerate(value, start=1):
        if not _is_number(x):
            raise DataError(f"{what} value {i} is {_json(x)}, not a number")
    if n is not None and len(value) != n:
        raise DataError(f"{what} has {len(value)} values, expected {n} (one per class)")
    return [float(x) for x in value]


class JsonRowBuilder:
    """Checks row objects one at a time and packs them into chunks."""

    def __init__(self, options: ReadOptions, source: str, numbered: str) -> None:
        self.options = options
        self.source = source
        self.numbered = numbered  # "line" (JSON Lines) or "row" (a JSON document)
        self.policy = ErrorPolicy(options.on_error)
        self.document_classes: list[str] | None = None  # a JSON document's "classes"
        self.classes: list[str] | None = None
        self.task = "multiclass"
        self.lookup: LabelLookup | MultiLabelLookup | None = None
        self.key: str | None = None  # "pred" or "logits", fixed by the first row
        self.class_keys: list[str] | None = None  # or one key per class, as pandas writes
        label_key = options.label_column if not options.label_columns else None
        self.label_key = label_key
        self.labelled = label_key is not None or bool(options.label_columns)
        self.other_keys = {label_key, options.sample_weights, *options.ignore_columns}
        self.other_keys |= set(options.label_columns)
        self.other_keys.discard(None)
        self._reset()

    def _reset(self) -> None:
        self.values: list[list[float]] = []
        # A class index, P(class 1) of a binary file, a row of targets; None unlabelled.
        self.labels: list[int | float | list[float] | None] = []
        self.lines: list[int] = []
        self.skipped: list[DataError] = []
        self.weights: list[float] = []

    def error(self, message: str, where: int, column: int | None = None) -> DataError:
        if self.numbered == "row":
            error = DataError(f"row {where}: {message}", source=self.source)
            error.number = where
            return error
        return DataError(message, source=self.source, line=where, column=column)

    # -- the shape of the rows and the classes, from the first row

    def _shape(self, row: dict) -> None:
        """Fix the shape from the first row object: a value list, or a key per class."""
        lists = [k for k in VALUE_KEYS if isinstance(row.get(k), list)]
        if len(lists) == 2:
            raise DataError('has both a "pred" and a "logits" list: expected one of them')
        if lists:
            self.key = lists[0]
            return
        keys = [k for k in row if k not in self.other_keys]
        if not keys:
            found = f"the keys {_keys(row)}" if row else "an empty object"
            raise DataError(f"no predictions: expected {SHAPES}; found {found}")
        not_numbers = [k for k in keys if not _is_number(row[k])]
        if not_numbers:
            k = not_numbers[0]
            raise DataError(
                f"expected {SHAPES}; found the key {shown(k)} holding {_json(row[k])} "
                "(--ignore-columns leaves a key out)"
            )
        self.class_keys = keys
        self.known_keys = set(keys) | self.other_keys

    def _set_classes(self, n_values: int) -> None:
        options = self.options
        self.task = task_of(options, n_values, self.labelled)
        if self.task == "binary" and not options.classes and self.document_classes:
            if len(self.document_classes) != 2:
                raise DataError(
                    f'"classes" has {len(self.document_classes)} names, but the rows hold one '
                    "value each (a binary file, P(class 1)): expected the two class names"
                )
            self.classes = list(self.document_classes)
        elif self.task == "binary" or self.class_keys is not None:
            names = self.class_keys or [self.key or "pred"]
            self.classes = class_names(options, self.task, names)
        elif options.classes:
            self.classes = list(options.classes)
        elif self.document_classes is not None:
            self.classes = list(self.document_classes)
        else:
            self.classes, _ = resolve_classes(n_values, option=None, environ={})
        if self.task == "multilabel":
            self.lookup = MultiLabelLookup(self.classes)
        else:
            self.lookup = LabelLookup(
                self.classes, options.ignore_labels, binary=self.task == "binary"
            )

    # -- one row's parts

    def _record_values(self, row: dict) -> list[float]:
        """The numbers of a row with one key per class (the first row's keys)."""
        assert self.class_keys is not None  # the rows have the first row's shape
        values = []
        for k in self.class_keys:
            if k not in row:
                if any(isinstance(row.get(key), list) for key in VALUE_KEYS):
                    raise DataError(
                        "has a value list, but the first row has one number per class key "
                        f"({_keys(self.class_keys)}): the rows must have one shape"
                    )
                raise DataError(f"no {shown(k)} key, which the first row has (a class)")
            x = row[k]
            if not _is_number(x):
                raise DataError(f"the value of {shown(k)} is {_json(x)}, not a number")
            values.append(float(x))
        if len(row) > len(values):
            extra = [k for k in row if k not in self.known_keys]
            if extra:
                raise DataError(
                    f"has the key {shown(extra[0])}, which the first row does not have "
                    f"(its classes: {_keys(self.class_keys)}; --ignore-columns leaves a key out)"
                )
        return values

    def _row_parts(self, row) -> tuple:
        """(label, values, weight, soft-label targets) of a row object."""
        if not isinstance(row, dict):
            raise DataError(
                f'expected an object such as {{"label": "dog", "pred": [0.9, 0.1]}}, '
                f"got {_json(row)}"
            )
        label = None
        if self.label_key is not None:
            if self.label_key not in row:
                raise DataError(f"no {self.label_key!r} key (--label-column names another)")
            label = row[self.label_key]
        if self.key is None and self.class_keys is None:
            self._shape(row)
        if self.key is not None:
            keys = [k for k in VALUE_KEYS if k in row]
            if len(keys) != 1:
                if not keys:
                    raise DataError(
                        f'no "{self.key}" list, which the first row has: the rows must '
                        f"have one shape; found the keys {_keys(row)}"
                    )
                raise DataError('has both a "pred" and a "logits" key: expected one of them')
            if keys[0] != self.key:
                raise DataError(f'has "{keys[0]}", but the first row has "{self.key}"')
            values = row[self.key]
        else:
            values = self._record_values(row)
        weight = None
        if self.options.sample_weights is not None:
            if self.options.sample_weights not in row:
                raise DataError(f"no {self.options.sample_weights!r} key (--sample-weights)")
            weight = row[self.options.sample_weights]
        targets = None
        if self.options.label_columns:
            targets = []
            for k in self.options.label_columns:
                if k not in row:
                    raise DataError(f"no {k!r} key (--label-columns)")
                if not _is_number(row[k]):
                    raise DataError(f"label {shown(k)} is {_json(row[k])}, not a number")
                targets.append(float(row[k]))
        return label, values, weight, targets

    def label(self, value):
        """A class index, or a list of per-class targets (a soft or multi-label), or for a
        binary file a float: the probability of class 1."""
        if self.task == "multilabel":
            return self.multi_label(value)
        n = len(self.classes)
        if isinstance(value, str):
            i = int(self.lookup.indices([value])[0])
            if i < 0:
                raise DataError(self.lookup.unknown(value))
            return i
        if self.task == "binary":
            if isinstance(value, bool):
                return int(value)
            if isinstance(value, float) and math.isfinite(value) and not value.is_integer():
                return value  # a soft label: the probability of class 1
            if isinstance(value, float) and value.is_integer():
                value = int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            if str(value) in self.options.ignore_labels:
                return n  # ignored: one past the last class, as LabelLookup does
            if not 0 <= value < n:
                if self.task == "binary":
                    raise DataError(self.lookup.unknown(str(value)))
                raise DataError(f"label index {value} is out of range: expected 0 to {n - 1}")
            return value
        if isinstance(value, list) and self.task != "binary":
            return _number_list(value, "label", n)
        if self.task == "binary":
            raise DataError(self.lookup.unknown(_json(value)))
        raise DataError(
            f"label must be a class name, an index or a list of numbers, got {_json(value)}"
        )

    def multi_label(self, value) -> list[float]:
        """Positive classes as ``"dog|eagle"`` or ``["dog", "eagle"]`` (or a 0/1 list)."""
        lookup = self.lookup
        assert isinstance(lookup, MultiLabelLookup) and self.classes is not None
        if isinstance(value, str):
            names = lookup.split(value)
        elif isinstance(value, list) and all(isinstance(x, str) for x in value):
            names = value
        elif isinstance(value, list):
            return _number_list(value, "label", len(self.classes))
        elif isinstance(value, int) and not isinstance(value, bool):
            names = [str(value)]
        else:
            raise DataError(
                "a multi-label is a list of class names or names separated by |, "
                f"got {_json(value)}"
            )
        row = lookup.row(names)
        if row is None:
            raise DataError(
                lookup.unknown(value if isinstance(value, str) else _json(value), names)
            )
        return row.tolist()

    def sample_weight(self, value) -> float:
        key = self.options.sample_weights
        if not _is_number(value):
            raise DataError(f"sample weight {key!r} is {json.dumps(value)}, not a number")
        if not (math.isfinite(value) and value >= 0):
            raise DataError(f"sample weight {key!r} is {value!r}, not a finite non-negative number")
        return float(value)

    def add(self, row, where: int, label=None, values=None, weight=None) -> None:
        """One row: a row object (or, with ``row`` None, its parts)."""
        try:
            targets = None
            if row is not None:
                label, values, weight, targets = self._row_parts(row)
            if self.lookup is None:
                self._set_classes(len(values) if isinstance(values, list) else 0)
            assert self.classes is not None  # set with the lookup
            n_values = 1 if self.task == "binary" else len(self.classes)
            numbers = _number_list(values, self.key or "pred", n_values)
            if targets is not None:
                if len(targets) != n_values:
                    raise UsageError(
                        f"{len(targets)} label columns for {n_values} class columns",
                        source="--label-columns",
                    )
                target = targets[0] if self.task == "binary" else targets
            elif self.labelled:
                target = self.label(label)
            else:
                target = None
            if self.options.sample_weights is not None:
                weight = self.sample_weight(weight)
        except DataError as error:
            self.policy(self.error(error.message, where), self.skipped)
            return
        self.values.append(numbers)
        self.labels.append(target)
        self.lines.append(where)
        if self.options.sample_weights is not None:
            self.weights.append(weight)

    def full(self) -> bool:
        return len(self.lines) + len(self.skipped) >= CHUNK_ROWS

    def chunk(self, position: int) -> PredictionChunk:
        n_classes = len(self.classes) if self.classes else 0
        n_values = 1 if self.task == "binary" else n_classes
        values = np.array(self.values, dtype=np.float64).reshape(len(self.values), n_values)
        chunk = PredictionChunk(
            list(self.classes or []), values, np.array(self.lines, dtype=np.int64)
        )
        chunk.skipped, chunk.position, chunk.numbered = self.skipped, position, self.numbered
        chunk.logits = self.key == "logits"
        chunk.task = self.task
        if self.options.sample_weights is not None:
            chunk.sample_weights = np.array(self.weights, dtype=np.float64)
        n = len(self.labels)
        if not self.labelled:
            pass
        elif self.task == "binary":
            if any(isinstance(t, float) for t in self.labels):
                chunk.targets = np.array(self.labels, dtype=np.float64).reshape(n, 1)
            else:
                chunk.labels = np.array(self.labels, dtype=np.intp)
        elif self.task == "multilabel" or any(isinstance(t, list) for t in self.labels):
            # Row by row, never np.eye(K): K² floats is 3 GB for 20,000 classes.
            targets = np.zeros((n, n_classes), dtype=np.float64)
            for i, t in enumerate(self.labels):
                if isinstance(t, list):
                    targets[i] = t
                else:  # a class index
                    assert isinstance(t, int)
                    targets[i, t] = 1.0
            chunk.targets = targets
        else:
            chunk.labels = np.array(self.labels, dtype=np.intp)
        self._reset()
        return chunk


def read_jsonl_chunks(
    stream: BinaryIO, source: str, options: ReadOptions
) -> Iterator[PredictionChunk]:
    builder = JsonRowBuilder(options, source, "line")
    position = 0
    max_line = limit("XENT_MAX_LINE_BYTES")
    max_depth = limit("XENT_MAX_JSON_DEPTH")
    number = 0
    while raw := stream.readline(max_line + 1):
        number += 1
        position += len(raw)
        if len(raw) > max_line:
            raise DataError(
                too_long("the line", max_line, "XENT_MAX_LINE_BYTES"), source=source, line=number
            )
        if number == 1 and raw.startswith(BOM):
            raw = raw[len(BOM) :]
        text = decode(raw, source, number)
        if not text.strip():
            continue
        if raw.count(b"[") + raw.count(b"{") > max_depth:
            check_json_depth(raw, source, number)
        try:
            row = json.loads(text.rstrip("\r\n"))
        except json.JSONDecodeError as error:
            builder.policy(
                builder.error(f"invalid JSON: {error.msg}", number, error.colno), builder.skipped
            )
            continue
        builder.add(row, number)
        if builder.full():
            yield builder.chunk(position)
    if builder.lines or builder.skipped:
        yield builder.chunk(position)


# -- the shapes of a JSON document

OWN_KEYS = ("classes", "labels", *VALUE_KEYS)
SPLIT_KEYS = {"columns", "index", "data"}
DOCUMENT_SHAPES = (
    'a list of row objects (pandas orient="records", or {"label": ..., "pred": [...]}), '
    'pandas orient="split" ({"columns", "index", "data"}), orient="columns" or "index" '
    '(an object of objects), orient="table", orient="values" (a list of lists, with '
    '--classes), or {"classes", "labels", "pred"}'
)


def _kind(value) -> str:
    if isinstance(value, dict):
        return "objects"
    if isinstance(value, list):
        return "lists"
    if isinstance(value, str):
        return "texts"
    if _is_number(value):
        return "numbers"
    return "true/false" if isinstance(value, bool) else "nulls"


def _found(data) -> str:
    """What a document of no known shape is, in words."""
    if isinstance(data, dict):
        if not data:
            return "an empty object"
        kinds = " and ".join(dict.fromkeys(_kind(v) for v in data.values()))
        return f"an object whose values are {kinds} (keys {_keys(data)})"
    if isinstance(data, list):
        return f"a list of {_kind(data[0])}" if data else "an empty list"
    return f"{_json(data)}"


def is_table_document(data) -> bool:
    """A one-line object that is a whole table: pandas orient="split", "columns" or "index"."""
    if not isinstance(data, dict) or not data:
        return False
    split = set(data) <= SPLIT_KEYS and {"columns", "data"} <= set(data)
    return split or all(isinstance(v, dict) for v in data.values())


def document_shape(data, options: ReadOptions) -> str:
    """records, values, own, split, columns or index; else a message that lists the shapes."""
    if isinstance(data, list):
        if not data or isinstance(data[0], dict):
            return "records"
        if isinstance(data[0], list):
            return "values"
    elif isinstance(data, dict) and data:
        if any(isinstance(data.get(k), list) for k in OWN_KEYS):
            return "own"
        if set(data) <= SPLIT_KEYS and {"columns", "data"} <= set(data):
            return "split"
        if set(data) == {"schema", "data"} and isinstance(data["data"], list):
            return "table"
        if all(isinstance(v, dict) for v in data.values()):
            return _columns_or_index(data, options)
    raise DataError(f"expected {DOCUMENT_SHAPES}; found {_found(data)}")


def _default_index(keys) -> bool:
    return all(k == str(i) for i, k in enumerate(keys))


def _columns_or_index(data: dict, options: ReadOptions) -> str:
    """An object of objects: pandas orient="columns" (its keys are the columns) or "index"
    (its keys are the rows), told by where the label key (or the weights, the soft-label or
    the ignored keys) is; without any, by which keys are the default index 0, 1, 2, ..."""
    names = {options.label_column, options.sample_weights, *options.label_columns}
    names |= set(options.ignore_columns)
    names.discard(None)
    outer, inner = list(data), list(next(iter(data.values())))
    at_top, inside = names & set(outer), names & set(inner)
    if at_top and not inside:
        return "columns"
    if inside and not at_top:
        return "index"
    if not at_top and _default_index(outer) and not _default_index(inner):
        return "index"
    if not at_top and _default_index(inner) and not _default_index(outer):
        return "columns"
    label = options.label_column
    what = f"the label key {label!r} (--label-column)" if label else "a named key"
    where = "both its keys and its first object's keys" if at_top else "neither"
    raise DataError(
        'an object of objects is read as pandas orient="columns" when its keys hold '
        f'{what}, or as orient="index" when its objects do; found {where} '
        f"(keys {_keys(outer, 4)}; first object's keys {_keys(inner, 4)})"
    )


def _own_rows(data: dict, options: ReadOptions) -> Iterable[tuple]:
    """Rows of xent's own ``{"classes": [...], "labels": [...], "pred": [[...], ...]}``."""
    labelled = options.label_column is not None
    keys = [k for k in VALUE_KEYS if k in data]
    if len(keys) != 1 or (labelled and "labels" not in data):
        wanted = '"labels" and one of' if labelled else "one of"
        raise DataError(f'expected the keys {wanted} "pred" and "logits"')
    values = data[keys[0]]
    if labelled:
        labels = data["labels"]
    else:  # rows of distributions: no labels
        labels = [None] * len(values) if isinstance(values, list) else None
    if not isinstance(labels, list) or not isinstance(values, list):
        raise DataError(f'"labels" and "{keys[0]}" must be lists')
    if len(labels) != len(values):
        raise DataError(f'{len(labels)} labels for {len(values)} rows of "{keys[0]}"')
    key = options.sample_weights
    if key is None:
        return ((None, label, row, None) for label, row in zip(labels, values))
    if not isinstance(data.get(key), list) or len(data[key]) != len(labels):
        raise DataError(f"expected a list {key!r} of one sample weight per row (--sample-weights)")
    return ((None, label, row, s) for label, row, s in zip(labels, values, data[key]))


def _check_label_key(columns: list, options: ReadOptions, shape: str) -> None:
    label = options.label_column
    if label is not None and not options.label_columns and label not in columns:
        raise DataError(
            f"no {label!r} column among {_keys(columns)} ({shape}; --label-column names another)"
        )


def _split_rows(data: dict, options: ReadOptions) -> Iterator[dict | DataError]:
    """Rows of pandas ``to_json(orient="split")``: ``{"columns", "index", "data"}``."""
    columns, rows = data["columns"], data["data"]
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise DataError(f'"columns" must be a list of names, got {_json(columns)}')
    if not isinstance(rows, list):
        raise DataError(f'"data" must be a list of rows, got {_json(rows)}')
    if len(set(columns)) != len(columns):
        twice = next(c for c in columns if columns.count(c) > 1)
        raise DataError(f'"columns" names {shown(twice)} twice')
    _check_label_key(columns, options, 'orient="split"')
    n = len(columns)
    for row in rows:
        if not isinstance(row, list) or len(row) != n:
            yield DataError(f"expected a list of {n} values (one per column), got {_json(row)}")
        else:
            yield dict(zip(columns, row))


def _columns_rows(data: dict, options: ReadOptions) -> Iterator[dict | DataError]:
    """Rows of pandas ``to_json(orient="columns")``: ``{column: {index: value}}``, in the
    order of the first column's index keys."""
    columns = list(data)
    _check_label_key(columns, options, 'orient="columns"')
    index = list(data[columns[0]])
    for c in columns[1:]:
        if len(data[c]) != len(index):
            raise DataError(
                f"column {shown(c)} has {len(data[c])} rows, column {shown(columns[0])} "
                f"{len(index)}"
            )
    for i in index:
        missing = next((c for c in columns if i not in data[c]), None)
        if missing is not None:
            yield DataError(f"column {shown(missing)} has no value at index {shown(i)}")
        else:
            yield {c: data[c][i] for c in columns}


def _values_rows(data: list, options: ReadOptions) -> Iterator:
    """Rows of pandas ``to_json(orient="values")``: ``[[label, q1, ..., qK], ...]``, with no
    column names: the classes are --classes, the label the first value (none without a
    label column); one value after the label with two classes is P(class 1)."""
    labelled = options.label_column is not None
    if not options.classes:
        first = "the label is the first value, " if labelled else ""
        raise DataError(
            'a list of lists, as pandas to_json(orient="values") writes, names no columns: '
            f"--classes names the classes ({first}then one value per class)"
        )
    if options.label_columns or options.sample_weights:
        option = "--label-columns" if options.label_columns else "--sample-weights"
        raise UsageError(
            f'a list of lists (orient="values") has no column names for {option} to name',
            source=option,
        )
    k = len(options.classes)
    widths = {k + labelled} | ({1 + labelled} if k == 2 and labelled else set())
    what = "the label and " if labelled else ""
    for row in data:
        if not isinstance(row, list) or len(row) not in widths:
            shown_widths = " or ".join(map(str, sorted(widths)))
            yield DataError(
                f"expected a list of {shown_widths} values ({what}one per --classes name), "
                f"got {_json(row)}"
            )
            continue
        if len(widths) > 1:
            widths = {len(row)}  # the first row fixes binary or not
        yield (None, row[0], row[1:], None) if labelled else (None, None, row, None)


def _table_rows(data: dict, options: ReadOptions) -> Iterator:
    """Rows of pandas ``to_json(orient="table")``: records, less the index columns (the
    schema's "primaryKey") that name no label or weights."""
    schema = data["schema"]
    keys = schema.get("primaryKey", []) if isinstance(schema, dict) else []
    roles = {options.label_column, options.sample_weights, *options.label_columns}
    index = [k for k in keys if isinstance(k, str) and k not in roles]
    for row in data["data"]:
        if isinstance(row, dict) and index:
            row = {k: v for k, v in row.items() if k not in index}
        yield row


def _document_rows(data, options: ReadOptions, shape: str) -> Iterable:
    """(row object or None, label, values, weight), or a DataError, per row of a document."""
    if shape == "records":
        return ((row, None, None, None) for row in data)
    if shape == "own":
        return _own_rows(data, options)
    if shape == "values":
        return _values_rows(data, options)
    if shape == "index":
        return ((row, None, None, None) for row in data.values())
    if shape == "table":
        return ((row, None, None, None) for row in _table_rows(data, options))
    rows = _split_rows(data, options) if shape == "split" else _columns_rows(data, options)
    return (row if isinstance(row, DataError) else (row, None, None, None) for row in rows)


def read_json_chunks(
    stream: BinaryIO, source: str, options: ReadOptions
) -> Iterator[PredictionChunk]:
    max_bytes = limit("XENT_MAX_JSON_BYTES")
    raw = read_at_most(stream, max_bytes)
    if len(raw) > max_bytes:
        raise DataError(
            too_long("the JSON document", max_bytes, "XENT_MAX_JSON_BYTES")
            + ": JSON Lines, one row a line, is read in chunks at any size",
            source=source,
        )
    if raw.startswith(BOM):
        raw = raw[len(BOM) :]
    text = decode(raw, source, 1)
    if not text.strip():
        raise DataError("the file is empty: expected a JSON object or list", source=source)
    check_json_depth(raw, source)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise DataError(
            f"invalid JSON: {error.msg}", source=source, line=error.lineno, column=error.colno
        ) from None
    try:
        shape = document_shape(data, options)
        rows = _document_rows(data, options, shape)
    except DataError as error:
        raise DataError(error.message, source=source) from None
    builder = JsonRowBuilder(options, source, "row")
    if shape == "own":
        classes = data.get("classes")
        if classes is not None and not options.classes:
            if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
                raise DataError('"classes" must be a list of names', source=source)
            builder.document_classes = classes
        builder.key = "logits" if "logits" in data else "pred"
    elif shape == "values":
        builder.key = "pred"
    number = 0
    try:
        for number, item in enumerate(rows, 1):
            if isinstance(item, DataError):
                builder.policy(builder.error(item.message, number), builder.skipped)
            else:
                row, label, values, weight = item
                builder.add(row, number, label, values, weight)
            if builder.full():
                yield builder.chunk(len(raw))
    except DataError as error:  # a whole-document error found while reading the rows
        if error.source is not None:
            raise
        raise DataError(error.message, source=source) from None
    if builder.lines or builder.skipped:
        yield builder.chunk(len(raw))
