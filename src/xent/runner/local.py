"""The local backends of a file evaluation: each file's chunks scored inline, or by
worker processes (:mod:`xent.runner.processes`), merged in input order
(:func:`~xent.runner.reduce.reduce_parts`), the files reduced in order
(:class:`~xent.runner.files.Files`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import closing

from ..options import ScoreOptions
from ..parts import ScoreSpec
from ..readers.files import read_prediction_chunks, source_name
from ..results import Summary
from ..scorer import ScoredRows
from .files import Files, file_size, keep_group_columns, seeded, sources_name
from .processes import processes
from .reduce import reduce_parts


def score_local(
    given: str | Sequence[str],
    paths: list[str],
    options: ScoreOptions,
    read,
    *,
    reduction: str = "mean",
    metrics: bool = True,
    on_rows: Callable[[ScoredRows, object], None] | None = None,
    progress: Callable[[int], None] | None = None,
    by_file: bool = False,
    group_by: str | None = None,
    sequence_column: str | None = None,
) -> Summary:
    """The files ``paths`` (expanded from ``given``) scored here: see
    :func:`xent.pipeline.score_file`."""
    read = keep_group_columns(read, group_by, sequence_column)
    files = Files(
        options,
        reduction=reduction,
        by_file=by_file,
        group_by=group_by,
        grouped=sequence_column is not None,
    )
    done = 0  # bytes of the files before this one, for the progress bar

    def parts(file: str, spec: ScoreSpec):
        source = source_name(file)
        handoff = processes(spec)
        reader = read_prediction_chunks(
            file, read, on_classes=lambda names: files.classes(source, names), handoff=handoff
        )
        with closing(reader) as items:
            for part in items if handoff is not None else map(spec.score, items):
                files.classes(source, part.classes)
                yield part
                if progress is not None:
                    progress(done + part.position)

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
        with closing(parts(file, spec)) as file_parts:
            run = reduce_parts(
                file_parts, options_of_file, source=source, on_rows=on_rows, check_ignored=False
            )
        done += file_size(file)
        files.add(run, source)
    return files.summary(source_name(paths[0]) if len(paths) == 1 else sources_name(given, paths))
