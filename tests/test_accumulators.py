"""Every accumulator: merging random splits of a chunk's rows, in order, gives what one pass
gives. Counts, histograms of counts, min, max, flags and the worst rows exactly; exact sums
(ExactSum, the bootstrap's integers) bit for bit; float arrays summed per chunk (per-class
sums, weighted histograms) to rounding. Each accumulator is checked in isolation, as
xent.totals.Totals drives it: ``add(Rows(scored, first_row, chunk))`` per piece, then
``merge(piece, rows_before)`` in input order."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xent.accumulators import REGISTRY, Rows, Settings
from xent.accumulators.bootstrap import Bootstrap
from xent.accumulators.exact import ExactSum
from xent.accumulators.groups import GroupedTotals
from xent.accumulators.paired import Paired
from xent.accumulators.rows import RowTotals
from xent.errors import DataError
from xent.options import ScoreOptions
from xent.readers.chunks import PredictionChunk
from xent.scorer import rows_of, score_chunk
from xent.totals import Totals

SETTINGS = Settings(top_k=2, bins=5, worst=4)
FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def make_chunk(seed: int, n: int, k: int, *, weighted: bool, soft: bool) -> PredictionChunk:
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=2.0, size=(n, k))
    q = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    q[rng.random(n) < 0.1] = 1.0 / k  # ties: equal confidences and equal losses
    labels = rng.integers(0, k, n)
    targets = None
    if soft:
        targets = rng.dirichlet(np.ones(k), n)
        labels = None
    return PredictionChunk(
        classes=[f"c{i}" for i in range(k)],
        values=q,
        lines=np.arange(2, n + 2),
        labels=labels,
        targets=targets,
        sample_weights=rng.choice([0.0, 0.5, 1.0, 3.0], n) if weighted else None,
        columns={"g": [f"g{i}" for i in rng.integers(0, 3, n)]},
    )


def pieces(chunk, cuts):
    edges = [0, *cuts, len(chunk)]
    out = []
    for a, b in zip(edges, edges[1:]):
        piece = rows_of(chunk, slice(a, b))
        out.append(replace(piece, columns={"g": chunk.columns["g"][a:b]}))
    return out


def take(scored, a: int, b: int):
    """Rows a..b of a scored chunk, every field (the detail's too)."""

    def pick(value):
        if value is None or isinstance(value, (list, int)):
            return value if not isinstance(value, list) else []
        if isinstance(value, tuple):  # the Detail
            return type(value)(*(pick(field) for field in value))
        return value[a:b]

    return type(scored)(*(pick(field) for field in scored))


def scored_pieces(chunk, cuts, options):
    """The chunk scored once, and its scored rows cut at ``cuts`` with their chunks."""
    whole = score_chunk(chunk, options, source="t", detail=True, metrics=True)
    edges = [0, *cuts, len(chunk)]
    parts = pieces(chunk, cuts)
    return whole, [
        (part, _zero_columns(take(whole, a, b), part))
        for part, a, b in zip(parts, edges, edges[1:])
    ]


def _zero_columns(scored, part):
    """A part's columns that are 0 in every row (per class, not per row: its own)."""
    from xent.checks import zero_columns

    if scored.zero_columns is None:
        return scored
    return scored._replace(zero_columns=zero_columns(part.values))


@st.composite
def splits(draw):
    n = draw(st.integers(1, 40))
    k = draw(st.integers(2, 5))
    seed = draw(st.integers(0, 2**31))
    weighted = draw(st.booleans())
    soft = draw(st.booleans())
    cuts = sorted(draw(st.sets(st.integers(1, n - 1), max_size=4))) if n > 1 else []
    class_weights = draw(st.booleans())
    options = ScoreOptions(weights=tuple(range(1, k + 1)) if class_weights else None, top_k=2)
    return make_chunk(seed, n, k, weighted=weighted, soft=soft), cuts, options


def assert_same(merged, whole, path="") -> None:
    """Exact for ints, bools and integer arrays; floats to rounding. (An ExactSum adds each
    chunk's correctly rounded sum without further rounding: within an ulp a chunk.)"""
    if isinstance(whole, ExactSum):
        assert_same(merged.value, whole.value, path)
    elif isinstance(whole, np.ndarray):
        assert merged.shape == whole.shape, path
        if whole.dtype.kind in "iub" or whole.dtype == object:
            assert np.array_equal(merged, whole), path
        else:
            np.testing.assert_allclose(merged, whole, rtol=1e-12, atol=1e-12, err_msg=path)
    elif isinstance(whole, (bool, int, str)) or whole is None:
        assert merged == whole, path
    elif isinstance(whole, float):
        if math.isinf(whole):
            assert merged == whole, path
        else:
            assert merged == pytest.approx(whole, rel=1e-12, abs=1e-12, nan_ok=True), path
    elif isinstance(whole, dict):
        assert list(merged) == list(whole), path
        for key in whole:
            assert_same(merged[key], whole[key], f"{path}[{key!r}]")
    elif isinstance(whole, (tuple, list)):
        assert len(merged) == len(whole), path
        for i, (m, w) in enumerate(zip(merged, whole)):
            assert_same(m, w, f"{path}[{i}]")
    elif hasattr(whole, "__dict__") or hasattr(whole, "__slots__"):
        for name in state_names(whole):
            assert_same(getattr(merged, name), getattr(whole, name), f"{path}.{name}")
    else:
        assert merged == whole, path


def state_names(obj) -> list[str]:
    names = list(getattr(obj, "__dict__", {}))
    for cls in type(obj).__mro__:
        names += [n for n in getattr(cls, "__slots__", ()) if n not in names]
    return [n for n in names if n not in ("settings", "classes", "new_totals")]


def finish(accumulator):
    """Its result, or the message of the error that says it has none."""
    try:
        return accumulator.finish()
    except DataError as error:  # no rows of positive weight: no calibration error
        return str(error)


def one_pass_and_merged(make, whole, parts):
    one = make()
    rows = Rows(whole, 1)
    if one.takes(rows):
        one.add(rows)
    merged, before = None, 0
    for chunk, scored in parts:
        acc = make()
        rows = Rows(scored, 1, chunk)  # a part counts its rows from 1: merge shifts them
        if len(rows) and acc.takes(rows):
            acc.add(rows)
        if merged is None:
            merged = acc
        else:
            merged.merge(acc, before)
        before += len(rows)
    return one, merged


@pytest.mark.parametrize("name", sorted(REGISTRY))
@FAST
@given(case=splits())
def test_every_registered_accumulator_merges_as_one_pass(name, case):
    chunk, cuts, options = case
    whole, parts = scored_pieces(chunk, cuts, options)
    classes = chunk.classes
    one, merged = one_pass_and_merged(lambda: REGISTRY[name](classes, SETTINGS), whole, parts)
    assert_same(merged, one, name)
    assert_same(finish(merged), finish(one), f"{name}.finish()")
    if name == "moments":  # min and max exactly
        assert (merged.min, merged.max) == (one.min, one.max)
    if name == "worst":  # the same rows, in the same order, exactly
        assert merged.finish() == one.finish()


@FAST
@given(case=splits())
def test_the_standard_errors_merge_bit_for_bit(case):
    """Made by parts.new_totals with --ci (not registered: imported only then): any split
    of the rows, weighted or not, soft labels or not, gives one pass's intervals exactly."""
    from xent.accumulators.standard_errors import StandardErrors

    chunk, cuts, options = case
    whole, parts = scored_pieces(chunk, cuts, options)
    one, merged = one_pass_and_merged(lambda: StandardErrors(chunk.classes, SETTINGS), whole, parts)
    assert merged.spreads.keys() == one.spreads.keys()
    for name, sums in one.spreads.items():
        assert merged.spreads[name].exact() == sums.exact(), name
    assert merged.intervals(0.9) == one.intervals(0.9)


@FAST
@given(case=splits(), replicates=st.integers(1, 8))
def test_the_bootstrap_merges_bit_for_bit(case, replicates):
    chunk, cuts, options = case
    whole, parts = scored_pieces(chunk, cuts, options)
    one, merged = one_pass_and_merged(
        lambda: Bootstrap(replicates, 3, top_k=2, bins=5), whole, parts
    )
    assert merged.sums.keys() == one.sums.keys()
    for key, sums in one.sums.items():
        assert (merged.sums[key] == sums).all(), key
    assert merged.intervals(0.9) == one.intervals(0.9)


@FAST
@given(case=splits())
def test_groups_and_sequences_merge_as_one_pass(case):
    chunk, cuts, options = case
    whole, parts = scored_pieces(chunk, cuts, options)

    def make():
        return GroupedTotals(lambda classes: Totals(classes, keep_metrics=False), "g", "g")

    one = make()
    one.add(Rows(whole, 1, chunk))
    merged = make()
    for piece, scored in parts:
        acc = make()
        if len(scored.losses):
            acc.add(Rows(scored, 1, piece))
        merged.merge(acc)
    # (Keys in the order first seen: within a chunk sorted, so the order may differ.)
    assert sorted(merged.groups) == sorted(one.groups)
    for group, totals in one.groups.items():
        theirs = merged.groups[group]
        assert theirs.rows == totals.rows
        assert_same(theirs.loss, totals.loss)
        assert_same(theirs.correct, totals.correct)
        np.testing.assert_array_equal(theirs.class_rows, totals.class_rows)
    assert merged.first_lines == one.first_lines
    assert_same(dict(sorted(merged.sequences.items())), dict(sorted(one.sequences.items())))
    assert_same(merged.finish()[1], one.finish()[1])


@FAST
@given(case=splits())
def test_row_totals_merge_as_one_pass(case):
    chunk, cuts, _ = case
    q = chunk.values

    def values(part):
        return -(part * np.log(part)).sum(axis=1), -(part * np.log(part))

    one = RowTotals(chunk.classes)
    one.add(*values(q), roots=True)
    edges = [0, *cuts, len(chunk)]
    merged = RowTotals(chunk.classes)
    for a, b in zip(edges, edges[1:]):
        piece = RowTotals(chunk.classes)
        piece.add(*values(q[a:b]), roots=True)
        merged.merge(piece)
    assert (merged.rows, merged.min, merged.max) == (one.rows, one.min, one.max)
    assert merged.total.value == pytest.approx(one.total.value, rel=1e-14)
    assert_same(merged.finish(), one.finish())


@FAST
@given(case=splits())
def test_paired_statistics_merge_as_one_pass(case):
    chunk, cuts, options = case
    other = replace(chunk, values=chunk.values[::-1].copy())
    whole_a, parts_a = scored_pieces(chunk, cuts, options)
    whole_b, parts_b = scored_pieces(other, cuts, options)

    def add(paired, sa, sb, first):
        keys = first + np.arange(len(sa.losses))
        paired.add(sa, sb, keys, sa.lines, sb.lines, sa.labels)

    one = Paired(3)
    add(one, whole_a, whole_b, 1)
    merged, first = Paired(3), 1
    for (_, sa), (_, sb) in zip(parts_a, parts_b):
        piece = Paired(3)
        add(piece, sa, sb, first)
        merged.merge(piece)
        first += len(sa.losses)
    assert_same(merged.sums, one.sums)
    assert (merged.wins_a, merged.wins_b, merged.ties) == (one.wins_a, one.wins_b, one.ties)
    for mine, theirs in zip(merged.heap, one.heap):
        np.testing.assert_array_equal(mine, theirs)
    n = len(whole_a.losses)
    assert_same(merged.finish(0.25, n), one.finish(0.25, n))


def test_a_part_carries_only_the_accumulators_its_run_asks_for():
    """A run without metrics ships no histogram; with them, the calibration's."""
    import pickle

    from xent.parts import ScoreSpec, score_part

    chunk = make_chunk(1, 200, 10, weighted=False, soft=False)
    plain = score_part(chunk, ScoreSpec(ScoreOptions(), "t", metrics=False)).totals
    full = score_part(chunk, ScoreSpec(ScoreOptions(worst=3), "t", metrics=True)).totals
    assert set(plain.parts) == {"moments", "per_class", "accuracy"}
    assert set(full.parts) == {"moments", "per_class", "accuracy", "top_k", "brier"} | {
        "calibration",
        "worst",
    }
    assert b"Calibration" not in pickle.dumps(plain)
    assert len(pickle.dumps(plain)) < 2000


def test_a_runs_totals_keep_what_its_parts_keep():
    """The reduce's totals are made like the first part's (Totals.empty): a Dask task
    sends its run's totals, without a histogram when no metric was asked for."""
    import pickle

    from xent.parts import ScoreSpec, score_part
    from xent.runner.reduce import reduce_parts

    chunk = make_chunk(2, 300, 4, weighted=True, soft=False)
    for metrics in (False, True):
        options = ScoreOptions(ci=0.9, replicates=5)
        spec = ScoreSpec(options, "t", metrics=metrics)
        parts = [score_part(piece, spec) for piece in pieces(chunk, [100, 200])]
        names = set(parts[0].totals.parts)
        run = reduce_parts(parts, options, source="t")
        assert set(run.totals.parts) == names
        assert (b"Calibration" in pickle.dumps(run.totals)) is metrics
        whole = score_part(chunk, spec).totals
        assert run.totals.rows == whole.rows == 300
        assert (run.totals.bootstrap.sums["loss"] == whole.bootstrap.sums["loss"]).all()


def test_of_equal_losses_the_worst_rows_are_the_first():
    """Ties at the K-th largest: the first rows are kept (argpartition alone kept any of
    them, so two splits of the same rows could keep different rows)."""
    from xent.accumulators.worst import top_rows

    values = np.array([1.0, 3.0, 2.0, 3.0, 3.0, 0.5, 3.0])
    assert top_rows(values, 2).tolist() == [1, 3]
    assert sorted(top_rows(values, 5).tolist()) == [1, 2, 3, 4, 6]
    assert top_rows(np.full(1000, 7.0), 3).tolist() == [0, 1, 2]
    assert top_rows(values, 9).tolist() == list(range(7))


# ------------------------------------------------------- two models' token statistics


def token_pair_of(seed: int, n: int):
    from xent.divergences import TokenPair

    rng = np.random.default_rng(seed)
    kl = rng.exponential(0.05, n)
    kl[rng.random(n) < 0.05] = -1e-17  # rounding below 0: floored and counted
    log_b = np.log(rng.uniform(0.001, 1, n))
    log_o = np.log(rng.uniform(0.001, 1, n))
    return TokenPair(kl, rng.random(n) < 0.7, log_b, log_o)


def token_piece(pair, a: int, b: int):
    return type(pair)(*(None if x is None else x[a:b] for x in pair))


def same_token_result(one, merged) -> None:
    for x, y in zip(one, merged):
        if hasattr(x, "values"):  # the percentiles: the same, bit for bit
            assert x == y
        elif isinstance(x, float):
            assert x == pytest.approx(y, rel=1e-12, abs=1e-300, nan_ok=True)
        else:
            assert x == y


@FAST
@given(
    seed=st.integers(0, 2**16),
    n=st.integers(1, 300),
    cuts=st.lists(st.integers(0, 300), max_size=6),
    exact_limit=st.sampled_from([0, 40, 10_000]),
)
def test_token_accumulators_merge_as_one_pass(seed, n, cuts, exact_limit):
    """Every token statistic: any split of the tokens, merged in order, gives one pass's
    result; the percentiles (exact, or the sketch with leaves of 8) bit for bit."""
    from xent.accumulators import TOKENS
    from xent.accumulators.token_base import TokenSettings
    from xent.accumulators.token_totals import TokenTotals

    pair = token_pair_of(seed, n)
    settings = TokenSettings(exact_limit=exact_limit, sketch_k=8)
    one = TokenTotals(TOKENS, settings)
    one.add_pair(pair)
    edges = [0, *sorted(c for c in cuts if c <= n), n]
    merged = TokenTotals(TOKENS, settings)
    for a, b in zip(edges, edges[1:]):
        piece = TokenTotals(TOKENS, settings, start=a)
        piece.add_pair(token_piece(pair, a, b))
        merged.merge(piece)
    first, second = one.finish(), merged.finish()
    assert first.tokens == second.tokens == n
    for name in TOKENS:
        same_token_result(first.results[name], second.results[name])
