"""The local backends of a file evaluation: each file's chunks scored inline, or by
worker processes (:mod:`xent.runner.processes`), merged in input order
(:func:`~xent.runner.reduce.reduce_parts`), the files reduced in order
(:class:`~xent.runner.files.Files`).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from contextlib import closing
from functools import partial
from typing import TYPE_CHECKING

from ..errors import NoRows
from ..options import ScoreOptions
from ..parts import Part, RowSpec, ScoreSpec
from ..readers.files import read_prediction_chunks, source_name
from ..results import Summary
from ..scorer import ScoredRows
from .files import Files, file_size, keep_group_columns, seeded, sources_name
from .processes import processes
from .reduce import reduce_parts, reduce_rows

if TYPE_CHECKING:
    from ..evaluation import Evaluation


def file_parts(
    path: str,
    read,
    spec,
    on_classes: Callable[[list[str]], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Generator[Part, None, None]:
    """The parts of one file (``-``: stdin) scored by ``spec``: handed to worker processes
    where it pays (:func:`~xent.runner.processes.processes`), else read and scored here.
    ``on_classes`` hears of the file's classes before its rows and with each part;
    ``progress`` of the bytes read so far."""
    handoff = processes(spec)
    reader = read_prediction_chunks(path, read, on_classes=on_classes, handoff=handoff)
    with closing(reader) as items:
        for part in items if handoff is not None else map(spec.score, items):
            if on_classes is not None:
                on_classes(part.classes)
            yield part
            if progress is not None:
                progress(part.position)


def score_local(
    evaluation: Evaluation,
    given: str | Sequence[str],
    paths: list[str],
    *,
    on_rows: Callable[[ScoredRows, object], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Summary:
    """The files ``paths`` (expanded from ``given``: paths, directories, patterns; ``-``)
    scored here, each by
    :func:`file_parts`, reduced in file order (:class:`~xent.runner.files.Files`):
    see :func:`xent.runner.evaluate`."""
    from ..readers.read_options import ReadOptions

    options, metrics = evaluation.score, evaluation.metrics
    group_by, sequence_column = evaluation.group_by, evaluation.sequence_column
    counts = options.count_columns.values()
    read = keep_group_columns(evaluation.read or ReadOptions(), group_by, sequence_column, *counts)
    files = Files(
        options,
        reduction=evaluation.reduction,
        by_file=evaluation.by_file,
        group_by=group_by,
        grouped=sequence_column is not None,
    )
    done = 0  # bytes of the files before this one, for the progress bar

    def so_far(position: int) -> None:
        if progress is not None:
            progress(done + position)

    for index, file in enumerate(paths):
        source = source_name(file)
        options_of_file = seeded(options, index)
        spec = ScoreSpec(
            options_of_file,
            source,
            metrics,
            keep_rows=on_rows is not None,
            group_by=group_by,
            sequences=sequence_column,
        )
        # Close the reader as soon as scoring stops, on an error too: a reader left suspended
        # (its read-ahead thread, its worker processes) would be shut down by the garbage
        # collector at an arbitrary moment, once inside threading's own locks: a deadlock.
        said = partial(files.classes, source)
        try:
            with closing(file_parts(file, read, spec, said, so_far)) as parts:
                run = reduce_parts(
                    parts, options_of_file, source=source, on_rows=on_rows, check_ignored=False
                )
        except NoRows as empty:
            files.add_empty(empty, source, len(paths))
        else:
            files.add(run, source)
        done += file_size(file)
    return files.summary(source_name(paths[0]) if len(paths) == 1 else sources_name(given, paths))


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

    from ..divergences import DIVERGENCES
    from ..readers.read_options import ReadOptions
    from ..results import summarize_rows

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
    # Closed as soon as scoring stops, on an error too (a broken pipe in on_rows): its
    # worker processes are shut down here, not by the garbage collector.
    with closing(file_parts(path, read, spec, progress=progress)) as parts:
        totals, numbered = reduce_rows(parts, source=source, on_rows=on_rows)
    return summarize_rows(
        totals, kind, source=source, base=options.base, reduction=reduction, numbered=numbered
    )
