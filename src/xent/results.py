"""What the renderers draw: a :class:`Summary` of many rows, and a :class:`Report` of a
few rows with every class's contribution (defined in :mod:`xent.report` with the batch
:class:`Metrics`, kept here by name). Both finish the accumulators of the same
:class:`~xent.totals.Totals`; a Report also keeps the rows' per-class detail."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import engine
from .options import ScoreOptions
from .report import (  # noqa: F401  (the names of 0.1, kept here)
    MULTI_LABEL_NOTE,
    WEIGHTING_NOTES,
    Metrics,
    Report,
    brier_scale,
    calibration_metrics,
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
    ece: float = math.nan  # this class's own ECE (q_c against [label = c])


@dataclass
class FileRow:
    """One file of a many-file run (``--by-file``): its rows and its mean loss."""

    source: str
    rows: int
    mean: float
    skipped: int = 0


@dataclass(frozen=True)
class Intervals:
    """Confidence intervals of the summary statistics: ``bounds`` maps
    ``mean_cross_entropy``, ``perplexity``, ``accuracy``, ``top_k_accuracy``,
    ``brier_score`` and, from a bootstrap, ``ece`` to (low, high). From the standard errors
    (:mod:`xent.accumulators.standard_errors`; ``replicates`` and ``seed`` None) or a
    Poisson bootstrap (:mod:`xent.accumulators.bootstrap`)."""

    level: float
    method: str
    replicates: int | None
    seed: int | None
    bounds: dict[str, tuple[float, float]]

    @property
    def described(self) -> str:
        """How they were drawn, in words: the method, and a bootstrap's replicates."""
        if self.replicates is None and self.method == BY_SEQUENCE:
            return (
                "Student's t for the means (the loss's over the sequences), Wilson's for the "
                "accuracies"
            )
        if self.replicates is None:
            return "Student's t for the means, Wilson's for the accuracies"
        return f"poisson bootstrap ({self.replicates} replicates, seed {self.seed})"


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
    first_infinite: int | None = None  # the line (or row) of the first infinite loss
    notes: list[str] = field(default_factory=list)
    ignored: int = 0  # rows left out by --ignore-index / --ignore-label
    weighted: str | None = None  # the weighting convention, when there is one
    metrics: Metrics | None = None
    task: str = "multiclass"
    files: list[FileRow] | None = None  # each file's part, with --by-file
    # Class columns 0 in every row and never the label: perhaps not classes (a fold, an id).
    zero_columns: list[str] = field(default_factory=list)
    ci: Intervals | None = None
    skill: Skill | None = None
    group_by: str | None = None  # --group-by: the column, and a summary per value
    groups: list[tuple[str, Summary]] = field(default_factory=list)
    sequences: object = None  # --sequence-column: xent.accumulators.groups.Sequences
    # Language-model tokens: perplexity per token, byte, word and document
    # (accumulators.normalised), the top-k entropy (accumulators.top_k_entropy).
    language: object = None
    top_k_entropy: object = None

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
    """The :class:`Summary` of a run's totals: each accumulator finished."""
    moments = totals.get("moments").finish()
    n = moments.rows
    if reduction == "mean":
        mean = totals.mean(source)
    else:  # the sum, or the rows themselves: a mean that does not exist is no error here
        mean = totals.mean(source) if n and moments.divisor > 0 else math.nan
    samples = totals.get("moments").samples
    correct = totals.get("accuracy").finish()
    weighted = weighting(options, totals.sample_weighted)
    summary = Summary(
        source=source,
        classes=totals.classes,
        rows=n,
        mean=mean,
        sum=totals.unscaled(moments.sum),  # Σ s·l in the weights' own units
        std=moments.std,
        min=moments.min,
        max=moments.max,
        accuracy=totals.get("moments").weighted_ratio(totals.get("accuracy").correct)
        if n and samples > 0 and correct
        else math.nan,
        base=options.base,
        reduction=reduction,
        per_class=per_class(totals, options, task, samples, moments.sum),
        worst=[WorstRow(*row) for row in totals.worst_rows()],
        skipped=totals.skipped,
        skipped_lines=list(totals.skipped_lines),
        numbered=numbered,
        infinite=moments.infinite,
        first_infinite=getattr(totals.get("moments"), "first_infinite", None),
        ignored=totals.ignored,
        weighted=weighted,
        metrics=calibration_metrics(totals, samples, task)
        if totals.has_metrics and samples > 0
        else None,
        task=task,
    )
    summary.notes.extend(run_notes(totals, options, weighted, numbered, task))
    for name in ("normalised", "top_k_entropy"):
        found = totals.parts.get(name)
        if found is not None:
            setattr(summary, "language" if name == "normalised" else name, found.finish())
    summary.zero_columns = zero_columns(totals)
    if summary.zero_columns:
        summary.notes.append(zero_columns_note(summary.zero_columns))
    if n and math.isfinite(mean):
        summary.skill = skill(totals, options, mean, task)
    summary.ci, said = confidence(totals, options, n, task)
    summary.notes.extend(said)
    return summary


def confidence(
    totals: Totals, options: ScoreOptions, rows: int, task: str
) -> tuple[Intervals | None, list[str]]:
    """The ``--ci`` intervals of a run of ``rows`` rows (files and rows given as arguments
    alike: the same sums; a bootstrap's keyed by the same row numbers), and what to say of
    them."""
    source = totals.parts.get("standard_errors" if options.replicates is None else "bootstrap")
    if source is None or options.ci is None or not rows:
        return None, []
    if rows == 1:
        return None, [NO_INTERVAL]
    ci = intervals(source, options)
    if not ci.bounds:  # (the standard errors') one row of positive weight: as one row
        return None, [ONE_WEIGHED]
    if task == "binary" and "brier_score" in ci.bounds:
        low, high = ci.bounds["brier_score"]
        ci.bounds["brier_score"] = (low / 2, high / 2)
    said = []
    if source.nonfinite:
        said.append("the loss is infinite in some rows: its interval is infinite")
    if options.replicates is None and source.has_metrics:
        said.append(NO_ECE_INTERVAL)
    return ci, said


def by_sequence(ci: Intervals | None, totals: Totals, options: ScoreOptions) -> Intervals | None:
    """``ci`` with the mean loss's interval (and the perplexity's) over the sequences of a
    ``--sequence-column`` run, or a logprobs file's responses: their tokens are not
    independent rows, so the interval is R ± t·se with the sequences as the units
    (:meth:`GroupedTotals.sequence_spread`, or unweighted tokens' documents:
    :meth:`Normalised.document_spread`; Student's t of G − 1 degrees of freedom).
    Unchanged with a bootstrap, or fewer than two sequences."""
    if ci is None or options.replicates is not None:
        return ci
    grouped, normalised = totals.grouped, totals.parts.get("normalised")
    spread = None if grouped is None else grouped.sequence_spread()
    if spread is None and normalised is not None and not totals.sample_weighted:
        spread = normalised.document_spread()
    if spread is None:
        return ci
    if "mean_cross_entropy" not in ci.bounds or math.isinf(ci.bounds["mean_cross_entropy"][1]):
        return ci
    from dataclasses import replace

    from .accumulators.student import t_interval

    g, ratio, se = spread
    low, high = t_interval(ratio, se, ci.level, g - 1, floor=0.0)
    bounds = dict(ci.bounds)
    bounds["mean_cross_entropy"] = (low, high)
    bounds["perplexity"] = (
        float(engine.perplexity(low, base=options.base)),
        float(engine.perplexity(high, base=options.base)),
    )
    return replace(ci, method=BY_SEQUENCE, bounds=bounds)


# How the intervals are drawn when the loss's is over the sequences (JSON ci.method).
BY_SEQUENCE = "student t (means; the loss clustered by sequence), wilson (accuracies)"


def zero_columns(totals: Totals) -> list[str]:
    """The class columns that are 0 in every row and never the label (class labels and
    probabilities only: see :func:`xent.checks.zero_columns`)."""
    sums = totals.get("per_class").finish()
    if sums.zero is None or len(sums.zero) != len(totals.classes):
        return []
    return [totals.classes[j] for j in np.flatnonzero(sums.zero & (sums.rows == 0))]


def zero_columns_note(names: list[str]) -> str:
    """The note on :func:`zero_columns`: perhaps not classes, and how to leave them out."""
    from .errors import column_list

    given = column_list(names)
    shown = ", ".join(repr(name) for name in names)
    if len(names) == 1:
        return (
            f"column {shown} is 0 in every row and never the label: if it is not a class "
            f"(an id, a fold), leave it out with --ignore-columns {given}"
        )
    return (
        f"columns {shown} are 0 in every row and never the label: if they are not classes "
        f"(ids, folds), leave them out with --ignore-columns {given}"
    )


# The note of a run of one row under --ci (plain and csv output also say it on stderr).
NO_INTERVAL = "one row: no confidence interval can be given (--ci needs two)"
ONE_WEIGHED = "one row of positive weight: no confidence interval can be given (--ci needs two)"


def no_interval(notes: list[str]) -> str | None:
    """The note that says why a run under --ci has no interval, if one does (plain and
    csv output print the number alone, and this on stderr)."""
    return next((note for note in notes if note in (NO_INTERVAL, ONE_WEIGHED)), None)


# The calibration errors are not means of the rows: only a bootstrap gives them an interval.
NO_ECE_INTERVAL = (
    "the calibration errors have no interval from standard errors: --bootstrap 200 gives "
    "every statistic's, ECE's too (about twice the run's time)"
)


def per_class(
    totals: Totals, options: ScoreOptions, task: str, samples: float, total: float
) -> list[ClassSummary]:
    """Each class's rows, mean loss, share of the sum, accuracy and metrics."""
    nan = math.nan
    sums = totals.get("per_class").finish()
    k = len(totals.classes)
    class_samples = sums.samples if totals.sample_weighted else sums.rows
    if task == "multilabel":  # a column's mean is over every row
        class_divisors = np.full(k, samples)
        class_samples = class_divisors
    elif totals.weighted and options.weights is not None:
        class_divisors = sums.divisor
    else:
        class_divisors = class_samples
    correct, top_k, brier = (totals.get(name).finish() for name in ("accuracy", "top_k", "brier"))
    metrics = totals.has_metrics
    with np.errstate(invalid="ignore", divide="ignore"):
        # A class whose rows weigh 0 has no mean (smoothing may still give it a sum).
        means = np.where(class_divisors > 0, sums.loss / class_divisors, nan)
        shares = sums.loss / total if total else np.zeros_like(sums.loss)
        accuracy = correct[1] / class_samples if correct else np.full(k, nan)
        class_top_k = top_k[1] / class_samples if metrics and top_k else np.full(k, nan)
        class_brier = brier[1] / class_samples if metrics and brier else np.full(k, nan)
        class_brier = class_brier / brier_scale(task)
    eces = totals.class_eces() if metrics and samples > 0 else np.full(k, nan)
    return [
        ClassSummary(
            name,
            int(sums.rows[i]),
            float(means[i]),
            float(shares[i]),
            float(accuracy[i]),
            float(class_top_k[i]),
            float(class_brier[i]),
            float(eces[i]),
        )
        for i, name in enumerate(totals.classes)
    ]


def intervals(source, options: ScoreOptions) -> Intervals:
    """The intervals at ``options.ci`` of the standard errors (t and Wilson intervals) or
    of a bootstrap (percentile intervals)."""
    assert options.ci is not None
    bounds = source.intervals(options.ci, options.base)
    if options.replicates is None:
        from .accumulators.standard_errors import METHOD

        return Intervals(options.ci, METHOD, None, None, bounds)
    from .accumulators.bootstrap import METHOD as BOOTSTRAP

    return Intervals(options.ci, BOOTSTRAP, options.replicates, options.seed, bounds)


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
    mean_distance: float = math.nan  # js: the mean of the rows' √JS (SciPy's jensenshannon)

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
        mean_distance=totals.root_total.value / n if kind == "js" and n else nan,
    )
