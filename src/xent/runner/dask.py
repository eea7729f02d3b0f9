"""The Dask backend: a dataset scored on a cluster (``xent compute --cluster ADDRESS PATH...``).

The loss and every summary metric are sums, counts and fixed-size histograms
(:class:`~xent.totals.Totals`), so a dataset partitions perfectly: each task reads one
partition where it lives, scores it with the one scorer (:func:`xent.pipeline.score_chunks`)
and returns its totals; the client merges them in partition order and summarizes them as
:func:`xent.pipeline.score_file` does, so the renderers print what the local run prints.

Partitions (:mod:`xent.readers.partitions`): a file; a set of a Parquet file's row groups;
a byte range of a large CSV/TSV file. A range's first line is its real line number in the
file, known from a first pass on the workers that counts each range's newlines (and
quotes: a range never ends inside a quoted field). The run has three steps, all tasks on
the cluster, so only the workers need to see the files: the plan (the files of the paths,
their partitions), the count of the CSV ranges, the scoring.

A partition's error (a bad row: file, line and column) is returned as a value, not
raised, so the scheduler does not retry what would fail again; the client raises the
first one in partition order, after the checks the local run makes before it (the files'
classes), so the run fails with the error the local run prints. A worker that dies is
the scheduler's to handle: its tasks run again elsewhere, and a task's result depends
only on its partition, so the result is the same.

Dask is an extra (``pip install 'xent[dask]'``), imported only here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from ..errors import DataError, NoRows, UsageError, XentError, param
from ..options import ScoreOptions
from ..readers.chunks import PredictionChunk
from ..readers.partitions import Part
from ..readers.read_options import ReadOptions
from ..results import Summary
from ..totals import Totals
from .connect import Connected

# Partition sizes: a CSV/TSV byte range, a set of Parquet row groups (whole groups).
RANGE_BYTES = 128 << 20
GROUP_ROWS = 1_000_000


def partition_sizes() -> tuple[int, int]:
    """(bytes of a CSV range, rows of a Parquet row-group set): ``$XENT_PARTITION_BYTES``
    and ``$XENT_PARTITION_ROWS``, else 128 MiB and 1,000,000."""
    sizes = []
    for name, default in (
        ("XENT_PARTITION_BYTES", RANGE_BYTES),
        ("XENT_PARTITION_ROWS", GROUP_ROWS),
    ):
        text = os.environ.get(name, "").strip()
        if not text:
            sizes.append(default)
            continue
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value < 1:
            raise UsageError(f"{text!r} is not a size: use a positive whole number", source=name)
        sizes.append(value)
    return sizes[0], sizes[1]


# ------------------------------------------------------------------ on the workers


def plan(paths: Sequence[str], read: ReadOptions, range_bytes: int, group_rows: int):
    """(the files of ``paths``, their partitions in order), or the error that says why
    not: a task, where the files are."""
    from ..readers.partitions import plan_file
    from ..readers.sources import expand_paths

    try:
        files = expand_paths(list(paths))
        if "-" in files:
            raise UsageError(f"{param('cluster')} reads files, not stdin (-)", parameter="cluster")
        parts = []
        for index, path in enumerate(files):
            parts += plan_file(index, path, read, range_bytes, group_rows)
    except XentError as error:
        return error
    return files, parts


def count_part(part: Part) -> tuple[int, int]:
    """(newlines, quotes) of a CSV range: the first pass, which numbers the ranges' lines."""
    from ..readers.partitions import count_range

    return count_range(part.path, part.start, part.end)


@dataclass
class Outcome:
    """What a task returns: its partition's totals (None: no rows), the classes its
    file's reader gave, how many rows it read (scored, ignored or skipped), or the error
    its reading or scoring raised."""

    part: Part
    classes: list[str] | None = None
    totals: Totals | None = None
    rows: int = 0
    numbered: str = "line"
    task: str = "multiclass"
    notes: list[str] = field(default_factory=list)
    error: XentError | None = None


def score_part(
    part: Part,
    options: ScoreOptions,
    read: ReadOptions,
    metrics: bool,
    grouping: tuple[str | None, str | None] = (None, None),
) -> Outcome:
    """Read and score one partition into its totals (a task); ``grouping``: the
    ``group_by`` and ``sequence_column`` of the run, whose totals the partition's carry."""
    from itertools import chain

    from ..parts import ScoreSpec
    from ..readers.chunks import Said
    from ..readers.files import read_prediction_chunks, source_name
    from ..readers.partitions import read_part
    from .files import seeded
    from .reduce import reduce_parts

    # Parse in this process: the cluster's workers are the parallelism (and a worker
    # process is a daemon, which may not start processes of its own).
    os.environ.setdefault("XENT_CSV_WORKERS", "0")
    outcome = Outcome(part)

    def on_classes(names: list[str]) -> None:
        if outcome.classes is None:
            outcome.classes = list(names)

    said = Said(on_classes)
    chunks: Iterator[PredictionChunk]
    if part.kind == "file":
        chunks = read_prediction_chunks(part.path, read, on_classes=on_classes)
    else:
        chunks = read_part(part, read, said)

    def counted():
        for chunk in chunks:
            outcome.rows += len(chunk) + len(chunk.skipped)
            yield chunk

    options = seeded(options, part.index)  # each file its own bootstrap stream
    source = source_name(part.path)
    group_by, sequences = grouping
    spec = ScoreSpec(options, source, metrics, group_by=group_by, sequences=sequences)
    rows = counted()
    try:
        first = next(rows, None)
        if first is not None:
            run = reduce_parts(
                map(spec.score, chain([first], rows)), options, source=source, check_ignored=False
            )
            outcome.totals = run.totals  # pickled small (Totals.__getstate__)
            outcome.numbered, outcome.task = run.numbered, run.task
            outcome.notes = said.notes + run.notes
    except XentError as error:
        outcome.error = error
    return outcome


# ------------------------------------------------------------------ on the client


def score_on_cluster(
    paths: str | Sequence[str],
    options: ScoreOptions | None = None,
    read: ReadOptions | None = None,
    *,
    address: str = "local",
    workers: int | None = None,
    client=None,
    reduction: str = "mean",
    metrics: bool = True,
    by_file: bool = False,
    range_bytes: int | None = None,
    group_rows: int | None = None,
    on_part: Callable[[int, int], None] | None = None,
    task: Callable[..., Outcome] = score_part,
    group_by: str | None = None,
    sequence_column: str | None = None,
) -> Summary:
    """:func:`xent.pipeline.score_file` of ``paths``, on a Dask cluster: the scheduler at
    ``address`` (``local``: a LocalCluster of ``workers`` processes), or ``client``, an
    open ``distributed.Client``. The same summary, to rounding in the last bits of sums of
    floats (1e-12 relative at most), counts and histograms exactly. ``on_part(done,
    total)`` hears of each partition merged; ``task`` is the scoring task (tests wrap it).
    ``group_by``, ``sequence_column``: as score_file's (each partition's totals carry its
    groups, merged in partition order).
    """
    from .files import keep_group_columns

    options = options or ScoreOptions()
    read = read or ReadOptions()
    grouping = (group_by, sequence_column)
    read = keep_group_columns(read, group_by, sequence_column, *options.count_columns.values())
    given = [paths] if isinstance(paths, str) else list(paths)
    sizes = partition_sizes()
    range_bytes = range_bytes or sizes[0]
    group_rows = group_rows or sizes[1]
    if client is not None:
        return _run(client, given, options, read, reduction, metrics, by_file, range_bytes,
                    group_rows, on_part, task, grouping)  # fmt: skip
    with Connected(address, workers) as connected:
        return _run(connected, given, options, read, reduction, metrics, by_file, range_bytes,
                    group_rows, on_part, task, grouping)  # fmt: skip


def _run(client, given, options, read, reduction, metrics, by_file, range_bytes, group_rows,
         on_part, task, grouping) -> Summary:  # fmt: skip
    futures: list = []
    try:
        planned = client.submit(plan, given, read, range_bytes, group_rows, pure=False).result()
        if isinstance(planned, XentError):
            raise planned
        files, parts = planned
        if len(files) > 1 and options.worst:
            raise UsageError(
                f"{param('worst')} with several files: its line numbers would be per file; "
                "score one file at a time",
                parameter="worst",
            )
        parts = _numbered(client, parts, futures)
        futures += [
            client.submit(task, part, options, read, metrics, grouping, pure=False)
            for part in parts
        ]
        outcomes = (future.result() for future in futures[-len(parts) :])
        return _merge(outcomes, files, len(parts), given, options, reduction, by_file, on_part,
                      grouping)  # fmt: skip
    finally:
        # An error, or Ctrl-C: what is still queued or running is not wanted.
        client.cancel(futures)


def _numbered(client, parts: list[Part], futures: list) -> list[Part]:
    """The parts with each CSV range's first line, from a first pass that counts the
    newlines of every range (on the workers); a range ending inside a quoted field is
    joined with the next."""
    from ..readers.partitions import join_quoted

    ranges = [part for part in parts if part.kind == "csv"]
    if not ranges:
        return parts
    counting = client.map(count_part, ranges, pure=False)
    futures += counting
    counts = dict(zip(ranges, client.gather(counting)))
    out: list[Part] = []
    for index in dict.fromkeys(part.index for part in parts):
        mine = [part for part in parts if part.index == index]
        if mine[0].kind == "csv":
            mine = join_quoted(mine, [counts[part] for part in mine])
        out += mine
    return out


def _merge(outcomes, files, total, given, options, reduction, by_file, on_part,
           grouping) -> Summary:  # fmt: skip
    """The outcomes, in partition order: each file's partitions merged into its run, the
    files reduced in order (:class:`~xent.runner.files.Files`), as the local run does."""
    from ..readers.files import source_name
    from .files import Files, sources_name
    from .reduce import Run, add_notes

    group_by, sequences = grouping
    reduced = Files(options, reduction=reduction, by_file=by_file, group_by=group_by,
                    grouped=sequences is not None)  # fmt: skip
    one: Run | None = None
    rows = 0
    last: Part | None = None

    def finish_file(part: Part) -> None:
        source = source_name(files[part.index])
        if rows == 0 and (part.kind != "file" or one is None):
            if part.kind != "file":  # the whole-file reader says so itself
                after = " after the header" if part.kind == "csv" else ""
                empty = NoRows("no rows: expected one row per sample" + after, source=source)
                reduced.add_empty(empty, source, len(files))
            return
        assert one is not None  # rows were read: some part has totals
        reduced.add(one, source)

    for done, outcome in enumerate(outcomes, 1):
        part = outcome.part
        if last is not None and part.index != last.index:
            finish_file(last)
            one, rows = None, 0
        last = part
        source = source_name(part.path)
        if outcome.classes is not None:
            reduced.classes(source, outcome.classes)
        if isinstance(outcome.error, NoRows) and len(files) > 1:
            reduced.add_empty(outcome.error, source, len(files))  # a whole file, empty
        elif outcome.error is not None:
            raise outcome.error
        rows += outcome.rows
        if outcome.totals is not None:
            if one is None:
                one = Run(outcome.totals, source, outcome.numbered, outcome.task)
            else:
                one.totals.merge(outcome.totals)
            add_notes(one.notes, outcome.notes)
        if on_part is not None:
            on_part(done, total)
    if last is None:  # no files: expand_paths says so first
        raise DataError("no rows: expected one row per sample")
    finish_file(last)
    return reduced.summary(
        source_name(files[0]) if len(files) == 1 else sources_name(_given(given), files)
    )


def _given(given: list[str]):
    return given[0] if len(given) == 1 else given
