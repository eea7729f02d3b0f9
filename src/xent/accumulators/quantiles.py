"""Percentiles of a stream of values, mergeable: exact up to ``exact_limit`` values, a
deterministic quantile sketch with a stated rank error beyond.

Exact: every value is kept (8 bytes each; 2^20 values by default, 8 MiB) and the
percentiles are ``numpy.quantile(values, f)`` with its default ``linear`` interpolation
(the value at rank t = f·(n − 1), 0-based, interpolated between its neighbours: what
``numpy.percentile`` and llama.cpp's ``kl_divergence`` give).

The sketch (beyond ``exact_limit`` values): the values are cut by their position in the
stream into leaves of ``k`` consecutive values (leaf j holds positions jk .. jk + k − 1).
A full leaf is sorted: node (0, j). Two sibling nodes (h, 2j) and (h, 2j + 1) (k values
each, of weight 2^h) are merged and every other value kept (the odd or even ones,
alternating with j and h), which makes node (h + 1, j): k values of weight 2^(h+1). The
state of a stretch of positions is its maximal dyadic nodes and at most two partial leaves
(kept whole): a function of the values and their positions only, so any split of the
stream, merged in order, gives the same state, bit for bit, as one pass.

Rank error: halving a sorted run of values of weight w miscounts the values below any
point by at most w, so a node of level h miscounts by at most h·2^(h−1); the bound E is
their sum over the nodes kept, at most n·H/(2k) for H levels (≤ 0.05 % of n for
k = 16,384 and n < 2^40). A percentile f is the smallest kept value whose weighted rank
reaches ⌊f·(n − 1)⌋ + 1, which lies between the exact order statistics of ranks
⌊f·(n − 1)⌋ − E and ⌊f·(n − 1)⌋ + E (no interpolation). Memory: k values per level,
O(k log(n/k)).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..rules import EXACT_PERCENTILES as EXACT_LIMIT

SKETCH_K = 1 << 14
# The percentiles a summary gives (as llama.cpp's KLD and Δp summaries), largest first.
FRACTIONS = (1.0, 0.999, 0.99, 0.95, 0.9, 0.75, 0.5, 0.25, 0.1, 0.05, 0.01, 0.001, 0.0)


class QuantileResult(NamedTuple):
    """Each fraction's value; ``exact`` or from the sketch, whose ranks are off by at most
    ``rank_error`` of the ``n`` values."""

    values: dict[float, float]
    n: int
    exact: bool
    rank_error: int


class Quantiles:
    """The values at positions ``start .. start + count − 1`` of a stream (see the module)."""

    def __init__(self, exact_limit: int = EXACT_LIMIT, k: int = SKETCH_K) -> None:
        if k < 2 or k % 2:
            raise ValueError(f"the sketch's leaves need an even k >= 2, got {k}")
        self.exact_limit, self.k = exact_limit, k
        self.start: int | None = None
        self.count = 0
        self.raw: list[np.ndarray] = []  # exact: the values in order
        self.nodes: dict[tuple[int, int], np.ndarray] | None = None  # None: exact
        self.partial: dict[int, list[np.ndarray]] = {}  # sketch: leaf -> its values so far
        self.low, self.high = np.inf, -np.inf  # the exact min and max (the sketch's 0 and 1)

    def add(self, values: np.ndarray, start: int) -> None:
        """Values at positions ``start ..`` (just after the ones added before)."""
        piece = Quantiles(self.exact_limit, self.k)
        piece.start, piece.count = start, int(values.size)
        piece.raw = [np.asarray(values, dtype=np.float64).ravel()]
        if values.size:
            piece.low, piece.high = float(piece.raw[0].min()), float(piece.raw[0].max())
        self.merge(piece)

    def merge(self, other: Quantiles) -> Quantiles:
        """Add the values of the stretch just after this one."""
        if not other.count:
            return self
        self.low, self.high = min(self.low, other.low), max(self.high, other.high)
        if not self.count:
            self.start, self.count = other.start, other.count
            self.raw, self.nodes = list(other.raw), _copy(other.nodes)
            self.partial = {j: list(v) for j, v in other.partial.items()}
            self._settle()
            return self
        assert self.start is not None and other.start == self.start + self.count, "not in order"
        self.count += other.count
        if self.nodes is None and other.nodes is None:
            self.raw += other.raw
            self._settle()
            return self
        self._to_sketch()
        other_nodes, other_partial = other._sketch_state()
        for j, values in other_partial.items():
            self.partial.setdefault(j, []).extend(values)
        assert self.nodes is not None
        self.nodes.update(other_nodes)
        self._combine()
        return self

    def _settle(self) -> None:
        if self.nodes is None and self.count > self.exact_limit:
            self._to_sketch()

    def _sketch_state(self):
        if self.nodes is not None:
            return self.nodes, self.partial
        copy = Quantiles(self.exact_limit, self.k)
        copy.start, copy.count, copy.raw = self.start, self.count, list(self.raw)
        copy._to_sketch()
        return copy.nodes, copy.partial

    def _to_sketch(self) -> None:
        """The kept values cut into leaves by position, full leaves sorted into nodes."""
        if self.nodes is not None:
            return
        assert self.start is not None
        values = np.concatenate(self.raw) if self.raw else np.zeros(0)
        self.raw, self.nodes, self.partial = [], {}, {}
        k, at = self.k, self.start
        while at < self.start + values.size:
            leaf = at // k
            stop = min((leaf + 1) * k, self.start + values.size)
            self.partial.setdefault(leaf, []).append(values[at - self.start : stop - self.start])
            at = stop
        self._combine()

    def _combine(self) -> None:
        """Full leaves into nodes, and sibling nodes into their parent, until none are left."""
        assert self.nodes is not None
        for leaf in sorted(self.partial):
            values = self.partial[leaf]
            if sum(v.size for v in values) == self.k:
                self.nodes[(0, leaf)] = np.sort(np.concatenate(values))
                del self.partial[leaf]
        changed = True
        while changed:
            changed = False
            for h, j in sorted(self.nodes):
                sibling = (h, j ^ 1)
                if j % 2 or sibling not in self.nodes or (h, j) not in self.nodes:
                    continue
                both = np.sort(np.concatenate([self.nodes.pop((h, j)), self.nodes.pop(sibling)]))
                self.nodes[(h + 1, j // 2)] = both[(h + j // 2) % 2 :: 2]
                changed = True

    def rank_error(self) -> int:
        """The bound E on how far any weighted rank is from the exact one."""
        if self.nodes is None:
            return 0
        return sum(h * (1 << (h - 1)) for h, _ in self.nodes if h > 0)

    def finish(self, fractions=FRACTIONS) -> QuantileResult:
        if not self.count:
            return QuantileResult({f: float("nan") for f in fractions}, 0, True, 0)
        if self.nodes is None:
            values = np.concatenate(self.raw)
            found = np.quantile(values, list(fractions))
            return QuantileResult(dict(zip(fractions, map(float, found))), self.count, True, 0)
        items = [v for (h, _), v in sorted(self.nodes.items())]
        weights = [np.full(v.size, 1 << h, np.int64) for (h, _), v in sorted(self.nodes.items())]
        for leaf in sorted(self.partial):
            items += self.partial[leaf]
            weights += [np.ones(v.size, dtype=np.int64) for v in self.partial[leaf]]
        values, weight = np.concatenate(items), np.concatenate(weights)
        order = np.argsort(values, kind="stable")
        values, rank = values[order], np.cumsum(weight[order])
        out = {}
        for f in fractions:
            wanted = int(np.floor(f * (self.count - 1))) + 1
            out[f] = float(values[min(int(np.searchsorted(rank, wanted)), values.size - 1)])
        out.update({f: self.low for f in fractions if f == 0.0})
        out.update({f: self.high for f in fractions if f == 1.0})
        return QuantileResult(out, self.count, False, self.rank_error())


def _copy(nodes):
    return None if nodes is None else dict(nodes)
