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
from contextlib import closing
from dataclasses import dataclass, field

from .errors import DataError
from .options import ScoreOptions
from .results import Report, Summary, report, summarize
from .scorer import Detail, ScoredRows, score_chunk
from .totals import Totals


@dataclass
class Run:
    """What a source gave, scored: the totals, and how its rows are numbered."""

    totals: Totals
    source: str
    numbered: str = "line"
    task: str = "multiclass"
    details: list[Detail] = field(default_factory=list)


def score_chunks(
    chunks: Iterable,
    options: ScoreOptions,
    *,
    source: str,
    metrics: bool = True,
    detail: bool = False,
    on_rows: Callable[[ScoredRows, object], None] | None = None,
) -> Run:
    """Score every chunk into one set of totals. ``on_rows(scored, chunk)`` sees each
    scored chunk as it goes (the per-row output); ``detail`` keeps each row's per-class
    terms (for a contribution table: small inputs only)."""
    run: Run | None = None
    for chunk in chunks:
        scored = score_chunk(chunk, options, source=source, detail=detail, metrics=metrics)
        if run is None:
            totals = Totals(
                chunk.classes, worst=options.worst, top_k=options.top_k, bins=options.bins
            )
            run = Run(totals, source, chunk.numbered, chunk.task)
        elif chunk.task != run.task:
            raise DataError(f"rows of two kinds: {run.task} and {chunk.task}", source=source)
        run.totals.add(scored)
        if detail and scored.detail is not None:
            run.details.append(scored.detail)
        if on_rows is not None:
            on_rows(scored, chunk)
    if run is None:
        raise DataError("no rows: expected one row per sample", source=source)
    _check_not_all_ignored(run.totals, options, source)
    return run


def _check_not_all_ignored(totals: Totals, options: ScoreOptions, source: str | None) -> None:
    """Every row ignored (or skipped as bad) leaves no loss to average (PyTorch prints
    nan): say so."""
    if totals.rows:
        return
    if not totals.ignored:
        if totals.skipped:  # --on-error skip left every row out: nan is no answer
            first = ", ".join(map(str, totals.skipped_lines[:5]))
            where = f" (first: {first})" if first else ""
            raise DataError(
                f"every row is skipped as bad: {totals.skipped:,} "
                f"row{'s' if totals.skipped > 1 else ''}{where}, so there is no "
                "loss to average (--on-error raise shows the first problem)",
                source=source or None,
            )
        return
    how = (
        f"the ignore index {options.ignore_index} (--ignore-index)"
        if options.ignore_index is not None
        else f"{options.ignore_label!r} (--ignore-label)"
    )
    also = f" and {totals.skipped:,} rows are skipped as bad" if totals.skipped else ""
    every = "" if totals.skipped else "all "
    raise DataError(
        f"every row is ignored: {every}{totals.ignored:,} labels are {how}{also}, so there "
        "is no loss to average (PyTorch would print nan)",
        source=source or None,
    )


def score_file(
    path: str,
    options: ScoreOptions | None = None,
    read=None,
    *,
    reduction: str = "mean",
    metrics: bool = True,
    on_rows: Callable[[ScoredRows, object], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Summary:
    """Score a prediction file (``-`` for stdin), streamed, into a :class:`Summary`.

    ``read`` is a :class:`~xent.readers.chunks.ReadOptions` (the label column, the
    delimiter, ...); ``options`` a :class:`~xent.options.ScoreOptions`.
    """
    from .readers.chunks import ReadOptions
    from .readers.files import read_prediction_chunks, source_name

    options = options or ScoreOptions()
    read = read or ReadOptions()
    source = source_name(path)

    def chunks():
        with closing(read_prediction_chunks(path, read)) as source_chunks:
            for chunk in source_chunks:
                yield chunk
                if progress is not None:
                    progress(chunk.position)

    # Close the reader as soon as scoring stops, on an error too: a reader left suspended
    # (its read-ahead thread, its worker processes) would be shut down by the garbage
    # collector at an arbitrary moment, once inside threading's own locks: a deadlock.
    with closing(chunks()) as read_chunks:
        run = score_chunks(read_chunks, options, source=source, metrics=metrics, on_rows=on_rows)
    return summarize(
        run.totals,
        options,
        source=source,
        reduction=reduction,
        numbered=run.numbered,
        task=run.task,
    )


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
    table's :class:`Report`."""
    from dataclasses import replace

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
    chunk, options: ScoreOptions, *, reduction: str, notes: list[str], labels: list[str]
) -> Report:
    """Score a one-chunk source of arguments into its contribution table."""
    import numpy as np

    run = score_chunks([chunk], options, source="", detail=True)
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
    return report(
        run.totals,
        details,
        options,
        kind="entropy" if chunk.task == "entropy" else "cross_entropy",
        labels=kept,
        reduction=reduction,
        notes=notes,
        task=run.task,
    )


def _ignored(chunk, options: ScoreOptions):
    from .scorer import ignored_classes

    return ignored_classes(chunk.classes, options)
