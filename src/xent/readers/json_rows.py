"""JSON and JSON Lines prediction files.

- JSON Lines: one object a line, ``{"label": "dog", "pred": [0.4, 0.3, 0.05, 0.05, 0.2]}``
  (``"logits"`` instead of ``"pred"`` for logits; a list as the label is a soft label).
- JSON: the columns ``{"classes": [...], "labels": [...], "pred": [[...], ...]}`` (or
  ``"logits"``), or a list of row objects as in JSON Lines. A JSON document is parsed
  whole, so its rows are numbered by position ("row 3") rather than by line.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from typing import BinaryIO

import numpy as np

from ..errors import DataError
from .arguments import resolve_classes
from .chunks import CHUNK_ROWS, ErrorPolicy, LabelLookup, PredictionChunk, ReadOptions
from .csv_rows import BOM, decode
from .limits import check_json_depth, limit, too_long

VALUE_KEYS = ("pred", "logits")


def _json(value, limit: int = 40) -> str:
    """A JSON value as text for a message, cut short: it may be a whole document."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _number_list(value, what: str, n: int | None) -> list[float]:
    if not isinstance(value, list) or not value:
        raise DataError(f"{what} must be a non-empty list of numbers, got {_json(value)}")
    for i, x in enumerate(value, start=1):
        if isinstance(x, bool) or not isinstance(x, (int, float)):
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
        self.classes: list[str] | None = list(options.classes) or None
        self.lookup: LabelLookup | None = None
        self.key: str | None = None  # "pred" or "logits", fixed by the first row
        self._reset()

    def _reset(self) -> None:
        self.values: list[list[float]] = []
        self.labels: list[int | list[float]] = []
        self.lines: list[int] = []
        self.skipped: list[DataError] = []
        self.weights: list[float] = []

    def error(self, message: str, where: int, column: int | None = None) -> DataError:
        if self.numbered == "row":
            error = DataError(f"row {where}: {message}", source=self.source)
            error.number = where
            return error
        return DataError(message, source=self.source, line=where, column=column)

    def _set_classes(self, n: int) -> None:
        if self.classes is None:
            self.classes, _ = resolve_classes(n, option=None, environ={})
        self.lookup = LabelLookup(self.classes, self.options.ignore_labels)

    def label(self, value):
        n = len(self.classes)
        if isinstance(value, str):
            i = int(self.lookup.indices([value])[0])
            if i < 0:
                raise DataError(self.lookup.unknown(value))
            return i
        if isinstance(value, int) and not isinstance(value, bool):
            if str(value) in self.options.ignore_labels:
                return n  # ignored: one past the last class, as LabelLookup does
            if not 0 <= value < n:
                raise DataError(f"label index {value} is out of range: expected 0 to {n - 1}")
            return value
        if isinstance(value, list):
            return _number_list(value, "label", n)
        raise DataError(
            f"label must be a class name, an index or a list of numbers, got {_json(value)}"
        )

    def sample_weight(self, value) -> float:
        key = self.options.sample_weights
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise DataError(f"sample weight {key!r} is {json.dumps(value)}, not a number")
        if not (math.isfinite(value) and value >= 0):
            raise DataError(f"sample weight {key!r} is {value!r}, not a finite non-negative number")
        return float(value)

    def add(self, row, where: int, label=None, values=None, weight=None) -> None:
        """One row: an object with a label key and a pred/logits key (or the parts)."""
        try:
            if row is not None:
                if not isinstance(row, dict):
                    raise DataError(
                        f'expected an object such as {{"label": "dog", "pred": [0.9, 0.1]}}, '
                        f"got {_json(row)}"
                    )
                label_key = self.options.label_column
                if label_key not in row:
                    raise DataError(f"no {label_key!r} key (--label-column names another)")
                keys = [k for k in VALUE_KEYS if k in row]
                if len(keys) != 1:
                    raise DataError(
                        'expected a "pred" key (probabilities) or a "logits" key, not both'
                    )
                if self.key is None:
                    self.key = keys[0]
                elif keys[0] != self.key:
                    raise DataError(f'has "{keys[0]}", but the first row has "{self.key}"')
                label, values = row[label_key], row[self.key]
                if self.options.sample_weights is not None:
                    if self.options.sample_weights not in row:
                        raise DataError(
                            f"no {self.options.sample_weights!r} key (--sample-weights)"
                        )
                    weight = row[self.options.sample_weights]
            if self.lookup is None:
                self._set_classes(len(values) if isinstance(values, list) else 0)
            assert self.classes is not None  # set with the lookup
            numbers = _number_list(values, self.key or "pred", len(self.classes))
            target = self.label(label)
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
        values = np.array(self.values, dtype=np.float64).reshape(len(self.values), n_classes)
        chunk = PredictionChunk(
            list(self.classes or []), values, np.array(self.lines, dtype=np.int64)
        )
        chunk.skipped, chunk.position, chunk.numbered = self.skipped, position, self.numbered
        chunk.logits = self.key == "logits"
        if self.options.sample_weights is not None:
            chunk.sample_weights = np.array(self.weights, dtype=np.float64)
        if any(isinstance(t, list) for t in self.labels):
            eye = np.eye(n_classes)
            chunk.targets = np.array(
                [t if isinstance(t, list) else eye[t] for t in self.labels], dtype=np.float64
            ).reshape(len(self.labels), n_classes)
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


def _document_rows(data, options: ReadOptions, source: str) -> Iterable[tuple]:
    """(row object or None, label, values) per row of a JSON document."""
    if isinstance(data, list):
        return ((row, None, None, None) for row in data)
    if not isinstance(data, dict):
        raise DataError(
            'expected an object with "labels" and "pred", or a list of rows', source=source
        )
    keys = [k for k in VALUE_KEYS if k in data]
    if len(keys) != 1 or "labels" not in data:
        raise DataError('expected the keys "labels" and one of "pred" and "logits"', source=source)
    labels, values = data["labels"], data[keys[0]]
    if not isinstance(labels, list) or not isinstance(values, list):
        raise DataError(f'"labels" and "{keys[0]}" must be lists', source=source)
    if len(labels) != len(values):
        raise DataError(
            f'{len(labels)} labels for {len(values)} rows of "{keys[0]}"', source=source
        )
    key = options.sample_weights
    if key is None:
        return ((None, label, row, None) for label, row in zip(labels, values))
    if not isinstance(data.get(key), list) or len(data[key]) != len(labels):
        raise DataError(
            f"expected a list {key!r} of one sample weight per row (--sample-weights)",
            source=source,
        )
    return ((None, label, row, s) for label, row, s in zip(labels, values, data[key]))


def read_json_chunks(
    stream: BinaryIO, source: str, options: ReadOptions
) -> Iterator[PredictionChunk]:
    max_bytes = limit("XENT_MAX_JSON_BYTES")
    raw = stream.read(max_bytes + 1)
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
    builder = JsonRowBuilder(options, source, "row")
    if isinstance(data, dict):
        classes = data.get("classes")
        if classes is not None and not options.classes:
            if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
                raise DataError('"classes" must be a list of names', source=source)
            builder.classes = classes
        if "logits" in data:
            builder.key = "logits"
    for number, (row, label, values, weight) in enumerate(_document_rows(data, options, source), 1):
        builder.add(row, number, label, values, weight)
        if builder.full():
            yield builder.chunk(len(raw))
    if builder.lines or builder.skipped:
        yield builder.chunk(len(raw))
