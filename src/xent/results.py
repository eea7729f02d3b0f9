"""What the renderers draw: a :class:`Summary` of many rows, and a :class:`Report` of a
few rows with every class's contribution. Both are read off the same
:class:`~xent.totals.Totals`; a Report also keeps the rows' per-class detail."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from . import engine
from .options import ScoreOptions
from .totals import Totals
from .units import unit_name

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
    ece: float = math.nan  # this class's own ECE (q_c against [label = c])


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
    # The reliability diagram: per equal-width bin (low, high, rows, weight, mean
    # confidence, accuracy, Wilson 95% low, high); see Totals.reliability.
    reliability: list = field(default_factory=list)


@dataclass
class FileRow:
    """One file of a many-file run (``--by-file``): its rows and its mean loss."""

    source: str
    rows: int
    mean: float
    skipped: int = 0


@dataclass(frozen=True)
class Intervals:
    """Confidence intervals of the summary statistics (:mod:`xent.bootstrap`): ``bounds``
    maps ``mean_cross_entropy``, ``perplexity``, ``accuracy``, ``top_k_accuracy``,
    ``brier_score``, ``ece`` to (low, high)."""

    level: float
    method: str
    replicates: int
    seed: int
    bounds: dict[str, tuple[float, float]]


@dataclass(frozen=True)
class Skill:
    """The loss against the base rate: ``base_rate`` = H(label frequencies), the loss of
    always predicting the class frequencies (in the run's base); McFadden's pseudo-R² =
    1 − loss / base_rate; the information gain in bits = (base_rate − loss) in bits."""

    base_rate: float
    loss: float
    pseudo_r2: float
    information_gain_bits: float


def skill(totals: Totals, options: ScoreOptions, mean: float, task: str) -> Skill | None:
    """The :class:`Skill` of a run of class labels (None for soft labels, class weights,
    label smoothing or multi-label rows, where the base rate is not the label entropy)."""
    if (
        task not in ("multiclass", "binary")
        or totals.soft_labels
        or options.weights is not None
        or options.label_smoothing
        or not totals.rows
    ):
        return None
    counts = totals.class_samples if totals.sample_weighted else totals.class_rows
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum()
    if not total > 0:
        return None
    p = counts[counts > 0] / total
    base_rate = float(-(p * np.log(p)).sum() / math.log(options.base)) + 0.0  # not -0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = 1.0 - mean / base_rate if base_rate > 0 else math.nan
    bits = (base_rate - mean) * math.log2(options.base)
    return Skill(base_rate, mean, r2, bits)


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
    files: list[FileRow] | None = None  # each file's part, with --by-file
    ci: Intervals | None = None
    skill: Skill | None = None
    group_by: str | None = None  # --group-by: the column, and a summary per value
    groups: list[tuple[str, Summary]] = field(default_factory=list)
    sequences: object = None  # --sequence-column: xent.groups.Sequences

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


def weighting(options: ScoreOptions, sample_weights: bool) -> str | None:
    """Which framework's weighted mean the mean is, if any."""
    if options.weights is not None and sample_weights:
        return "pytorch_class_weights+sklearn_sample_weight"
    if options.weights is not None:
        return "pytorch_class_weights"
    return "sklearn_sample_weight" if sample_weights else None


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
        class_top_k = totals.class_top_k / class_samples
        class_brier = totals.class_brier / class_samples
    class_eces = np.full(len(totals.classes), nan)
    if totals.has_metrics and samples > 0:
        class_eces = totals.class_eces()
    per_class = [
        ClassSummary(
            name,
            int(totals.class_rows[i]),
            float(class_means[i]),
            float(shares[i]),
            float(class_accuracy[i]),
            float(class_top_k[i]) if totals.has_metrics else nan,
            float(class_brier[i]) if totals.has_metrics else nan,
            float(class_eces[i]),
        )
        for i, name in enumerate(totals.classes)
    ]
    run_metrics = None
    if totals.has_metrics and samples > 0:
        run_metrics = calibration_metrics(totals, samples, task)
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
        accuracy=totals.correct.value / samples if n and samples > 0 else nan,
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
    if n and math.isfinite(mean):
        summary.skill = skill(totals, options, mean, task)
    if totals.bootstrap is not None and options.ci is not None and n:
        from .bootstrap import METHOD

        bounds = totals.bootstrap.intervals(options.ci, options.base)
        summary.ci = Intervals(options.ci, METHOD, options.replicates, options.seed, bounds)
        if totals.bootstrap.nonfinite:
            summary.notes.append("the loss is infinite in some rows: its interval is infinite")
    return summary


def calibration_metrics(totals: Totals, samples: float, task: str) -> Metrics:
    """Every metric beside the loss, read off the totals' histograms."""
    ece, mce, rms = totals.calibration_errors()
    adaptive, bound = totals.adaptive_ece()
    class_eces = totals.class_eces()
    binary = float(class_eces[1]) if task == "binary" and class_eces.size == 2 else math.nan
    return Metrics(
        k=totals.top_k,
        top_k_accuracy=totals.top_k_hits.value / samples,
        brier_score=totals.brier.value / samples,
        bins=totals.bins,
        ece=ece,
        mce=mce,
        rms_calibration_error=rms,
        classwise_ece=float(class_eces.mean()),
        adaptive_ece=adaptive,
        adaptive_ece_bound=bound,
        binary_ece=binary,
        reliability=totals.reliability(),
    )


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
    if task == "binary":
        said.append(
            "binary: one column is P(class 1); the loss is scikit-learn's log_loss "
            "(binary cross-entropy)"
        )
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
            f"{totals.ignored:,} rows ignored ({what}, PyTorch's ignore_index): in no statistic"
        )
    if totals.infinite and rows:  # a table of rows shows the inf itself, with a warning
        said.append(
            f"{totals.infinite:,} rows give probability 0 to their label: infinite loss "
            "(--clip 1e-15 clips the predictions, as scikit-learn does)"
        )
    if totals.skipped:
        said.append(skipped_note(totals, numbered))
    return said


def skipped_note(totals, numbered: str) -> str:
    """``skipped 3 bad rows (lines 4, 9, 12)``, of totals or a summary."""
    shown = ", ".join(map(str, totals.skipped_lines))
    more = ", ..." if totals.skipped > len(totals.skipped_lines) else ""
    return f"skipped {totals.skipped:,} bad rows ({numbered}s {shown}{more})"


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
    loss = totals.loss.value if summed else totals.mean()
    mean = totals.mean()
    metric_values: dict[str, float] = {}
    if totals.rows > 1 and totals.has_metrics:
        metric_values = {
            "top_k_accuracy": totals.top_k_hits.value / plain_divisor,
            "k": totals.top_k,
            "brier_score": totals.brier.value / plain_divisor,
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
        entropy=totals.entropy.value / plain_divisor,
        kl_divergence=totals.kl.value / plain_divisor,
        perplexity=float(engine.perplexity(mean, base=options.base)),
        contributions=totals.column_terms / divisor,
        notes=notes + summary_notes,
        metrics=metric_values,
    )


# What xent entropy, kl and js call each row's value (the key of json and csv output).
DISTRIBUTION_KEYS = {"entropy": "entropy", "kl": "kl_divergence", "js": "js_divergence"}


@dataclass
class DistributionSummary:
    """A file of distributions (``xent entropy``) or of P and Q (``xent kl``, ``xent
    js``) summarised: one value per row, and each class's mean term; in ``base``."""

    kind: str  # entropy, kl or js
    source: str
    classes: list[str]
    rows: int
    mean: float
    sum: float
    std: float
    min: float
    max: float
    class_means: list[float]  # each class's mean term: they sum to the mean
    base: float
    reduction: str
    skipped: int = 0
    skipped_lines: list[int] = field(default_factory=list)
    numbered: str = "line"
    infinite: int = 0

    @property
    def key(self) -> str:
        return DISTRIBUTION_KEYS[self.kind]

    @property
    def unit(self) -> str:
        return unit_name(self.base)

    @property
    def value(self) -> float:
        """The reduced value: the mean, or the sum with ``--reduction sum``."""
        return self.sum if self.reduction == "sum" else self.mean


def summarize_rows(totals, kind: str, *, source: str, base: float, reduction: str, numbered: str):
    """A :class:`DistributionSummary` of :class:`~xent.totals.RowTotals`."""
    n = totals.rows
    nan = math.nan
    return DistributionSummary(
        kind=kind,
        source=source,
        classes=totals.classes,
        rows=n,
        mean=totals.mean,
        sum=totals.total.value,
        std=totals.std,
        min=totals.min if n else nan,
        max=totals.max if n else nan,
        class_means=[float(t) / n if n else nan for t in totals.class_terms],
        base=base,
        reduction=reduction,
        skipped=totals.skipped,
        skipped_lines=list(totals.skipped_lines),
        numbered=numbered,
        infinite=totals.infinite,
    )
