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
from dataclasses import replace
from typing import TYPE_CHECKING

from .errors import DataError
from .options import ScoreOptions
from .parts import (
    InOrder,
    Part,
    RowSpec,
    RowValues,
    ScoreSpec,
    add_notes,
    new_totals,
)
from .report import Report, report
from .scorer import Detail, ScoredRows
from .totals import Totals

if TYPE_CHECKING:
    from .results import Summary


class Run:
    """What a source gave, scored: the totals, and how its rows are numbered. (A plain
    class: a dataclass costs start-up time on every command.)"""

    __slots__ = ("totals", "source", "numbered", "task", "details", "notes")

    def __init__(
        self, totals: Totals, source: str, numbered: str = "line", task: str = "multiclass"
    ) -> None:
        self.totals, self.source, self.numbered, self.task = totals, source, numbered, task
        self.details: list[Detail] = []
        self.notes: list[str] = []  # the readers' (chunk.notes)

    def merge(self, other: Run) -> Run:
        """Another run's totals and notes added to this one's (one file of many)."""
        self.totals.merge(other.totals)
        add_notes(self.notes, other.notes)
        return self


def keep_group_columns(read, group_by: str | None, sequence_column: str | None):
    """``read`` keeping the texts of the ``--group-by`` and ``--sequence-column`` columns
    (the map step splits each chunk's rows by them)."""
    kept = tuple(c for c in (group_by, sequence_column) if c is not None)
    if not kept:
        return read
    return replace(read, keep_columns=tuple(dict.fromkeys(read.keep_columns + kept)))


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
    :class:`~xent.groups.GroupedTotals` (``run.totals.grouped``; the chunks must keep
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


def reduce_parts(
    parts: Iterable[Part],
    options: ScoreOptions,
    *,
    source: str,
    detail: bool = False,
    on_rows: Callable[[ScoredRows, object], None] | None = None,
    check_ignored: bool = True,
) -> Run:
    """A source's parts (scored inline or by worker processes), merged in input order
    into one :class:`Run`. ``on_rows(scored, part)`` sees each part's scored rows as it
    goes (the per-row output); ``detail``: the parts' per-class terms are kept in
    ``run.details``. ``check_ignored``: every row ignored is an error (not for one file of
    many)."""
    run: Run | None = None
    reduce: InOrder | None = None
    for part in parts:
        if run is None:
            run = Run(new_totals(part.classes, options), source, part.numbered, part.task)
            reduce = InOrder(run.totals)
        elif part.task != run.task:
            raise DataError(f"rows of two kinds: {run.task} and {part.task}", source=source)
        assert reduce is not None
        reduce.add(part)
        add_notes(run.notes, part.notes)
        rows = part.rows
        if detail and isinstance(rows, ScoredRows) and rows.detail is not None:
            run.details.append(rows.detail)
        if on_rows is not None:
            assert isinstance(rows, ScoredRows)  # the spec keeps the rows for on_rows
            on_rows(rows, part)
    if run is None or reduce is None:
        raise DataError("no rows: expected one row per sample", source=source)
    reduce.done()
    if check_ignored:
        _check_not_all_ignored(run.totals, options, source)
    return run


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


def reduce_rows(parts: Iterable[Part], *, source: str, on_rows=None):
    """Parts of distribution rows (:class:`~xent.parts.RowSpec`), merged in input order
    into :class:`~xent.totals.RowTotals`; ``on_rows(values, lines, part)`` sees each part's
    per-row values. Returns (totals, numbered)."""
    from .totals import RowTotals

    reduce: InOrder | None = None
    numbered = "line"
    for part in parts:
        if reduce is None:
            reduce = InOrder(RowTotals(part.classes))
            numbered = part.numbered
        reduce.add(part)
        if on_rows is not None:
            assert isinstance(part.rows, RowValues)  # the spec keeps them for on_rows
            on_rows(part.rows.values, part.rows.lines, part)
    totals = reduce.done() if reduce is not None else None
    if totals is None or not totals.rows and not totals.skipped:
        raise DataError("no rows: expected one distribution per row", source=source)
    return totals, numbered


def score_distribution_file(
    path: str,
    kind: str,
    options: ScoreOptions | None = None,
    read=None,
    *,
    p_columns: tuple[str, ...] = (),
    q_columns: tuple[str, ...] = (),
    classes: tuple[str, ...] = (),
    reduction: str = "mean",
    on_rows: Callable[[object, object, object], None] | None = None,
    progress: Callable[[int], None] | None = None,
):
    """A file (``-`` for stdin) of distributions, streamed, into a
    :class:`~xent.results.DistributionSummary`: ``kind`` ``entropy`` (a distribution per
    row), ``kl`` or ``js`` (P and Q as two groups of columns: ``p_<class>`` and
    ``q_<class>``, or ``p_columns`` and ``q_columns``). ``read`` is a
    :class:`~xent.readers.read_options.ReadOptions`; its label column is not used."""
    from dataclasses import replace as replaced

    from .divergences import DIVERGENCES
    from .readers.files import read_prediction_chunks, source_name
    from .readers.read_options import ReadOptions
    from .results import summarize_rows
    from .runner.processes import processes

    if kind != "entropy" and kind not in DIVERGENCES:
        raise ValueError(f"kind must be entropy, kl or js, got {kind!r}")
    options = options or ScoreOptions()
    read = replaced(
        read or ReadOptions(),
        label_column=None,
        label_columns=(),
        classes=classes if kind == "entropy" else (),
    )
    source = source_name(path)

    spec = RowSpec(
        kind,
        options,
        source,
        keep_rows=on_rows is not None,
        columns=(p_columns, q_columns, classes),
    )

    def parts():
        handoff = processes(spec)
        reader = read_prediction_chunks(path, read, handoff=handoff)
        with closing(reader) as items:
            for part in items if handoff is not None else map(spec.score, items):
                yield part
                if progress is not None:
                    progress(part.position)

    # Closed as soon as scoring stops, on an error too (a broken pipe in on_rows): its
    # worker processes are shut down here, not by the garbage collector (see score_file).
    with closing(parts()) as file_parts:
        totals, numbered = reduce_rows(file_parts, source=source, on_rows=on_rows)
    return summarize_rows(
        totals, kind, source=source, base=options.base, reduction=reduction, numbered=numbered
    )


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
    """Score a prediction file (``-`` for stdin), streamed, into a :class:`Summary`.

    ``path`` may also be several paths, directories (their files sorted by name) or
    patterns: one evaluation of all their rows, whose classes must agree; ``by_file`` adds
    each file's rows and mean to the summary's ``files``.

    ``read`` is a :class:`~xent.readers.read_options.ReadOptions` (the label column, the
    delimiter, ...); ``options`` a :class:`~xent.options.ScoreOptions`. ``group_by``
    adds a summary per value of that column (``summary.groups``), ``sequence_column``
    the corpus and per-sequence perplexities (``summary.sequences``; :mod:`xent.groups`).
    ``metrics=False`` asks for the loss alone: no top-k, Brier or ECE, and no accuracy
    (NaN) unless the worst rows or ``on_rows`` need each row's arg-max. A CSV file large
    enough is scored by worker processes (``$XENT_CSV_WORKERS``, one per core by default),
    merged in input order: the same numbers, errors and skipped rows as in one process.
    """

    from .readers.files import read_prediction_chunks, source_name
    from .readers.read_options import ReadOptions
    from .readers.sources import expand_paths
    from .results import summarize
    from .runner.processes import processes

    options = options or ScoreOptions()
    read = read or ReadOptions()
    paths = expand_paths([path] if isinstance(path, str) else list(path))
    done = 0  # bytes of the files before this one, for the progress bar
    first: tuple[str, list[str]] | None = None
    source = source_name(paths[0])
    read = keep_group_columns(read, group_by, sequence_column)

    def parts(file: str, spec: ScoreSpec):
        def same_classes(classes: list[str]) -> None:
            nonlocal first
            if first is None:
                first = (source_name(file), classes)
            elif classes != first[1]:
                raise DataError(_class_difference(first, source_name(file), classes))

        handoff = processes(spec)
        reader = read_prediction_chunks(file, read, on_classes=same_classes, handoff=handoff)
        with closing(reader) as items:
            for part in items if handoff is not None else map(spec.score, items):
                same_classes(part.classes)
                yield part
                if progress is not None:
                    progress(done + part.position)

    run: Run | None = None
    files = []
    for index, file in enumerate(paths):
        source = source_name(file)
        # The bootstrap draws a row's weights from its line: each file its own stream.
        seeded = replace(options, seed=options.seed + index) if options.ci and index else options
        spec = ScoreSpec(
            seeded,
            source,
            metrics,
            keep_rows=on_rows is not None,
            group_by=group_by,
            sequences=sequence_column,
        )
        # Close the reader as soon as scoring stops, on an error too: a reader left suspended
        # (its read-ahead thread, its worker processes) would be shut down by the garbage
        # collector at an arbitrary moment, once inside threading's own locks: a deadlock.
        with closing(parts(file, spec)) as file_parts:
            one = reduce_parts(
                file_parts,
                seeded,
                source=source,
                on_rows=on_rows,
                check_ignored=len(paths) == 1,
            )
        done += _size(file)
        if by_file:
            files.append(_file_row(one, options, source))
        run = one if run is None else run.merge(one)
    assert run is not None
    source = source_name(paths[0]) if len(paths) == 1 else _sources(path, paths)
    if len(paths) > 1:
        _check_not_all_ignored(run.totals, options, source)
    summary = summarize(
        run.totals,
        options,
        source=source,
        reduction=reduction,
        numbered=run.numbered,
        task=run.task,
    )
    summary.notes[:0] = run.notes
    if by_file:
        summary.files = files
    if group_by is not None or sequence_column is not None:
        add_groups(summary, run, options, group_by)
    return summary


def add_groups(summary: Summary, run: Run, options: ScoreOptions, group_by: str | None) -> None:
    """The summary's groups (highest mean loss first) and sequences, from the run's
    :class:`~xent.groups.GroupedTotals` (``run.totals.grouped``)."""
    grouped = run.totals.grouped
    if group_by is not None:
        from .results import summarize

        summary.group_by = group_by
        summary.groups = sorted(
            (
                (
                    name,
                    summarize(totals, options, source=name, numbered=run.numbered, task=run.task),
                )
                for name, totals in (grouped.groups.items() if grouped is not None else ())
            ),
            key=lambda item: (-item[1].mean, item[0]),
        )
    if grouped is not None:
        summary.sequences = grouped.sequence_summary()


def _size(path: str) -> int:
    import os

    try:
        return os.stat(path).st_size if path != "-" else 0
    except OSError:
        return 0


def _sources(given, paths: list[str]) -> str:
    """How a summary of many files names them: the one directory or pattern given, else
    the first and last file, with the count."""
    if isinstance(given, str):
        return f"{given} ({len(paths)} files)"
    if len(given) == 1:
        return f"{given[0]} ({len(paths)} files)"
    if len(paths) == 2:
        return f"{paths[0]}, {paths[1]}"
    return f"{paths[0]}, ..., {paths[-1]} ({len(paths)} files)"


def _class_difference(first: tuple[str, list[str]], source: str, classes: list[str]) -> str:
    """Two files' classes differ: which file has which the other has not."""
    from .readers.chunks import known_classes

    name, theirs = first
    only_first = [c for c in theirs if c not in classes]
    only_this = [c for c in classes if c not in theirs]
    parts = []
    if only_first:
        parts.append(f"only in {name}: {known_classes(only_first)}")
    if only_this:
        parts.append(f"only in {source}: {known_classes(only_this)}")
    what = "; ".join(parts) if parts else "the same classes in another order"
    return (
        f"{name} and {source} have different classes ({what}): the files of one "
        "evaluation need the same classes"
    )


def _file_row(run: Run, options: ScoreOptions, source: str):
    """One file's part of a summary with ``by_file``: its rows and its mean loss."""
    import math

    from .results import FileRow

    totals = run.totals
    try:
        mean = totals.mean(source) if totals.rows else math.nan
    except DataError:
        mean = math.nan
    return FileRow(source, totals.rows, mean, totals.skipped)


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
