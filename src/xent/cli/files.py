"""Files through :func:`xent.api.evaluate`, streamed, and what is shown of them.

A chunk is read, scored, added to the totals (or written out, with ``--reduction none``)
and dropped, so memory stays flat; a progress bar shows on stderr for large inputs.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

from ..units import counted
from .app import Terminal, error_line, save_pictures
from .parse import View

if TYPE_CHECKING:
    from ..evaluation import Evaluation
    from ..render.rows_output import RowWriter

# Inputs smaller than this finish before a progress bar would be worth drawing.
PROGRESS_BYTES = 16 << 20


def _size(paths: list[str]) -> int | None:
    import os

    from ..readers.sources import expand_paths

    if "-" in paths:
        return None
    try:
        return sum(os.stat(path).st_size for path in expand_paths(paths))
    except (OSError, ValueError):
        return None


class _Bar:
    """The bytes read so far, drawn as a Rich bar on stderr once the input is large."""

    def __init__(self, paths: list[str]) -> None:
        self.paths = paths
        self.progress: Any = None
        self.task: Any = None
        self.sized, self.total = False, cast("int | None", None)

    def __call__(self, position: int) -> None:
        if self.progress is None:
            if not self.sized:  # at the first call: the files are found by now
                self.sized, self.total = True, _size(self.paths)
            small = self.total is None or self.total < 2 * PROGRESS_BYTES
            if position < PROGRESS_BYTES and small:
                return
            self._start()
        self.progress.update(self.task, completed=position)

    def _start(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        columns = (TextColumn("reading"), BarColumn(), DownloadColumn(), TimeRemainingColumn())
        self.progress = Progress(*columns, console=Console(stderr=True), transient=True)
        self.progress.start()
        self.task = self.progress.add_task("read", total=self.total)


@contextmanager
def progress_bar(paths: list[str], terminal: Terminal):
    """A function to call with the bytes read so far; it draws a Rich bar on stderr once
    the input is large, and only when stderr is a terminal."""
    if not terminal.stderr_is_tty:
        yield lambda position: None
        return
    bar = _Bar(paths)
    try:
        yield bar
    finally:
        if bar.progress is not None:
            bar.progress.stop()


def summary_format(view: View) -> str:
    """The format to write: ``auto`` is a table on a terminal, else CSV rows or the plain
    number."""
    fmt = view.fmt.value
    if fmt == "auto":
        per_row = view.reduction == "none"
        fmt = "table" if Terminal.detect().stdout_is_tty else ("csv" if per_row else "plain")
    return fmt


def wants_metrics(view: View, fmt: str) -> bool:
    """Top-k, Brier and calibration are kept beside the loss when they are shown."""
    drawn = view.pictures or view.reliability or view.reliability_svg
    return view.reduction != "none" and bool(fmt != "plain" or drawn)


def score_files(evaluation: Evaluation, paths: list[str], view: View, fmt: str):
    """Score the files (one evaluation) and render the summary, or the rows with
    ``--reduction none``; returns the summary."""
    from .. import api

    rows = RowOutput(fmt, view.precision) if evaluation.per_row else None
    with progress_bar(paths, Terminal.detect()) as progress:
        summary = api.evaluate(evaluation, paths, on_rows=rows, progress=progress)
    if rows is not None:
        rows.finish()
    elif view.reliability:
        render_reliability(summary, fmt, view.precision)
    else:
        from ..render import render_summary

        render_summary(summary, fmt, sys.stdout, precision=view.precision)
    sys.stdout.flush()
    _save_pictures(summary, view)
    _notes(summary, evaluation.per_row, fmt)
    return summary


def _save_pictures(summary, view: View) -> None:
    """``--save-svg``/``--save-html`` (of the summary or the reliability diagram) and
    ``--reliability-svg``."""
    if view.pictures:
        if view.reliability:
            from ..render.reliability import reliability_renderable as renderable
        else:
            from ..render.summary_table import summary_renderable as renderable

        save_pictures(lambda: renderable(summary, view.precision), view.svg, view.html)
    if view.reliability_svg:
        from ..render.reliability import save_reliability_svg

        save_reliability_svg(summary, view.reliability_svg)


def _notes(summary, per_row: bool, fmt: str) -> None:
    """What a script's log should keep, on stderr: the rows skipped, and ignored."""
    from ..report import skipped_note
    from ..results import no_interval

    if summary.skipped and (per_row or fmt != "table"):
        error_line(f"{summary.source}: {skipped_note(summary, summary.numbered)}")
    if per_row and summary.ignored:
        error_line(f"{summary.source}: {counted(summary.ignored, 'row')} ignored, not written")
    if getattr(summary, "zero_columns", None) and fmt != "table":  # the table shows it
        from ..results import zero_columns_note

        error_line(f"warning: {summary.source}: {zero_columns_note(summary.zero_columns)}")
    why = no_interval(summary.notes)
    if fmt in ("plain", "csv") and why is not None:  # the number alone: say why
        error_line(f"{summary.source}: {why}")
    if summary.infinite:
        first = getattr(summary, "first_infinite", None)
        where = f", the first on {summary.numbered} {first:,}" if first else ""
        error_line(
            f"warning: {summary.source}: {counted(summary.infinite, 'row')} "
            f"{'gives' if summary.infinite == 1 else 'give'} probability 0 to the label "
            f"(infinite loss{where}; --clip eps clips as scikit-learn's log_loss does)"
        )


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
                tokens=getattr(chunk, "task", None) == "tokens",
            )
        self.writer.write(scored)

    def finish(self) -> None:
        if self.writer is not None:
            self.writer.finish()


def score_distributions(evaluation: Evaluation, path: str, view: View) -> None:
    """``xent entropy``/``kl``/``js`` of a file: its summary, or its rows with
    ``--reduction none``, streamed as :func:`score_files` does."""
    from .. import api
    from ..render.distribution_output import render_distribution_summary

    fmt = summary_format(view)
    rows = DistributionRows(evaluation.measure, fmt, view.precision)
    with progress_bar([path], Terminal.detect()) as progress:
        on_rows = rows if evaluation.per_row else None
        summary = api.evaluate(evaluation, path, on_rows=on_rows, progress=progress)
    if evaluation.per_row:
        rows.finish(summary)
    else:
        render_distribution_summary(summary, fmt, sys.stdout, precision=view.precision)
    sys.stdout.flush()
    if view.pictures:
        from ..render.distribution_output import distribution_summary_renderable

        save_pictures(
            lambda: distribution_summary_renderable(summary, view.precision), view.svg, view.html
        )
    _distribution_notes(summary, evaluation.per_row, fmt, evaluation.measure)


class DistributionRows:
    """``--reduction none`` of distributions: each chunk's values written as they come."""

    def __init__(self, kind: str, fmt: str, precision: int) -> None:
        self.kind, self.fmt, self.precision = kind, fmt, precision
        self.writer: Any = None

    def __call__(self, values, lines, chunk) -> None:
        if self.writer is None:
            from ..render.distribution_output import DistributionRowWriter
            from ..results import DISTRIBUTION_KEYS

            self.writer = DistributionRowWriter(
                self.fmt,
                sys.stdout,
                DISTRIBUTION_KEYS[self.kind],
                numbered=chunk.numbered,
                precision=self.precision,
            )
        self.writer.write(values, lines)

    def finish(self, summary) -> None:
        if self.writer is None:  # every row skipped: a csv still has its header
            import numpy as np

            self(np.zeros(0), np.zeros(0, dtype=np.int64), summary)
        self.writer.finish()


def _distribution_notes(summary, per_row: bool, fmt: str, kind: str) -> None:
    """The rows skipped, and the rows of an infinite KL(P‖Q), said on stderr."""
    from ..results import skipped_note

    if summary.skipped and (per_row or fmt != "table"):
        error_line(f"{summary.source}: {skipped_note(summary, summary.numbered)}")
    if summary.infinite and kind == "kl":
        error_line(
            f"{summary.source}: {counted(summary.infinite, 'row')} "
            f"{'has' if summary.infinite == 1 else 'have'} an infinite KL(P‖Q): Q gives "
            "probability 0 to a class that P gives mass to"
        )
