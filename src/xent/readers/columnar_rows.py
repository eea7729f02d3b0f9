"""The checks every columnar reader shares (``arrow_tables`` for Parquet and Feather,
``npy_arrays`` for NumPy): blocks of arrays to checked :class:`PredictionChunk` s, labels
looked up, missing values and unknown labels named by row (``row 3``); the size of a block;
the names looked for among an ``.npz``'s arrays and a table's list column.
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError, param
from .chunks import (
    CHUNK_ROWS,
    ErrorPolicy,
    LabelLookup,
    MultiLabelLookup,
    PredictionChunk,
)
from .csv_parse import keep_rows
from .read_options import ReadOptions

# The names of the arrays of an .npz, and of a list column of a table, in order of choice.
PRED_NAMES = ("pred", "preds", "probs", "proba", "probabilities", "y_pred", "predictions")
LOGIT_NAMES = ("logits",)
LABEL_NAMES = ("labels", "label", "y", "y_true", "targets", "target")


# A batch holds about this many bytes of values: rows x columns x 8 bytes. A fixed row
# count would make a batch of 1,000-class rows 400 MB (measured: 394 MiB peak on 20k x 1000
# with 50,000-row batches, 159 MiB with 500-row ones).
BATCH_BYTES = 4 << 20


def batch_rows(columns: int) -> int:
    """Rows of a batch of ``columns`` float columns: about :data:`BATCH_BYTES`, at most
    :data:`CHUNK_ROWS`."""
    return max(1, min(CHUNK_ROWS, BATCH_BYTES // (8 * max(columns, 1))))


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
        # The weights' parameter in an error: sample_weights='w', --sample-weights 'w'.
        self.weights_param = param("sample_weights", self.weights_name, cli=repr(self.weights_name))
        self.logits = False
        self.log_probs = False  # the values are log-probabilities (ReadOptions.holds)
        # Logits over a vocabulary kept in float32 when the file holds no more (float16,
        # bfloat16, float32): the scorer's log-softmax widens them exactly, at half the
        # memory traffic of a float64 copy.
        self.float32 = False

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
        missing: tuple[np.ndarray, str] | None = None,
    ) -> PredictionChunk:
        """A chunk of rows ``first + 1 ...``: ``labels`` is None, ``(texts, codes)`` (the
        distinct label texts and each row's index into them) or an array of texts or
        numbers; ``missing`` marks rows with a missing value (with its column's name)."""
        n = values.shape[0]
        lines = np.arange(first + 1, first + n + 1, dtype=np.int64)
        chunk = PredictionChunk(
            self.classes,
            np.ascontiguousarray(values, dtype=np.float32 if self.float32 else np.float64),
            lines,
            numbered="row",
            task=self.task,
            logits=self.logits,
            log_probs=self.log_probs,
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
                    f"non-negative number ({self.weights_param})",
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
                f"labels go in columns of their own, {param('label_columns')})"
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
