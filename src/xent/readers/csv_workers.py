"""CSV chunks beside the reading: worker processes that parse, a thread that parses a
chunk ahead, and the tasks that let a backend read a file's chunks elsewhere.

A reader alone parses here (``numpy.loadtxt`` holds the GIL, so worker processes parse
whole chunks for it; pyarrow parses one chunk ahead in a thread). A runner that scores in
worker processes instead asks the reader for :class:`CsvTasks`: the file cut into chunks
of whole lines, each a :class:`ReadTask` (bytes, or where they are in the file, and the
first line's number) that :func:`read_task` turns into a chunk wherever it runs. This
module reads; it never scores (``xent.runner`` does).
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterable, Iterator
from itertools import count
from typing import NamedTuple, Protocol

from ..errors import DataError, ResourceError, UsageError
from ..lifeline import check_terminated, follow_parent
from .chunks import PredictionChunk
from .csv_parse import CsvChunkParser
from .text_chunks import TextChunk, decode

# More workers than this only cost memory.
MAX_WORKERS = 64


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def csv_workers() -> int:
    """Processes that parse (and score) CSV chunks: ``$XENT_CSV_WORKERS``, else one per
    core this process may run on. 0 or 1: everything in this process. A larger number
    than ``MAX_WORKERS`` is taken as ``MAX_WORKERS``."""
    text = os.environ.get("XENT_CSV_WORKERS", "").strip()
    if not text:  # unset or empty: the default, as for every XENT_ setting
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

    follow_parent()  # ends with the main process; SIGTERM and SIGHUP not its handlers
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
            check_terminated()  # a SIGTERM or SIGHUP swallowed while a worker was forked
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


class ReadTask(NamedTuple):
    """One chunk of a CSV file for a backend to read elsewhere: its bytes (a pipe's), or
    ``(offset, size)`` in the file (a worker reads them itself), the number of its first
    line, its newlines, the stream's bytes consumed with it, and the input's bytes read
    with it (its ``position``, for a progress bar)."""

    where: bytes | tuple[int, int]
    first_line: int
    newlines: int
    consumed: int
    position: int


class CsvTasks:
    """A CSV file cut into chunks of whole lines, for a backend that reads (and parses)
    them elsewhere: iterate for the :class:`ReadTask` s in input order (an error of the
    input, a line too long, is raised in its place, after the tasks before it), and read
    each with :func:`read_task` (``parser``, ``fd``: what a worker process needs).

    ``pieces`` are text chunks (a pipe: their bytes travel) or, where ``fd`` reads the
    file, :class:`BlockSpan` s (only where the lines are travels); ``header``: the bytes
    before the first piece, ``start``: the file offset of the first piece."""

    def __init__(
        self,
        parser: CsvChunkParser,
        pieces: Iterable,
        header: int,
        fd: int | None = None,
        start: int = 0,
        close=None,
    ) -> None:
        self.parser, self.pieces, self.header = parser, pieces, header
        self.fd, self.start, self._close = fd, start, close

    @property
    def source(self) -> str:
        return self.parser.source

    def __iter__(self) -> Iterator[ReadTask]:
        for piece in self.pieces:
            if self.fd is None:
                where: bytes | tuple[int, int] = piece.data
            else:
                where = (self.start + piece.consumed - piece.size, piece.size)
            position = self.header + piece.consumed
            yield ReadTask(where, piece.first_line, piece.newlines, piece.consumed, position)

    def close(self) -> None:
        """Stop finding lines (a thread of its own) before the file is closed."""
        if self._close is not None:
            self._close()


class Handoff(Protocol):
    """A backend that takes a source's reading over: a CSV file's :class:`CsvTasks` (to read
    elsewhere), and the chunks of any other source (read here). What it yields in their
    place (scored parts) the reader yields on, counted as chunks are (``len``: rows read;
    ``position``: bytes read)."""

    def tasks(self, tasks: CsvTasks) -> Iterator: ...

    def chunks(self, chunks: Iterable[PredictionChunk]) -> Iterator: ...


def read_task(parser: CsvChunkParser, fd: int | None, task: ReadTask) -> PredictionChunk:
    """The chunk of ``task``: its bytes read at their offset in the file of ``fd`` (the
    file must not have changed), checked as UTF-8 and parsed."""
    where = task.where
    if isinstance(where, tuple):
        assert fd is not None
        offset, size = where
        data = os.pread(fd, size, offset)
        if len(data) != size:
            raise DataError("the file changed while it was read", source=parser.source)
    else:
        data = where
    text = decode(data, parser.source, task.first_line)
    piece = TextChunk(data, text, task.first_line, task.newlines, task.consumed)
    return parser.parse(piece, task.position)
