"""What every file reader yields: a chunk of rows as arrays, with the line each came from.

Readers check syntax (field counts, numbers, UTF-8, labels in the vocabulary) and never
compute a loss; the chunk carries what the engine needs and where each row was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import repeat
from typing import TYPE_CHECKING

import numpy as np

from ..errors import DataError, UsageError, param
from .values import shown

if TYPE_CHECKING:
    from .read_options import ReadOptions

ON_ERROR = ("raise", "skip")
TASKS = ("multiclass", "binary", "multilabel")
MULTI_LABEL_SEPARATOR = "|"

# Rows per chunk for the readers that build rows one at a time (JSON): big enough that
# NumPy's per-call overhead vanishes, small enough that memory stays flat.
CHUNK_ROWS = 50_000

# The classes of a binary file (one value column, P(class 1)) without --classes NEG,POS.
BINARY_CLASSES = ["0", "1"]


@dataclass
class PredictionChunk:
    """A block of rows: predictions (probabilities or logits, as the file holds them) and
    their labels, as class indices or as soft label distributions.

    ``task`` says how to read them (``classes`` always has the K class names):

    - ``multiclass``: ``values`` (n, K); ``labels`` (n,) class indices, K for an ignored
      label, or ``targets`` (n, K) soft labels; neither for rows of distributions
      (``ReadOptions.label_column=None``).
    - ``binary``: ``values`` (n, 1), P(class 1) or its logit; ``classes`` the two names
      (``--classes NEG,POS``, else ``0``, ``1``); ``labels`` (n,) 0 or 1 (2: ignored), or
      ``targets`` (n, 1) the probability y of class 1 (a soft label).
    - ``multilabel``: ``values`` (n, K), K independent probabilities (or logits);
      ``targets`` (n, K) 0/1 (or soft) per class; ``labels`` None.

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
    # The values are log-probabilities (ReadOptions.holds), used as log Q once checked:
    # each <= 0 and each row's log-sum-exp 0 within log_prob_tolerance (None: the
    # scorer's tolerance; a quantised llama.cpp file says how coarse its rows are).
    log_probs: bool = False
    log_prob_tolerance: float | None = None
    sample_weights: np.ndarray | None = None  # from ReadOptions.sample_weights
    task: str = "multiclass"  # or "binary", "multilabel", "entropy" (see xent.scorer)
    # Where each row came from, for rows given as arguments: per kind of value
    # ("prediction", "label", ...) the argument of each row (``--pred (sample 2)``).
    origins: dict[str, list[str]] | None = None
    # What the summary must say of how the file was read ("left out the unnamed first
    # column (pandas' index)"): set on a file's first chunk.
    notes: list[str] = field(default_factory=list)
    # The text of each ReadOptions.keep_columns column, per row.
    columns: dict[str, list[str]] | None = None
    # Language-model token rows (task "tokens": ``values`` (n, 1) each token's log-prob):
    # per-row counts summed by the normalised figures ("bytes", "words"; a document's
    # count may sit on one of its rows, 0 on the others), and the log-probs of the other
    # tokens listed at each position (n, k; NaN where fewer), for the top-k entropy.
    counts: dict[str, np.ndarray] | None = None
    top_logprobs: np.ndarray | None = None

    def __len__(self) -> int:
        return self.values.shape[0]


class Said:
    """What a reader says of a source before its rows: notes for the summary ("left out
    the unnamed first column"), its format, and its classes as soon as they are known
    (``on_classes``: several files must have the same, checked before any row)."""

    def __init__(self, on_classes=None) -> None:
        self.notes: list[str] = []
        self.format: str | None = None
        self.on_classes = on_classes

    def classes(self, names: list[str]) -> None:
        if self.on_classes is not None:
            self.on_classes(list(names))


def task_of(options: ReadOptions, n_values: int, labelled: bool) -> str:
    """``multiclass``, ``binary`` or ``multilabel`` for a file of ``n_values`` value columns
    (``labelled``: it has a label or soft-label columns; rows of distributions do not)."""
    if not labelled:
        return "multiclass"
    if options.multi_label:
        return "multilabel"
    return "binary" if n_values == 1 else "multiclass"


def class_names(options: ReadOptions, task: str, names: list[str]) -> list[str]:
    """The class names: ``--classes``, else the value columns' names (for a binary file,
    whose one column is P(class 1), ``0`` and ``1``)."""
    if task == "binary":
        if options.classes and len(options.classes) != 2:
            raise UsageError(
                f"{len(options.classes)} class names given, but a binary file (one value "
                f"column, {', '.join(names)}) has two classes: use "
                + param("classes", ("NEG", "POS"), cli="NEG,POS"),
                parameter="classes",
            )
        return list(options.classes) or list(BINARY_CLASSES)
    if options.classes:
        if len(options.classes) != len(names):
            raise UsageError(
                f"{len(options.classes)} class names given, but the file has "
                f"{len(names)} class columns ({', '.join(names)})",
                parameter="classes",
            )
        return list(options.classes)
    return list(names)


class LabelLookup:
    """Label text to class index: a class name, or else a class index ``0..K-1``.

    The ``ignored`` texts (``--ignore-index -100``, ``--ignore-label unknown``) that are
    not labels already map to K, one past the last class, which scoring leaves out.
    """

    def __init__(
        self, classes: list[str], ignored: tuple[str, ...] = (), binary: bool = False
    ) -> None:
        self.classes = classes
        self.binary = binary
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
        if self.binary:
            named = "" if self.classes == ["0", "1"] else f" (here {', '.join(self.classes)})"
            return (
                f"unknown label {shown(text)}: a binary file's labels are 0/1 or the two "
                f"names given by {param('classes', ('NEG', 'POS'), cli='NEG,POS')}{named}"
            )
        classes = known_classes(self.classes)
        classes += f" (or an index 0 to {len(self.classes) - 1})"
        return f"unknown label {shown(text)}: the classes are {classes}"


def known_classes(classes: list[str]) -> str:
    """The first class names, for a message."""
    shown_names = (
        ", ".join(map(shown, classes[:12]))
        if any(not c.isprintable() or "," in c or not c for c in classes[:12])
        else ", ".join(classes[:12])
    )
    return shown_names + (", ..." if len(classes) > 12 else "")


class MultiLabelLookup:
    """Multi-label text to a row of K targets: ``dog|eagle`` names the positive classes
    (by name or index), an empty text none.

    ``indices`` gives each text a code into a table of target rows that lives until
    ``reset`` (once per chunk: the table holds the chunk's distinct texts only).
    """

    def __init__(self, classes: list[str]) -> None:
        self.classes = classes
        self.single = LabelLookup(classes)
        self.reset()

    def reset(self) -> None:
        self.codes: dict[str, int] = {}
        self.rows: list[np.ndarray] = []

    def row(self, names: list[str]) -> np.ndarray | None:
        """The 0/1 targets of these positive class names; None if one is not a class."""
        found = self.single.indices([n.strip() for n in names if n.strip()])
        if (found < 0).any():
            return None
        row = np.zeros(len(self.classes))
        row[found] = 1.0
        return row

    def split(self, text: str) -> list[str]:
        return text.split(MULTI_LABEL_SEPARATOR) if text.strip() else []

    def indices(self, texts: list[str]) -> np.ndarray:
        """A code per text into the table of target rows, -1 where a name is not a class."""
        codes = self.codes
        for text in set(texts).difference(codes):
            row = self.row(self.split(text))
            if row is None:
                codes[text] = -1
            else:
                codes[text] = len(self.rows)
                self.rows.append(row)
        return np.array([codes[t] for t in texts], dtype=np.intp)

    def targets(self, codes: np.ndarray) -> np.ndarray:
        table = np.array(self.rows).reshape(len(self.rows), len(self.classes))
        return table[codes]

    def unknown(self, text: str, names: list[str] | None = None) -> str:
        names = self.split(text) if names is None else names
        names = [n for n in names if n.strip()]
        bad = next(n for n in names if self.single.indices([n.strip()])[0] < 0)
        return (
            f"unknown class {shown(bad)} in the multi-label {shown(text)}: the classes are "
            f"{known_classes(self.classes)} (a row names its positive classes separated "
            f"by {MULTI_LABEL_SEPARATOR})"
        )


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


def place(error: DataError, chunk, source: str) -> DataError:
    """Give an error about a row of the chunk the place that row came from: an argument
    (``--pred (sample 2)``), a file's line, or a JSON document's row."""
    origins = chunk.origins
    if not source and not origins:
        return error  # a Python caller: the row index of its array is the place
    row = error.row or 0
    error.row = None
    if origins:
        names = origins.get(getattr(error, "what", "prediction"), origins["prediction"])
        error.source = names[min(row, len(names) - 1)]
        return error
    number = int(chunk.lines[row])
    error.source = source
    if chunk.numbered == "row":
        error.message = f"row {number}: {error.message}"
        error.number = number
    else:
        error.line = number
    return error
