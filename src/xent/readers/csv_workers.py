"""CSV chunks beside the reading: worker processes that parse and score, or parse only.

With a spec in effect (:func:`scoring`, set by the pipeline: a
:class:`~xent.parts.ScoreSpec` for predictions, a :class:`~xent.parts.RowSpec` for rows of
distributions), the work is map-reduce: each worker process reads its chunks of the file
itself (``pread`` at offsets this process found; bytes through a pipe for stdin), checks
UTF-8, parses and scores them into parts (``spec.score``); this process only cuts the input
into chunks of whole lines, numbers their lines, and yields the parts in input order for
the pipeline to merge. The first error in file order wins: a worker stops at its chunk's
first bad row, and the parts before it are yielded before the error is raised.

Without a spec (a caller of the readers alone), worker processes only parse
(``numpy.loadtxt`` holds the GIL), and pyarrow parses one chunk ahead in a thread.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from itertools import count
from typing import NamedTuple

from ..errors import DataError, ResourceError, UsageError, XentError
from ..parts import GROUP_CHUNKS
from .csv_parse import CsvChunkParser
from .text_chunks import TextChunk, decode

# More workers than this only cost memory.
MAX_WORKERS = 64

_scoring: ContextVar = ContextVar("xent_scoring", default=None)


@contextmanager
def scoring(spec):
    """Within: a CSV reader with worker processes yields :class:`~xent.parts.Part` s
    scored there (by ``spec``, a :class:`~xent.parts.ScoreSpec`) in place of chunks."""
    token = _scoring.set(spec)
    try:
        yield
    finally:
        _scoring.reset(token)


def scoring_spec():
    return _scoring.get()


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def csv_workers() -> int:
    """Processes that parse (and score) CSV chunks: ``$XENT_CSV_WORKERS``, else one per
    core this process may run on. 0 or 1: everything in this process. A larger number
    than ``MAX_WORKERS`` is taken as ``MAX_WORKERS``."""
    text = os.environ.get("XENT_CSV_WORKERS")
    if text is None:
        return min(_cores(), MAX_WORKERS)
    try:
        workers = int(text)
    except ValueError:
        workers = -1
    if workers < 0:
        raise UsageError(
            f"{text!r} is not a number of worker processes (0 or more)",
            source="XENT_CSV_WORKERS",
        )
    return min(workers, MAX_WORKERS)


def worker_lost(source: str) -> ResourceError:
    """What a user reads when a worker process died under xent (the kernel's OOM killer,
    a signal): the run has no result, and one process needs less memory than many."""
    return ResourceError(
        "a worker process ended abruptly (out of memory, or killed); XENT_CSV_WORKERS=1 "
        "reads in this process alone, with less memory",
        source=source,
    )


_worker_parser: CsvChunkParser | None = None


def _start_worker(parser: CsvChunkParser) -> None:
    global _worker_parser
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process reports an interrupt
    _worker_parser = parser


def _parse_in_worker(data: bytes):
    assert _worker_parser is not None  # set by _start_worker, the pool's initializer
    return _worker_parser.fast_arrays(data)


def parse_in_workers(parser: CsvChunkParser, pieces: Iterable[TextChunk], workers: int):
    """``(piece, fast_arrays(piece) or False)`` in input order: of every ``workers + 1``
    chunks, ``workers`` are parsed by worker processes and one here (``False``: the caller
    parses it), so one worker already uses two cores.

    ``numpy.loadtxt`` holds the GIL, so threads would not help: processes, forked (cheap:
    NumPy is already imported), each given whole chunks. At most two chunks a worker are
    in flight, so memory stays flat. Without ``fork`` (Windows) every chunk is parsed here.
    """
    import multiprocessing
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    if "fork" not in multiprocessing.get_all_start_methods():
        yield from ((piece, False) for piece in pieces)
        return
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_start_worker,
        initargs=(parser,),
    )
    try:
        waiting: deque = deque()
        pieces = iter(pieces)
        for i in count():
            try:
                piece = next(pieces)
            except StopIteration:
                break
            except DataError:  # a bad read (not UTF-8) comes after the rows before it
                while waiting:
                    piece, future = waiting.popleft()
                    yield piece, False if future is None else future.result()
                raise
            if i % (workers + 1) == workers:
                waiting.append((piece, None))  # this process's share
            else:
                # The text is dropped while the chunk waits; decoded again only if needed.
                future = pool.submit(_parse_in_worker, piece.data)
                waiting.append((piece._replace(text=None), future))
            if len(waiting) > 2 * workers + 1:
                piece, future = waiting.popleft()
                yield piece, False if future is None else future.result()
        while waiting:
            piece, future = waiting.popleft()
            yield piece, False if future is None else future.result()
    except BrokenProcessPool:
        raise worker_lost(parser.source) from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def read_ahead(pieces: Iterator, parse):
    """``parse(piece)`` for each piece, the next one parsed in a thread while this one is
    used. The pieces are read here, in the calling thread: the worker never blocks on a
    read, so Ctrl-C on a pipe that stays open is not left waiting for it."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = None
        pieces = iter(pieces)
        while True:
            try:
                piece = next(pieces)
            except StopIteration:
                break
            except Exception:  # a bad read (not UTF-8) comes after the rows before it
                if pending is not None:
                    yield pending.result()
                raise
            future = pool.submit(parse, piece)
            if pending is not None:
                yield pending.result()
            pending = future
        if pending is not None:
            yield pending.result()


# -- map-reduce: workers that parse and score


_scorer: dict = {}


def _start_scorer(parser: CsvChunkParser, spec, fd: int | None) -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process reports an interrupt
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the main process's handler
    if parser.arrow is not None:
        # One core a process: measured faster than Arrow's threads in each worker, and
        # than one process parsing with them a chunk ahead (1M x 10, 2 cores).
        parser.arrow.single_threaded()
    _scorer.update(parser=parser, spec=spec, fd=fd)


def _score_in_worker(tasks):
    """``(parts, error)``: the parts of the tasks' chunks up to the first error, and that
    error (None if none). A task is ``(bytes or (offset, size), first_line, newlines,
    consumed, position)``."""
    from ..parts import merged, slim

    parser, spec, fd = _scorer["parser"], _scorer["spec"], _scorer["fd"]
    parts = []
    try:
        for where, first_line, newlines, consumed, position in tasks:
            if isinstance(where, tuple):
                offset, size = where
                data = os.pread(fd, size, offset)
                if len(data) != size:
                    raise DataError("the file changed while it was read", source=parser.source)
            else:
                data = where
            text = decode(data, parser.source, first_line)
            chunk = parser.parse(TextChunk(data, text, first_line, newlines, consumed), position)
            parts.append(slim(spec.score(chunk)))
    except XentError as error:
        return merged(parts), error
    return merged(parts), None


def file_offsets(stream) -> tuple[int, int] | None:
    """``(file descriptor, offset of the next byte)`` when ``stream`` reads a regular file
    (workers then read their chunks themselves), else None (a pipe: bytes are sent)."""
    import io
    import stat

    try:
        fd = stream.fileno()
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return fd, stream.tell()
    except (OSError, ValueError, io.UnsupportedOperation):
        return None


class BlockSpan(NamedTuple):
    """Where a block of whole lines is in a file (its bytes are read by a worker)."""

    size: int
    first_line: int
    newlines: int
    consumed: int  # bytes of the stream consumed so far, this block's included

    @classmethod
    def of(cls, block) -> BlockSpan:
        return cls(len(block[0]), block.first_line, block.newlines, block.consumed)


def spans_ahead(blocks: Iterator, depth: int = 256) -> Generator[BlockSpan, None, None]:
    """The spans of ``blocks`` (line blocks of a file), found in a thread: finding the
    line ends and counting lines, this process's share of the map-reduce, then runs
    beside its handing out of tasks and merging of parts (with many workers, this
    process's serial work is what bounds the run). An error (a line too long) is raised
    in its place, after the spans before it."""
    import queue
    import threading

    spans: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    end = object()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                spans.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for block in blocks:
                if not put(BlockSpan.of(block)):
                    return
            item: object = end
        except BaseException as error:  # noqa: BLE001 - raised again in the reading thread
            item = error
        put(item)

    thread = threading.Thread(target=read, name="xent-line-blocks", daemon=True)
    thread.start()
    try:
        while True:
            item = spans.get()
            if item is end:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


def score_in_workers(parser: CsvChunkParser, pieces, workers: int, spec, header: int, file):
    """The parts of ``pieces`` in input order, each parsed and scored by one of
    ``workers`` worker processes (forked: NumPy is already imported). ``pieces``: text
    chunks, not decoded, or (with ``file``, :func:`file_offsets`) line blocks, whose
    bytes the workers read themselves. ``header``: bytes before the first piece.

    At most ``2 * workers`` tasks are in flight, so memory stays flat."""
    import multiprocessing
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    fd, start = file if file is not None else (None, 0)
    # A file read at offsets, without per-row output: a task is a group of chunks
    # (xent.parts.GROUP_CHUNKS), its totals merged there: an eighth of the tasks and parts
    # for this process to hand out and merge, its work being what limits many workers.
    # (A pipe's tasks carry their bytes: one chunk each keeps this process's memory flat.)
    batch_size = GROUP_CHUNKS if fd is not None and not spec.keep_rows else 1
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_start_scorer,
        initargs=(parser, spec, fd),
    )
    # Fork every worker now, while this process has one thread: the line ends of a file
    # are then found in a thread of its own (spans_ahead), and a fork copies only the
    # forking thread, leaving any lock another thread held locked in the child.
    pool.submit(int).result()
    waiting: deque = deque()

    def results(keep: int):
        while len(waiting) > keep:
            parts, error = waiting.popleft().result()
            yield from parts
            if error is not None:
                raise error

    try:
        batch: list = []
        pieces = iter(pieces)
        while True:
            try:
                piece = next(pieces)
            except StopIteration:
                break
            except DataError:  # a bad read (a line too long) comes after the rows before it
                if batch:
                    waiting.append(pool.submit(_score_in_worker, batch))
                yield from results(0)
                raise
            # A pipe's chunks go as bytes; a file's as where they are (BlockSpans).
            where = piece.data if fd is None else (start + piece.consumed - piece.size, piece.size)
            position = header + piece.consumed
            batch.append((where, piece.first_line, piece.newlines, piece.consumed, position))
            if len(batch) >= batch_size:
                waiting.append(pool.submit(_score_in_worker, batch))
                batch = []
                yield from results(2 * workers)
        if batch:
            waiting.append(pool.submit(_score_in_worker, batch))
        yield from results(0)
    except BrokenProcessPool:
        raise worker_lost(parser.source) from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
