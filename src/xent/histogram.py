"""A histogram of per-row losses in fixed bins: mergeable, in constant memory.

The loss has no upper bound and its range is not known before the last row, so the
counts are kept in fixed fine bins, :data:`RESOLUTION` per unit of loss over
[0, :data:`SPAN`), and one overflow bin for [SPAN, ∞] (the infinite losses too). Bin
``i`` holds the losses in [i/RESOLUTION, (i+1)/RESOLUTION): closed on the left. Counts
only, so any split of the rows, merged, gives the same histogram exactly. A picture
wants some 30 bars: :meth:`LossHistogram.coarse` adds neighbouring fine bins together
(binary widths, so every coarse edge is a fine edge and no row is split between bars).
"""

from __future__ import annotations

import math

import numpy as np

RESOLUTION = 256  # fine bins per unit of loss (nats, bits, ... as the run's base)
SPAN = 64  # losses from SPAN up (and inf) are counted in the overflow bin
FINE = RESOLUTION * SPAN


class LossHistogram:
    """Counts of per-row losses in the fixed fine bins (see the module docstring)."""

    def __init__(self) -> None:
        self.counts = np.zeros(FINE + 1, dtype=np.int64)  # the last: [SPAN, ∞]

    def add(self, losses) -> None:
        losses = np.asarray(losses, dtype=np.float64)
        if not losses.size:
            return
        with np.errstate(invalid="ignore"):
            index = np.floor(np.where(np.isfinite(losses), losses, SPAN) * RESOLUTION)
        index = np.clip(index, 0, FINE).astype(np.int64)  # -0.0 and rounding below 0: bin 0
        self.counts += np.bincount(index, minlength=FINE + 1)

    def __call__(self, scored, chunk=None) -> None:
        """The pipeline's ``on_rows`` callback: add a scored chunk's losses."""
        self.add(scored.losses)

    def merge(self, other: LossHistogram) -> LossHistogram:
        self.counts = self.counts + other.counts
        return self

    @property
    def rows(self) -> int:
        return int(self.counts.sum())

    @property
    def overflow(self) -> int:
        """Rows with a loss of SPAN or more (infinite ones included)."""
        return int(self.counts[FINE])

    def coarse(self, bars: int = 32, covered: float = 0.995) -> tuple[list[tuple], int]:
        """At most about ``bars`` bars of equal width over [0, upper): ``[(low, high,
        rows)]``, and the rows at or above ``upper``. ``upper`` is the first bar edge
        below which at least ``covered`` of the rows lie (so one huge loss does not
        squash the rest into a single bar); the width is 2^j fine bins."""
        total = self.rows
        if not total:
            return [], 0
        fine = self.counts[:FINE]
        cumulative = np.cumsum(fine)
        wanted = math.ceil(covered * total)
        reached = np.flatnonzero(cumulative >= wanted)
        last = int(reached[0]) + 1 if reached.size else int(np.flatnonzero(fine).max(initial=0)) + 1
        width = 1
        while math.ceil(last / width) > bars:
            width *= 2
        n = math.ceil(last / width)
        edges = n * width
        sums = fine[: min(edges, FINE)]
        if sums.size < edges:
            sums = np.concatenate([sums, np.zeros(edges - sums.size, dtype=np.int64)])
        per_bar = sums.reshape(n, width).sum(axis=1)
        out = [
            ((b * width) / RESOLUTION, ((b + 1) * width) / RESOLUTION, int(per_bar[b]))
            for b in range(n)
        ]
        beyond = total - int(per_bar.sum())
        return out, beyond
