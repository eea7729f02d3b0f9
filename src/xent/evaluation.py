"""One request: :class:`Evaluation` says what to read, how to score, which metrics to keep,
the grouping, the reduction and where to run; it is built once (from the command line or
from Python) and checked once, when it is built (:func:`xent.rules.check_evaluation`).

Its errors name parameters (``reduction='none'``), which the command line spells as its
flags (``--reduction none``): see :func:`xent.errors.param`.
"""

from __future__ import annotations

from dataclasses import dataclass

from .options import ScoreOptions
from .rules import EXACT_PERCENTILES, check_evaluation, check_files

TYPE_CHECKING = False  # typing costs ~4 ms to import; mypy reads this name as typing's
if TYPE_CHECKING:
    from .readers.read_options import ReadOptions


@dataclass(frozen=True)
class Evaluation:
    """What one run computes, checked once when it is built.

    ``score``: how a row becomes a loss and which options of the frameworks apply.
    ``read``: how to read a file (``None``: the rows are given as values, no file).
    ``metrics``: top-k, Brier and calibration beside the loss (``False``: the loss alone).
    ``reduction``: ``mean``, ``sum`` or ``none`` (a loss per row).
    ``by_file``: with several files, also each file's rows and loss.
    ``group_by`` / ``sequence_column``: a summary per value of a column; sequences of tokens.
    ``p_columns`` / ``q_columns`` / ``classes``: the columns of P and Q, and the class
    names (``entropy``, ``kl``, ``js``).
    ``id_column`` / ``disagreements``: how ``compare`` matches rows, and how many
    disagreements it lists; ``token_stats`` which of two language models' token
    statistics it gives (None: all, for a vocabulary's logits or log-probabilities) and
    ``exact_percentiles`` up to how many tokens their percentiles are exact (then a
    sketch). ``recalibrate``: ``temperature`` also gives the recalibrated rows;
    ``calibrator``: what ``temperature`` fits, ``temperature`` scaling or ``vector``
    scaling (:mod:`xent.calibrators`).
    ``drawings``: the pictures of the summary asked for (:data:`DRAWINGS`).
    ``cluster`` / ``workers``: a Dask scheduler's address (``local``: a cluster of
    ``workers`` processes here); ``None`` scores in this process and its CSV workers.
    """

    score: ScoreOptions = ScoreOptions()
    read: ReadOptions | None = None
    measure: str = "cross_entropy"
    metrics: bool = True
    reduction: str = "mean"
    by_file: bool = False
    group_by: str | None = None
    sequence_column: str | None = None
    p_columns: tuple[str, ...] = ()
    q_columns: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    id_column: str | None = None
    disagreements: int = 10
    token_stats: tuple[str, ...] | None = None
    exact_percentiles: int = EXACT_PERCENTILES
    recalibrate: bool = False
    calibrator: str = "temperature"
    drawings: tuple[str, ...] = ()
    cluster: str | None = None
    workers: int | None = None

    def __post_init__(self) -> None:
        check_evaluation(self)

    def check_files(self, count: int, *, worst_hint: str | None = None) -> None:
        """The rules that need the number of files, once the paths are expanded
        (:func:`xent.rules.check_files`)."""
        check_files(self, count, worst_hint=worst_hint)

    @property
    def per_row(self) -> bool:
        """A loss per row is written, not a summary."""
        return self.reduction == "none"
