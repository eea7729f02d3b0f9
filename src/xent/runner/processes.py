"""The worker-process backend: a CSV file's chunks read, parsed and scored by forked
worker processes, the parts merged here in input order.

The reader cuts the file into tasks (:class:`~xent.readers.csv_workers.CsvTasks`: where
each chunk of whole lines is, and its first line's number; a pipe's bytes); each worker
reads its chunks itself (``pread``), checks UTF-8, parses and scores them with the map
step (``spec.score``), and sends back one part for a group of chunks. This process only
finds the lines, hands out tasks and yields the parts in input order. The first error in
file order wins: a worker stops at its chunk's first bad row, and the parts before it are
yielded before the error is raised.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from itertools import chain

from ..errors import DataError, XentError
from ..lifeline import check_terminated, follow_parent
from ..parts import Part, slim
from ..readers.csv_workers import CsvTasks, ReadTask, read_task, worker_lost
from .reduce import GROUP_CHUNKS, merged


class Processes:
    """A :class:`~xent.readers.csv_workers.Handoff` that scores a CSV file's chunks in
    ``workers`` worker processes (by ``spec``, a :class:`~xent.parts.ScoreSpec` or
    :class:`~xent.parts.RowSpec`), and any other source's chunks here."""

    def __init__(self, spec, workers: int) -> None:
        self.spec, self.workers = spec, workers

    def chunks(self, chunks: Iterable) -> Iterator[Part]:
        return map(self.spec.score, chunks)

    def tasks(self, tasks: CsvTasks) -> Iterator[Part]:
        """The parts of ``tasks`` in input order: one task is scored here (no workers to
        start), more by the workers."""
        import multiprocessing

        pending = iter(tasks)
        first = next(pending, None)
        if first is None:
            return
        try:
            second = next(pending, None)
        except DataError:  # a bad read (a line too long) comes after the rows before it
            yield self._here(tasks, first)
            raise
        if second is None or "fork" not in multiprocessing.get_all_start_methods():
            for task in chain([first], [] if second is None else [second], pending):
                yield self._here(tasks, task)
            return
        yield from self._in_workers(tasks, chain([first, second], pending))

    def _here(self, tasks: CsvTasks, task: ReadTask) -> Part:
        return self.spec.score(read_task(tasks.parser, tasks.fd, task))

    def _in_workers(self, tasks: CsvTasks, pending: Iterator[ReadTask]) -> Iterator[Part]:
        """At most ``2 * workers`` batches in flight, so memory stays flat."""
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        # A file read at offsets, without per-row output: a batch is a group of chunks
        # (GROUP_CHUNKS), its parts merged there: an eighth of the batches and parts for
        # this process to hand out and merge, its work being what limits many workers.
        # (A pipe's tasks carry their bytes: one chunk each keeps this process's memory flat.)
        size = GROUP_CHUNKS if tasks.fd is not None and not self.spec.keep_rows else 1
        pool = ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_start_worker,
            initargs=(tasks.parser, self.spec, tasks.fd),
        )
        # Fork every worker now, while this process has one thread: the lines of a file
        # are then found in a thread of its own, and a fork copies only the forking thread.
        pool.submit(int).result()
        waiting: deque = deque()

        def results(keep: int):
            while len(waiting) > keep:
                parts, error = waiting.popleft().result()
                yield from parts
                if error is not None:
                    raise error

        try:
            batch: list[ReadTask] = []
            while True:
                # A SIGTERM or SIGHUP that came while the workers were forked was swallowed
                # (Python ignores an exception raised in an at-fork hook): end the run here.
                check_terminated()
                try:
                    task = next(pending)
                except StopIteration:
                    break
                except DataError:  # a bad read (a line too long) comes after the rows before it
                    if batch:
                        waiting.append(pool.submit(_score_in_worker, batch))
                    yield from results(0)
                    raise
                batch.append(task)
                if len(batch) >= size:
                    waiting.append(pool.submit(_score_in_worker, batch))
                    batch = []
                    yield from results(2 * self.workers)
            if batch:
                waiting.append(pool.submit(_score_in_worker, batch))
            yield from results(0)
        except BrokenProcessPool:
            raise worker_lost(tasks.source) from None
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


_worker: dict = {}


def _start_worker(parser, spec, fd: int | None) -> None:
    import signal

    follow_parent()  # ends with the main process; SIGTERM and SIGHUP not its handlers
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process reports an interrupt
    if parser.arrow is not None:
        # One core a process: measured faster than Arrow's threads in each worker, and
        # than one process parsing with them a chunk ahead (1M x 10, 2 cores).
        parser.arrow.single_threaded()
    _worker.update(parser=parser, spec=spec, fd=fd)


def _score_in_worker(batch: list[ReadTask]):
    """``(parts, error)``: the parts of the batch's chunks up to the first error (merged
    into one where they can be), and that error (None if none)."""
    parser, spec, fd = _worker["parser"], _worker["spec"], _worker["fd"]
    parts = []
    try:
        for task in batch:
            parts.append(slim(spec.score(read_task(parser, fd, task))))
    except XentError as error:
        return merged(parts), error
    return merged(parts), None


def processes(spec) -> Processes | None:
    """The worker-process backend for a local source scored by ``spec``, when
    ``$XENT_CSV_WORKERS`` (else one per core) asks for more than one process; None: every
    chunk is read and scored here."""
    from ..readers.csv_workers import csv_workers

    workers = csv_workers()
    return Processes(spec, workers) if workers > 1 else None
