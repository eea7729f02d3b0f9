"""``xent compute --file``: a prediction file (or stdin) through the pipeline, streamed.

A chunk is read, scored, added to the totals (or written out, with ``--reduction none``)
and dropped, so memory stays flat; a progress bar shows on stderr for large inputs.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ..errors import UsageError
from .app import Terminal, error_line, save_pictures
from .options import View

if TYPE_CHECKING:
    from ..render.rows_output import RowWriter

# Inputs smaller than this finish before a progress bar would be worth drawing.
PROGRESS_BYTES = 16 << 20


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
    state: dict = {"progress": None, "task": None}

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


def score_file_command(
    path: str, options, read, view: View, *, group_by=None, sequence_column=None
):
    """Score ``path`` and render its summary, or its rows with ``--reduction none``;
    returns the summary."""
    from ..pipeline import score_file
    from ..results import skipped_note

    terminal = Terminal.detect()
    per_row = view.reduction == "none"
    if per_row and options.worst:
        raise UsageError("--worst needs a summary: leave out --reduction none", source="--worst")
    if per_row and view.pictures:
        raise UsageError(
            "--save-svg/--save-html save the summary: leave out --reduction none",
            source="--save-svg" if view.svg else "--save-html",
        )
    fmt = view.fmt.value
    if fmt == "auto":
        fmt = "table" if terminal.stdout_is_tty else ("csv" if per_row else "plain")
    rows = RowOutput(fmt, view.precision) if per_row else None
    with progress_bar(path, terminal) as progress:
        summary = score_file(
            path,
            options,
            read,
            reduction=view.reduction,
            metrics=not per_row and (fmt != "plain" or view.pictures),
            on_rows=rows,
            progress=progress,
            group_by=group_by,
            sequence_column=sequence_column,
        )
    if rows is not None:
        rows.finish()
    else:
        from ..render import render_summary

        render_summary(summary, fmt, sys.stdout, precision=view.precision)
    sys.stdout.flush()
    if view.pictures:
        from ..render.summary_table import summary_renderable

        save_pictures(lambda: summary_renderable(summary, view.precision), view.svg, view.html)
    if summary.skipped and (per_row or fmt != "table"):
        # Said on stderr too, where a script's log keeps it.
        error_line(f"{summary.source}: {skipped_note(summary, summary.numbered)}")
    if per_row and summary.ignored:
        error_line(f"{summary.source}: {summary.ignored:,} rows ignored, not written")
    return summary


class RowOutput:
    """``--reduction none``: each scored chunk's rows written as they come, in order."""

    def __init__(self, fmt: str, precision: int) -> None:
        self.fmt, self.precision = fmt, precision
        self.writer: RowWriter | None = None

    def __call__(self, scored, chunk) -> None:
        if self.writer is None:
            from ..render.rows_output import RowWriter

            self.writer = RowWriter(
                self.fmt,
                sys.stdout,
                chunk.classes,
                numbered=chunk.numbered,
                precision=self.precision,
            )
        self.writer.write(scored)

    def finish(self) -> None:
        if self.writer is not None:
            self.writer.finish()
