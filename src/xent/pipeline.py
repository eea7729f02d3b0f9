"""One way through: a source of chunks → the scorer → the totals → a result.

Arguments, files and stdin are all sources of :class:`~xent.readers.chunks.PredictionChunk`;
each chunk is scored by :func:`xent.scorer.score_chunk` and added to one
:class:`~xent.totals.Totals`. The Python API of files and vectors lives here:

>>> from xent import score_rows
>>> score_rows(["dog"], [[0.4, 0.3, 0.05, 0.05, 0.2]]).cross_entropy
0.916290731874155
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from .errors import DataError
from .options import ScoreOptions
from .parts import (
    RowSpec,
    ScoreSpec,
)
from .report import Report, report
from .runner.reduce import Run, reduce_parts, reduce_rows
from .scorer import ScoredRows

if TYPE_CHECKING:
    from .results import Summary


def __getattr__(name: str):
    """``score_distribution_file`` (the Python API) is the runner's, imported when asked
    for: importing it here would load every file reader for a vector on the command line
    (13 ms of start-up)."""
    if name == "score_distribution_file":
        from .runner.local import score_distribution_file

        return score_distribution_file
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def score_chunks(
    chunks: Iterable,
    options: ScoreOptions,
    *,
    source: str,
    metrics: bool = True,
    detail: bool = False,
    on_rows: Callable[[ScoredRows, object], None] | None = None,
    check_ignored: bool = True,
    group_by: str | None = None,
    sequence_column: str | None = None,
) -> Run:
    """Score every chunk into one set of totals, inline: each chunk into a part of its own
    (the map step), merged in input order (the reduce step, :func:`reduce_parts`).
    ``detail`` keeps each row's per-class terms (for a contribution table: small inputs
    only). ``group_by``, ``sequence_column``: the totals carry
    :class:`~xent.accumulators.groups.GroupedTotals` (``run.totals.grouped``; the chunks
    must keep
    those columns' texts, ``ReadOptions.keep_columns``); the rest as reduce_parts'."""
    spec = ScoreSpec(
        options,
        source,
        metrics,
        keep_rows=detail or on_rows is not None,
        detail=detail,
        group_by=group_by,
        sequences=sequence_column,
    )
    return reduce_parts(
        map(spec.score, chunks),
        options,
        source=source,
        detail=detail,
        on_rows=on_rows,
        check_ignored=check_ignored,
    )


def score_distribution_chunks(
    chunks: Iterable,
    kind: str,
    options: ScoreOptions,
    *,
    source: str,
    p_columns: tuple[str, ...] = (),
    q_columns: tuple[str, ...] = (),
    classes: tuple[str, ...] = (),
    on_rows: Callable[[object, object, object], None] | None = None,
):
    """Chunks of distribution rows (read with no label column) into
    :class:`~xent.totals.RowTotals`: ``kind`` ``entropy`` (each row a distribution, or
    logits) goes through the scorer; ``kl`` and ``js`` split each row into P and Q
    (:func:`xent.divergences.column_groups` of the first chunk's columns and
    ``p_columns``, ``q_columns``, ``classes``) and take the terms from
    :mod:`xent.divergences`. The map step is :class:`~xent.parts.RowSpec`, run here
    (:func:`score_distribution_file` hands a CSV file to worker processes).
    ``on_rows(values, lines, part)`` sees each chunk's per-row values. Returns (totals,
    numbered)."""
    spec = RowSpec(
        kind,
        options,
        source,
        keep_rows=on_rows is not None,
        columns=(p_columns, q_columns, classes),
    )
    return reduce_rows(map(spec.score, chunks), source=source, on_rows=on_rows)


def score_file(
    path: str | Sequence[str],
    options: ScoreOptions | None = None,
    read=None,
    *,
    reduction: str = "mean",
    metrics: bool = True,
    on_rows: Callable[[ScoredRows, object], None] | None = None,
    progress: Callable[[int], None] | None = None,
    by_file: bool = False,
    group_by: str | None = None,
    sequence_column: str | None = None,
) -> Summary:
    """Score a prediction file (``-`` for stdin), streamed, into a
    :class:`~xent.results.Summary`: what ``xent compute -i FILE`` prints (``mean``,
    ``perplexity``, ``accuracy``, ``per_class``, ``metrics``, ``worst``, ``ci``, ...).
    A pandas DataFrame: :func:`xent.score_frame`, the same summary.

    ``path`` may also be several paths, directories (their files sorted by name) or
    patterns: one evaluation of all their rows, whose classes must agree; ``by_file`` adds
    each file's rows and mean to the summary's ``files``.

    ``read`` is a :class:`~xent.readers.read_options.ReadOptions` (the label column, the
    delimiter, ...); ``options`` a :class:`~xent.options.ScoreOptions`. ``group_by``
    adds a summary per value of that column (``summary.groups``), ``sequence_column``
    the corpus and per-sequence perplexities (``summary.sequences``;
    :mod:`xent.accumulators.groups`).
    ``metrics=False`` asks for the loss alone: no top-k, Brier or ECE, and no accuracy
    (NaN) unless the worst rows or ``on_rows`` need each row's arg-max. A CSV file large
    enough is scored by worker processes (``$XENT_CSV_WORKERS``, one per core by default),
    merged in input order: the same numbers, errors and skipped rows as in one process.
    """

    from .evaluation import Evaluation
    from .readers.read_options import ReadOptions
    from .runner import evaluate

    evaluation = Evaluation(
        score=options or ScoreOptions(),
        read=read or ReadOptions(),
        metrics=metrics,
        reduction=reduction,
        by_file=by_file,
        group_by=group_by,
        sequence_column=sequence_column,
    )
    return evaluate(evaluation, path, on_rows=on_rows, progress=progress)


def score_rows(
    labels: Sequence,
    pred: Sequence | None = None,
    *,
    logits: Sequence | None = None,
    classes: Sequence[str] | None = None,
    options: ScoreOptions | None = None,
    sample_weights: Sequence[float] | None = None,
    reduction: str = "mean",
) -> Report:
    """Score rows given as Python values: a label per row (a class name, an index, or a
    distribution; with ``multi_label`` the positive names or 0/1 per class) and a
    prediction per row. The same scorer and totals as a file; returns the contribution
    table's :class:`~xent.report.Report` (``cross_entropy`` reduced, ``rows`` each row's
    per-class terms, ``contributions``, ``entropy``, ``kl_divergence``, ``perplexity``),
    not a file's :class:`~xent.results.Summary`: for that, put the rows in a DataFrame and
    call :func:`xent.score_frame`."""

    from .readers.arguments import vector_chunk

    options = options or ScoreOptions()
    values = pred if logits is None else logits
    if values is None or (pred is not None and logits is not None):
        raise ValueError("give exactly one of pred and logits")
    if logits is not None:
        options = replace(options, logits=True)
    rows = [list(map(float, row)) for row in values]
    texts = [label if isinstance(label, str) else _label_text(label) for label in labels]
    chunk, notes = vector_chunk(
        texts,
        rows,
        list(classes) if classes else None,
        options,
        sample_weights=None if sample_weights is None else list(map(float, sample_weights)),
    )
    return vector_report(chunk, options, reduction=reduction, notes=notes, labels=texts)


def _label_text(label) -> str:
    if isinstance(label, (list, tuple)):
        return ",".join(repr(float(v)) for v in label)
    return str(label)


def vector_report(
    chunk,
    options: ScoreOptions,
    *,
    reduction: str,
    notes: list[str],
    labels: list[str],
    metrics: bool = True,
) -> Report:
    """Score a one-chunk source of arguments into its contribution table (``metrics``:
    top-k, Brier and calibration too; not for the loss alone)."""
    import numpy as np

    run = score_chunks([chunk], options, source="", detail=True, metrics=metrics)
    details = run.details[0] if run.details else None
    if details is None:  # every row ignored is an error above; this is never reached
        raise DataError("no rows")
    if run.totals.infinite:
        import warnings

        from .engine import ZeroProbabilityWarning

        warnings.warn(
            "a prediction gives probability 0 to a class the label gives mass to: the "
            "cross-entropy is infinite (clip the predictions to avoid it)",
            ZeroProbabilityWarning,
            stacklevel=2,
        )
    kept = labels if len(labels) == len(chunk) else [labels[0]] * len(chunk)
    if run.totals.ignored:
        keep = ~np.isin(chunk.labels, _ignored(chunk, options))
        kept = [text for text, k in zip(kept, keep) if k]
    result = report(
        run.totals,
        details,
        options,
        kind="entropy" if chunk.task == "entropy" else "cross_entropy",
        labels=kept,
        reduction=reduction,
        notes=notes,
        task=run.task,
    )
    if options.ci is not None:  # the same intervals as a file of these rows
        from .results import confidence

        result.ci, said = confidence(run.totals, options, run.totals.rows, run.task)
        result.notes.extend(said)
    return result


def _ignored(chunk, options: ScoreOptions):
    from .scorer import ignored_classes

    return ignored_classes(chunk.classes, options)
