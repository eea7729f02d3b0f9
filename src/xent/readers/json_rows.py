"""JSON and JSON Lines prediction files: the two readers. ``json_builder`` checks the row
objects and packs them into chunks; ``json_documents`` tells a document's shape.

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
from collections.abc import Iterator
from typing import Any, BinaryIO

from ..errors import DataError
from .chunks import PredictionChunk
from .json_builder import JsonRowBuilder
from .json_documents import document_rows, document_shape
from .limits import check_json_depth, limit, read_at_most, too_long
from .read_options import ReadOptions
from .text_chunks import BOM, decode


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
            row = json.loads(text.rstrip("\r\n"), object_pairs_hook=unique_keys)
        except json.JSONDecodeError as error:
            builder.policy(
                builder.error(f"invalid JSON: {error.msg}", number, error.colno), builder.skipped
            )
            continue
        except DuplicateKey as twice:
            builder.policy(builder.error(twice.message(), number), builder.skipped)
            continue
        builder.add(row, number)
        if builder.full():
            yield builder.chunk(position)
    if builder.lines or builder.skipped:
        yield builder.chunk(position)


class DuplicateKey(ValueError):
    """An object with one key twice: which value is meant is ambiguous (``json`` would keep
    the last silently)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key

    def message(self, unplaced: bool = False) -> str:
        where = " (in an object of the document)" if unplaced else ""
        return (
            f"the key {self.key!r} appears twice in one object{where}: which value is meant "
            "is ambiguous"
        )


def unique_keys(pairs: list) -> dict:
    """``json``'s ``object_pairs_hook``: the object as a dict, refusing a key given twice."""
    row = dict(pairs)
    if len(row) != len(pairs):
        seen: set = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKey(key)
            seen.add(key)
    return row


def duplicate_line(text: str) -> int | None:
    """The line where the first object holding a key twice begins (parsed again in Python,
    only after the fast parser found one); None where that parse cannot tell (too deep)."""
    import json.decoder
    import json.scanner

    found: list[int] = []

    def parse_object(s_and_end, strict, scan_once, object_hook, pairs_hook, memo=None):
        pairs, end = json.decoder.JSONObject(s_and_end, strict, scan_once, None, list, memo)
        if not found and len({key for key, _ in pairs}) != len(pairs):
            found.append(s_and_end[1] - 1)
        return dict(pairs), end

    decoder = json.JSONDecoder()
    decoder.parse_object = parse_object  # type: ignore[attr-defined]
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
    try:
        decoder.decode(text)
    except (ValueError, RecursionError):
        return None
    return text.count("\n", 0, found[0]) + 1 if found else None


def load_json_document(stream: BinaryIO, source: str, unit: str) -> tuple[Any, int]:
    """A whole JSON document, parsed within ``XENT_MAX_JSON_BYTES`` and
    ``XENT_MAX_JSON_DEPTH``, a key given twice in an object refused, and the bytes read:
    its errors name the file, line and column (``unit``: what JSON Lines holds a line of,
    for the size hint)."""
    max_bytes = limit("XENT_MAX_JSON_BYTES")
    raw = read_at_most(stream, max_bytes)
    if len(raw) > max_bytes:
        raise DataError(
            too_long("the JSON document", max_bytes, "XENT_MAX_JSON_BYTES")
            + f": JSON Lines, one {unit} a line, is read in chunks at any size",
            source=source,
        )
    size = len(raw)
    raw = raw.removeprefix(BOM)
    text = decode(raw, source, 1)
    if not text.strip():
        raise DataError("the file is empty: expected a JSON object or list", source=source)
    check_json_depth(raw, source)
    try:
        return json.loads(text, object_pairs_hook=unique_keys), size
    except json.JSONDecodeError as error:
        raise DataError(
            f"invalid JSON: {error.msg}", source=source, line=error.lineno, column=error.colno
        ) from None
    except RecursionError:
        raise DataError("the JSON document is nested too deep", source=source) from None
    except DuplicateKey as twice:
        line = duplicate_line(text)
        raise DataError(twice.message(line is None), source=source, line=line) from None


def read_json_chunks(
    stream: BinaryIO, source: str, options: ReadOptions
) -> Iterator[PredictionChunk]:
    data, size = load_json_document(stream, source, "row")
    try:
        shape = document_shape(data, options)
        rows = document_rows(data, options, shape)
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
                yield builder.chunk(size)
    except DataError as error:  # a whole-document error found while reading the rows
        if error.source is not None:
            raise
        raise DataError(error.message, source=source) from None
    if builder.lines or builder.skipped:
        yield builder.chunk(size)
