"""``xent compute --file``: score a prediction file (or stdin), chunk by chunk.

Reading, scoring and summing are streamed: a chunk is read, scored, added to the running
summary (or written out, with ``--reduction none``) and dropped, so memory stays flat.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from dataclasses import dataclass

from ..errors import InvalidProbabilities, UsageError
from .app import OutputFormat, Terminal

# Inputs smaller than this finish before a progress bar would be worth drawing.
PROGRESS_BYTES = 16 << 20


@dataclass(frozen=True)
class FileJob:
    path: str
    logits: bool
    base: float
    reduction: str
    clip: float | None
    renormalize: bool
    worst: int
    fmt: OutputFormat
    precision: int


def _size(path: str) -> int | None:
    import os

    if path == "-":
        return None
    try:
        return os.stat(path).st_size
    except OSError:
        return None


@contextmanager
def progress_bar(path: str, terminal: Terminal):
    """A function to call with the bytes read so far; it draws a Rich bar on stderr once
    the input is large, and only when stderr is a terminal."""
    if not terminal.stderr_is_tty:
        yield lambda position: None
        return
    total = _size(path)
    state = {"progress": None, "task": None}

    def update(position: int) -> None:
        if state["progress"] is None:
            if position < PROGRESS_BYTES and (total is None or total < 2 * PROGRESS_BYTES):
                return
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            progress = Progress(
                TextColumn("reading"),
                BarColumn(),
                DownloadColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            progress.start()
            state["progress"] = progress
            state["task"] = progress.add_task("read", total=total)
        state["progress"].update(state["task"], completed=position)

    try:
        yield update
    finally:
        if state["progress"] is not None:
            state["progress"].stop()


def run_file(job: FileJob, options) -> None:
    """Read, score and report ``job.path`` with the reader ``options``."""
    from ..readers.chunks import error_number
    from ..readers.files import read_prediction_chunks, source_name
    from ..scoring import score_chunk
    from ..summary import LossAccumulator

    terminal = Terminal.detect()
    source = source_name(job.path)
    skip = options.on_error == "skip"
    per_row = job.reduction == "none"
    if per_row and job.worst:
        raise UsageError("--worst needs a summary: leave out --reduction none", source="--worst")
    fmt = job.fmt.value
    if fmt == "auto":
        fmt = "table" if terminal.stdout_is_tty else ("csv" if per_row else "plain")
    accumulator = writer = None
    numbered = "line"
    with progress_bar(job.path, terminal) as progress:
        for chunk in read_prediction_chunks(job.path, options):
            try:
                scored = score_chunk(
                    chunk,
                    source=source,
                    logits=job.logits,
                    base=job.base,
                    clip=job.clip,
                    renormalize=job.renormalize,
                    skip=skip,
                )
            except InvalidProbabilities as error:
                if error.what == "prediction" and not job.renormalize:
                    error.message += " (--renormalize divides by the sum)"
                raise
            numbered = chunk.numbered
            if accumulator is None:
                accumulator = LossAccumulator(chunk.classes, worst=job.worst)
            accumulator.skip([error_number(e) for e in scored.skipped])
            accumulator.add(scored.lines, scored.labels, scored.predicted, scored.losses)
            if per_row:
                if writer is None:
                    from ..render.rows_output import RowWriter

                    writer = RowWriter(
                        fmt, sys.stdout, chunk.classes, numbered=numbered, precision=job.precision
                    )
                writer.write(scored)
            progress(chunk.position)
    if per_row:
        if writer is not None:
            writer.finish()
        _report_skipped(accumulator, source, numbered)
        sys.stdout.flush()
        return
    summary = accumulator.summary(
        source=source, base=job.base, reduction=job.reduction, numbered=numbered
    )
    if summary.infinite:
        summary.notes.append(
            f"{summary.infinite:,} rows give probability 0 to their label: infinite loss "
            "(--clip 1e-15 clips the predictions, as scikit-learn does)"
        )
    if summary.skipped:
        summary.notes.append(_skipped_note(accumulator, numbered))
    from ..render import render_summary

    render_summary(summary, fmt, sys.stdout, precision=job.precision)
    sys.stdout.flush()
    if summary.skipped and fmt != "table":
        _report_skipped(accumulator, source, numbered)


def _skipped_note(accumulator, numbered: str) -> str:
    shown = ", ".join(map(str, accumulator.skipped_lines))
    more = ", ..." if accumulator.skipped > len(accumulator.skipped_lines) else ""
    return f"skipped {accumulator.skipped:,} bad rows ({numbered}s {shown}{more})"


def _report_skipped(accumulator, source: str, numbered: str) -> None:
    """Skipped rows are said on stderr too, where a script's log will keep them."""
    if accumulator is not None and accumulator.skipped:
        from .app import error_line

        error_line(f"{source}: {_skipped_note(accumulator, numbered)}")
