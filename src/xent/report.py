"""What a few rows report: a :class:`Report` with every class's contribution, the batch
:class:`Metrics` (read off the calibration accumulator's finish, as a file's summary reads
them) and the notes every result carries (the conventions applied, rows left out). Below
:mod:`xent.results` (the summary of a file), so that a one-shot command imports only this.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from . import engine
from .accumulators.scaling import shifted
from .options import ScoreOptions
from .totals import Totals
from .units import counted, unit_name

if TYPE_CHECKING:
    from .scorer import Detail

WEIGHTING_NOTES = {
    "pytorch_class_weights": "class weights (PyTorch CrossEntropyLoss weight=): the mean is "
    "Σ l_n / Σ w[y_n]",
    "sklearn_sample_weight": "sample weights (scikit-learn log_loss sample_weight=): the mean "
    "is Σ s_n·l_n / Σ s_n; accuracy and the metrics are weighted too",
    "pytorch_class_weights+sklearn_sample_weight": "class and sample weights: the mean is "
    "Σ s_n·l_n / Σ s_n·w[y_n]; accuracy and the metrics are weighted by s_n",
}

MULTI_LABEL_NOTE = (
    "multi-label: each class is its own yes/no (sigmoid); a row's loss is the mean of its "
    "classes' binary cross-entropies (PyTorch BCEWithLogitsLoss, Keras binary_crossentropy)"
)


@dataclass(frozen=True)
class Metrics:
    """The batch metrics (see :mod:`xent.metrics`), weighted by sample weights."""

    k: int
    top_k_accuracy: float
    brier_score: float
    bins: int
    ece: float
    mce: float = math.nan  # the largest gap of a non-empty bin
    rms_calibration_error: float = math.nan
    classwise_ece: float = math.nan  # the mean of the classes' own ECEs
    adaptive_ece: float = math.nan  # equal-mass bins (from the 2^16-bin histogram)
    adaptive_ece_bound: float = math.nan  # |adaptive_ece − the exact-quantile ECE| ≤ this
    binary_ece: float = math.nan  # binary files: P(class 1) against the 0/1 label
    # "binary": scikit-learn's brier_score_loss, (P(class 1) − label)², 0 to 1 (binary
    # files); "multiclass": Σ_c (Q(c) − P(c))², 0 to 2 (twice the binary one on two classes)
    brier_convention: str = "multiclass"
    # The reliability diagram: per equal-width bin (low, high, rows, weight, mean
    # confidence, accuracy, Wilson 95% low, high); see Calibration.reliability.
    reliability: list = field(default_factory=list)


def calibration_metrics(totals: Totals, samples: float, task: str) -> Metrics:
    """Every metric beside the loss: the top-k, Brier and calibration accumulators
    finished, the sums divided by ``samples``."""
    errors = totals.get("calibration").finish()
    class_eces = errors.class_eces
    moments = totals.get("moments")

    def mean(total) -> float:  # Σ s·x / Σ s (exactly, as the loss's mean), or Σ x / samples
        return (
            moments.weighted_ratio(total) if samples == moments.samples else total.value / samples
        )

    binary = float(class_eces[1]) if task == "binary" and class_eces.size == 2 else math.nan
    return Metrics(
        k=totals.top_k,
        top_k_accuracy=mean(totals.top_k_hits),
        brier_score=mean(totals.brier) / brier_scale(task),
        bins=totals.bins,
        ece=errors.ece,
        mce=errors.mce,
        rms_calibration_error=errors.rms,
        classwise_ece=float(class_eces.mean()),
        adaptive_ece=errors.adaptive_ece,
        adaptive_ece_bound=errors.adaptive_ece_bound,
        binary_ece=binary,
        # A bin's weight in the weights' own units (the totals keep them × 2^-E).
        reliability=[(*row[:3], totals.unscaled(row[3]), *row[4:]) for row in errors.reliability],
        brier_convention="binary" if task == "binary" else "multiclass",
    )


BINARY_BRIER_NOTE = (
    "binary: the Brier score is scikit-learn's brier_score_loss, the mean (P(class 1) − "
    "label)², 0 to 1 (half the two-class Σ (Q − P)²)"
)


def brier_scale(task: str) -> float:
    """What the summed Σ_c (Q(c) − P(c))² is divided by beside the rows: 2 for a binary
    file (two classes, both errors equal), giving scikit-learn's binary Brier."""
    return 2.0 if task == "binary" else 1.0


def weighting(options: ScoreOptions, sample_weights: bool) -> str | None:
    """Which framework's weighted mean the mean is, if any."""
    if options.weights is not None and sample_weights:
        return "pytorch_class_weights+sklearn_sample_weight"
    if options.weights is not None:
        return "pytorch_class_weights"
    return "sklearn_sample_weight" if sample_weights else None


def run_notes(
    totals: Totals,
    options: ScoreOptions,
    weighted,
    numbered: str,
    task: str,
    *,
    rows: bool = True,
) -> list[str]:
    """What a reader of the numbers must know: the conventions applied, rows left out."""
    said = []
    if options.temperature is not None or options.calibration is not None:
        from .calibrators import note

        said.append(note(options))
    if task == "binary":
        said.append(
            "binary: one column is P(class 1); the loss is scikit-learn's log_loss "
            "(binary cross-entropy)"
        )
        if totals.has_metrics:
            said.append(BINARY_BRIER_NOTE)
    if task == "multilabel":
        said.append(MULTI_LABEL_NOTE)
    if weighted:
        said.append(WEIGHTING_NOTES[weighted])
    alpha = options.label_smoothing
    if alpha and task == "multilabel":
        said.append(f"label smoothing {alpha:g} (Keras): each label becomes y·(1 - a) + a/2")
    elif alpha:
        said.append(
            f"label smoothing {alpha:g} (PyTorch): the target is (1 - {alpha:g})·P + {alpha:g}/K"
        )
    if totals.ignored:
        what = (
            f"--ignore-index {options.ignore_index}"
            if options.ignore_index is not None
            else f"--ignore-label {options.ignore_label}"
        )
        said.append(
            f"{counted(totals.ignored, 'row')} ignored ({what}, PyTorch's ignore_index): "
            "in no statistic"
        )
    if totals.infinite and rows:  # a table of rows shows the inf itself, with a warning
        gives = "row gives" if totals.infinite == 1 else "rows give"
        said.append(
            f"{totals.infinite:,} {gives} probability 0 to the label: infinite loss "
            "(--clip eps clips the predictions at the float64 machine epsilon, as "
            "scikit-learn's log_loss does)"
        )
    if totals.skipped:
        said.append(skipped_note(totals, numbered))
    return said


def skipped_note(totals, numbered: str) -> str:
    """``skipped 3 bad rows (lines 4, 9, 12)``, of totals or a summary."""
    shown = ", ".join(map(str, totals.skipped_lines))
    more = ", ..." if totals.skipped > len(totals.skipped_lines) else ""
    where = numbered if len(totals.skipped_lines) == 1 and not more else f"{numbered}s"
    return f"skipped {counted(totals.skipped, 'bad row')} ({where} {shown}{more})"


@dataclass
class Report:
    """A few rows scored against their labels, with every class's part.

    ``kind`` is ``cross_entropy`` (P = label, Q = prediction) or ``entropy`` (P = Q).
    ``rows`` holds each row's per-class :class:`~xent.scorer.Detail`; the reduced numbers
    come from the run's totals (so a weighted mean divides by the weights).
    """

    kind: str
    classes: list[str]
    labels: list[str]
    rows: Detail  # arrays with a row per sample
    base: float
    reduction: str
    cross_entropy: float
    entropy: float
    kl_divergence: float
    perplexity: float
    contributions: np.ndarray  # per class, reduced like the loss: they sum to it
    notes: list[str] = field(default_factory=list)
    # Metrics beside the loss for a batch (top-k accuracy, Brier, ECE), by name.
    metrics: dict[str, float] = field(default_factory=dict)
    # With --ci: the bootstrap intervals (an xent.results.Intervals), as a file's summary.
    ci: Any = None

    @property
    def unit(self) -> str:
        return unit_name(self.base)

    @property
    def n_samples(self) -> int:
        return int(self.rows.cross_entropy.shape[0])

    @property
    def headline(self) -> float:
        """The one number of this report: the loss, or the entropy for ``entropy``."""
        return self.entropy if self.kind == "entropy" else self.cross_entropy


def report(
    totals: Totals,
    rows,
    options: ScoreOptions,
    *,
    kind: str,
    labels: list[str],
    reduction: str,
    notes: list[str],
    task: str = "multiclass",
) -> Report:
    """The contribution table of a few rows: their detail, reduced as the totals say."""
    summed = reduction == "sum"
    divisor = 1.0 if summed else totals.mean_divisor
    plain_divisor = 1.0 if summed else float(totals.rows)
    if totals.sample_weighted and not summed:
        plain_divisor = totals.sample_total.value
    # With --reduction sum the sums themselves, in the weights' own units (unscaled).
    scale = totals.weight_exponent if summed else 0
    loss = totals.unscaled(totals.loss.value) if summed else totals.mean()
    mean = totals.mean()
    metric_values: dict[str, float] = {}
    if totals.rows > 1 and totals.has_metrics:
        metric_values = {
            "top_k_accuracy": shifted(totals.top_k_hits.value / plain_divisor, scale),
            "k": totals.top_k,
            "brier_score": shifted(totals.brier.value / plain_divisor, scale) / brier_scale(task),
            "ece": totals.ece(),
            "bins": totals.bins,
        }
        calibration = calibration_metrics(totals, plain_divisor, task)
        metric_values.update(
            mce=calibration.mce,
            rms_calibration_error=calibration.rms_calibration_error,
            classwise_ece=calibration.classwise_ece,
            adaptive_ece=calibration.adaptive_ece,
        )
        if task == "binary":
            metric_values["binary_ece"] = calibration.binary_ece
    columns = totals.get("columns").finish()
    summary_notes = run_notes(
        totals, options, weighting(options, totals.sample_weighted), "row", task
    )
    return Report(
        kind=kind,
        classes=totals.classes,
        labels=labels,
        rows=rows,
        base=options.base,
        reduction=reduction,
        cross_entropy=loss,
        entropy=shifted(columns.entropy / plain_divisor, scale),
        kl_divergence=shifted(columns.kl / plain_divisor, scale),
        perplexity=float(engine.perplexity(mean, base=options.base)),
        contributions=shifted(columns.terms / divisor, scale),
        notes=notes + summary_notes,
        metrics=metric_values,
    )
