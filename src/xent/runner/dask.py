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

import math
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from ..errors import DataError, NoRows, UsageError, XentError, param
from ..options import ScoreOptions
from ..readers.chunks import PredictionChunk
from ..readers.partitions import Part
from ..readers.read_options import ReadOptions
from ..results import Summary
from ..totals import Totals

NEEDS_DASK = (
    f"{param('cluster')} needs Dask and its distributed scheduler: pip install 'xent[dask]'"
)
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


def _dask():
    try:
        import distributed
    except ImportError:
        raise UsageError(NEEDS_DASK, parameter="cluster") from None
    return distributed


@contextmanager
def _sigint_ignored():
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


CONNECT_TIMEOUT = 10.0
# A Dask scheduler's first message (its handshake) is a few hundred bytes; its first 8
# bytes are the message's length. Anything longer is another protocol, or a hostile peer
# (distributed itself would try to allocate the length it reads: "HTTP/1.1" is 3 EiB).
HANDSHAKE_BYTES = 1 << 20


def connect_timeout() -> float:
    """Seconds to reach a scheduler: ``$XENT_CONNECT_TIMEOUT``, else 10."""
    text = os.environ.get("XENT_CONNECT_TIMEOUT", "").strip()
    if not text:
        return CONNECT_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value <= 3600:
        raise UsageError(
            f"{text!r} is not a time to wait: use seconds, more than 0 and at most 3600",
            source="XENT_CONNECT_TIMEOUT",
        )
    return value


def probe_scheduler(address: str, timeout: float) -> None:
    """Check, within ``timeout`` seconds, that a Dask scheduler answers at a ``tcp://``
    address (the default scheme): a refused connection, a silent peer and a peer that
    speaks another protocol are each one line, never a hang or a huge allocation.
    Other schemes (``tls://``, ``ucx://``) are left to distributed."""
    import socket
    import struct

    from distributed.comm.addressing import parse_address, parse_host_port

    scheme, location = parse_address(address)
    if scheme != "tcp":
        return
    host, port = parse_host_port(location)
    wait = f"within {timeout:g} s (XENT_CONNECT_TIMEOUT)"

    def fail(why: str) -> UsageError:
        return UsageError(f"the Dask scheduler {address!r}: {why}", parameter="cluster")

    try:
        with socket.create_connection((host, port), timeout=timeout) as peer:
            head = _receive(peer, 8, fail)
            (length,) = struct.unpack("<Q", head)
            if not 0 < length <= HANDSHAKE_BYTES:
                raise fail(f"not a Dask scheduler (it answered {head!r})")
            if not _is_handshake(_receive(peer, length, fail)):
                raise fail("not a Dask scheduler (its first message is not a Dask handshake)")
    except ConnectionRefusedError:
        raise fail("connection refused (is the scheduler running, on this port?)") from None
    except TimeoutError:
        raise fail(f"no answer {wait}: not a Dask scheduler, or unreachable") from None
    except OSError as error:
        raise fail(error.strerror or str(error)) from None


def _receive(peer, size: int, fail) -> bytes:
    data = bytearray()
    while len(data) < size:
        more = peer.recv(min(size - len(data), 1 << 16))
        if not more:
            raise fail("the connection was closed: not a Dask scheduler")
        data += more
    return bytes(data)


def _is_handshake(message: bytes) -> bool:
    """Whether ``message`` (less its length) is a Dask handshake: frames whose first is a
    msgpack map naming the pickle protocol. Read as data only: nothing is unpickled."""
    import struct

    import msgpack  # type: ignore[import-untyped]

    try:
        (count,) = struct.unpack_from("<Q", message)
        lengths = struct.unpack_from(f"<{count}Q", message, 8) if 0 < count < 64 else ()
        start = 8 + 8 * len(lengths)
        first = msgpack.unpackb(message[start : start + lengths[0]], raw=False)
    except (ValueError, IndexError, struct.error, msgpack.UnpackException, TypeError):
        return False
    return isinstance(first, dict) and "pickle-protocol" in first


@contextmanager
def _bounded(seconds: float, address: str):
    """At most ``seconds`` for the block (the main thread only: an alarm): distributed's
    client waits without end for a peer that answered the handshake and then nothing."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "setitimer"
    ):
        yield
        return

    def alarm(signum, frame):
        raise UsageError(
            f"the Dask scheduler {address!r}: no answer within {seconds:g} s "
            "(XENT_CONNECT_TIMEOUT)",
            parameter="cluster",
        )

    before = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)


class _Connected:
    """A client of the scheduler at ``address`` (``local``: a LocalCluster of
    ``workers`` processes, closed with the run)."""

    def __init__(self, address: str, workers: int | None) -> None:
        self.address, self.workers = address, workers
        self.cluster = self.client = None

    def __enter__(self):
        import logging

        distributed = _dask()
        try:
            if self.address == "local":
                # Ctrl-C reaches every process of the terminal's group: the workers are
                # started ignoring it (Python keeps an inherited SIG_IGN), so that only
                # this process hears it, cancels the tasks and closes the cluster.
                with _sigint_ignored():
                    self.cluster = distributed.LocalCluster(
                        n_workers=self.workers,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=":0",
                        silence_logs=logging.ERROR,
                    )
                self.client = distributed.Client(self.cluster)
            else:
                timeout = connect_timeout()
                probe_scheduler(self.address, timeout)
                with _bounded(2 * timeout, self.address):
                    self.client = distributed.Client(self.address, timeout=timeout)
        except (OSError, ValueError, TypeError) as error:  # unreachable, or no address
            self.__exit__(None, None, None)
            why = f"({error})" if str(error) else "(it did not complete the connection)"
            raise UsageError(
                f"cannot reach the Dask scheduler {self.address!r} {why}", parameter="cluster"
            ) from None
        except UsageError:
            self.__exit__(None, None, None)
            raise
        return self.client

    def __exit__(self, *exc) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()


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
    read = keep_group_columns(read, group_by, sequence_column)
    given = [paths] if isinstance(paths, str) else list(paths)
    sizes = partition_sizes()
    range_bytes = range_bytes or sizes[0]
    group_rows = group_rows or sizes[1]
    if client is not None:
        return _run(client, given, options, read, reduction, metrics, by_file, range_bytes,
                    group_rows, on_part, task, grouping)  # fmt: skip
    with _Connected(address, workers) as connected:
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
