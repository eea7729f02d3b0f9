"""A JSON row object, checked and packed into chunks: the part of the JSON readers that sees
one row at a time (``json_rows`` reads JSON Lines and documents, ``json_documents`` tells a
document's shape).

A row is an object in one of two shapes, fixed by the first row:

- a list of values: ``{"label": "dog", "pred": [0.4, 0.3, 0.05, 0.05, 0.2]}`` (``"logits"``
  instead of ``"pred"`` for logits; a list as the label is a soft label);
- one number per class, as pandas ``to_json(orient="records")`` writes a data frame:
  ``{"label": "dog", "dog": 0.4, "fox": 0.3, ...}``; the classes are the first object's
  keys, in order, less the label, the ``--sample-weights`` and ``--ignore-columns`` keys.

One value a row (one ``pred`` value, or one number key) makes a binary file; with
``label_column=None`` the rows hold no label at all; with ``multi_label`` a label names the
positive classes, as a list of names or a ``|``-separated text.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable

import numpy as np

from ..errors import DataError, UsageError, param
from .arguments import resolve_classes
from .chunks import (
    CHUNK_ROWS,
    ErrorPolicy,
    LabelLookup,
    MultiLabelLookup,
    PredictionChunk,
    class_names,
    task_of,
)
from .read_options import ReadOptions
from .values import shown

VALUE_KEYS = ("pred", "logits")
SHAPES = (
    'a "pred" (or "logits") list, or one number per class key (as pandas '
    'to_json(orient="records") writes)'
)


def json_text(value, limit: int = 40) -> str:
    """A JSON value as text for a message, cut short: it may be a whole document."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def keys_text(keys: Iterable[str], limit: int = 8) -> str:
    keys = list(keys)
    text = ", ".join(map(shown, keys[:limit]))
    return text + (", ..." if len(keys) > limit else "")


def is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def number_list(value, what: str, n: int | None) -> list[float]:
    if not isinstance(value, list) or not value:
        raise DataError(f"{what} must be a non-empty list of numbers, got {json_text(value)}")
    for i, x in enumerate(value, start=1):
        if not is_number(x):
            raise DataError(f"{what} value {i} is {json_text(x)}, not a number")
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
            found = f"the keys {keys_text(row)}" if row else "an empty object"
            raise DataError(f"no predictions: expected {SHAPES}; found {found}")
        not_numbers = [k for k in keys if not is_number(row[k])]
        if not_numbers:
            k = not_numbers[0]
            raise DataError(
                f"expected {SHAPES}; found the key {shown(k)} holding {json_text(row[k])} "
                f"({param('ignore_columns')} leaves a key out)"
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
                        f"({keys_text(self.class_keys)}): the rows must have one shape"
                    )
                raise DataError(f"no {shown(k)} key, which the first row has (a class)")
            x = row[k]
            if not is_number(x):
                raise DataError(f"the value of {shown(k)} is {json_text(x)}, not a number")
            values.append(float(x))
        if len(row) > len(values):
            extra = [k for k in row if k not in self.known_keys]
            if extra:
                raise DataError(
                    f"has the key {shown(extra[0])}, which the first row does not have "
                    f"(its classes: {keys_text(self.class_keys)}; "
                    f"{param('ignore_columns')} leaves a key out)"
                )
        return values

    def _row_parts(self, row) -> tuple:
        """(label, values, weight, soft-label targets) of a row object."""
        if not isinstance(row, dict):
            raise DataError(
                f'expected an object such as {{"label": "dog", "pred": [0.9, 0.1]}}, '
                f"got {json_text(row)}"
            )
        label = None
        if self.label_key is not None:
            if self.label_key not in row:
                raise DataError(
                    f"no {self.label_key!r} key ({param('label_column')} names another)"
                )
            label = row[self.label_key]
        if self.key is None and self.class_keys is None:
            self._shape(row)
        if self.key is not None:
            keys = [k for k in VALUE_KEYS if k in row]
            if len(keys) != 1:
                if not keys:
                    raise DataError(
                        f'no "{self.key}" list, which the first row has: the rows must '
                        f"have one shape; found the keys {keys_text(row)}"
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
                raise DataError(
                    f"no {self.options.sample_weights!r} key ({param('sample_weights')})"
                )
            weight = row[self.options.sample_weights]
        targets = None
        if self.options.label_columns:
            targets = []
            for k in self.options.label_columns:
                if k not in row:
                    raise DataError(f"no {k!r} key ({param('label_columns')})")
                if not is_number(row[k]):
                    raise DataError(f"label {shown(k)} is {json_text(row[k])}, not a number")
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
            return number_list(value, "label", n)
        if self.task == "binary":
            raise DataError(self.lookup.unknown(json_text(value)))
        raise DataError(
            f"label must be a class name, an index or a list of numbers, got {json_text(value)}"
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
            return number_list(value, "label", len(self.classes))
        elif isinstance(value, int) and not isinstance(value, bool):
            names = [str(value)]
        else:
            raise DataError(
                "a multi-label is a list of class names or names separated by |, "
                f"got {json_text(value)}"
            )
        row = lookup.row(names)
        if row is None:
            raise DataError(
                lookup.unknown(value if isinstance(value, str) else json_text(value), names)
            )
        return row.tolist()

    def sample_weight(self, value) -> float:
        key = self.options.sample_weights
        if not is_number(value):
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
            numbers = number_list(values, self.key or "pred", n_values)
            if targets is not None:
                if len(targets) != n_values:
                    raise UsageError(
                        f"{len(targets)} label columns for {n_values} class columns",
                        parameter="label_columns",
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
