"""Parsing CSV chunks beside the reading: worker processes for the NumPy reader (its
``numpy.loadtxt`` holds the GIL), one thread ahead for pyarrow (which releases it)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from itertools import count

from ..errors import DataError, UsageError
from .csv_parse import CsvChunkParser
from .text_chunks import TextChunk

# More workers than this only cost memory: the main process scores one chunk at a time.
MAX_WORKERS = 64


def csv_workers() -> int:
    """Worker processes for the NumPy reader's parsing: ``$XENT_CSV_WORKERS``, else one
    per core but one (the main process reads and scores), at most 3. 0 parses here.
    A larger number than ``MAX_WORKERS`` is taken as ``MAX_WORKERS``."""
    text = os.environ.get("XENT_CSV_WORKERS")
    if text is None:
        return max(0, min((os.cpu_count() or 1) - 1, 3))
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


_worker_parser: CsvChunkParser | None = None


def _start_worker(parser: CsvChunkParser) -> None:
    global _worker_parser
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process reports an interrupt
    _worker_parser = parser


def _parse_in_worker(data: bytes):
    return _worker_parser.fast_arrays(data)


def parse_in_workers(parser: CsvChunkParser, pieces: Iterator[TextChunk], workers: int):
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
