"""What a command reports: the engine's numbers for each sample, their reduction, and the
names that go with them. Built here from parsed inputs, rendered by ``xent.render``."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import engine
from .units import unit_name


@dataclass
class Report:
    """One or more samples scored against their labels.

    ``kind`` is ``cross_entropy`` (P = label, Q = prediction) or ``entropy`` (P = Q =
    the distribution). ``rows`` holds the engine's :class:`~xent.engine.Breakdown` with a
    row per sample; the reduced values follow ``reduction`` (perplexity is always that of
    the mean cross-entropy, as for a language model).
    """

    kind: str
    classes: list[str]
    labels: list[str]
    rows: engine.Breakdown
    base: float
    reduction: str
    notes: list[str] = field(default_factory=list)
    # Metrics beside the loss for a batch (top-k accuracy, Brier, ECE), by name.
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def unit(self) -> str:
        return unit_name(self.base)

    @property
    def n_samples(self) -> int:
        return self.rows.cross_entropy.shape[0]

    def reduced(self, values: np.ndarray):
        return engine.reduce_rows(values, "mean" if self.reduction == "none" else self.reduction)

    @property
    def cross_entropy(self) -> float:
        return float(self.reduced(self.rows.cross_entropy))

    @property
    def entropy(self) -> float:
        return float(self.reduced(self.rows.entropy))

    @property
    def kl_divergence(self) -> float:
        return float(self.reduced(self.rows.kl_divergence))

    @property
    def perplexity(self) -> float:
        return float(engine.perplexity(self.rows.cross_entropy.mean(), base=self.base))

    @property
    def contributions(self) -> np.ndarray:
        """Per-class contributions to the reduced loss (they sum to ``cross_entropy``)."""
        how = "mean" if self.reduction == "none" else self.reduction
        return getattr(self.rows.contribution, how)(axis=0)

    @property
    def headline(self) -> float:
        """The one number of this report: the loss, or the entropy for ``entropy``."""
        return self.entropy if self.kind == "entropy" else self.cross_entropy


def cross_entropy_report(
    targets: list,
    label_texts: list[str],
    classes: list[str],
    *,
    pred=None,
    logits=None,
    base: float,
    reduction: str,
    clip: float | None = None,
    renormalize: bool = False,
    notes: list[str] | None = None,
) -> Report:
    """Score each prediction row against its target (an index or a distribution)."""
    n_classes = len(classes)
    # Indices become one-hot rows; distributions are checked together, so an error names
    # the row it is in.
    dense = [np.eye(n_classes)[t] if isinstance(t, int) else t for t in targets]
    p = engine.target_distribution(np.array(dense, dtype=np.float64), n_classes)
    rows = engine.breakdown(p, pred, logits=logits, base=base, clip=clip, renormalize=renormalize)
    return Report("cross_entropy", classes, label_texts, rows, base, reduction, notes or [])


def entropy_report(
    dists,
    classes: list[str],
    *,
    base: float,
    reduction: str,
    logits: bool = False,
    renormalize: bool = False,
    notes: list[str] | None = None,
) -> Report:
    """H(Q) of each row: the cross-entropy of Q against itself."""
    if logits:
        rows = engine.breakdown(engine.softmax(dists), logits=dists, base=base)
    else:
        q = engine.normalize_rows(dists) if renormalize else np.asarray(dists, dtype=float)
        rows = engine.breakdown(q, q, base=base)
    labels = [""] * rows.cross_entropy.shape[0]
    return Report("entropy", classes, labels, rows, base, reduction, notes or [])
