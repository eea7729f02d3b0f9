"""The summary of a prediction file, accumulated chunk by chunk in constant memory.

Pure NumPy. :class:`LossAccumulator` takes the per-row losses of each chunk and keeps
only running totals: the count, the sum (each chunk's pairwise sum, added up exactly with
``math.fsum``), the variance by Chan's merge of per-chunk moments, min and max, arg-max
accuracy, per-class counts, sums and hits, and the K worst rows. Rows are never held.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import engine
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

    def __init__(self, classes: list[str], *, worst: int = 0) -> None:
        self.classes = list(classes)
        k = len(self.classes)
        self.count = 0
        self.chunk_sums: list[float] = []
        self.mean = 0.0
        self.m2 = 0.0
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

    def skip(self, lines: list[int]) -> None:
        self.skipped += len(lines)
        room = SKIPPED_SHOWN - len(self.skipped_lines)
        if room > 0:
            self.skipped_lines += lines[:room]

    def add(self, lines, labels, predicted, losses) -> None:
        losses = np.asarray(losses, dtype=np.float64)
        n = losses.size
        if n == 0:
            return
        k = len(self.classes)
        total = float(losses.sum())
        finite = np.isfinite(losses)
        self.infinite += int(n - finite.sum())
        chunk_mean = total / n
        with np.errstate(invalid="ignore"):
            chunk_m2 = float(((losses - chunk_mean) ** 2).sum())
        # Chan et al.'s merge of two (count, mean, M2) summaries.
        delta = chunk_mean - self.mean
        merged = self.count + n
        self.m2 += chunk_m2 + delta * delta * self.count * n / merged
        self.mean += delta * n / merged
        first_row = self.count + 1
        self.count = merged
        self.chunk_sums.append(total)
        self.min = min(self.min, float(losses.min()))
        self.max = max(self.max, float(losses.max()))
        hits = labels == predicted
        self.correct += int(hits.sum())
        self.class_rows += np.bincount(labels, minlength=k)
        self.class_sums += np.bincount(labels, weights=losses, minlength=k)
        self.class_correct += np.bincount(labels[hits], minlength=k)
        if self.worst:
            self._keep_worst(first_row, lines, labels, predicted, losses)

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

    def summary(self, *, source: str, base: float, reduction: str, numbered: str = "line"):
        n = self.count
        total = math.fsum(self.chunk_sums)
        nan = math.nan
        mean = total / n if n else nan
        if self.infinite:
            std = nan
        else:
            std = math.sqrt(self.m2 / n) if n else nan
        with np.errstate(invalid="ignore", divide="ignore"):
            class_means = self.class_sums / self.class_rows
            shares = self.class_sums / total if total else np.zeros_like(self.class_sums)
            class_accuracy = self.class_correct / self.class_rows
        per_class = [
            ClassSummary(
                name,
                int(self.class_rows[i]),
                float(class_means[i]),
                float(shares[i]),
                float(class_accuracy[i]),
            )
            for i, name in enumerate(self.classes)
        ]
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
            accuracy=self.correct / n if n else nan,
            base=base,
            reduction=reduction,
            per_class=per_class,
            worst=worst,
            skipped=self.skipped,
            skipped_lines=list(self.skipped_lines),
            numbered=numbered,
            infinite=self.infinite,
        )
