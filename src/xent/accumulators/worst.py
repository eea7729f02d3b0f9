"""The K rows of highest loss, highest first and equal losses in input order: a bounded
heap, kept per chunk with ``argpartition`` and merged by one ``lexsort``, so any split of
the rows keeps exactly the rows one pass keeps."""

from __future__ import annotations

import numpy as np

from .base import Accumulator, Rows, Settings


def top_rows(values: np.ndarray, k: int) -> np.ndarray:
    """The positions of the ``k`` largest values (0 < k ≤ their number), of equal values the
    first: ``argpartition`` finds the k-th largest, and the rows at or above it are sorted
    (by value, then position) only when a tie straddles it. (``argpartition`` alone keeps
    any of the tied rows, so a split of the rows could keep others than one pass.)"""
    if k >= values.size:
        return np.arange(values.size)
    best = np.argpartition(-values, k - 1)[:k]
    kth = values[best].min()
    if np.isnan(kth):  # (NaN sorts last: fewer than k numbers)
        return best
    top = np.flatnonzero(values >= kth)
    if top.size > k:
        top = top[np.lexsort((top, -values[top]))[:k]]
    return top


class WorstRows(Accumulator):
    name = "worst"
    needs = ("labels",)  # and the arg-max (a logprobs file's tokens have none: the token)

    def __init__(self, classes, settings: Settings | None = None) -> None:
        self.classes = list(classes)
        self.size = (settings or Settings()).worst
        # (losses, rows, lines, labels, predicted), ``rows`` 1-based positions in the run.
        self.kept: tuple[np.ndarray, ...] = (
            np.zeros(0),
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            np.zeros(0, np.intp),
            np.zeros(0, np.intp),
        )

    def add(self, rows: Rows) -> None:
        losses, scored = rows.losses, rows.scored
        k = min(self.size, losses.size)
        if not k:
            return
        top = top_rows(losses, k)
        lines = np.asarray(scored.lines)[top]
        predicted = scored.labels if scored.predicted is None else scored.predicted
        self._keep((losses[top], rows.first_row + top, lines, scored.labels[top], predicted[top]))

    def _keep(self, other) -> None:
        both = [np.concatenate([mine, theirs]) for mine, theirs in zip(self.kept, other)]
        # Highest loss first; equal losses in input order.
        order = np.lexsort((both[1], -both[0]))[: self.size]
        self.kept = tuple(column[order] for column in both)

    def merge(self, other: WorstRows, rows_before: int = 0) -> None:
        theirs = list(other.kept)
        theirs[1] = theirs[1] + rows_before  # their row numbers follow ours
        self._keep(tuple(theirs))

    def rescale(self, shift: int) -> None:
        """Losses, not weights: nothing to scale."""

    def finish(self) -> list[tuple[int, int, str, str, float]]:
        """(row, line, label, predicted, loss) of each row kept, the worst first."""
        losses, rows, lines, labels, predicted = self.kept
        return [
            (
                int(rows[i]),
                int(lines[i]),
                self.classes[labels[i]],
                self.classes[predicted[i]],
                float(losses[i]),
            )
            for i in range(len(rows))
        ]
