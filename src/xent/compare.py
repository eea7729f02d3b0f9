"""Two models' predictions for the same rows, compared row by row (``xent compare A B``).

The files are aligned by order (streamed: both are read chunk by chunk and cut into
aligned blocks of rows) or by an id column (``id_column``: read whole, in memory). Each
block is checked (same classes, same labels, row for row), scored by the one scorer, and
added to each model's :class:`~xent.totals.Totals` and to the paired totals here:

- the paired difference D = mean_B − mean_A (positive: B is worse), with the standard
  error of the mean of the per-row differences d_n = l_B,n − l_A,n (sample variance,
  n − 1) and the paired t / Diebold-Mariano statistic t = D / se with a two-sided p-value
  from Student's t with n − 1 degrees of freedom (SciPy's ``ttest_rel``);
- with ``options.ci`` the interval D ± t·se (the same Student's t), or with
  ``options.replicates`` a paired Poisson bootstrap's: the same weights for a row in A and
  B (keyed by the row's position), so each replicate's D is B's minus A's;
- wins (l_B < l_A), losses (l_B > l_A) and ties (|l_B − l_A| ≤ 1e-12·max(l_A, l_B)),
  and the K rows where the two differ most (a bounded heap);
- for language models (``token_stats``; by default when the rows hold logits or
  log-probabilities, or a vocabulary of :data:`VOCABULARY` tokens or more), what llama.cpp's
  ``--kl-divergence`` summary gives, in float64: KL(A‖B) per token, the same top token,
  Δp, both perplexities and their ratio (:class:`~xent.accumulators.token_totals.TokenTotals`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .accumulators.bootstrap import Bootstrap, percentile_interval
from .accumulators.paired import DEGENERATE_NOTES, TIE, Paired, degenerate, statistic_note
from .accumulators.student import t_interval
from .accumulators.token_base import TokenSettings
from .accumulators.token_totals import TokenStats, TokenTotals, in_base, token_notes
from .errors import DataError, UsageError, param
from .options import ScoreOptions
from .readers.chunks import known_classes
from .results import NO_INTERVAL, Summary, summarize
from .rules import TOKEN_STATS
from .scorer import rows_of, score_chunk
from .totals import Totals

__all__ = ["TIE", "TOKEN_STATS", "Comparison", "Disagreement", "compare_files"]

# From this many classes on a comparison gives the token statistics by default (a
# language model's vocabulary); TOKEN_STATS: their names, in the order they are shown.
VOCABULARY = 1024


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
    p_value: float  # two-sided, Student's t with degrees_of_freedom (n − 1)
    wins_a: int  # rows where A's loss is lower
    wins_b: int
    ties: int
    per_class: list[tuple[str, int, float, float, float]]  # class, rows, mean A, mean B, B − A
    disagreements: list[Disagreement]
    aligned_by: str  # "order" or the id column
    ci: tuple[float, float] | None = None  # the difference's interval (t, or a bootstrap's)
    level: float | None = None
    replicates: int | None = None  # a paired bootstrap's (None: Student's t)
    seed: int | None = None
    notes: list[str] = field(default_factory=list)
    degrees_of_freedom: int | None = None  # of the p-value's t (n − 1); None: normal tail
    tokens: TokenStats | None = None  # the language models' token statistics
    # Why the spread is degenerate, as a table says it ("undefined (one row)"), or "":
    # "one row" (no standard error, statistic or p-value); "se = 0" (every row's difference
    # the same: the statistic ±inf, undefined for a difference of 0, and no p-value);
    # "no weight" (the rows' weights are all 0).
    degenerate: str = ""

    @property
    def base(self) -> float:
        return self.a.base

    @property
    def unit(self) -> str:
        return self.a.unit


def compare_files(
    path_a: str,
    path_b: str,
    options: ScoreOptions | None = None,
    read=None,
    *,
    id_column: str | None = None,
    disagreements: int = 10,
    token_stats: tuple[str, ...] | None = None,
    token_settings: TokenSettings | None = None,
) -> Comparison:
    """Compare the predictions of two files for the same rows (see the module).
    ``token_stats``: which of :data:`TOKEN_STATS` to give (None: all of them for language
    models, none otherwise); ``token_settings``: how their percentiles are kept."""
    from .readers.files import read_prediction_chunks, source_name
    from .readers.llama_logits import same_llama_tokens
    from .readers.read_options import ReadOptions

    options = options or ScoreOptions()
    read = read or ReadOptions()
    if options.skip_bad_rows or read.on_error == "skip":
        raise UsageError(
            f"compare needs every row of both files: {param('on_error', 'skip')} would "
            "misalign them",
            parameter="on_error",
        )
    if options.top_k != 1:
        raise UsageError(
            "a comparison gives each model's accuracy of its top class only (the top-k "
            "accuracy is compute's)",
            parameter="top_k",
        )
    source_a, source_b = source_name(path_a), source_name(path_b)
    same_llama_tokens(path_a, path_b, source_a, source_b)
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
    pair = _Pair(options, source_a, source_b, disagreements)
    pair.token_stats, pair.token_settings = token_stats, token_settings
    for block_a, block_b in blocks:
        pair.add(block_a, block_b)
    return pair.finish(id_column)


class _Pair:
    """Both models' totals, their paired sums and, with ``options.ci``, their bootstrap
    sums keyed by the rows' positions (the same weights for a row in A and in B)."""

    def __init__(self, options: ScoreOptions, source_a: str, source_b: str, worst: int):
        self.options, self.source_a, self.source_b = options, source_a, source_b
        self.plain = replace(options, ci=None, worst=0)
        self.totals: tuple[Totals, Totals] | None = None
        self.boots: tuple[Bootstrap, Bootstrap] | None = None
        self.paired = Paired(worst)
        self.position = 0
        self.numbered, self.task = "line", "multiclass"
        self.token_stats: tuple[str, ...] | None = None
        self.token_settings: TokenSettings | None = None
        self.tokens: TokenTotals | None = None

    def add(self, block_a, block_b) -> None:
        from .parts import new_totals

        _check_block(block_a, block_b, self.source_a, self.source_b)
        if self.totals is None:
            _check_renormalize(block_a, self.options, self.source_a)
            names = _token_names(self.token_stats, block_a, block_b, self.options)
            if names:
                self.tokens = TokenTotals(names, self.token_settings)
        metrics = self.tokens is None  # a vocabulary's Brier and calibration: not asked for
        sa = score_chunk(block_a, self.plain, source=self.source_a, metrics=metrics)
        sb = score_chunk(block_b, self.plain, source=self.source_b, metrics=metrics)
        if self.totals is None:
            classes, options = block_a.classes, self.options
            self.totals = (
                new_totals(classes, self.plain, metrics),
                new_totals(classes, self.plain, metrics),
            )
            self.numbered, self.task = block_a.numbered, block_a.task
            if options.ci is not None and options.replicates is not None:
                self.boots = tuple(  # type: ignore[assignment]
                    Bootstrap(options.replicates, options.seed, top_k=options.top_k) for _ in "ab"
                )
        self.totals[0].add(sa)
        self.totals[1].add(sb)
        # The kept rows' positions among the aligned rows (ignored rows are left out).
        kept = np.searchsorted(block_a.lines, sa.lines) if len(sa.lines) != len(block_a) else None
        index = np.arange(len(block_a)) if kept is None else kept
        keys = self.position + 1 + index
        if self.boots is not None:
            self.boots[0].add(sa, keys)
            self.boots[1].add(sb, keys)
        self.paired.add(sa, sb, keys, sa.lines, block_b.lines[index], sa.labels)
        self.position += len(block_a)
        if self.tokens is not None:
            which = slice(None) if kept is None else kept
            self.tokens.add(
                block_a.values[which],
                _holds(block_a, self.options),
                block_b.values[which],
                _holds(block_b, self.options),
                block_a.labels[which],
            )

    def finish(self, id_column: str | None) -> Comparison:
        if self.totals is None:
            raise DataError("no rows: expected one row per sample", source=self.source_a)
        a, b = (
            summarize(totals, self.options, source=source, numbered=self.numbered, task=self.task)
            for totals, source in zip(self.totals, (self.source_a, self.source_b))
        )
        difference = b.mean - a.mean
        stats = self.paired.finish(difference, self.totals[0].rows)
        comparison = Comparison(
            a=a,
            b=b,
            rows=self.totals[0].rows,
            difference=difference,
            standard_error=stats.standard_error,
            statistic=stats.statistic,
            p_value=stats.p_value,
            wins_a=stats.wins_a,
            wins_b=stats.wins_b,
            ties=stats.ties,
            per_class=[
                (ca.name, ca.rows, ca.mean, cb.mean, cb.mean - ca.mean)
                for ca, cb in zip(a.per_class, b.per_class)
            ],
            disagreements=_disagreements(self.paired, a.classes),
            aligned_by="order" if id_column is None else id_column,
            degrees_of_freedom=self.totals[0].rows - 1 if self.totals[0].rows > 1 else None,
        )
        self._add_interval(comparison)
        if self.tokens is not None:
            comparison.tokens = in_base(self.tokens.finish(), self.options.base)
            comparison.notes += token_notes(comparison.tokens)
        comparison.degenerate = degenerate(comparison.standard_error, comparison.rows)
        note = DEGENERATE_NOTES.get(comparison.degenerate)
        if note is not None:
            comparison.notes.append(note[0 if comparison.difference else 1])
        comparison.notes.append(statistic_note(comparison.degrees_of_freedom))
        if id_column is not None:
            comparison.notes.append(
                f"rows matched by {id_column!r}: both files were read in memory"
            )
        return comparison

    def _add_interval(self, comparison: Comparison) -> None:
        """The difference's interval: difference ± t·se (Student's t, n − 1 degrees of
        freedom, as the p-value), or a paired bootstrap's percentile interval."""
        options = self.options
        if options.ci is None:
            return
        if comparison.rows < 2:  # one row: every replicate is that row (a zero width)
            comparison.notes.append(NO_INTERVAL)
            return
        comparison.level = options.ci
        if self.boots is None:
            se = comparison.standard_error
            if math.isnan(se):
                return
            comparison.ci = t_interval(comparison.difference, se, options.ci, comparison.rows - 1)
            return
        boot_a, boot_b = self.boots
        replicate = boot_b.replicate_losses() - boot_a.replicate_losses()
        comparison.ci = percentile_interval(replicate, options.ci)
        comparison.replicates, comparison.seed = options.replicates, options.seed


def _token_names(wanted, a, b, options: ScoreOptions) -> tuple[str, ...]:
    """The token statistics to give: those asked for, else (None) all of them when both
    files hold a language model's rows (logits or log-probabilities, or a vocabulary)."""
    fits = a.task == "multiclass" and a.labels is not None and a.targets is None
    if wanted is not None:
        if wanted and not fits:
            raise UsageError(
                "the token statistics need rows of one class label each (a language model's "
                f"target tokens): {a.task} rows" + (" of soft labels" if a.labels is None else ""),
                parameter="token_stats",
            )
        return tuple(name for name in TOKEN_STATS if name in wanted)
    models = all(
        options.logits or c.logits or c.log_probs or len(c.classes) >= VOCABULARY for c in (a, b)
    )
    return TOKEN_STATS if fits and models else ()


def _check_renormalize(chunk, options: ScoreOptions, source: str) -> None:
    """Renormalising is for rows of probabilities (counts, scores): logits and
    log-probabilities are normalised by the softmax already."""
    holds = _holds(chunk, options)
    if options.renormalize and holds != "probabilities":
        raise UsageError(
            f"{source} holds {holds}, which the softmax normalises: there is nothing to "
            "renormalise",
            parameter="renormalize",
        )


def _holds(chunk, options: ScoreOptions) -> str:
    """What a chunk's values are: logits, log-probabilities or probabilities."""
    if options.logits or chunk.logits:
        return "logits"
    return "logprobs" if chunk.log_probs else "probabilities"


def _disagreements(paired: Paired, classes: list[str]) -> list[Disagreement]:
    """The rows where the two differ most, the largest gap first."""
    _, keys, lines_a, lines_b, labels, la, lb = paired.heap
    return [
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


def _check_block(a, b, source_a: str, source_b: str) -> None:
    if a.classes != b.classes:
        if len(a.classes) != len(b.classes) and max(len(a.classes), len(b.classes)) > 20:
            raise DataError(
                f"the vocabularies differ: {len(a.classes):,} classes in {source_a}, "
                f"{len(b.classes):,} here",
                source=source_b,
            )
        raise DataError(
            f"the classes differ: {known_classes(a.classes)} in {source_a}, "
            f"{known_classes(b.classes)} in {source_b}",
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
        if differ.size and a.numbered == "row" and name == "labels":
            i = int(differ[0])
            raise DataError(
                f"the target token of row {int(b.lines[i]):,} is {int(y[i])} here, "
                f"{int(x[i])} in {source_a}: the two files must hold the same tokens in the "
                "same order",
                source=source_b,
            )
        if differ.size:
            i = int(differ[0])
            raise DataError(
                f"the label differs from {source_a} line {int(a.lines[i])}: the files must "
                "hold the same rows in the same order (or match them with "
                f"{param('id_column', cli='COLUMN')})",
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

    a = _whole(_with_ids(path_a, read, column, source_a))
    b = _whole(_with_ids(path_b, read, column, source_b))
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


def _with_ids(path, read, column, source):
    """A file's chunks with the id column; an array file without it is one line saying
    what ``id_column`` is for (an array file's rows are matched by position)."""
    from .readers.files import KeptUnread, read_prediction_chunks
    from .readers.npy_arrays import MissingArray

    try:
        yield from read_prediction_chunks(path, read)
    except MissingArray as error:
        raise UsageError(
            f"{source} has no array {column!r} (arrays: {', '.join(error.names)}): the rows "
            f"of array files are matched by position, so leave out {param('id_column')}, or "
            "name an array of one id per row",
            parameter="id_column",
        ) from None
    except KeptUnread as error:
        raise UsageError(
            f"{source} is an {error.fmt} file: its rows are matched by position, with no id "
            f"column ({param('id_column')} is for files with one: CSV, TSV, Parquet, Feather, "
            "an .npz or .safetensors with an array of ids)",
            parameter="id_column",
        ) from None


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
