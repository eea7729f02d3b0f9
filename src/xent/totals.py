"""Mergeable totals of scored rows: the accumulators a run asks for, never the rows.

:class:`Totals` has the shape of Spark's and Dask's aggregators: ``add(scored)`` takes a
scored chunk, ``merge(other)`` adds another's totals (a worker's, a partition's) over
later rows, and :func:`xent.results.summarize` turns them into a
:class:`~xent.results.Summary`. It is a small container: each metric family's state, its
add, its exact merge and its finish live in an accumulator of its own
(:mod:`xent.accumulators`), and totals hold only those asked for, so a metric nobody
asked for costs nothing, in time or in what a worker sends. Everything kept is a count, a
sum, a min or max, a fixed-size array (per class, per calibration bin) or the bounded K
worst rows, so memory does not grow with the rows and any split of the rows, merged,
gives what one pass gives: counts, histograms, min, max and the worst rows exactly; sums
to rounding, since each chunk's sum is correctly rounded (``math.fsum``'s, by
:func:`exact_sum`) and chunk sums are added without further rounding (:class:`ExactSum`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from . import metrics
from .accumulators import ALWAYS, FAMILIES, REGISTRY, Accumulator, Rows, Settings
from .accumulators.base import SKIPPED_SHOWN, Skipped
from .accumulators.exact import FSUM_BELOW, ExactSum, bucket_sum, exact_sum
from .accumulators.rows import RowTotals
from .accumulators.scaling import meet, shift_rows, shifted
from .errors import DataError

__all__ = [
    "FSUM_BELOW",
    "SKIPPED_SHOWN",
    "ExactSum",
    "RowTotals",
    "Totals",
    "bucket_sum",
    "exact_sum",
    "wanted",
]

# The names of 0.2, each an accumulator's field: ``totals.class_rows`` is
# ``totals.parts["per_class"].rows`` (zeros when these totals do not keep it).
FIELDS = {
    "loss": ("moments", "loss"),
    "divisor": ("moments", "divisor"),
    "weighted": ("moments", "weighted"),
    "sample_total": ("moments", "sample_total"),
    "sample_weighted": ("moments", "sample_weighted"),
    "infinite": ("moments", "infinite"),
    "min": ("moments", "min"),
    "max": ("moments", "max"),
    "std": ("moments", "std"),
    "mean_divisor": ("moments", "divisor_value"),
    "class_rows": ("per_class", "rows"),
    "class_loss": ("per_class", "loss"),
    "class_divisor": ("per_class", "divisor"),
    "class_samples": ("per_class", "samples"),
    "soft_labels": ("per_class", "soft_labels"),
    "correct": ("accuracy", "correct"),
    "class_correct": ("accuracy", "class_correct"),
    "has_accuracy": ("accuracy", "has_accuracy"),
    "top_k_hits": ("top_k", "total"),
    "class_top_k": ("top_k", "per_class"),
    "brier": ("brier", "total"),
    "class_brier": ("brier", "per_class"),
    "calibration": ("calibration", "coarse"),
    "calibration_counts": ("calibration", "counts"),
    "class_calibration": ("calibration", "classwise"),
    "fine_calibration": ("calibration", "fine"),
    "column_terms": ("columns", "terms"),
    "column_p": ("columns", "p"),
    "column_q": ("columns", "q"),
    "column_neg_log_q": ("columns", "neg_log_q"),
    "entropy": ("columns", "entropy"),
    "kl": ("columns", "kl"),
}


def wanted(*, metrics: bool = True, detail: bool = True, worst: int = 0) -> tuple[str, ...]:
    """The accumulators' names a run keeps: every run's, the metrics' (top-k, Brier,
    calibration), a contribution table's column sums, the worst rows."""
    names = list(ALWAYS)
    for family, on in (("metrics", metrics), ("detail", detail), ("worst", worst > 0)):
        if on:
            names += FAMILIES[family]
    return tuple(names)


class Totals:
    """Running totals of a scoring run (see the module docstring): the accumulators named
    by ``keep`` (default: :func:`wanted` of ``keep_metrics`` and ``worst``), and the rows
    skipped as bad or ignored."""

    # exponent: the weighted sums are in units of 2^exponent (None: no weighted rows yet;
    # accumulators.scaling): chunks and other totals are brought to the larger exponent.
    __slots__ = ("classes", "settings", "parts", "skips", "ignored", "exponent")

    def __init__(
        self,
        classes: list[str],
        *,
        worst: int = 0,
        top_k: int = 1,
        bins: int = 15,
        keep_metrics: bool = True,
        keep: Iterable[str] | None = None,
    ) -> None:
        self.classes = list(classes)
        self.settings = Settings(top_k, bins, worst)
        names = wanted(metrics=keep_metrics, worst=worst) if keep is None else tuple(keep)
        self.parts: dict[str, Any] = {
            name: REGISTRY[name](self.classes, self.settings) for name in names
        }
        self.skips = Skipped()
        self.ignored = 0
        self.exponent: int | None = None

    def add(self, scored, chunk=None) -> None:
        """Add a scored chunk (:class:`xent.scorer.ScoredRows`; ``chunk``: the chunk it
        was scored from, when the groups read its columns)."""
        self.skip([_number(error) for error in scored.skipped])
        self.ignored += scored.ignored
        if len(scored.losses) == 0:
            return
        scored = self._align(scored)
        rows = Rows(scored, self.rows + 1, chunk)
        for accumulator in self.parts.values():
            if accumulator.takes(rows):
                accumulator.add(rows)

    def skip(self, lines: Sequence[int | None]) -> None:
        self.skips.add(lines)

    def merge(self, other: Totals) -> Totals:
        """Add another run's totals over later rows (a worker's, a partition's) to these:
        each accumulator into its own; one these totals lack is dropped (not asked for
        here), adopted (the groups) or an error (bootstrap sums)."""
        if other.classes != self.classes:
            raise DataError(
                f"the classes differ: {', '.join(self.classes)} and {', '.join(other.classes)}"
            )
        self.skips.merge(other.skips)
        self.ignored += other.ignored
        self._meet(other)
        before = self.rows
        for name, theirs in other.parts.items():
            mine = self.parts.get(name)
            if mine is not None:
                mine.merge(theirs, before)
            elif theirs.missing == "adopt":
                self.parts[name] = theirs
            elif theirs.missing == "error":
                raise ValueError(f"merging {name} sums into totals without them")
        return self

    # ------------------------------------------------------------ weights' exponent

    def _align(self, scored):
        """The chunk in these totals' units: the smaller exponent's side scaled down."""
        if scored.sample_weights is None:
            return scored
        e = scored.weight_exponent
        if self.exponent is None:
            self.exponent = e
        elif e > self.exponent:
            self.rescale(self.exponent - e)
        elif e < self.exponent:
            scored = shift_rows(scored, e - self.exponent)
        return scored

    def _meet(self, other: Totals) -> None:
        """These totals and ``other`` in the same units (the larger exponent's)."""
        if other.exponent is not None:
            meet(self, other)

    def rescale(self, shift: int) -> None:
        """Every weighted sum × 2^shift (shift ≤ 0), the exponent up by −shift."""
        if self.exponent is None or not shift:
            return
        for accumulator in self.parts.values():
            accumulator.rescale(shift)
        self.exponent -= shift

    @property
    def weight_exponent(self) -> int:
        """E: the weighted sums are in units of 2^E (0 without sample weights)."""
        return self.exponent or 0

    def unscaled(self, value: float) -> float:
        """A weighted sum in the weights' own units (may overflow to inf, as it would)."""
        return shifted(value, self.weight_exponent)

    def empty(self) -> Totals:
        """Empty totals that keep what these keep (the run's, made like its first part's):
        the same accumulators, fresh; the groups are adopted as parts are merged."""
        top_k, bins, worst = self.settings
        totals = Totals(self.classes, worst=worst, top_k=top_k, bins=bins, keep=())
        for name, accumulator in self.parts.items():
            if accumulator.missing != "adopt":
                totals.parts[name] = accumulator.empty(self.classes, self.settings)
        return totals

    # ----------------------------------------------------------------- accumulators

    def get(self, name: str) -> Any:
        """The accumulator ``name``, or an empty one when these totals do not keep it."""
        found = self.parts.get(name)
        return found if found is not None else REGISTRY[name](self.classes, self.settings)

    def __getattr__(self, name: str) -> Any:
        if name in FIELDS:  # (only names not found otherwise come here)
            accumulator, field = FIELDS[name]
            return getattr(self.get(accumulator), field)
        raise AttributeError(name)

    def _attach(self, name: str, accumulator: Accumulator | None) -> None:
        if accumulator is None:
            self.parts.pop(name, None)
        else:
            self.parts[name] = accumulator

    @property
    def bootstrap(self):
        """Per-replicate sums of a Poisson bootstrap (accumulators.bootstrap), if asked."""
        return self.parts.get("bootstrap")

    @bootstrap.setter
    def bootstrap(self, value) -> None:
        self._attach("bootstrap", value)

    @property
    def grouped(self):
        """Totals per value of a column, and sums per sequence (accumulators.groups,
        --group-by and --sequence-column), when asked."""
        return self.parts.get("groups")

    @grouped.setter
    def grouped(self, value) -> None:
        self._attach("groups", value)

    @property
    def needs(self) -> set[str]:
        """The fields of a scored chunk that these totals' accumulators read."""
        return {field for part in self.parts.values() for field in part.needs}

    # ----------------------------------------------------------------------- results

    @property
    def rows(self) -> int:
        return self.parts["moments"].rows

    @property
    def skipped(self) -> int:
        return self.skips.count

    @property
    def skipped_lines(self) -> list[int]:
        return self.skips.lines

    @property
    def top_k(self) -> int:
        return self.settings.top_k

    @property
    def bins(self) -> int:
        return self.settings.bins

    @property
    def worst(self) -> int:
        return self.settings.worst

    @property
    def has_metrics(self) -> bool:
        """Some chunk came with its probabilities (top-k, Brier and calibration)."""
        return any(self.get(name).filled for name in FAMILIES["metrics"])

    def mean(self, source: str | None = None) -> float:
        if not self.rows:
            return math.nan
        divisor = self.mean_divisor
        if not divisor > 0:
            raise DataError(
                f"the weights of the {self.rows:,} rows that count sum to 0: the weighted "
                "mean is undefined",
                source=source,
            )
        return self.get("moments").mean()

    def worst_rows(self) -> list[tuple[int, int, str, str, float]]:
        return self.get("worst").finish()

    def ece(self) -> float:
        return metrics.ece_from_bins(self.calibration)

    def calibration_errors(self) -> tuple[float, float, float]:
        """(ECE, MCE, RMS calibration error) of the top-label equal-width bins."""
        return metrics.calibration_errors(self.calibration)

    def class_eces(self):
        """Each class's own ECE (NaN for all when the classwise histograms are off)."""
        return self.get("calibration").class_eces()

    def adaptive_ece(self) -> tuple[float, float]:
        """(ECE of equal-mass bins, its bound): see :func:`xent.metrics.adaptive_ece_from_fine`."""
        return metrics.adaptive_ece_from_fine(self.fine_calibration, self.bins)

    def reliability(self, z: float = metrics.Z_95) -> list[tuple]:
        """The reliability diagram's rows (see ``Calibration.reliability``)."""
        return self.get("calibration").reliability(z)


def _number(error: DataError) -> int | None:
    """The line (or, in a JSON document, the row) an error is about."""
    return error.line if error.line is not None else error.number
