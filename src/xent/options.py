"""What a scoring run is asked to do: plain values, checked once, shared by every source.

One :class:`ScoreOptions` travels from the command line (or the Python API) through the
scorer and the totals; nothing below it reads flags. Each field names the framework
convention it follows; ``docs/conventions.md`` gives the formulas.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import UsageError

# Size-like options are bounded: a mistyped 1e9 must be a message, not a machine out of
# memory (the bins and the worst-rows heap are allocated up front).
MAX_BINS = 10_000
MAX_WORST = 100_000
MAX_TOP_K = 1_000_000
MAX_REPLICATES = 10_000  # bootstrap replicates (the weights' key holds 16 bits of them)

TASKS = ("multiclass", "binary", "multilabel", "entropy")


@dataclass(frozen=True)
class ScoreOptions:
    """How predictions are turned into losses and which metrics are kept beside them."""

    logits: bool = False  # the prediction values are logits (Keras' from_logits=True)
    base: float = math.e  # log base of every reported loss
    clip: float | None = None  # clip Q to [clip, 1 - clip] (scikit-learn, Keras)
    renormalize: bool = False  # divide each prediction by its sum (counts, scores)
    tolerance: float | None = None  # how far a sum may be from 1 (None: 1e-6 per class)
    label_smoothing: float = 0.0  # PyTorch's label_smoothing (Keras' for multi-label)
    weights: tuple[float, ...] | None = None  # PyTorch's per-class weight
    ignore_index: int | None = None  # PyTorch's ignore_index
    ignore_label: str | None = None  # the same, by class name
    multi_label: bool = False  # K independent sigmoids (BCEWithLogitsLoss)
    top_k: int = 1  # top-k accuracy's k
    bins: int = 15  # equal-width confidence bins of the ECE
    worst: int = 0  # how many highest-loss rows to keep
    skip_bad_rows: bool = False  # --on-error skip: leave bad rows out, counted
    ci: float | None = None  # confidence level of the bootstrap intervals (xent.bootstrap)
    replicates: int = 200  # bootstrap replicates
    seed: int = 0  # seed of the bootstrap weights

    def __post_init__(self) -> None:
        check(self)

    @property
    def ignoring(self) -> bool:
        return self.ignore_index is not None or self.ignore_label is not None

    @property
    def weighting(self) -> str | None:
        return "pytorch_class_weights" if self.weights is not None else None


def check(options: ScoreOptions) -> None:
    """Values that are wrong whatever the data: one line, exit 2, naming the option."""
    if not (math.isfinite(options.base) and options.base > 0 and options.base != 1):
        raise UsageError(
            f"{options.base!r} is not a log base: use e, 2, 10 or another positive number but 1",
            source="--base",
        )
    if options.clip is not None and not 0 < options.clip < 0.5:
        raise UsageError(
            f"{options.clip!r} is not a clip value: use a small number such as 1e-15",
            source="--clip",
        )
    if not 0.0 <= options.label_smoothing <= 1.0:  # NaN fails too
        raise UsageError(
            f"{options.label_smoothing!r} is not in [0, 1] (PyTorch's range)",
            source="--label-smoothing",
        )
    if options.weights is not None and not all(
        math.isfinite(w) and w >= 0 for w in options.weights
    ):
        raise UsageError("class weights must be finite and non-negative", source="--weights")
    if options.ignore_index is not None and options.ignore_label is not None:
        raise UsageError("give --ignore-index or --ignore-label, not both")
    _bounded(options.top_k, 1, MAX_TOP_K, "--top-k", "classes")
    _bounded(options.bins, 1, MAX_BINS, "--bins", "bins")
    _bounded(options.worst, 0, MAX_WORST, "--worst", "rows")
    if options.ci is not None and not 0.0 < options.ci < 1.0:  # NaN fails too
        raise UsageError(
            f"{options.ci!r} is not a confidence level: use a number in (0, 1), such as 0.95",
            source="--ci",
        )
    _bounded(options.replicates, 2, MAX_REPLICATES, "--bootstrap", "replicates")
    if not 0 <= options.seed < 2**63:
        raise UsageError(f"{options.seed} is not a seed: use 0 to 2**63 - 1", source="--seed")


def _bounded(value: int, low: int, high: int, option: str, what: str) -> None:
    """``value`` in [low, high], or a UsageError: ``what`` is the plural noun counted."""
    if value < low > 1:
        raise UsageError(f"{value} is too few: at least {low} {what}", source=option)
    if value < low:
        kind = "positive" if low == 1 else "non-negative"
        raise UsageError(f"{value} is not a {kind} number of {what}", source=option)
    if value > high:
        raise UsageError(f"{value:,} is more than the {high:,} {what} allowed", source=option)
