"""The header of a CSV/TSV file: its delimiter, and which column holds what.

The columns left after the label, the soft labels (``--label-columns``), the sample
weights and the ignored columns are the value columns. Their number and the options
give the task:

- ``multiclass``: one value column per class, the label a class name or index (or, with
  ``label_column=None``, no label at all: rows of distributions);
- ``binary``: exactly one value column, P(class 1) or its logit, the label 0/1 or one of
  the two names given by ``--classes NEG,POS``;
- ``multilabel`` (``--multi-label``): one value column per class, each an independent
  probability, the label the positive classes' names separated by ``|``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field

from ..errors import DataError, UsageError, param
from .chunks import class_names, task_of
from .read_options import ReadOptions
from .values import shown

DELIMITERS = (",", "\t", ";")

# The first column of ``df.to_csv()`` (pandas' index: no name), or of a file read back
# with ``pd.read_csv`` and written again (``Unnamed: 0``): never a class.
INDEX_NOTE = "left out the unnamed first column (pandas' index)"
UNNAMED = ("", "Unnamed: 0")


def index_column(names: list[str], options: ReadOptions) -> bool:
    """Whether the first column is pandas' index: unnamed, and named by no option."""
    if len(names) < 2 or names[0] not in UNNAMED:
        return False
    named = {options.label_column, options.sample_weights, *options.label_columns}
    return names[0] not in named and names[0] not in options.ignore_columns


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


def sniff_delimiter(header: str) -> str:
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


def _check_one_column(names: list[str], source: str) -> None:
    """A header of one column that holds a delimiter: the columns were split by another
    one (a wrong delimiter or format), which naming a label column would not mend."""
    other = next((d for d in (",", "\t", ";", "|") if d in names[0]), None)
    if len(names) == 1 and other is not None:
        raise DataError(
            f"the header is one column, {shown(names[0])}: are its columns separated by "
            f"{other!r}? ({param('delimiter')} says so, or {param('input_format')})",
            source=source,
            line=1,
        )


@dataclass(frozen=True)
class CsvLayout:
    """Which field holds what, from the header row."""

    n_fields: int
    label: int | None  # field of the label (None with soft labels, or with no label)
    value_fields: list[int]  # one per class (one for a binary file), in class order
    target_fields: list[int]  # soft labels, one per value field, in the same order
    classes: list[str]
    weight_field: int | None = None  # the --sample-weights column
    task: str = "multiclass"
    notes: list[str] = field(default_factory=list)  # what the summary says of the header
    kept_fields: tuple[tuple[str, int], ...] = ()  # ReadOptions.keep_columns: (name, field)

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
                _check_one_column(names, source)
                raise DataError(
                    f"no {name!r} column in the header (columns: {', '.join(names)}); "
                    f"name the column with {option}",
                    source=source,
                    line=1,
                )
            return position[name]

        ignored = {find(name, param("ignore_columns")) for name in options.ignore_columns}
        notes = []
        if index_column(names, options):
            ignored.add(0)
            notes.append(INDEX_NOTE)
        keeps = f"{param('group_by')}/{param('id_column')}"
        kept = tuple((name, find(name, keeps)) for name in options.keep_columns)
        ignored |= {field for _, field in kept}
        label = None
        target_fields: list[int] = []
        if options.label_columns:
            target_fields = [find(name, param("label_columns")) for name in options.label_columns]
        elif options.label_column is not None:
            label = find(options.label_column, param("label_column"))
        weight = None
        if options.sample_weights is not None:
            weight = find(options.sample_weights, param("sample_weights"))
        taken = ignored | set(target_fields) | {label, weight}
        value_fields = [i for i in range(len(names)) if i not in taken]
        if not value_fields:
            expected = "label,<class>,<class>,..." if label is not None else "<class>,<class>,..."
            raise DataError(
                f"the header has no class columns: expected {expected}", source=source, line=1
            )
        task = task_of(options, len(value_fields), label is not None or bool(target_fields))
        classes = class_names(options, task, [names[i] for i in value_fields])
        if target_fields and len(target_fields) != len(value_fields):
            raise UsageError(
                f"{len(target_fields)} label columns for {len(value_fields)} class columns",
                parameter="label_columns",
            )
        return cls(
            len(names), label, value_fields, target_fields, classes, weight, task, notes, kept
        )
