"""The map step of every backend: one chunk of rows in, its mergeable totals out.

    chunks → map(spec.score) → parts → reduce (xent.runner.reduce, in input order) → a result

:func:`score_part` scores a chunk (:func:`xent.scorer.score_chunk`) into totals of its own
(:class:`xent.totals.Totals`); :func:`score_row_part` scores a chunk of distribution rows
(``entropy``, ``kl``, ``js``) into :class:`xent.totals.RowTotals`. A spec
(:class:`ScoreSpec`, :class:`RowSpec`) says which and travels to where the chunk is read:
this process, a worker process (:mod:`xent.runner.processes`) or a Dask worker
(:mod:`xent.runner.dask`); :func:`slim` is what a worker sends back.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from .options import ScoreOptions
from .scorer import ScoredRows, score_chunk
from .totals import Totals, wanted

if TYPE_CHECKING:
    from .divergences import ColumnGroups


def new_totals(
    classes,
    options: ScoreOptions,
    metrics: bool = True,
    *,
    detail: bool = True,
    group_by: str | None = None,
    sequences: str | None = None,
    source: str = "",
) -> Totals:
    """Empty totals for a run under ``options``: with the intervals' sums when ``options.ci``
    (standard errors, or bootstrap sums with ``options.replicates``);
    ``metrics=False``: without the calibration metrics' sums and histograms;
    ``detail=False``: without a contribution table's column sums; ``group_by``,
    ``sequences``: with totals per value of that column, sums per sequence."""
    totals = Totals(
        classes,
        worst=options.worst,
        top_k=options.top_k,
        bins=options.bins,
        keep=wanted(metrics=metrics, detail=detail, worst=options.worst),
    )
    if options.ci is not None and options.replicates is None:
        from .accumulators.standard_errors import StandardErrors

        totals.parts["standard_errors"] = StandardErrors(classes, totals.settings, metrics=metrics)
    elif options.ci is not None and options.replicates is not None:
        from .accumulators.bootstrap import Bootstrap

        totals.bootstrap = Bootstrap(
            options.replicates, options.seed, top_k=options.top_k, bins=options.bins
        )
    if group_by is not None or sequences is not None:
        from .accumulators.groups import GroupedTotals

        # A group shows its loss, accuracy, skill and intervals: no metrics, no worst rows.
        group = partial(new_totals, options=replace(options, worst=0), metrics=False, detail=False)
        totals.grouped = GroupedTotals(group, group_by, sequences, base=options.base, source=source)
    return totals


class ScoreSpec:
    """How chunks are scored: what the map step needs besides the chunk. (A plain class:
    a dataclass costs start-up time on every command.)"""

    __slots__ = ("options", "source", "metrics", "keep_rows", "detail", "group_by", "sequences")

    def __init__(
        self,
        options: ScoreOptions,
        source: str,
        metrics: bool = True,
        keep_rows: bool = False,  # keep the scored rows (per-row output, a contribution table)
        detail: bool = False,  # keep each row's per-class terms (small inputs only)
        group_by: str | None = None,  # totals per value of this column (xent.accumulators.groups)
        sequences: str | None = None,  # sums per sequence named by this column
    ) -> None:
        # A group's accuracy needs each row's arg-max, which the metrics' run computes.
        grouped = group_by is not None or sequences is not None
        self.options, self.source, self.metrics = options, source, metrics or grouped
        self.keep_rows, self.detail = keep_rows, detail
        self.group_by, self.sequences = group_by, sequences

    def score(self, chunk) -> Part:
        return score_part(chunk, self)


class RowSpec:
    """How chunks of distribution rows are scored (``entropy``, ``kl``, ``js``): the map
    step of :func:`xent.pipeline.score_distribution_chunks`, in the calling process or in
    the CSV reader's workers. ``kl`` and ``js`` split each row into P and Q by
    :func:`xent.divergences.column_groups` of the header's columns and ``p_columns``,
    ``q_columns``, ``classes``."""

    __slots__ = ("kind", "options", "source", "keep_rows", "columns", "_groups")

    def __init__(
        self,
        kind: str,
        options: ScoreOptions,
        source: str,
        keep_rows: bool = False,  # each row's value and line (per-row output)
        columns: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]] = ((), (), ()),
    ) -> None:
        self.kind, self.options, self.source, self.keep_rows = kind, options, source, keep_rows
        self.columns = columns  # (p_columns, q_columns, classes)
        self._groups: ColumnGroups | None = None

    def groups(self, names: list[str]) -> ColumnGroups:
        if self._groups is None:
            from .divergences import column_groups

            p_columns, q_columns, classes = self.columns
            self._groups = column_groups(
                names, p_columns, q_columns, classes, source=self.source or None
            )
        return self._groups

    def score(self, chunk) -> Part:
        return score_row_part(chunk, self)


class Part:
    """One chunk, scored: its totals, and its rows when the spec keeps them.

    Counted like a chunk by the readers (``len``: the rows read, skipped ones included;
    ``position``: the bytes read so far), so a reader may yield parts in its place."""

    __slots__ = (
        "totals",
        "rows",
        "classes",
        "task",
        "numbered",
        "position",
        "read",
        "notes",
        "chunks",
    )
    skipped = ()

    def __init__(
        self, totals, rows, classes, task, numbered, position, read, notes=(), chunks=1
    ) -> None:
        self.totals = totals  # Totals, or RowTotals (RowSpec)
        self.rows: ScoredRows | RowValues | None = rows
        self.classes: list[str] = classes
        self.task: str = task
        self.numbered: str = numbered
        self.position: int = position
        self.read: int = read
        self.notes: list[str] = list(notes)  # the reader's, as a chunk carries them
        self.chunks: int = chunks  # how many chunks it holds (a group, from a worker)

    def __len__(self) -> int:
        return self.read

    def __reduce__(self):
        return (Part, tuple(getattr(self, name) for name in self.__slots__))


def score_part(chunk, spec: ScoreSpec) -> Part:
    """Score ``chunk`` into a :class:`Part` (raises the chunk's first bad row's error)."""
    options = spec.options
    if options.byte_column is not None or options.word_column is not None:
        from .readers.counts import counts_of

        chunk = replace(chunk, counts=counts_of(chunk, options.count_columns, spec.source))
    # The arg-max only where something shows it: accuracy (with the metrics), the worst
    # rows, per-row output.
    predicted = spec.metrics or spec.keep_rows or options.worst > 0
    scored = score_chunk(
        chunk,
        options,
        source=spec.source,
        detail=spec.detail,
        metrics=spec.metrics,
        predicted=predicted,
    )
    totals = new_totals(
        chunk.classes,
        options,
        spec.metrics,
        detail=spec.detail,
        group_by=spec.group_by,
        sequences=spec.sequences,
        source=spec.source,
    )
    add_language_totals(totals, chunk, spec)
    totals.add(scored, chunk)
    rows = scored if spec.keep_rows else None
    read = len(chunk) + len(chunk.skipped)
    return Part(
        totals, rows, chunk.classes, chunk.task, chunk.numbered, chunk.position, read, chunk.notes
    )


def add_language_totals(totals: Totals, chunk, spec: ScoreSpec) -> None:
    """The figures of language-model tokens, made when a chunk carries what they read:
    perplexity per byte, word and document when it has counts (or is a logprobs file's
    tokens, its documents the responses), the top-k entropy when other tokens are listed."""
    options = spec.options
    if chunk.counts is not None or chunk.task == "tokens":
        from .accumulators.normalised import Normalised

        column = "response" if chunk.task == "tokens" else spec.sequences
        per_document = options.counts_per == "document" and chunk.task != "tokens"
        totals.parts["normalised"] = Normalised(options.base, column, spec.source, per_document)
    if chunk.top_logprobs is not None:
        from .accumulators.top_k_entropy import TopKEntropy

        totals.parts["top_k_entropy"] = TopKEntropy(options.vocab_size, options.base, spec.source)


class RowValues(NamedTuple):
    """A chunk's value per row (an entropy, a divergence) and the rows' lines."""

    values: np.ndarray
    lines: np.ndarray


def score_row_part(chunk, spec: RowSpec) -> Part:
    """Score a chunk of distribution rows into a :class:`Part` of
    :class:`~xent.totals.RowTotals` (raises the chunk's first bad row's error)."""
    from .totals import RowTotals

    if spec.kind == "entropy":
        scored = score_chunk(
            replace(chunk, task="entropy"), spec.options, source=spec.source, detail=True
        )
        skipped, values, lines = scored.skipped, scored.losses, scored.lines
        terms = scored.detail.contribution if scored.detail is not None else values[:, None]
        classes = chunk.classes
    else:
        groups = spec.groups(chunk.classes)
        values, terms, lines, skipped = _divergence_rows(chunk, spec, groups)
        classes = groups.classes
    totals = RowTotals(classes)
    totals.skip([error.line if error.line is not None else error.number for error in skipped])
    if len(values):
        totals.add(values, terms, roots=spec.kind == "js")
    rows = RowValues(values, lines) if spec.keep_rows else None
    read = len(chunk) + len(chunk.skipped)
    return Part(totals, rows, classes, spec.kind, chunk.numbered, chunk.position, read)


def _divergence_rows(chunk, spec: RowSpec, groups):
    """(per-row values, per-class terms, lines, skipped errors) of a chunk of P and Q."""
    from .divergences import divergence_rows, invalid_pair_rows
    from .errors import InvalidProbabilities
    from .scorer import place, rows_of

    options, source = spec.options, spec.source

    def rows(part):
        return (part.values[:, groups.p], part.values[:, groups.q])

    skipped = list(chunk.skipped)
    if chunk.logits or chunk.log_probs:  # two models' arrays (xent.readers.array_pairs)
        from .divergences import divergence_rows_of

        p, q = rows(chunk)
        try:
            terms, values = divergence_rows_of(
                spec.kind,
                p,
                q,
                "logits" if chunk.logits else "logprobs",
                base=options.base,
                tolerance=options.tolerance,
            )
        except InvalidProbabilities as error:
            raise place(error, chunk, source) from None
        return values, terms, chunk.lines, skipped
    if options.skip_bad_rows and len(chunk):
        p, q = rows(chunk)
        bad = invalid_pair_rows(p, q, options.renormalize, options.tolerance)
        if bad.any():
            for i in np.flatnonzero(bad):
                one = rows_of(chunk, slice(i, i + 1))
                try:
                    p, q = rows(one)
                    divergence_rows(
                        spec.kind,
                        p,
                        q,
                        renormalize=options.renormalize,
                        tolerance=options.tolerance,
                    )
                except InvalidProbabilities as error:
                    skipped.append(place(error, one, source))
            chunk = rows_of(chunk, ~bad)
            skipped.sort(key=lambda error: error.line or error.number or 0)
    p, q = rows(chunk)
    try:
        terms, values = divergence_rows(
            spec.kind,
            p,
            q,
            base=options.base,
            renormalize=options.renormalize,
            tolerance=options.tolerance,
        )
    except InvalidProbabilities as error:
        raise place(error, chunk, source) from None
    return values, terms, chunk.lines, skipped


def slim(part: Part) -> Part:
    """The part as a worker sends it back: of the rows, only what per-row output writes."""
    rows = part.rows
    if isinstance(rows, ScoredRows):  # (a RowValues is sent whole)
        multi_label = rows.labels is None  # its rows name the positive classes: y and Q
        part.rows = ScoredRows(
            rows.lines,
            rows.labels,
            rows.predicted,
            rows.losses,
            [],
            probabilities=rows.probabilities if multi_label else None,
            positives=rows.positives if multi_label else None,
        )
    return part
