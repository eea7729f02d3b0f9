"""Summaries per value of a column (``--group-by``), and language-model perplexities per
sequence (``--sequence-column``), from the same stream of scored chunks.

Each scored chunk's rows are split by their group's text (the reader keeps the column's
text per row, ``ReadOptions.keep_columns``) and added to that group's own
:class:`~xent.totals.Totals` (made by the function it is given: this module imports no
totals): a dict of totals, mergeable like one. It rides on the chunk's totals
(``Totals.grouped``, made by the map step, :func:`xent.parts.score_part`), so the
groups are scored where the chunk is (a worker process) and merged in input order with the
rest. The groups are bounded (:data:`MAX_GROUPS`): a column with more distinct values is an
error that says so, naming the first row of a group beyond the limit.

Perplexities of token rows: the **corpus perplexity** is base^(mean token loss over every
token of every sequence) (what language-model papers report); the **mean per-sequence
perplexity** is the mean over sequences of base^(the sequence's mean token loss), which
weighs short sequences like long ones. The two differ (the second is the larger when all
sequences have the same length, by Jensen's inequality) and are often confused.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import DataError, param
from ..kernels import power
from .base import Accumulator, Rows

MAX_GROUPS = 10_000
MAX_SEQUENCES = 5_000_000


def subset(scored, rows: np.ndarray):
    """The scored rows at ``rows`` (a :class:`~xent.scorer.ScoredRows` of their own).
    Made field by field, in order: ``_replace`` took a quarter of the time of a column of
    10,000 groups."""

    def pick(array):
        return None if array is None else array[rows]

    return type(scored)(
        scored.lines[rows],
        pick(scored.labels),
        pick(scored.predicted),
        scored.losses[rows],
        [],  # skipped: counted once, by the run
        0,  # ignored: likewise
        pick(scored.sample_weights),
        pick(scored.denominators),
        pick(scored.probabilities),
        pick(scored.targets),
        pick(scored.columns),
        pick(scored.positives),
        None,  # detail: a group has no contribution table
        None,  # zero_columns: per class, not per row (the run's totals say)
        scored.weight_exponent,
    )


def column_of_rows(scored, chunk, column: str) -> np.ndarray:
    """The text of ``column`` for each scored row (scored rows are a subset of the
    chunk's, in order: matched by line)."""
    texts = np.asarray(chunk.columns[column], dtype=object)
    if len(texts) == len(scored.lines):
        return texts
    return texts[np.searchsorted(chunk.lines, scored.lines)]


@dataclass(frozen=True)
class Sequences:
    """Corpus perplexity against the mean of per-sequence perplexities (see the module)."""

    column: str
    sequences: int
    tokens: int
    corpus_mean_loss: float  # mean token loss over the corpus
    corpus_perplexity: float  # base ** corpus_mean_loss
    mean_sequence_perplexity: float  # mean over sequences of base ** (sequence mean loss)


def clustered_spread(entries) -> tuple[int, float, float] | None:
    """(G, R, se) of a ratio over G clusters' (Y_g, D_g): R = Σ Y_g / Σ D_g and
    se² = G/(G − 1) · Σ (Y_g − R·D_g)² / (Σ D_g)²; None for fewer than two clusters, no
    weight, or sums that are not finite."""
    if len(entries) < 2:
        return None
    values = np.array(entries, dtype=np.float64)
    if not np.isfinite(values).all():
        return None
    divisor = math.fsum(values[:, 1])
    if not divisor > 0:
        return None
    g = len(values)
    ratio = math.fsum(values[:, 0]) / divisor
    residuals = values[:, 0] - ratio * values[:, 1]
    spread = math.fsum((residuals * residuals).tolist())
    return g, ratio, math.sqrt(spread * g / (g - 1)) / divisor


class GroupedTotals(Accumulator):
    """Totals per value of ``column`` (``new_totals(classes)`` makes a group's: a group
    shows its loss, accuracy, skill and intervals, never the calibration metrics, so they
    keep none of their histograms: 1.5 MB a group, 3,000 groups took 4.7 GB); with
    ``sequence_column`` the loss sum and divisor per sequence too, and perplexities in
    ``base``. ``add`` a scored chunk's :class:`Rows` with its chunk."""

    name = "groups"
    missing = "adopt"  # the run's totals take the groups the map step made

    def __init__(
        self,
        new_totals: Callable[[list[str]], Any],
        column: str | None,
        sequence_column: str | None = None,
        *,
        base: float = math.e,
        source: str = "",
    ) -> None:
        self.new_totals, self.base = new_totals, base
        self.column, self.sequence_column, self.source = column, sequence_column, source
        self.groups: dict[str, Any] = {}  # name -> Totals
        self.first_lines: dict[str, int] = {}  # each group's first row, for the limit's error
        self.sequences: dict[str, list[float]] = {}

    def takes(self, rows: Rows) -> bool:
        return rows.chunk is not None

    def add(self, rows: Rows) -> None:
        scored, chunk = rows.scored, rows.chunk
        if self.column is not None:
            self._add_groups(scored, chunk, self.column)
        if self.sequence_column is not None:
            self._add_sequences(scored, chunk, self.sequence_column)

    def _add_groups(self, scored, chunk, column: str) -> None:
        keys = column_of_rows(scored, chunk, column)
        names, where = np.unique(keys.astype(str), return_inverse=True)
        # The rows of each group, in input order: one stable sort, not a scan a group.
        order = np.argsort(where, kind="stable")
        starts = np.searchsorted(where[order], np.arange(names.size + 1))
        listed = names.tolist()
        # New groups counted in the order of their first rows (np.unique sorts them): the
        # limit's error names the row of the first group beyond it in the file.
        for j in np.argsort(order[starts[:-1]], kind="stable").tolist():
            name = listed[j]
            rows = order[starts[j] : starts[j + 1]]
            totals = self.groups.get(name)
            if totals is None:
                self._new_group(name, int(scored.lines[rows[0]]))
                totals = self.groups[name] = self.new_totals(chunk.classes)
            totals.add(subset(scored, rows))

    def _new_group(self, name: str, line: int, source: str = "") -> None:
        """Count a group first seen at ``line`` (of ``source``: another file's groups, as
        a run of many files merges them)."""
        if len(self.groups) >= MAX_GROUPS:
            raise DataError(
                f"more than {MAX_GROUPS:,} distinct values in the {param('group_by')} column "
                f"{self.column!r}: group by a column of fewer values",
                source=source or self.source or None,
                line=line,
            )
        self.first_lines[name] = line

    def _add_sequences(self, scored, chunk, column: str) -> None:
        keys = column_of_rows(scored, chunk, column).astype(str)
        losses = np.asarray(scored.losses, dtype=np.float64)
        s = scored.sample_weights
        terms = losses if s is None else np.where(s > 0, s * losses, 0.0)
        if scored.denominators is not None:
            divisors = np.asarray(scored.denominators, dtype=np.float64)
        else:
            divisors = np.ones(losses.size) if s is None else s
        names, where = np.unique(keys, return_inverse=True)
        sums = np.bincount(where, weights=terms, minlength=names.size)
        counts = np.bincount(where, weights=divisors, minlength=names.size)
        tokens = np.bincount(where, minlength=names.size)
        for name, total, divisor, n in zip(names.tolist(), sums, counts, tokens):
            self._add_sequence(name, float(total), float(divisor), int(n))

    def _add_sequence(
        self, name: str, total: float, divisor: float, n: int, source: str = ""
    ) -> None:
        entry = self.sequences.get(name)
        if entry is None:
            if len(self.sequences) >= MAX_SEQUENCES:
                raise DataError(
                    f"more than {MAX_SEQUENCES:,} sequences in {self.sequence_column!r}",
                    source=source or self.source or None,
                )
            self.sequences[name] = [total, divisor, n]
        else:
            entry[0] += total
            entry[1] += divisor
            entry[2] += n

    def merge(self, other: GroupedTotals, rows_before: int = 0) -> GroupedTotals:
        """Add another run's groups and sequences (rows after these), in their order."""
        for name, totals in other.groups.items():
            if name in self.groups:
                self.groups[name].merge(totals)
            else:
                self._new_group(name, other.first_lines[name], other.source)
                self.groups[name] = totals
        for name, (total, divisor, n) in other.sequences.items():
            self._add_sequence(name, total, divisor, int(n), other.source)
        return self

    def rescale(self, shift: int) -> None:
        """The sequences' sums are in the run's units; each group's totals keep their own
        (:class:`~xent.totals.Totals` align themselves as they add and merge)."""
        from .scaling import shifted

        for entry in self.sequences.values():
            entry[0], entry[1] = shifted(entry[0], shift), shifted(entry[1], shift)

    def finish(self) -> tuple[dict[str, Any], Sequences | None]:
        """Each group's totals (in the order first seen), and the sequences' perplexities."""
        return self.groups, self.sequence_summary()

    def sequence_spread(self) -> tuple[int, float, float] | None:
        """(G, R, se) of the mean loss with the sequences as the sampling units (the tokens
        of a sequence are not independent): R = Σ Y_g / Σ D_g over the G sequences' loss
        sums and divisors, se² = G/(G − 1) · Σ (Y_g − R·D_g)² / (Σ D_g)² (the clustered
        standard error of a ratio); None for fewer than two sequences, or sums that are not
        finite (an infinite loss: its interval is infinite already)."""
        if self.sequence_column is None:
            return None
        return clustered_spread([(t, d) for t, d, _ in self.sequences.values()])

    def sequence_summary(self) -> Sequences | None:
        if self.sequence_column is None or not self.sequences:
            return None
        base = self.base
        entries = np.array([(t, d) for t, d, _ in self.sequences.values()], dtype=np.float64)
        tokens = int(sum(n for _, _, n in self.sequences.values()))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            divisor = math.fsum(entries[:, 1])  # 0: every token of weight 0
            corpus = math.fsum(entries[:, 0]) / divisor if divisor else math.nan
            per_sequence = power(base, entries[:, 0] / entries[:, 1])
        return Sequences(
            column=self.sequence_column,
            sequences=len(self.sequences),
            tokens=tokens,
            corpus_mean_loss=corpus,
            corpus_perplexity=float(power(base, corpus)),
            mean_sequence_perplexity=float(np.mean(per_sequence)),
        )
