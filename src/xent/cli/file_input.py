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
    training: object = None  # xent.training.TrainingOptions (imported lazily)
    sample_weights: str | None = None  # the --sample-weights column
    save_svg: str | None = None
    save_html: str | None = None


def weighting(job: FileJob) -> str | None:
    """Which framework's weighted mean the file's mean is, if any."""
    class_weights = job.training is not None and job.training.weights is not None
    if class_weights and job.sample_weights:
        return "pytorch_class_weights+sklearn_sample_weight"
    if class_weights:
        return "pytorch_class_weights"
    if job.sample_weights:
        return "sklearn_sample_weight"
    return None


WEIGHTING_NOTES = {
    "pytorch_class_weights": "class weights (PyTorch CrossEntropyLoss weight=): the mean is "
    "Σ l_n / Σ w[y_n]",
    "sklearn_sample_weight": "sample weights (scikit-learn log_loss sample_weight=): the mean "
    "is Σ s_n·l_n / Σ s_n; accuracy and the metrics are weighted too",
    "pytorch_class_weights+sklearn_sample_weight": "class and sample weights: the mean is "
    "Σ s_n·l_n / Σ s_n·w[y_n]; accuracy and the metrics are weighted by s_n",
}


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
    from ..errors import DataError
    from ..readers.chunks import error_number
    from ..readers.files import read_prediction_chunks, source_name
    from ..scoring import Conventions, score_chunk
    from ..summary import LossAccumulator
    from ..training import TrainingOptions

    terminal = Terminal.detect()
    source = source_name(job.path)
    skip = options.on_error == "skip"
    per_row = job.reduction == "none"
    if per_row and job.worst:
        raise UsageError("--worst needs a summary: leave out --reduction none", source="--worst")
    fmt = job.fmt.value
    if fmt == "auto":
        fmt = "table" if terminal.stdout_is_tty else ("csv" if per_row else "plain")
    training = job.training or TrainingOptions()
    if (job.save_svg or job.save_html) and per_row:
        raise UsageError(
            "--save-svg/--save-html save the summary: leave out --reduction none",
            source="--save-svg" if job.save_svg else "--save-html",
        )
    conventions = Conventions(
        weights=training.weights,
        label_smoothing=training.label_smoothing,
        ignore_index=training.ignore_index,
        ignore_label=training.ignore_label,
        metrics=not per_row and (fmt != "plain" or bool(job.save_svg or job.save_html)),
    )
    accumulator = writer = None
    numbered = "line"
    label_kinds = set()
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
                    conventions=conventions,
                )
            except InvalidProbabilities as error:
                if error.what == "prediction" and not job.renormalize:
                    error.message += " (--renormalize divides by the sum)"
                raise
            numbered = chunk.numbered
            if accumulator is None:
                accumulator = LossAccumulator(
                    chunk.classes, worst=job.worst, top_k=training.top_k, bins=training.bins
                )
            if len(scored.losses):
                label_kinds.add(scored.targets is None)
            if len(label_kinds) > 1 and training.weights is not None:
                raise UsageError(
                    "with --weights give every label as a class or every label as a "
                    "distribution: PyTorch divides the mean by the weights of the classes "
                    "for the first, by the number of rows for the second",
                    source="--weights",
                )
            accumulator.skip([error_number(e) for e in scored.skipped])
            accumulator.ignored += scored.ignored
            accumulator.add(
                scored.lines,
                scored.labels,
                scored.predicted,
                scored.losses,
                sample_weights=scored.sample_weights,
                denominators=scored.denominators,
            )
            if scored.probabilities is not None:
                accumulator.add_metrics(
                    scored.labels,
                    scored.probabilities,
                    targets=scored.targets,
                    sample_weights=scored.sample_weights,
                )
            if per_row:
                if writer is None:
                    from ..render.rows_output import RowWriter

                    writer = RowWriter(
                        fmt, sys.stdout, chunk.classes, numbered=numbered, precision=job.precision
                    )
                writer.write(scored)
            progress(chunk.position)
    if accumulator is not None and accumulator.ignored and not accumulator.count:
        how = (
            f"the ignore index {training.ignore_index} (--ignore-index)"
            if training.ignore_index is not None
            else f"{training.ignore_label!r} (--ignore-label)"
        )
        also = (
            f" and {accumulator.skipped:,} rows are skipped as bad" if accumulator.skipped else ""
        )
        raise DataError(
            f"every row is ignored: {accumulator.ignored:,} labels are {how}{also}, so there "
            "is no loss to average (PyTorch would print nan)",
            source=source,
        )
    if per_row:
        if writer is not None:
            writer.finish()
        _report_skipped(accumulator, source, numbered)
        _report_ignored(accumulator, source)
        sys.stdout.flush()
        return
    summary = accumulator.summary(
        source=source,
        base=job.base,
        reduction=job.reduction,
        numbered=numbered,
        weighted=weighting(job),
    )
    if summary.weighted:
        summary.notes.append(WEIGHTING_NOTES[summary.weighted])
    if training.label_smoothing:
        alpha = training.label_smoothing
        summary.notes.append(
            f"label smoothing {alpha:g} (PyTorch): the target is (1 - {alpha:g})·P + {alpha:g}/K"
        )
    if summary.ignored:
        summary.notes.append(_ignored_note(summary.ignored, training))
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
    if job.save_svg or job.save_html:
        from ..render.recording import save_recording
        from ..render.summary_table import summary_renderable

        save_recording(
            summary_renderable(summary, job.precision), svg=job.save_svg, html=job.save_html
        )
    if summary.skipped and fmt != "table":
        _report_skipped(accumulator, source, numbered)


def _ignored_note(ignored: int, training) -> str:
    what = (
        f"--ignore-index {training.ignore_index}"
        if training.ignore_index is not None
        else f"--ignore-label {training.ignore_label}"
    )
    return f"{ignored:,} rows ignored ({what}, PyTorch's ignore_index): in no statistic"


def _report_ignored(accumulator, source: str) -> None:
    """With --reduction none the ignored rows have no output line: say how many on stderr."""
    if accumulator is not None and accumulator.ignored:
        from .app import error_line

        error_line(f"{source}: {accumulator.ignored:,} rows ignored, not written")


def _skipped_note(accumulator, numbered: str) -> str:
    shown = ", ".join(map(str, accumulator.skipped_lines))
    more = ", ..." if accumulator.skipped > len(accumulator.skipped_lines) else ""
    return f"skipped {accumulator.skipped:,} bad rows ({numbered}s {shown}{more})"


def _report_skipped(accumulator, source: str, numbered: str) -> None:
    """Skipped rows are said on stderr too, where a script's log will keep them."""
    if accumulator is not None and accumulator.skipped:
        from .app import error_line

        error_line(f"{source}: {_skipped_note(accumulator, numbered)}")
