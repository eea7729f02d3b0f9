"""What every accumulator is: state, ``add(rows)``, an exact ``merge(other)``, ``finish()``.

torchmetrics' pattern with xent's exact merge: a metric declares its state, adds a scored
chunk vectorised (:class:`Rows`), merges another's state over later rows so that any split
of the rows gives what one pass gives, and finishes into a plain result. The streaming
path (a file's chunks) and the one-shot path (a few vectors) go through the same
``add``/``finish`` and the same :mod:`xent.metrics` kernels, so the two cannot drift.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, NamedTuple

import numpy as np

from .exact import weigh

# How many skipped rows a summary names by line (all of them are counted).
SKIPPED_SHOWN = 5


class Settings(NamedTuple):
    """What the accumulators of a run are built with besides the classes."""

    top_k: int = 1
    bins: int = 15
    worst: int = 0


class Rows:
    """A scored chunk (:class:`xent.scorer.ScoredRows`) as accumulators read it: its
    losses as float64 and their weighted terms s·l, found once for all of them;
    ``first_row``: the 1-based position of its first row in the run; ``chunk``: the
    chunk it was scored from, when an accumulator reads its other columns (groups)."""

    __slots__ = ("scored", "losses", "weights", "terms", "first_row", "chunk")
    # (the weights are in the units of the totals they are added to: .scaling)

    def __init__(self, scored, first_row: int = 1, chunk=None) -> None:
        self.scored = scored
        self.losses = np.asarray(scored.losses, dtype=np.float64)
        self.weights = scored.sample_weights
        self.terms = weigh(self.losses, self.weights)
        self.first_row = first_row
        self.chunk = chunk

    def __len__(self) -> int:
        return self.losses.size


class Accumulator:
    """One metric family's mergeable state (see the module docstring).

    ``name`` is its key in a :class:`~xent.totals.Totals`; ``needs`` the fields of a
    scored chunk that must be there (not None) for it to add the chunk, ``multi_label``
    whether it adds multi-label rows; ``missing`` what a merge does with another's
    accumulator that these totals lack: ``drop`` it (a metric not asked for here),
    ``adopt`` it (the groups, made by the map step) or raise (``error``)."""

    name: ClassVar[str]
    needs: ClassVar[tuple[str, ...]] = ()
    multi_label: ClassVar[bool] = True
    missing: ClassVar[str] = "drop"

    def __init__(self, classes: Sequence[str] = (), settings: Settings | None = None) -> None:
        """Empty state for ``classes`` under ``settings``."""

    def empty(self, classes: Sequence[str], settings: Settings) -> Accumulator:
        """A fresh one, made as this one was."""
        return type(self)(classes, settings)

    def takes(self, rows: Rows) -> bool:
        scored = rows.scored
        if not self.multi_label and scored.columns is not None:
            return False
        return all(getattr(scored, field) is not None for field in self.needs)

    def add(self, rows: Rows) -> None:
        raise NotImplementedError

    def merge(self, other: Any, rows_before: int = 0) -> Any:
        """Add ``other``'s state, over rows after these ``rows_before`` rows."""
        raise NotImplementedError

    def finish(self) -> Any:
        raise NotImplementedError

    def rescale(self, shift: int) -> None:
        """Its weighted sums × 2^shift (shift ≤ 0; sums of squared weights × 2^(2·shift)):
        the same rows in the units of larger weights (see :mod:`.scaling`). Every
        accumulator says what it holds: one with no weighted sums does nothing."""
        raise NotImplementedError


class Skipped:
    """The rows left out as bad: counted, the first :data:`SKIPPED_SHOWN` by line."""

    __slots__ = ("count", "lines")

    def __init__(self) -> None:
        self.count = 0
        self.lines: list[int] = []

    def add(self, lines: Sequence[int | None]) -> None:
        self.count += len(lines)
        room = SKIPPED_SHOWN - len(self.lines)
        if room > 0:
            self.lines += [line for line in lines[:room] if line is not None]

    def merge(self, other: Skipped) -> None:
        self.add(other.lines)
        self.count += other.count - len(other.lines)
