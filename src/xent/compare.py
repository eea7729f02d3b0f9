"""Two models' predictions for the same rows, compared row by row (``xent compare A B``).

The files are aligned by order (streamed: both are read chunk by chunk and cut into
aligned blocks of rows) or by an id column (``id_column``: read whole, in memory). Each
block is checked (same classes, same labels, row for row), scored by the one scorer, and
added to each model's :class:`~xent.totals.Totals` and to the paired totals here:

- the paired difference D = mean_B − mean_A (positive: B is worse), with the standard
  error of the mean of the per-row differences d_n = l_B,n − l_A,n (sample variance,
  n − 1) and the paired t / Diebold-Mariano statistic t = D / se with a two-sided p-value
  from the normal approximation (large n);
- with ``options.ci`` a paired Poisson bootstrap: the same weights for a row in A and B
  (keyed by the row's position), so each replicate's D is B's minus A's;
- wins (l_B < l_A), losses (l_B > l_A) and ties (|l_B − l_A| ≤ 1e-12·max(l_A, l_B)),
  and the K rows where the two differ most (a bounded heap).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .bootstrap import Bootstrap, percentile_interval
from .errors import DataError, UsageError
from .options import ScoreOptions
from .results import Summary, summarize
from .scorer import rows_of, score_chunk
from .totals import ExactSum, Totals

TIE = 1e-12


@dataclass(frozen=True)
class Disagreement:
    row: int  # 1-based position among the aligned rows
    line_a: int
    line_b: int
    label: str
    loss_a: float
    loss_b: float


@dataclass
class Comparison:
    a: Summary
    b: Summary
    rows: int
    difference: float  # mean_B − mean_A
    standard_error: float
    statistic: float  # paired t / Diebold-Mariano: difference / standard_error
    p_value: float  # two-sided, normal approximation
    wins_a: int  # rows where A's loss is lower
    wins_b: int
    ties: int
    per_class: list[tuple[str, int, float, float, float]]  # class, rows, mean A, mean B, B − A
    disagreements: list[Disagreement]
    aligned_by: str  # "order" or the id column
    ci: tuple[float, float] | None = None  # paired bootstrap interval of the difference
    level: float | None = None
    replicates: int = 0
    seed: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def base(self) -> float:
        return self.a.base

    @property
    def unit(self) -> str:
        return self.a.unit


class _Paired:
    """Sums of the per-row differences (weights v = the rows' mean divisors)."""

    def __init__(self, worst: int) -> None:
        self.sums = {name: ExactSum() for name in ("v", "vd", "v2", "v2d", "v2d2")}
        self.wins_a = self.wins_b = self.ties = 0
        self.worst = worst
        self.heap: tuple[np.ndarray, ...] = (
            (np.zeros(0),)
            + tuple(np.zeros(0, np.int64) for _ in range(4))
            + (np.zeros(0), np.zeros(0))
        )

    def add(self, da, db, keys, lines_a, lines_b, labels) -> None:
        la, lb = np.asarray(da.losses, float), np.asarray(db.losses, float)
        d = lb - la
        if da.denominators is not None:
            v = np.asarray(da.denominators, float)
        elif da.sample_weights is not None:
            v = np.asarray(da.sample_weights, float)
        else:
            v = np.ones(d.size)
        ta, tb = _terms(la, da.sample_weights), _terms(lb, db.sample_weights)
        with np.errstate(invalid="ignore"):
            x = np.where(v > 0, (tb - ta) / np.where(v > 0, v, 1.0), 0.0)
        for name, values in (
            ("v", v),
            ("vd", v * x),
            ("v2", v * v),
            ("v2d", v * v * x),
            ("v2d2", v * v * x * x),
        ):
            self.sums[name].add_array(values)
        tie = np.abs(d) <= TIE * np.maximum(np.abs(la), np.abs(lb))
        self.ties += int(tie.sum())
        self.wins_b += int(((d < 0) & ~tie).sum())
        self.wins_a += int(((d > 0) & ~tie).sum())
        if self.worst:
            gap = np.abs(d)
            gap = np.where(np.isnan(gap), np.inf, gap)
            k = min(self.worst, gap.size)
            top = np.argpartition(-gap, k - 1)[:k] if k < gap.size else np.arange(k)
            new = (gap[top], keys[top], lines_a[top], lines_b[top], labels[top], la[top], lb[top])
            both = [np.concatenate([mine, theirs]) for mine, theirs in zip(self.heap, new)]
            order = np.lexsort((both[1], -both[0]))[: self.worst]
            self.heap = tuple(column[order] for column in both)

    def standard_error(self, difference: float, n: int) -> float:
        v = self.sums["v"].value
        if n < 2 or not v > 0:
            return math.nan
        s = {name: total.value for name, total in self.sums.items()}
        spread = s["v2d2"] - 2 * difference * s["v2d"] + difference * difference * s["v2"]
        return math.sqrt(max(spread, 0.0) * n / (n - 1)) / v


def _terms(losses, s):
    return losses if s is None else np.where(s > 0, s * losses, 0.0)


def compare_files(
    path_a: str,
    path_b: str,
    options: ScoreOptions | None = None,
    read=None,
    *,
    id_column: str | None = None,
    disagreements: int = 10,
) -> Comparison:
    """Compare the predictions of two files for the same rows (see the module)."""
    from .parts import new_totals
    from .readers.files import read_prediction_chunks, source_name
    from .readers.read_options import ReadOptions

    options = options or ScoreOptions()
    read = read or ReadOptions()
    if options.skip_bad_rows or read.on_error == "skip":
        raise UsageError(
            "compare needs every row of both files: --on-error skip would misalign them",
            source="--on-error",
        )
    source_a, source_b = source_name(path_a), source_name(path_b)
    if id_column is not None:
        read = replace(read, keep_columns=tuple(dict.fromkeys(read.keep_columns + (id_column,))))
        blocks = _by_id(path_a, path_b, read, id_column, source_a, source_b)
    else:
        blocks = _aligned(
            read_prediction_chunks(path_a, read),
            read_prediction_chunks(path_b, read),
            source_a,
            source_b,
        )
    plain = replace(options, ci=None, worst=0)
    totals_a: Totals | None = None
    totals_b: Totals | None = None
    paired = _Paired(disagreements)
    boot_a: Bootstrap | None = None
    boot_b: Bootstrap | None = None
    position = 0
    numbered = "line"
    task = "multiclass"
    for block_a, block_b in blocks:
        _check_block(block_a, block_b, source_a, source_b)
        sa = score_chunk(block_a, plain, source=source_a, metrics=True)
        sb = score_chunk(block_b, plain, source=source_b, metrics=True)
        if totals_a is None:
            totals_a, totals_b = (
                new_totals(block_a.classes, plain),
                new_totals(block_b.classes, plain),
            )
            numbered, task = block_a.numbered, block_a.task
            if options.ci is not None:
                boot_a = Bootstrap(options.replicates, options.seed, top_k=options.top_k)
                boot_b = Bootstrap(options.replicates, options.seed, top_k=options.top_k)
        assert totals_a is not None and totals_b is not None
        totals_a.add(sa)
        totals_b.add(sb)
        # The kept rows' positions among the aligned rows (ignored rows are left out).
        kept = np.searchsorted(block_a.lines, sa.lines) if len(sa.lines) != len(block_a) else None
        index = np.arange(len(block_a)) if kept is None else kept
        keys = position + 1 + index
        lines_b = block_b.lines[index]
        if boot_a is not None and boot_b is not None:
            boot_a.add(sa, keys)
            boot_b.add(sb, keys)
        paired.add(sa, sb, keys, sa.lines, lines_b, sa.labels)
        position += len(block_a)
    if totals_a is None or totals_b is None:
        raise DataError("no rows: expected one row per sample", source=source_a)
    a = summarize(totals_a, options, source=source_a, numbered=numbered, task=task)
    b = summarize(totals_b, options, source=source_b, numbered=numbered, task=task)
    n = totals_a.rows
    difference = b.mean - a.mean
    se = paired.standard_error(difference, n)
    statistic = difference / se if se > 0 else (math.nan if difference == 0 else math.inf)
    p_value = math.erfc(abs(statistic) / math.sqrt(2)) if not math.isnan(statistic) else math.nan
    per_class = [
        (ca.name, ca.rows, ca.mean, cb.mean, cb.mean - ca.mean)
        for ca, cb in zip(a.per_class, b.per_class)
    ]
    _, keys, lines_a, lines_b, labels, la, lb = paired.heap
    classes = totals_a.classes
    worst_rows = [
        Disagreement(
            int(keys[i]),
            int(lines_a[i]),
            int(lines_b[i]),
            classes[labels[i]] if 0 <= labels[i] < len(classes) else "",
            float(la[i]),
            float(lb[i]),
        )
        for i in range(len(keys))
    ]
    comparison = Comparison(
        a=a,
        b=b,
        rows=n,
        difference=difference,
        standard_error=se,
        statistic=statistic,
        p_value=p_value,
        wins_a=paired.wins_a,
        wins_b=paired.wins_b,
        ties=paired.ties,
        per_class=per_class,
        disagreements=worst_rows,
        aligned_by="order" if id_column is None else id_column,
    )
    if boot_a is not None and boot_b is not None and options.ci is not None:
        replicate = boot_b.replicate_losses() - boot_a.replicate_losses()
        comparison.ci = percentile_interval(replicate, options.ci)
        comparison.level, comparison.replicates = options.ci, options.replicates
        comparison.seed = options.seed
    comparison.notes.append(
        "paired t / Diebold-Mariano statistic on the per-row loss differences; the p-value "
        "is two-sided, from the normal approximation"
    )
    if id_column is not None:
        comparison.notes.append(f"rows matched by {id_column!r}: both files were read in memory")
    return comparison


def _check_block(a, b, source_a: str, source_b: str) -> None:
    if a.classes != b.classes:
        raise DataError(
            f"the classes differ: {', '.join(a.classes)} in {source_a}, "
            f"{', '.join(b.classes)} in {source_b}",
            source=source_b,
        )
    if a.task != b.task:
        raise DataError(f"rows of two kinds: {a.task} and {b.task}", source=source_b)
    for name in ("labels", "targets"):
        x, y = getattr(a, name), getattr(b, name)
        if (x is None) != (y is None):
            raise DataError(
                f"one file has class labels, the other soft labels ({source_a}, {source_b})",
                source=source_b,
            )
        if x is None:
            continue
        differ = np.flatnonzero(np.any((x != y).reshape(len(x), -1), axis=1))
        if differ.size:
            i = int(differ[0])
            raise DataError(
                f"the label differs from {source_a} line {int(a.lines[i])}: the files must "
                "hold the same rows in the same order (or match them with --id COLUMN)",
                source=source_b,
                line=int(b.lines[i]),
            )


def _aligned(chunks_a, chunks_b, source_a: str, source_b: str) -> Iterator[tuple]:
    """Aligned blocks of rows of two streams of chunks (the shorter chunk decides)."""
    it_a, it_b = iter(chunks_a), iter(chunks_b)
    rest_a: Any = None
    rest_b: Any = None
    seen = 0
    while True:
        if rest_a is None or not len(rest_a):
            rest_a = next(it_a, None)
        if rest_b is None or not len(rest_b):
            rest_b = next(it_b, None)
        if rest_a is None or rest_b is None:
            if rest_a is not None or rest_b is not None:
                longer, other = (source_a, source_b) if rest_a is not None else (source_b, source_a)
                more = rest_a if rest_a is not None else rest_b
                raise DataError(
                    f"more rows than {other} ({seen:,} rows): the files must hold the same rows",
                    source=longer,
                    line=int(more.lines[0]) if len(more) else None,
                )
            return
        n = min(len(rest_a), len(rest_b))
        if n == 0:
            continue
        yield _head(rest_a, n), _head(rest_b, n)
        seen += n
        rest_a, rest_b = _tail(rest_a, n), _tail(rest_b, n)


def _head(chunk, n):
    return chunk if len(chunk) == n else _rows(chunk, slice(0, n))


def _tail(chunk, n):
    return _rows(chunk, slice(n, None)) if len(chunk) > n else None


def _rows(chunk, which):
    part = rows_of(chunk, which)
    if chunk.columns is not None:
        index = np.arange(len(chunk))[which]
        part = replace(part, columns={k: [v[i] for i in index] for k, v in chunk.columns.items()})
    return part


def _by_id(path_a, path_b, read, column, source_a, source_b):
    """One block each, B's rows put in A's order by the id column (in memory)."""
    from .readers.files import read_prediction_chunks

    a = _whole(read_prediction_chunks(path_a, read))
    b = _whole(read_prediction_chunks(path_b, read))
    ids_a, ids_b = a.columns[column], b.columns[column]
    where: dict[str, int] = {}
    for i, key in enumerate(ids_b):
        if key in where:
            raise DataError(
                f"id {key!r} appears twice (also on line {int(b.lines[where[key]])})",
                source=source_b,
                line=int(b.lines[i]),
            )
        where[key] = i
    order = []
    seen: set[str] = set()
    for i, key in enumerate(ids_a):
        if key in seen:
            raise DataError(f"id {key!r} appears twice", source=source_a, line=int(a.lines[i]))
        seen.add(key)
        if key not in where:
            raise DataError(
                f"id {key!r} is not in {source_b}", source=source_a, line=int(a.lines[i])
            )
        order.append(where[key])
    if len(ids_b) != len(ids_a):
        extra = next(i for i, key in enumerate(ids_b) if key not in seen)
        raise DataError(
            f"id {ids_b[extra]!r} is not in {source_a}", source=source_b, line=int(b.lines[extra])
        )
    yield a, _rows(b, np.array(order, dtype=np.intp))


def _whole(chunks):
    """The chunks of a file as one chunk."""
    chunks = list(chunks)
    if len(chunks) == 1:
        return chunks[0]
    first = chunks[0]

    def cat(name):
        parts = [getattr(c, name) for c in chunks]
        return None if parts[0] is None else np.concatenate(parts)

    columns = None
    if first.columns is not None:
        columns = {k: [t for c in chunks for t in c.columns[k]] for k in first.columns}
    return replace(
        first,
        values=cat("values"),
        lines=cat("lines"),
        labels=cat("labels"),
        targets=cat("targets"),
        sample_weights=cat("sample_weights"),
        columns=columns,
        skipped=[],
    )
