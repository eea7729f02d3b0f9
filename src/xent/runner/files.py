"""The reduce across files, one for every backend: each file's run merged in file order
(its parts merged by :func:`~xent.runner.reduce.reduce_parts` or a cluster's partitions),
the files' classes checked to agree, and the summary made of the whole.
"""

from __future__ import annotations

import math
from dataclasses import replace

from ..errors import DataError, NoRows
from ..options import ScoreOptions
from ..results import Summary
from .reduce import Run, check_not_all_ignored


class Files:
    """The files of one evaluation, reduced in file order into one :class:`Summary`.

    ``classes(source, names)`` checks a file's classes against the first file's (before
    its rows, where the reader says them first); ``add(run, source)`` merges a file's run;
    ``summary(source)`` finishes: every row ignored is an error, then the summary, with
    each file's row (``by_file``) and the groups and sequences (``group_by``,
    ``grouped``)."""

    def __init__(
        self,
        options: ScoreOptions,
        *,
        reduction: str = "mean",
        by_file: bool = False,
        group_by: str | None = None,
        grouped: bool = False,
    ) -> None:
        self.options, self.reduction, self.by_file = options, reduction, by_file
        self.group_by, self.grouped = group_by, grouped or group_by is not None
        self.first: tuple[str, list[str]] | None = None
        self.run: Run | None = None
        self.rows: list = []
        self.empty: list[str] = []  # files with no rows (a dataset's empty parts)
        self.added = 0

    def classes(self, source: str, names: list[str]) -> None:
        if self.first is None:
            self.first = (source, list(names))
        elif names != self.first[1]:
            raise DataError(class_difference(self.first, source, names))

    def add(self, run: Run, source: str) -> None:
        if self.by_file:
            self.rows.append(file_row(run, self.options, source))
        self.run = run if self.run is None else self.run.merge(run)
        self.added += 1

    def add_empty(self, error: NoRows, source: str, files: int) -> None:
        """A file without rows: an error alone; one of several adds no rows (a dataset's
        part that holds only its header, as Dask and Spark write them)."""
        if files == 1:
            raise error
        self.empty.append(source)
        if self.by_file:
            from ..results import FileRow

            self.rows.append(FileRow(source, 0, math.nan, 0))

    def summary(self, source: str) -> Summary:
        from ..results import summarize

        run = self.run
        if run is None and self.empty:
            raise NoRows(
                f"no rows in any of the {len(self.empty):,} files: expected one row per sample",
                source=source,
            )
        if run is None:  # no files: expand_paths says so first
            raise DataError("no rows: expected one row per sample")
        check_not_all_ignored(run.totals, self.options, source)
        summary = summarize(
            run.totals,
            self.options,
            source=source,
            reduction=self.reduction,
            numbered=run.numbered,
            task=run.task,
        )
        summary.notes[:0] = run.notes
        if self.empty:
            first = ", ".join(self.empty[:3]) + (", ..." if len(self.empty) > 3 else "")
            summary.notes.append(
                f"{len(self.empty):,} of {len(self.empty) + self.added:,} files had no rows "
                f"({first})"
            )
        if self.by_file:
            summary.files = self.rows
        if self.grouped:
            add_groups(summary, run, self.options, self.group_by)
        _cluster(summary, run, self.options)
        return summary


def seeded(options: ScoreOptions, index: int) -> ScoreOptions:
    """The options of the ``index``-th file: the bootstrap draws a row's weights from its
    line, so each file has its own stream (seed + index)."""
    if options.ci is None or options.replicates is None or not index:
        return options
    return replace(options, seed=options.seed + index)


def keep_group_columns(read, group_by: str | None, sequence_column: str | None, *counts: str):
    """``read`` keeping the texts of the ``--group-by`` and ``--sequence-column`` columns
    (the map step splits each chunk's rows by them) and of the ``counts`` columns."""
    kept = tuple(c for c in (group_by, sequence_column, *counts) if c is not None)
    if not kept:
        return read
    return replace(read, keep_columns=tuple(dict.fromkeys(read.keep_columns + kept)))


def add_groups(summary: Summary, run: Run, options: ScoreOptions, group_by: str | None) -> None:
    """The summary's groups (highest mean loss first) and sequences, from the run's
    :class:`~xent.accumulators.groups.GroupedTotals` (``run.totals.grouped``)."""
    grouped = run.totals.grouped
    if group_by is not None:
        from ..results import summarize

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
        single = sum(1 for _, group in summary.groups if group.rows == 1)
        if options.ci is not None and single:
            summary.notes.append(
                "one group of one row: no confidence interval can be given for it (--ci needs two)"
                if single == 1
                else f"{single:,} groups of one row: no confidence interval can be given for "
                "them (--ci needs two)"
            )
    if grouped is not None:
        summary.sequences = grouped.sequence_summary()


def _cluster(summary: Summary, run: Run, options: ScoreOptions) -> None:
    """The loss's interval over the sequences (or a logprobs file's responses), where the
    rows are their tokens (:func:`xent.results.by_sequence`)."""
    from ..results import by_sequence

    clustered = by_sequence(summary.ci, run.totals, options)
    if clustered is not summary.ci and summary.groups:
        summary.notes.append(
            "the loss's interval is over the sequences; each group's treats its tokens as "
            "independent rows (narrower than one over its sequences would be)"
        )
    summary.ci = clustered


def file_size(path: str) -> int:
    import os

    try:
        return os.stat(path).st_size if path != "-" else 0
    except OSError:
        return 0


def sources_name(given, paths: list[str]) -> str:
    """How a summary of many files names them: the one directory or pattern given, else
    the first and last file, with the count."""
    if isinstance(given, str):
        return f"{given} ({len(paths)} files)"
    if len(given) == 1:
        return f"{given[0]} ({len(paths)} files)"
    if len(paths) == 2:
        return f"{paths[0]}, {paths[1]}"
    return f"{paths[0]}, ..., {paths[-1]} ({len(paths)} files)"


def class_difference(first: tuple[str, list[str]], source: str, classes: list[str]) -> str:
    """Two files' classes differ: which file has which the other has not."""
    from ..readers.chunks import known_classes

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


def file_row(run: Run, options: ScoreOptions, source: str):
    """One file's part of a summary with ``by_file``: its rows and its mean loss."""
    import math

    from ..results import FileRow

    totals = run.totals
    try:
        mean = totals.mean(source) if totals.rows else math.nan
    except DataError:
        mean = math.nan
    return FileRow(source, totals.rows, mean, totals.skipped)
