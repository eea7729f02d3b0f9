"""The reduce step, one for every backend: parts merged in input order.

The reduce adds the chunks in fixed groups of ``GROUP_CHUNKS`` (chunks 1-8, 9-16, ...:
each group's totals merged in order, then the groups into the run, in order). A worker
process scores a whole group into one part (:func:`merged`), so it sends one part for
eight chunks, and the floating-point sums are added in the same order whatever the number
of processes: a run gives the same numbers, the same first error and the same skipped rows
inline, in worker processes and on a cluster.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..errors import DataError, param
from ..lifeline import check_terminated
from ..options import ScoreOptions
from ..parts import Part, RowValues
from ..scorer import Detail, ScoredRows
from ..totals import Totals

# Chunks merged into one group before the group is merged into the run (see above).
GROUP_CHUNKS = 8


def add_notes(notes: list[str], more) -> None:
    """Append the notes of ``more`` that ``notes`` does not have yet, in order."""
    notes.extend(note for note in dict.fromkeys(more) if note not in notes)


class Run:
    """What a source gave, scored: the totals, and how its rows are numbered. (A plain
    class: a dataclass costs start-up time on every command.)"""

    __slots__ = ("totals", "source", "numbered", "task", "details", "notes")

    def __init__(
        self, totals: Totals, source: str, numbered: str = "line", task: str = "multiclass"
    ) -> None:
        self.totals, self.source, self.numbered, self.task = totals, source, numbered, task
        self.details: list[Detail] = []
        self.notes: list[str] = []  # the readers' (chunk.notes)

    def merge(self, other: Run) -> Run:
        """Another run's totals and notes added to this one's (one file of many)."""
        self.totals.merge(other.totals)
        add_notes(self.notes, other.notes)
        return self


class InOrder:
    """The reduce step: parts merged into ``totals`` in input order, in groups of
    ``GROUP_CHUNKS`` chunks (a worker's part may be a whole group), so the floating-point
    additions are the same whatever the number of processes."""

    def __init__(self, totals) -> None:
        self.totals = totals
        self.group = None  # the totals of the group of chunks being merged
        self.in_group = 0

    def add(self, part: Part) -> None:
        if self.group is None:
            self.group = part.totals
        else:
            self.group.merge(part.totals)
        self.in_group += part.chunks
        if self.in_group >= GROUP_CHUNKS:
            self.done()

    def done(self):
        """The totals, every part merged (also between parts: a group is merged early)."""
        if self.group is not None:
            self.totals.merge(self.group)
            self.group, self.in_group = None, 0
        return self.totals


def merged(parts: list[Part]) -> list[Part]:
    """A group's parts (one chunk each, no rows kept) as one part, their totals merged in
    order as the reduce step merges a group: a worker sends one part for a group. Parts
    with rows (per-row output) or of different kinds stay as they are."""
    if len(parts) < 2 or any(
        part.rows is not None
        or part.chunks != 1
        or (part.task, part.numbered, part.classes)
        != (parts[0].task, parts[0].numbered, parts[0].classes)
        for part in parts
    ):
        return parts
    first = parts[0]
    for part in parts[1:]:
        first.totals.merge(part.totals)
        add_notes(first.notes, part.notes)
    first.position, first.read = parts[-1].position, sum(part.read for part in parts)
    first.chunks = len(parts)
    return [first]


def reduce_parts(
    parts: Iterable[Part],
    options: ScoreOptions,
    *,
    source: str,
    detail: bool = False,
    on_rows: Callable[[ScoredRows, object], None] | None = None,
    check_ignored: bool = True,
) -> Run:
    """A source's parts (scored inline or by worker processes), merged in input order
    into one :class:`Run`. ``on_rows(scored, part)`` sees each part's scored rows as it
    goes (the per-row output); ``detail``: the parts' per-class terms are kept in
    ``run.details``. ``check_ignored``: every row ignored is an error (not for one file of
    many)."""
    run: Run | None = None
    reduce: InOrder | None = None
    for part in parts:
        # A SIGTERM or SIGHUP whose SystemExit Python swallowed (it came while an at-fork
        # hook ran: a worker started) ends the run here, at the next part, not at its end.
        check_terminated()
        if run is None:
            # Totals that keep what the parts keep: nothing a part was not asked for.
            run = Run(part.totals.empty(), source, part.numbered, part.task)
            reduce = InOrder(run.totals)
        elif part.task != run.task:
            raise DataError(f"rows of two kinds: {run.task} and {part.task}", source=source)
        assert reduce is not None
        reduce.add(part)
        add_notes(run.notes, part.notes)
        rows = part.rows
        if detail and isinstance(rows, ScoredRows) and rows.detail is not None:
            run.details.append(rows.detail)
        if on_rows is not None:
            assert isinstance(rows, ScoredRows)  # the spec keeps the rows for on_rows
            on_rows(rows, part)
    if run is None or reduce is None:
        raise DataError("no rows: expected one row per sample", source=source)
    reduce.done()
    if check_ignored:
        check_not_all_ignored(run.totals, options, source)
    return run


def reduce_rows(parts: Iterable[Part], *, source: str, on_rows=None):
    """Parts of distribution rows (:class:`~xent.parts.RowSpec`), merged in input order
    into :class:`~xent.totals.RowTotals`; ``on_rows(values, lines, part)`` sees each part's
    per-row values. Returns (totals, numbered)."""
    from ..totals import RowTotals

    reduce: InOrder | None = None
    numbered = "line"
    for part in parts:
        if reduce is None:
            reduce = InOrder(RowTotals(part.classes))
            numbered = part.numbered
        reduce.add(part)
        if on_rows is not None:
            assert isinstance(part.rows, RowValues)  # the spec keeps them for on_rows
            on_rows(part.rows.values, part.rows.lines, part)
    totals = reduce.done() if reduce is not None else None
    if totals is None or not totals.rows and not totals.skipped:
        raise DataError("no rows: expected one distribution per row", source=source)
    return totals, numbered


def check_not_all_ignored(totals: Totals, options: ScoreOptions, source: str | None) -> None:
    """Every row ignored (or skipped as bad) leaves no loss to average (PyTorch prints
    nan): say so."""
    if totals.rows:
        return
    if not totals.ignored:
        if totals.skipped:  # --on-error skip left every row out: nan is no answer
            first = ", ".join(map(str, totals.skipped_lines[:5]))
            where = f" (first: {first})" if first else ""
            raise DataError(
                f"every row is skipped as bad: {totals.skipped:,} "
                f"row{'s' if totals.skipped > 1 else ''}{where}, so there is no "
                f"loss to average ({param('on_error', 'raise')} shows the first problem)",
                source=source or None,
            )
        return
    how = (
        f"the ignore index {options.ignore_index} ({param('ignore_index')})"
        if options.ignore_index is not None
        else f"{options.ignore_label!r} ({param('ignore_label')})"
    )
    also = f" and {totals.skipped:,} rows are skipped as bad" if totals.skipped else ""
    every = "" if totals.skipped else "all "
    raise DataError(
        f"every row is ignored: {every}{totals.ignored:,} labels are {how}{also}, so there "
        "is no loss to average (PyTorch would print nan)",
        source=source or None,
    )
