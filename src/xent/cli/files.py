"""``xent compute --file``: a prediction file (or stdin) through the pipeline, streamed.

A chunk is read, scored, added to the totals (or written out, with ``--reduction none``)
and dropped, so memory stays flat; a progress bar shows on stderr for large inputs.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ..errors import UsageError
from ..units import counted
from .app import Terminal, error_line, save_pictures
from .options import View

if TYPE_CHECKING:
    from ..render.rows_output import RowWriter

# Inputs smaller than this finish before a progress bar would be worth drawing.
PROGRESS_BYTES = 16 << 20


def _size(paths: list[str]) -> int | None:
    import os

    if "-" in paths:
        return None
    try:
        return sum(os.stat(path).st_size for path in paths)
    except OSError:
        return None


@contextmanager
def progress_bar(paths: list[str], terminal: Terminal):
    """A function to call with the bytes read so far; it draws a Rich bar on stderr once
    the input is large, and only when stderr is a terminal."""
    if not terminal.stderr_is_tty:
        yield lambda position: None
        return
    total = _size(paths)
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
    paths: list[str],
    options,
    read,
    view: View,
    *,
    by_file: bool = False,
    group_by=None,
    sequence_column=None,
    cluster: str | None = None,
    workers: int | None = None,
):
    """Score the files (one evaluation) and render the summary, or the rows with
    ``--reduction none``; returns the summary. ``cluster``: on a Dask cluster
    (:mod:`xent.runner.dask`)."""
    from ..pipeline import score_file
    from ..readers.sources import expand_paths
    from ..report import skipped_note

    terminal = Terminal.detect()
    per_row = view.reduction == "none"
    if cluster is not None:
        from ..runner.dask import check_cluster_options

        check_cluster_options(per_row)
    # On a cluster the workers find the files (the client may not see them).
    files = expand_paths(paths) if cluster is None else paths
    if len(files) > 1 and per_row:
        raise UsageError(
            "--reduction none with several files: the rows would be numbered per file; "
            "score one file at a time",
            source="--reduction",
        )
    if len(files) > 1 and options.worst:
        raise UsageError(
            "--worst with several files: its line numbers would be per file; score one "
            "file at a time",
            source="--worst",
        )
    if by_file and per_row:
        raise UsageError(
            "--by-file needs a summary: leave out --reduction none", source="--by-file"
        )
    if per_row and options.worst:
        raise UsageError("--worst needs a summary: leave out --reduction none", source="--worst")
    fmt = _output_format(view, terminal)
    if per_row and (view.reliability or view.reliability_svg):
        raise UsageError(
            "the reliability diagram is of the whole file: leave out --reduction none",
            source="--reliability" if view.reliability else "--reliability-svg",
        )
    rows = RowOutput(fmt, view.precision) if per_row else None
    metrics = not per_row and bool(
        fmt != "plain" or view.pictures or view.reliability or view.reliability_svg
    )
    if cluster is not None:
        from ..runner.dask import score_on_cluster

        summary = score_on_cluster(
            paths,
            options,
            read,
            address=cluster,
            workers=workers,
            reduction=view.reduction,
            metrics=metrics,
            by_file=by_file,
            group_by=group_by,
            sequence_column=sequence_column,
        )
    else:
        with progress_bar(files, terminal) as progress:
            summary = score_file(
                paths,
                options,
                read,
                reduction=view.reduction,
                metrics=metrics,
                on_rows=rows,
                progress=progress,
                by_file=by_file,
                group_by=group_by,
                sequence_column=sequence_column,
            )
    if rows is not None:
        rows.finish()
    elif view.reliability:
        render_reliability(summary, fmt, view.precision)
    else:
        from ..render import render_summary

        render_summary(summary, fmt, sys.stdout, precision=view.precision)
    sys.stdout.flush()
    if view.pictures:
        if view.reliability:
            from ..render.reliability import reliability_renderable as renderable
        else:
            from ..render.summary_table import summary_renderable as renderable

        save_pictures(lambda: renderable(summary, view.precision), view.svg, view.html)
    if view.reliability_svg:
        from ..render.reliability import save_reliability_svg

        save_reliability_svg(summary, view.reliability_svg)
    if summary.skipped and (per_row or fmt != "table"):
        # Said on stderr too, where a script's log keeps it.
        error_line(f"{summary.source}: {skipped_note(summary, summary.numbered)}")
    if per_row and summary.ignored:
        error_line(f"{summary.source}: {counted(summary.ignored, 'row')} ignored, not written")
    return summary


def render_reliability(summary, fmt: str, precision: int) -> None:
    """The reliability diagram: a Rich table, or its rows as csv (also for plain) or json."""
    if fmt == "table":
        from ..render.reliability import render_reliability_table

        render_reliability_table(summary, sys.stdout, precision=precision)
        return
    from ..render import summary_output

    if fmt == "json":
        summary_output.render_reliability_json(summary, sys.stdout)
    else:
        summary_output.render_reliability_csv(summary, sys.stdout)


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


def distribution_file_command(
    path: str,
    kind: str,
    options,
    read,
    view: View,
    *,
    p_columns: tuple[str, ...] = (),
    q_columns: tuple[str, ...] = (),
    classes: tuple[str, ...] = (),
) -> None:
    """``xent entropy``/``kl``/``js`` of a file: its summary, or its rows with
    ``--reduction none``, streamed as :func:`score_file_command` does."""
    import numpy as np

    from ..pipeline import score_distribution_file
    from ..render.distribution_output import (
        DistributionRowWriter,
        render_distribution_summary,
    )
    from ..results import DISTRIBUTION_KEYS, skipped_note

    terminal = Terminal.detect()
    per_row = view.reduction == "none"
    fmt = _output_format(view, terminal)
    writer: list[DistributionRowWriter] = []

    def on_rows(values, lines, chunk) -> None:
        if not writer:
            writer.append(
                DistributionRowWriter(
                    fmt,
                    sys.stdout,
                    DISTRIBUTION_KEYS[kind],
                    numbered=chunk.numbered,
                    precision=view.precision,
                )
            )
        writer[0].write(values, lines)

    with progress_bar([path], terminal) as progress:
        summary = score_distribution_file(
            path,
            kind,
            options,
            read,
            p_columns=p_columns,
            q_columns=q_columns,
            classes=classes,
            reduction=view.reduction,
            on_rows=on_rows if per_row else None,
            progress=progress,
        )
    if per_row:
        if not writer:  # every row skipped: a csv still has its header
            on_rows(np.zeros(0), np.zeros(0, dtype=np.int64), summary)
        writer[0].finish()
    else:
        render_distribution_summary(summary, fmt, sys.stdout, precision=view.precision)
    sys.stdout.flush()
    if view.pictures:
        from ..render.distribution_output import distribution_summary_renderable

        save_pictures(
            lambda: distribution_summary_renderable(summary, view.precision), view.svg, view.html
        )
    if summary.skipped and (per_row or fmt != "table"):
        error_line(f"{summary.source}: {skipped_note(summary, summary.numbered)}")
    if summary.infinite and kind == "kl":
        error_line(
            f"{summary.source}: {counted(summary.infinite, 'row')} "
            f"{'has' if summary.infinite == 1 else 'have'} an infinite KL(P‖Q): Q gives "
            "probability 0 to a class that P gives mass to"
        )


def _output_format(view: View, terminal) -> str:
    """The format to write: ``auto`` is a table on a terminal, else CSV rows or the plain
    number. Pictures (--save-svg/--save-html) are of the summary, not of rows."""
    per_row = view.reduction == "none"
    if per_row and view.pictures:
        raise UsageError(
            "--save-svg/--save-html save the summary: leave out --reduction none",
            source="--save-svg" if view.svg else "--save-html",
        )
    fmt = view.fmt.value
    if fmt == "auto":
        fmt = "table" if terminal.stdout_is_tty else ("csv" if per_row else "plain")
    return fmt
