"""A pandas DataFrame scored as a prediction file is: :func:`score_frame`.

The frame's columns are handed, as NumPy arrays, to the readers' checks
(:class:`~xent.readers.columnar_rows.Rows`: labels looked up, missing values and unknown
labels named by row) and then to the one pipeline of every file (the scorer, the
totals, :class:`~xent.runner.files.Files`' summary). pandas is imported inside the function
only: ``import xent`` and the command line never load it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .errors import DataError, UsageError
from .options import ScoreOptions

if TYPE_CHECKING:
    from .results import Summary


def score_frame(
    frame: Any,
    label: str = "label",
    *,
    columns: Sequence[str] | None = None,
    options: ScoreOptions | None = None,
    sample_weights: str | None = None,
    ignore_columns: Sequence[str] = (),
    classes: Sequence[str] | None = None,
    source: str = "DataFrame",
) -> Summary:
    """Score the rows of a pandas DataFrame, one sample per row, into the
    :class:`~xent.results.Summary` that ``xent compute -i FILE`` (and
    :func:`xent.score_file`) gives for the same rows written to a file.

    ``label``: the column of labels (class names or indices; 0/1 for a binary frame).
    ``columns``: the prediction columns, one per class, in class order (default: every
    other column but ``sample_weights`` and ``ignore_columns``; one column is a binary
    P(class 1)). ``options``: a :class:`~xent.options.ScoreOptions` (logits, base, clip,
    top_k, worst, ci, ...). ``sample_weights``: a column of per-row weights (scikit-learn's
    ``sample_weight``). ``classes``: class names instead of the columns' names.

    >>> import pandas as pd, xent
    >>> frame = pd.DataFrame({"label": ["a", "b"], "a": [0.9, 0.4], "b": [0.1, 0.6]})
    >>> summary = xent.score_frame(frame)
    >>> round(summary.mean, 6), summary.rows, summary.accuracy
    (0.308093, 2, 1.0)
    """
    from .pipeline import score_chunks
    from .runner.files import Files

    if not hasattr(frame, "iloc"):
        raise UsageError(f"score_frame takes a pandas DataFrame, not {type(frame).__name__}")
    options = options or ScoreOptions()
    value_columns = _value_columns(frame, label, columns, sample_weights, ignore_columns, source)
    if len(frame) == 0:
        raise DataError("no rows: expected one row per sample", source=source)
    chunks = _frame_chunks(frame, label, value_columns, options, sample_weights, classes, source)
    run = score_chunks(chunks, options, source=source, metrics=True)
    files = Files(options)
    files.add(run, source)
    return files.summary(source)


def _value_columns(frame, label, columns, sample_weights, ignore_columns, source: str) -> list:
    """The prediction columns: ``columns``, else every column but the label, the weights and
    the ignored ones; each named column must be there."""
    names = [str(c) for c in frame.columns]
    for name in (label, sample_weights, *ignore_columns, *(columns or ())):
        if name is not None and name not in frame.columns:
            raise DataError(f"no column {name!r} (columns: {', '.join(names)})", source=source)
    left_out = {label, sample_weights, *ignore_columns}
    value_columns = list(columns) if columns else [c for c in frame.columns if c not in left_out]
    if not value_columns:
        raise DataError(f"no prediction columns beside {label!r}", source=source)
    return value_columns


def _frame_labels(labels):
    """(the labels as an array the readers take, which rows have none)."""
    import numpy as np

    absent = labels.isna().to_numpy()
    if labels.dtype.kind in "fiub" and not absent.any():
        return labels.to_numpy(), absent
    # Names (object, string, category), or numbers beside a missing label.
    texts = labels.astype(object).where(~labels.isna(), None)
    filler = next((v for v in texts if v is not None), "")
    array = np.array([_label_text(filler if v is None else v) for v in texts], dtype=np.str_)
    return array, absent


def _frame_chunks(frame, label, value_columns, options, sample_weights, classes, source: str):
    """The frame's rows as the readers' chunks, a block at a time: the values checked as a
    file's are (a missing value or label names its row and column)."""
    import numpy as np

    from .readers.chunks import class_names, task_of
    from .readers.columnar_rows import Rows, batch_rows
    from .readers.read_options import ReadOptions

    read = ReadOptions(
        label_column=label,
        sample_weights=sample_weights,
        classes=tuple(classes or ()),
        on_error="skip" if options.skip_bad_rows else "raise",
        multi_label=options.multi_label,
    )
    task = task_of(read, len(value_columns), True)
    rows = Rows(class_names(read, task, [str(c) for c in value_columns]), task, read, source, label)
    rows.logits = options.logits
    try:
        values = frame[value_columns].to_numpy(dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise DataError(
            f"the prediction columns hold non-numbers ({error})", source=source
        ) from None
    label_array, absent = _frame_labels(frame[label])
    weights = None if sample_weights is None else frame[sample_weights].to_numpy(np.float64)
    nan_values = np.isnan(values)
    step = batch_rows(values.shape[1])
    for start in range(0, values.shape[0], step):
        stop = start + step
        block, missing = values[start:stop], None
        gaps, empty = nan_values[start:stop], absent[start:stop]
        if gaps.any() or empty.any():
            where = [label] if empty.any() else []
            where += [str(c) for c, g in zip(value_columns, gaps.any(axis=0)) if g]
            missing = (gaps.any(axis=1) | empty, ", ".join(where))
            block = np.where(gaps, 0.0, block)
        yield rows.chunk(
            start,
            block,
            label_array[start:stop],
            weights=None if weights is None else weights[start:stop],
            missing=missing,
        )


def _label_text(value) -> str:
    """A label as the readers read it: an integral float (1.0, as pandas stores an integer
    column with a gap) is the integer's text."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
