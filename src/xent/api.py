"""The one library call of every command: :func:`evaluate` an
:class:`~xent.evaluation.Evaluation` on its sources (files, or rows given as values).

It dispatches on what is measured, by the Evaluation's fields alone: files of predictions
or distributions to the runner (:func:`xent.runner.evaluate`, whose backend the
Evaluation names), two files to :mod:`xent.compare`, a temperature to
:mod:`xent.calibration`, values to the same scorer as one chunk; the command line calls
nothing else to compute.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from . import runner
from .errors import InvalidProbabilities, param
from .evaluation import Evaluation


class Vectors(NamedTuple):
    """Rows given as values: a label per row (or one for all) and a prediction per row.
    ``option`` names where the predictions came from, in errors (``pred`` or ``logits``)."""

    labels: list[str]
    values: list[list[float]]
    classes: list[str] | None = None
    option: str = param("pred")
    sample_weights: list[float] | None = None


class Distributions(NamedTuple):
    """Distributions given as values: P alone (``entropy``), or P and Q (``kl``, ``js``)."""

    p: list[list[float]]
    q: list[list[float]] | None = None
    classes: list[str] | None = None
    option: str = param("pred")


def evaluate(
    evaluation: Evaluation,
    sources: Vectors | Distributions | str | Sequence[str],
    *,
    on_rows: Callable[..., None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Any:
    """Score ``sources`` as ``evaluation`` says; returns what the measure gives: a
    :class:`~xent.results.Summary` of files, a :class:`~xent.report.Report` of vectors, a
    :class:`~xent.compare.Comparison`, a :class:`~xent.calibration.TemperatureFit`, a
    :class:`~xent.divergences.Divergence`. ``on_rows`` is handed each chunk's scored rows
    (with ``reduction='none'``; the recalibrated chunks for ``temperature``);
    ``progress`` the bytes read so far."""
    if isinstance(sources, Vectors):
        return _vectors(evaluation, sources)
    if isinstance(sources, Distributions):
        return _distributions(evaluation, sources)
    paths = [sources] if isinstance(sources, str) else list(sources)
    measure = evaluation.measure
    if measure == "compare":
        from .accumulators.token_base import TokenSettings
        from .compare import compare_files

        a, b = paths
        return compare_files(
            a,
            b,
            evaluation.score,
            evaluation.read,
            id_column=evaluation.id_column,
            disagreements=evaluation.disagreements,
            token_stats=evaluation.token_stats,
            token_settings=TokenSettings(exact_limit=evaluation.exact_percentiles),
        )
    if measure == "temperature":
        return _temperature(evaluation, paths[0], on_rows)
    if measure in ("entropy", "kl", "js"):
        return runner.evaluate(evaluation, paths[:1], on_rows=on_rows, progress=progress)
    return runner.evaluate(evaluation, paths, on_rows=on_rows, progress=progress)


def lesson(evaluation: Evaluation, vectors: Vectors):
    """``xent explain``: one label's cross-entropy against each prediction, written out
    step by step (a :class:`~xent.lesson.Lesson`)."""
    from .lesson import build_lesson
    from .readers.arguments import vector_chunk

    label = vectors.labels[0]
    chunk, notes = vector_chunk(
        [label], vectors.values, vectors.classes, evaluation.score, option=vectors.option
    )
    return build_lesson(chunk, evaluation.score, label, notes)


def _vectors(evaluation: Evaluation, vectors: Vectors):
    """Rows given as values: one chunk, scored as any file is, into its contribution table."""
    from .pipeline import vector_report
    from .readers.arguments import vector_chunk

    chunk, notes = vector_chunk(
        list(vectors.labels),
        vectors.values,
        vectors.classes,
        evaluation.score,
        option=vectors.option,
        sample_weights=vectors.sample_weights,
    )
    return vector_report(
        chunk,
        evaluation.score,
        reduction=evaluation.reduction,
        notes=notes,
        labels=list(vectors.labels),
        metrics=evaluation.metrics,
    )


def _distributions(evaluation: Evaluation, given: Distributions):
    """``entropy`` of P given as values (a Report), or ``kl``/``js`` of P and Q (a
    Divergence, its errors placed at the sample they are about)."""
    if given.q is None:
        from .pipeline import vector_report
        from .readers.arguments import distribution_chunk

        chunk, notes = distribution_chunk(given.p, given.classes, option=given.option)
        return vector_report(
            chunk,
            evaluation.score,
            reduction=evaluation.reduction,
            notes=notes,
            labels=[""] * len(given.p),
        )
    from .divergences import divergence
    from .readers.arguments import sources

    options = evaluation.score
    try:
        return divergence(
            evaluation.measure,
            given.p,
            given.q,
            base=options.base,
            renormalize=options.renormalize,
        )
    except InvalidProbabilities as error:
        names = sources(param(error.what), len(given.p if error.what == "p" else given.q))
        error.source = names[min(error.row or 0, len(names) - 1)]
        raise error from None


def _temperature(evaluation: Evaluation, path: str, on_chunk):
    """Fit the calibration of a file's predictions (a temperature in two reads, vector
    scaling in one a Newton step); a last read scores the calibrated Q' (and hands
    ``on_chunk`` each recalibrated chunk). stdin is copied to a temporary file
    first, to be read three times."""
    from .calibration import fit_temperature, fit_vector, recalibrate
    from .readers.files import read_prediction_chunks, source_name

    with _spooled(path) as readable:
        source = source_name(path)

        def chunks():
            return read_prediction_chunks(readable, evaluation.read)

        fitter = fit_vector if evaluation.calibrator == "vector" else fit_temperature
        fit, _ = fitter(chunks, evaluation.score, source=source)
        return recalibrate(chunks(), evaluation.score, fit, source=source, on_chunk=on_chunk)


class _spooled:
    """A path to read more than once: the file itself, or stdin copied to a temporary file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.temporary: Any = None

    def __enter__(self) -> str:
        if self.path != "-":
            return self.path
        import shutil
        import sys
        import tempfile

        self.temporary = tempfile.NamedTemporaryFile(prefix="xent-", delete=False)
        with self.temporary as copy:
            shutil.copyfileobj(sys.stdin.buffer, copy)
        return self.temporary.name

    def __exit__(self, *exc) -> None:
        if self.temporary is not None:
            import os

            os.unlink(self.temporary.name)
