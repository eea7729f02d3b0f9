"""What a scoring run is asked to do: plain values, checked once, shared by every source.

One :class:`ScoreOptions` travels from the command line (or the Python API) through the
scorer and the totals, inside an :class:`~xent.evaluation.Evaluation`; its rules are in
:mod:`xent.rules` (:func:`~xent.rules.check_score`); nothing below it reads flags. Each
field names the framework convention it follows; ``docs/conventions.md`` gives the formulas.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .rules import MAX_BINS, MAX_REPLICATES, MAX_TOP_K, MAX_WORST, check_score

__all__ = ["MAX_BINS", "MAX_REPLICATES", "MAX_TOP_K", "MAX_WORST", "TASKS", "ScoreOptions"]

TASKS = ("multiclass", "binary", "multilabel", "entropy")

TYPE_CHECKING = False  # typing costs ~4 ms to import; mypy reads this name as typing's
if TYPE_CHECKING:
    from .calibrators import Calibration


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
    skip_bad_rows: bool = False  # on_error='skip': leave bad rows out, counted
    ci: float | None = None  # intervals' level (xent.accumulators.standard_errors)
    # A Poisson bootstrap of this many replicates for the intervals, ECE's too, instead of
    # the standard errors (xent.accumulators.bootstrap); None: no bootstrap.
    replicates: int | None = None
    seed: int = 0  # seed of the bootstrap weights
    # The vocabulary size V of a logprobs file's model: bounds on the entropy from its
    # top-k log-probs (xent.accumulators.top_k_entropy); None: the mass outside alone.
    vocab_size: int | None = None
    # Columns (JSON keys, arrays) of per-row byte and word counts: perplexity per byte and
    # word, bits per byte (xent.accumulators.normalised); a document's count may sit on
    # one of its rows, 0 on the others.
    byte_column: str | None = None
    word_column: str | None = None
    # "row": the counts are summed over rows; "document": each is its document's, the
    # same on all its rows (taken once; needs the sequence column).
    counts_per: str = "row"
    # Score softmax(z / T) (Guo et al.'s temperature scaling, T given by hand), or softmax
    # of a fitted calibration's z' (xent.calibrators; ``xent calibrate`` writes one).
    temperature: float | None = None
    calibration: Calibration | None = None

    def __post_init__(self) -> None:
        check_score(self)

    @property
    def count_columns(self) -> dict[str, str]:
        """The count columns given, by kind (``bytes``, ``words``)."""
        named = {"bytes": self.byte_column, "words": self.word_column}
        return {kind: column for kind, column in named.items() if column is not None}

    @property
    def ignoring(self) -> bool:
        return self.ignore_index is not None or self.ignore_label is not None

    @property
    def weighting(self) -> str | None:
        return "pytorch_class_weights" if self.weights is not None else None
