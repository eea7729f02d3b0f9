"""The summary of a prediction file, accumulated chunk by chunk in constant memory.

Pure NumPy. :class:`LossAccumulator` takes the per-row losses of each chunk and keeps
only running totals: the count, the sum (each chunk's pairwise sum, added up exactly with
``math.fsum``), the variance by Chan's merge of per-chunk moments, min and max, arg-max
accuracy, per-class counts, sums and hits, and the K worst rows. Rows are never held.

Weighted means (PyTorch's class weights, scikit-learn's sample weights) keep a numerator
Σ s_n·l_n and a denominator Σ s_n·w[y_n] (or Σ s_n) over the whole file; the mean is their
ratio. The metrics (top-k accuracy, Brier score, ECE) are running sums too, weighted by
the sample weights: hits, squared errors, and per-bin totals of confidence and correct.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import engine, metrics
from .errors import DataError
from .units import unit_name

# How many skipped rows a summary names by line (all of them are counted).
SKIPPED_SHOWN = 5


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
    rows: int
    mean: float  # mean loss of the rows of this class (NaN for none)
    share: float  # this class's part of the summed loss
    accuracy: float
    top_k_accuracy: float = math.nan
    brier_score: float = math.nan


@dataclass(frozen=True)
class Metrics:
    """The batch metrics of a file (see :mod:`xent.metrics`), weighted by sample weights."""

    k: int
    top_k_accuracy: float
    brier_score: float
    bins: int
    ece: float


@dataclass
class FileSummary:
    """Everything ``xent compute --file`` reports; losses are in ``base``."""

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


class LossAccumulator:
    """Running totals of per-row losses (see the module docstring)."""

    def __init__(
        self, classes: list[str], *, worst: int = 0, top_k: int = 1, bins: int = 15
    ) -> None:
        self.classes = list(classes)
        k = len(self.classes)
        self.count = 0
        self.chunk_sums: list[float] = []
        self.chunk_weights: list[float] = []  # denominators, when weighted
        self.weight = 0.0  # Σ v of the rows in the variance (v = 1 unweighted)
        self.mean = 0.0
        self.m2 = 0.0
        self.ignored = 0
        self.weighted = False
        self.class_weights = np.zeros(k)  # per-class denominators (weighted only)
        self.class_samples = np.zeros(k)  # per-class Σ s (sample weights only)
        self.correct_weight = 0.0  # Σ s·hit (sample weights only)
        self.sample_total = 0.0  # Σ s
        # metrics, when add_metrics is called
        self.top_k, self.bins = top_k, bins
        self.has_metrics = False
        self.top_k_hits = 0.0
        self.brier_sums: list[float] = []
        self.class_top_k = np.zeros(k)
        self.class_brier = np.zeros(k)
        self.calibration = np.zeros((3, bins))
        self.min = math.inf
        self.max = -math.inf
        self.correct = 0
        self.infinite = 0
        self.class_rows = np.zeros(k, dtype=np.int64)
        self.class_sums = np.zeros(k)
        self.class_correct = np.zeros(k, dtype=np.int64)
        self.worst = worst
        self._worst = (np.zeros(0), np.zeros(0, np.int64), np.zeros(0, np.int64), [], [])
        self.skipped = 0
        self.skipped_lines: list[int] = []
        self.sample_weighted = False

    def skip(self, lines: list[int]) -> None:
        self.skipped += len(lines)
        room = SKIPPED_SHOWN - len(self.skipped_lines)
        if room > 0:
            self.skipped_lines += lines[:room]

    def add(
        self, lines, labels, predicted, losses, *, sample_weights=None, denominators=None
    ) -> None:
        """Add a chunk's rows: their losses l_n, and for a weighted mean each row's sample
        weight s_n and part of the divisor (s_n·w[y_n], or s_n)."""
        losses = np.asarray(losses, dtype=np.float64)
        n = losses.size
        if n == 0:
            return
        k = len(self.classes)
        terms = losses if sample_weights is None else _weigh(losses, sample_weights)
        total = float(terms.sum())
        self.infinite += int(n - np.isfinite(terms).sum())
        first_row = self.count + 1
        if denominators is None:
            chunk_weight, chunk_mean = float(n), total / n
            with np.errstate(invalid="ignore"):
                chunk_m2 = float(((losses - chunk_mean) ** 2).sum())
        else:
            # The weighted spread: x_n = s_n·l_n / v_n counted v_n times (v_n = s_n·w[y_n]),
            # whose weighted mean is the file's mean; rows of weight 0 count for nothing.
            self.weighted = True
            v = np.asarray(denominators, dtype=np.float64)
            counts = v > 0
            chunk_weight = float(v.sum())
            self.chunk_weights.append(chunk_weight)
            self.class_weights += np.bincount(labels, weights=v, minlength=k)
            with np.errstate(invalid="ignore", divide="ignore"):
                x = np.where(counts, terms / np.where(counts, v, 1.0), 0.0)
                chunk_mean = float((v * x).sum() / chunk_weight) if chunk_weight else 0.0
                chunk_m2 = float(np.where(counts, v * (x - chunk_mean) ** 2, 0.0).sum())
        # Chan et al.'s merge of two (weight, mean, M2) summaries.
        merged = self.weight + chunk_weight
        if merged > 0:
            delta = chunk_mean - self.mean
            self.m2 += chunk_m2 + delta * delta * self.weight * chunk_weight / merged
            self.mean += delta * chunk_weight / merged
        self.weight = merged
        self.count += n
        self.chunk_sums.append(total)
        self.min = min(self.min, float(losses.min()))
        self.max = max(self.max, float(losses.max()))
        hits = labels == predicted
        self.class_rows += np.bincount(labels, minlength=k)
        self.class_sums += np.bincount(labels, weights=terms, minlength=k)
        if sample_weights is None:
            self.correct += int(hits.sum())
            self.class_correct += np.bincount(labels[hits], minlength=k)
        else:
            s = np.asarray(sample_weights, dtype=np.float64)
            self.sample_total += float(s.sum())
            self.class_samples += np.bincount(labels, weights=s, minlength=k)
            self.correct_weight += float(s[hits].sum())
            self.class_correct = self.class_correct + np.bincount(
                labels, weights=s * hits, minlength=k
            )
            self.sample_weighted = True
        if self.worst:
            self._keep_worst(first_row, lines, labels, predicted, losses)

    def add_metrics(self, labels, probabilities, *, targets=None, sample_weights=None) -> None:
        """Top-k hits, squared errors and calibration bins of a chunk (xent.metrics)."""
        if labels.size == 0:
            return
        k = len(self.classes)
        s = np.ones(labels.size) if sample_weights is None else np.asarray(sample_weights)
        self.has_metrics = True
        hits = metrics.top_k_hits(labels, probabilities, self.top_k)
        brier = _weigh(metrics.brier_rows(labels, targets, probabilities), s)
        hits = _weigh(hits, s)
        self.top_k_hits += float(hits.sum())
        self.brier_sums.append(float(brier.sum()))
        self.class_top_k += np.bincount(labels, weights=hits, minlength=k)
        self.class_brier += np.bincount(labels, weights=brier, minlength=k)
        self.calibration += metrics.calibration_bins(labels, probabilities, self.bins, s)

    def _keep_worst(self, first_row, lines, labels, predicted, losses) -> None:
        k = min(self.worst, losses.size)
        top = np.argpartition(-losses, k - 1)[:k] if k < losses.size else np.arange(k)
        kept_losses, kept_rows, kept_lines, kept_labels, kept_pred = self._worst
        all_losses = np.concatenate([kept_losses, losses[top]])
        all_rows = np.concatenate([kept_rows, first_row + top])
        all_lines = np.concatenate([kept_lines, np.asarray(lines)[top]])
        all_labels = list(kept_labels) + [int(x) for x in labels[top]]
        all_pred = list(kept_pred) + [int(x) for x in predicted[top]]
        # Highest loss first; equal losses in input order.
        order = np.lexsort((all_rows, -all_losses))[: self.worst]
        self._worst = (
            all_losses[order],
            all_rows[order],
            all_lines[order],
            [all_labels[i] for i in order],
            [all_pred[i] for i in order],
        )

    def summary(
        self,
        *,
        source: str,
        base: float,
        reduction: str,
        numbered: str = "line",
        weighted: str | None = None,
    ):
        n = self.count
        total = math.fsum(self.chunk_sums)
        nan = math.nan
        divisor = math.fsum(self.chunk_weights) if self.weighted else n
        if n and self.weighted and not divisor > 0 and reduction != "sum":
            raise DataError(
                f"the weights of the {n:,} rows that count sum to 0: the weighted mean is "
                "undefined",
                source=source,
            )
        mean = total / divisor if n else nan
        if self.infinite:
            std = nan
        else:
            std = math.sqrt(self.m2 / self.weight) if n and self.weight > 0 else nan
        samples = self.sample_total if self.sample_weighted else n
        class_samples = self.class_samples if self.sample_weighted else self.class_rows
        class_divisors = self.class_weights if self.weighted else self.class_rows
        with np.errstate(invalid="ignore", divide="ignore"):
            # A class whose rows weigh 0 has no mean (smoothing may still give it a sum).
            class_means = np.where(class_divisors > 0, self.class_sums / class_divisors, np.nan)
            shares = self.class_sums / total if total else np.zeros_like(self.class_sums)
            class_accuracy = self.class_correct / class_samples
            class_top_k = self.class_top_k / class_samples
            class_brier = self.class_brier / class_samples
        per_class = [
            ClassSummary(
                name,
                int(self.class_rows[i]),
                float(class_means[i]),
                float(shares[i]),
                float(class_accuracy[i]),
                float(class_top_k[i]) if self.has_metrics else nan,
                float(class_brier[i]) if self.has_metrics else nan,
            )
            for i, name in enumerate(self.classes)
        ]
        correct = self.correct_weight if self.sample_weighted else self.correct
        file_metrics = None
        if self.has_metrics and samples > 0:
            file_metrics = Metrics(
                k=self.top_k,
                top_k_accuracy=self.top_k_hits / samples,
                brier_score=math.fsum(self.brier_sums) / samples,
                bins=self.bins,
                ece=metrics.ece_from_bins(self.calibration),
            )
        losses, rows, lines, labels, pred = self._worst
        worst = [
            WorstRow(
                int(rows[i]),
                int(lines[i]),
                self.classes[labels[i]],
                self.classes[pred[i]],
                float(losses[i]),
            )
            for i in range(len(rows))
        ]
        return FileSummary(
            source=source,
            classes=self.classes,
            rows=n,
            mean=mean,
            sum=total,
            std=std,
            min=self.min if n else nan,
            max=self.max if n else nan,
            accuracy=correct / samples if n and samples > 0 else nan,
            base=base,
            reduction=reduction,
            per_class=per_class,
            worst=worst,
            skipped=self.skipped,
            skipped_lines=list(self.skipped_lines),
            numbered=numbered,
            infinite=self.infinite,
            ignored=self.ignored,
            weighted=weighted,
            metrics=file_metrics,
        )


def _weigh(values: np.ndarray, sample_weight) -> np.ndarray:
    """s·values, with 0·inf = 0 (the same rule as :func:`xent.losses.weigh`)."""
    from .losses import weigh

    return weigh(values, np.asarray(sample_weight, dtype=np.float64))
