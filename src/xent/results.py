"""What the renderers draw: a :class:`Summary` of many rows, and a :class:`Report` of a
few rows with every class's contribution (defined in :mod:`xent.report`, kept here by
name). Both are read off the same :class:`~xent.totals.Totals`; a Report also keeps the
rows' per-class detail."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import engine
from .options import ScoreOptions
from .report import (  # noqa: F401  (the names of 0.1, kept here)
    MULTI_LABEL_NOTE,
    WEIGHTING_NOTES,
    Report,
    report,
    run_notes,
    skipped_note,
    weighting,
)
from .totals import Totals
from .units import unit_name


@dataclass(frozen=True)
class WorstRow:
    row: int  # 1-based position among the scored rows
    line: int  # the line (or, for a JSON document, row) it came from
    label: str
    predicted: str
    cross_entropy: float


@dataclass(frozen=True)
class ClassSummary:
    name: str
    rows: int  # rows of this class (multi-label: rows where it is positive)
    mean: float  # mean loss of the rows of this class (multi-label: of its column)
    share: float  # this class's part of the summed loss
    accuracy: float
    top_k_accuracy: float = math.nan
    brier_score: float = math.nan


@dataclass(frozen=True)
class Metrics:
    """The batch metrics (see :mod:`xent.metrics`), weighted by sample weights."""

    k: int
    top_k_accuracy: float
    brier_score: float
    bins: int
    ece: float


@dataclass
class Summary:
    """Everything a many-row run reports; losses are in ``base``."""

    source: str
    classes: list[str]
    rows: int
    mean: float
    sum: float
    std: float
    min: float
    max: float
    accuracy: float
    base: float
    reduction: str
    per_class: list[ClassSummary]
    worst: list[WorstRow]
    skipped: int
    skipped_lines: list[int]
    numbered: str = "line"
    infinite: int = 0
    notes: list[str] = field(default_factory=list)
    ignored: int = 0  # rows left out by --ignore-index / --ignore-label
    weighted: str | None = None  # the weighting convention, when there is one
    metrics: Metrics | None = None
    task: str = "multiclass"

    @property
    def unit(self) -> str:
        return unit_name(self.base)

    @property
    def perplexity(self) -> float:
        return float(engine.perplexity(self.mean, base=self.base))

    @property
    def cross_entropy(self) -> float:
        """The reduced loss: the mean, or the sum with ``--reduction sum``."""
        return self.sum if self.reduction == "sum" else self.mean


# The name of 0.1, kept for the Python API.
FileSummary = Summary


def summarize(
    totals: Totals,
    options: ScoreOptions,
    *,
    source: str,
    reduction: str = "mean",
    numbered: str = "line",
    task: str = "multiclass",
) -> Summary:
    n = totals.rows
    nan = math.nan
    total = totals.loss.value
    if reduction == "mean":
        mean = totals.mean(source)
    else:  # the sum, or the rows themselves: a mean that does not exist is no error here
        mean = totals.mean(source) if n and totals.mean_divisor > 0 else nan
    samples = totals.sample_total.value if totals.sample_weighted else float(n)
    class_samples = totals.class_samples if totals.sample_weighted else totals.class_rows
    multi_label = task == "multilabel"
    if multi_label:  # a column's mean is over every row
        class_divisors = np.full(len(totals.classes), samples)
        class_samples = class_divisors
    elif totals.weighted and options.weights is not None:
        class_divisors = totals.class_divisor
    else:
        class_divisors = class_samples
    with np.errstate(invalid="ignore", divide="ignore"):
        # A class whose rows weigh 0 has no mean (smoothing may still give it a sum).
        class_means = np.where(class_divisors > 0, totals.class_loss / class_divisors, nan)
        shares = totals.class_loss / total if total else np.zeros_like(totals.class_loss)
        class_accuracy = totals.class_correct / class_samples
        if not totals.has_accuracy:  # the loss alone was asked for (metrics=False)
            class_accuracy = np.full(len(totals.classes), nan)
        class_top_k = totals.class_top_k / class_samples
        class_brier = totals.class_brier / class_samples
    per_class = [
        ClassSummary(
            name,
            int(totals.class_rows[i]),
            float(class_means[i]),
            float(shares[i]),
            float(class_accuracy[i]),
            float(class_top_k[i]) if totals.has_metrics else nan,
            float(class_brier[i]) if totals.has_metrics else nan,
        )
        for i, name in enumerate(totals.classes)
    ]
    run_metrics = None
    if totals.has_metrics and samples > 0:
        run_metrics = Metrics(
            k=totals.top_k,
            top_k_accuracy=totals.top_k_hits.value / samples,
            brier_score=totals.brier.value / samples,
            bins=totals.bins,
            ece=totals.ece(),
        )
    weighted = weighting(options, totals.sample_weighted)
    summary = Summary(
        source=source,
        classes=totals.classes,
        rows=n,
        mean=mean,
        sum=total,
        std=totals.std,
        min=totals.min if n else nan,
        max=totals.max if n else nan,
        accuracy=totals.correct.value / samples
        if n and samples > 0 and totals.has_accuracy
        else nan,
        base=options.base,
        reduction=reduction,
        per_class=per_class,
        worst=[WorstRow(*row) for row in totals.worst_rows()],
        skipped=totals.skipped,
        skipped_lines=list(totals.skipped_lines),
        numbered=numbered,
        infinite=totals.infinite,
        ignored=totals.ignored,
        weighted=weighted,
        metrics=run_metrics,
        task=task,
    )
    summary.notes.extend(run_notes(totals, options, weighted, numbered, task))
    return summary
