"""What every file reader yields: a chunk of rows as arrays, with the line each came from.

Readers check syntax (field counts, numbers, UTF-8, labels in the vocabulary) and never
compute a loss; the chunk carries what the engine needs and where each row was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import repeat

import numpy as np

from ..errors import DataError, UsageError
from .arguments import shown

ON_ERROR = ("raise", "skip")

# Rows per chunk for the readers that build rows one at a time (JSON): big enough that
# NumPy's per-call overhead vanishes, small enough that memory stays flat.
CHUNK_ROWS = 50_000


@dataclass(frozen=True)
class ReadOptions:
    """How to read a prediction file; the defaults read ``label,<class>,<class>,...``."""

    input_format: str | None = None  # csv, tsv, json, jsonl; None = from the name or content
    label_column: str = "label"
    label_columns: tuple[str, ...] = ()  # soft labels: one column per class, in class order
    delimiter: str | None = None  # None = detected from the header
    ignore_columns: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()  # overrides the header's / the "classes" key's names
    on_error: str = "raise"  # or "skip": drop bad rows, and say which
    csv_reader: str | None = None  # auto, numpy or arrow; None = $XENT_CSV_READER or auto
    sample_weights: str | None = None  # a column (JSON key) of per-row weights, not a class
    ignore_labels: tuple[str, ...] = ()  # label texts read as "ignored" (class index K)

    def __post_init__(self) -> None:
        # A column has one role: a weight column that is also the label (or a soft label,
        # or ignored) would be read twice and give confusing errors.
        weights = self.sample_weights
        if weights is None:
            return
        roles = [
            ("--label-column", () if self.label_columns else (self.label_column,)),
            ("--label-columns", self.label_columns),
            ("--ignore-columns", self.ignore_columns),
        ]
        for option, names in roles:
            if weights in names:
                raise UsageError(
                    f"{weights!r} is also named by {option}: the weights need a column of "
                    "their own",
                    source="--sample-weights",
                )


@dataclass
class PredictionChunk:
    """A block of rows: predictions (probabilities or logits, as the file holds them) and
    their labels, as class indices or as soft label distributions.

    ``lines`` are 1-based line numbers in the file (for JSON documents, the line where the
    row starts). ``skipped`` holds the errors of the rows dropped by ``on_error="skip"``.
    ``numbered`` is ``"row"`` when ``lines`` hold row positions instead (a JSON document).
    ``position`` is how many bytes of the input were consumed (for a progress bar).
    """

    classes: list[str]
    values: np.ndarray
    lines: np.ndarray
    labels: np.ndarray | None = None
    targets: np.ndarray | None = None
    skipped: list[DataError] = field(default_factory=list)
    position: int = 0
    numbered: str = "line"  # or "row": rows of a JSON document, numbered by position
    logits: bool = False  # the file says these are logits (a JSON "logits" key)
    sample_weights: np.ndarray | None = None  # from ReadOptions.sample_weights
    task: str = "multiclass"  # or "binary", "multilabel", "entropy" (see xent.scorer)
    # Where each row came from, for rows given as arguments: per kind of value
    # ("prediction", "label", ...) the argument of each row (``--pred (sample 2)``).
    origins: dict[str, list[str]] | None = None

    def __len__(self) -> int:
        return self.values.shape[0]


class LabelLookup:
    """Label text to class index: a class name, or else a class index ``0..K-1``.

    The ``ignored`` texts (``--ignore-index -100``, ``--ignore-label unknown``) that are
    not labels already map to K, one past the last class, which scoring leaves out.
    """

    def __init__(self, classes: list[str], ignored: tuple[str, ...] = ()) -> None:
        self.classes = classes
        self.index = {name: i for i, name in enumerate(classes)}
        for i in range(len(classes)):
            self.index.setdefault(str(i), i)
        for text in ignored:
            self.index.setdefault(text, len(classes))

    def indices(self, texts: list[str]) -> np.ndarray:
        """Class indices, -1 where the text is not a label."""
        found = list(map(self.index.get, texts, repeat(-1)))
        if -1 in found:  # a second chance for " dog" and "dog " before calling it unknown
            found = [i if i >= 0 else self.index.get(t.strip(), -1) for i, t in zip(found, texts)]
        return np.array(found, dtype=np.intp)

    def unknown(self, text: str) -> str:
        classes = (
            ", ".join(map(shown, self.classes[:12]))
            if any(not c.isprintable() or "," in c or not c for c in self.classes[:12])
            else ", ".join(self.classes[:12])
        )
        classes += ", ..." if len(self.classes) > 12 else ""
        classes += f" (or an index 0 to {len(self.classes) - 1})"
        return f"unknown label {shown(text)}: the classes are {classes}"


class ErrorPolicy:
    """Raise the first bad row's error, or keep it and go on (``--on-error skip``)."""

    def __init__(self, on_error: str) -> None:
        if on_error not in ON_ERROR:
            raise ValueError(f"on_error must be raise or skip, got {on_error!r}")
        self.skip = on_error == "skip"

    def __call__(self, error: DataError, skipped: list[DataError]) -> None:
        if not self.skip:
            raise error
        skipped.append(error)


def error_number(error: DataError) -> int | None:
    """The line (or, in a JSON document, the row) an error is about."""
    return error.line if error.line is not None else getattr(error, "number", None)
