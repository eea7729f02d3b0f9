"""The shapes of a JSON document, as rows: a list of row objects, xent's own columns
``{"classes": [...], "labels": [...], "pred": [[...], ...]}``, or a table in another of the
shapes pandas ``to_json`` writes: ``orient="split"`` (``{"columns", "index", "data"}``),
``"columns"`` (``{column: {index: value}}``, rows in the first column's index order),
``"index"`` (``{index: row object}``), ``"table"`` (records less the index) and ``"values"``
(``[[label, q1, ..., qK], ...]``: no names, so only with ``--classes``; the label is the first
value). ``"columns"`` and ``"index"`` are told apart by where the label key is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ..errors import DataError, UsageError, param
from .json_builder import VALUE_KEYS, is_number, json_text, keys_text
from .read_options import ReadOptions
from .values import shown

OWN_KEYS = ("classes", "labels", *VALUE_KEYS)
SPLIT_KEYS = {"columns", "index", "data"}
DOCUMENT_SHAPES = (
    'a list of row objects (pandas orient="records", or {"label": ..., "pred": [...]}), '
    'pandas orient="split" ({"columns", "index", "data"}), orient="columns" or "index" '
    '(an object of objects), orient="table", orient="values" (a list of lists, with '
    f'{param("classes")}), or {{"classes", "labels", "pred"}}'
)


def _kind(value) -> str:
    if isinstance(value, dict):
        return "objects"
    if isinstance(value, list):
        return "lists"
    if isinstance(value, str):
        return "texts"
    if is_number(value):
        return "numbers"
    return "true/false" if isinstance(value, bool) else "nulls"


def _found(data) -> str:
    """What a document of no known shape is, in words."""
    if isinstance(data, dict):
        if not data:
            return "an empty object"
        kinds = " and ".join(dict.fromkeys(_kind(v) for v in data.values()))
        return f"an object whose values are {kinds} (keys {keys_text(data)})"
    if isinstance(data, list):
        return f"a list of {_kind(data[0])}" if data else "an empty list"
    return f"{json_text(data)}"


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
    what = f"the label key {label!r} ({param('label_column')})" if label else "a named key"
    where = "both its keys and its first object's keys" if at_top else "neither"
    raise DataError(
        'an object of objects is read as pandas orient="columns" when its keys hold '
        f'{what}, or as orient="index" when its objects do; found {where} '
        f"(keys {keys_text(outer, 4)}; first object's keys {keys_text(inner, 4)})"
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
        raise DataError(
            f"expected a list {key!r} of one sample weight per row ({param('sample_weights')})"
        )
    return ((None, label, row, s) for label, row, s in zip(labels, values, data[key]))


def _check_label_key(columns: list, options: ReadOptions, shape: str) -> None:
    label = options.label_column
    if label is not None and not options.label_columns and label not in columns:
        raise DataError(
            f"no {label!r} column among {keys_text(columns)} "
            f"({shape}; {param('label_column')} names another)"
        )


def _split_rows(data: dict, options: ReadOptions) -> Iterator[dict | DataError]:
    """Rows of pandas ``to_json(orient="split")``: ``{"columns", "index", "data"}``."""
    columns, rows = data["columns"], data["data"]
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise DataError(f'"columns" must be a list of names, got {json_text(columns)}')
    if not isinstance(rows, list):
        raise DataError(f'"data" must be a list of rows, got {json_text(rows)}')
    if len(set(columns)) != len(columns):
        twice = next(c for c in columns if columns.count(c) > 1)
        raise DataError(f'"columns" names {shown(twice)} twice')
    _check_label_key(columns, options, 'orient="split"')
    n = len(columns)
    for row in rows:
        if not isinstance(row, list) or len(row) != n:
            yield DataError(f"expected a list of {n} values (one per column), got {json_text(row)}")
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
            f"{param('classes')} names the classes ({first}then one value per class)"
        )
    if options.label_columns or options.sample_weights:
        option = param("label_columns") if options.label_columns else param("sample_weights")
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
                f"expected a list of {shown_widths} values "
                f"({what}one per {param('classes')} name), "
                f"got {json_text(row)}"
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


def document_rows(data, options: ReadOptions, shape: str) -> Iterable:
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
