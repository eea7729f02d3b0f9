"""Sample weights anywhere in the float range give the exact answer (issue 23, items 4, 7).

Weights are relative, so each chunk's are scaled by a power of two (exact) and the
exponent is carried in the totals (xent.accumulators.scaling). References: weights that
are all equal give the unweighted numbers (bit for bit for the mean, accuracy, top-k and
Brier; to rounding for the calibration errors), and mixed weights give NumPy float64 /
math.fsum computed here with the weights scaled by hand into [0.5, 1).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from xent.accumulators.exact import ExactSum, exact_ratio, product_errors

ENDS = [5e-324, 1e-320, 1e-300, 1e300, 1e308, 1.7976931348623157e308]
TINY = "label,w,a,b\na,1e-320,0.7,0.3\nb,1e-320,0.2,0.8\n"


def by_hand(weights) -> np.ndarray:
    """The weights scaled into [0.5, 1) by a power of two, as a user would by hand."""
    weights = np.asarray(weights, dtype=np.float64)
    return np.ldexp(weights, -math.frexp(float(weights.max()))[1])


def table(rng, n: int, weights=None, groups: int = 0) -> str:
    q = rng.uniform(0.02, 0.98, n)
    labels = rng.integers(0, 2, n)
    head = "label," + ("w," if weights is not None else "") + ("g," if groups else "") + "a,b\n"
    rows = []
    for i in range(n):
        w = f"{float(weights[i])!r}," if weights is not None else ""
        g = f"g{i % groups}," if groups else ""
        rows.append(f"{'ab'[labels[i]]},{w}{g}{float(q[i])!r},{float(1 - q[i])!r}\n")
    return head + "".join(rows)


def losses_of(text: str) -> tuple[np.ndarray, np.ndarray]:
    """(loss, weight) per row of a file made by :func:`table` (weights 1 without)."""
    p_label, weights = label_probabilities(text)
    return -np.log(p_label), weights


def label_probabilities(text: str) -> tuple[np.ndarray, np.ndarray]:
    """(Q(label), weight) per row of a file made by :func:`table`."""
    lines = text.splitlines()
    names = lines[0].split(",")
    out, weights = [], []
    for line in lines[1:]:
        cells = dict(zip(names, line.split(",")))
        out.append(float(cells[cells["label"]]))
        weights.append(float(cells.get("w", 1.0)))
    return np.array(out), np.array(weights)


def run_json(xent_cli, path, *args) -> dict:
    result = xent_cli("compute", "-i", str(path), "-f", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --------------------------------------------------------------------------- the file


@pytest.mark.parametrize("weight", ["1e-320", "5e-324", "1e308", "1.7976931348623157e308"])
def test_equal_weights_at_the_ends_give_the_unweighted_mean(xent_cli, tmp_path, weight):
    path = tmp_path / "w.csv"
    path.write_text(TINY.replace("1e-320", weight))
    result = xent_cli("compute", "-i", str(path), "--sample-weights", "w", "-f", "plain")
    assert result.exit_code == 0, result.output
    # (−ln 0.7 − ln 0.8) / 2, math.fsum written out: the number, bit for bit.
    assert result.stdout == "0.2899092476264711\n"
    assert math.fsum([-math.log(0.7), -math.log(0.8)]) / 2 == 0.2899092476264711


def test_vector_weights_at_the_ends(xent_cli):
    args = ["compute", "--labels", "0", "--labels", "1", "--pred", "0.7,0.3", "--pred", "0.2,0.8"]
    for weights in ("1e308,1e308", "1e-320,1e-320"):
        result = xent_cli(*args, "--sample-weights", weights, "-f", "plain")
        assert result.exit_code == 0, result.output
        assert result.stdout == "0.2899092476264711\n"
    # --reduction sum is a sum in the weights' own units: Σ s·l = 1e308·(−ln 0.7 − ln 0.8).
    result = xent_cli(*args, "--sample-weights", "1e308,1e308", "-r", "sum", "-f", "plain")
    assert float(result.stdout) == pytest.approx(1e308 * (-math.log(0.7) - math.log(0.8)))


def test_a_zero_total_weight_stays_an_error(xent_cli, tmp_path):
    path = tmp_path / "w.csv"
    path.write_text(TINY.replace("1e-320", "0"))
    result = xent_cli("compute", "-i", str(path), "--sample-weights", "w", "-f", "plain")
    assert result.exit_code == 1
    assert "sum to 0" in result.stderr and result.stderr.count("\n") == 1


# --------------------------------------------------------------------------- every statistic


@pytest.mark.parametrize("weight", [1e-320, 1e308])
def test_every_weighted_statistic_of_equal_weights_is_the_unweighted_one(
    xent_cli, tmp_path, weight
):
    rng = np.random.default_rng(5)
    n = 40
    plain_file, weighted_file = tmp_path / "plain.csv", tmp_path / "weighted.csv"
    plain_file.write_text(table(np.random.default_rng(5), n, groups=3))
    weighted_file.write_text(table(rng, n, weights=np.full(n, weight), groups=3))
    extra = ("--ci", "0.9", "--group-by", "g")
    plain = run_json(xent_cli, plain_file, *extra)
    weighted = run_json(xent_cli, weighted_file, "--sample-weights", "w", *extra)
    for name in ("mean", "accuracy", "top_k_accuracy", "brier_score", "perplexity"):
        assert weighted[name] == plain[name], name  # bit for bit
    for name in ("ece", "mce", "rms_calibration_error", "classwise_ece", "adaptive_ece"):
        assert weighted[name] == pytest.approx(plain[name], rel=1e-12, abs=1e-15), name
    # The bootstrap's sums are exact integers: the intervals are the unweighted ones.
    for name in ("mean_cross_entropy", "accuracy", "brier_score"):
        assert weighted["ci"][name] == plain["ci"][name], name
    groups = {g["group"]: g for g in plain["groups"]}
    for group in weighted["groups"]:
        assert group["mean_cross_entropy"] == groups[group["group"]]["mean_cross_entropy"]
        assert (
            group["ci"]["mean_cross_entropy"] == groups[group["group"]]["ci"]["mean_cross_entropy"]
        )
    # A sum is a sum in the weights' own units (beyond the float range it is inf).
    expected_sum = plain["sum"] * weight
    if math.isfinite(expected_sum):
        assert weighted["sum"] == pytest.approx(expected_sum, rel=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mixed_weights_against_numpy_with_weights_scaled_by_hand(xent_cli, tmp_path, seed):
    rng = np.random.default_rng(seed)
    n = 300
    weights = np.exp(rng.uniform(-700, 700, n))  # 1e-304 to 1e304, every size between
    weights[rng.integers(0, n, 5)] = rng.choice(ENDS, 5)
    text = table(rng, n, weights=weights)
    path = tmp_path / "mixed.csv"
    path.write_text(text)
    losses, w = losses_of(text)
    s = by_hand(w)
    expected = math.fsum(s * losses) / math.fsum(s)  # NumPy float64 products, fsum
    got = run_json(xent_cli, path, "--sample-weights", "w")
    assert got["mean"] == pytest.approx(expected, rel=1e-13)
    p_label, _ = label_probabilities(text)
    hits = (p_label >= 0.5).astype(float)  # two classes: the label is the arg-max
    assert got["accuracy"] == pytest.approx(math.fsum(s * hits) / math.fsum(s), rel=1e-13)
    brier = (1 - p_label) ** 2  # the binary Brier of scikit-learn (one probability column)
    brier_2 = 2 * brier  # xent's two-column file: Σ over both classes
    expected_brier = math.fsum(s * brier_2) / math.fsum(s)
    assert got["brier_score"] == pytest.approx(expected_brier, rel=1e-12)


def test_chunks_and_workers_of_other_exponents_merge_exactly(xent_cli, tmp_path, monkeypatch):
    """Many small chunks, each with its own exponent (weights from 1e-300 to 1e300 in
    blocks), read by two worker processes: the mean of one pass over weights scaled by
    hand, and the same bits as the vectors of the same rows in one chunk."""
    from xent.readers import csv_rows

    rng = np.random.default_rng(9)
    n = 400
    weights = np.repeat(10.0 ** rng.integers(-300, 300, n // 20), 20) * rng.uniform(0.5, 2, n)
    text = table(rng, n, weights=weights)
    path = tmp_path / "chunks.csv"
    path.write_text(text)
    losses, w = losses_of(text)
    s = by_hand(w)
    expected = math.fsum(s * losses) / math.fsum(s)
    monkeypatch.setattr(csv_rows, "CHUNK_BYTES", 1024)
    one = run_json(xent_cli, path, "--sample-weights", "w")
    assert one["mean"] == pytest.approx(expected, rel=1e-13)
    monkeypatch.setenv("XENT_CSV_WORKERS", "2")
    two = run_json(xent_cli, path, "--sample-weights", "w", "--ci", "0.9")
    assert two["mean"] == one["mean"]  # exact sums: any split is one pass
    monkeypatch.setattr(csv_rows, "CHUNK_BYTES", 1 << 20)
    whole = run_json(xent_cli, path, "--sample-weights", "w", "--ci", "0.9")
    assert whole["mean"] == one["mean"] and whole["ci"] == two["ci"]


def test_weight_below_the_others_resolution_counts_for_nothing(xent_cli, tmp_path, monkeypatch):
    """A chunk of weights 1e-300 after one of 1e300: in the larger's units they fall below
    2^-1074 and count as the smallest float (kernels.keep_positive); the mean is the big
    rows', to the last digit."""
    from xent.readers import csv_rows

    big = "".join(f"a,1e300,{0.1 + i / 100!r},{0.9 - i / 100!r}\n" for i in range(30))
    small = "".join("b,1e-300,0.9,0.1\n" for _ in range(30))  # a loss of −ln 0.1 each
    for order in ((big, small), (small, big)):
        path = tmp_path / "ends.csv"
        path.write_text("label,w,a,b\n" + "".join(order))
        monkeypatch.setattr(csv_rows, "CHUNK_BYTES", 512)
        got = run_json(xent_cli, path, "--sample-weights", "w")
        expected = math.fsum(-math.log(0.1 + i / 100) for i in range(30)) / 30
        assert got["mean"] == pytest.approx(expected, rel=1e-15)


def test_compare_with_weights_at_the_ends(xent_cli, tmp_path):
    rng = np.random.default_rng(4)
    n = 30
    q_a, q_b = rng.uniform(0.1, 0.9, n), rng.uniform(0.1, 0.9, n)
    results = {}
    for weight in (None, 1e-320, 1e308):
        files = []
        for name, q in (("A", q_a), ("B", q_b)):
            w = "" if weight is None else f",{weight!r}"
            head = "label,a,b" + ("" if weight is None else ",w")
            body = "".join(f"a,{float(x)!r},{float(1 - x)!r}{w}\n" for x in q)
            path = tmp_path / f"{name}{weight}.csv"
            path.write_text(head + "\n" + body)
            files.append(str(path))
        args = [] if weight is None else ["--sample-weights", "w"]
        result = xent_cli("compare", *files, "-f", "json", "--ci", "0.9", *args)
        assert result.exit_code == 0, result.output
        results[weight] = json.loads(result.stdout)
    plain = results[None]
    d = np.log(q_a) - np.log(q_b)
    assert plain["difference"] == pytest.approx(d.mean(), rel=1e-12)
    for weight in (1e-320, 1e308):
        got = results[weight]
        assert got["difference"] == pytest.approx(plain["difference"], rel=1e-14)
        assert got["standard_error"] == pytest.approx(plain["standard_error"], rel=1e-12)
        assert got["statistic"] == pytest.approx(plain["statistic"], rel=1e-12)
        assert got["p_value"] == pytest.approx(plain["p_value"], rel=1e-9)
        assert got["ci"]["difference"] == pytest.approx(plain["ci"]["difference"], rel=1e-14)


def test_report_and_calibrate_with_weights_at_the_ends(xent_cli, tmp_path):
    rng = np.random.default_rng(6)
    n = 50
    plain_file, weighted_file = tmp_path / "plain.csv", tmp_path / "weighted.csv"
    plain_file.write_text(table(np.random.default_rng(6), n))
    weighted_file.write_text(table(rng, n, weights=np.full(n, 1e308)))
    fits = []
    for path, args in ((plain_file, []), (weighted_file, ["--sample-weights", "w"])):
        result = xent_cli("calibrate", "-i", str(path), "-f", "json", *args)
        assert result.exit_code == 0, result.output
        fits.append(json.loads(result.stdout))
        html = tmp_path / f"{path.stem}.html"
        result = xent_cli("report", "-i", str(path), "-o", str(html), *args)
        assert result.exit_code == 0, result.output
    assert fits[1]["temperature"] == pytest.approx(fits[0]["temperature"], rel=1e-9)
    assert fits[1]["loss_before"] == fits[0]["loss_before"]


# --------------------------------------------------------------------------- the parts


def test_product_errors_make_sums_exact():
    from fractions import Fraction

    rng = np.random.default_rng(2)
    s = by_hand(np.exp(rng.uniform(-50, 50, 5000)))
    x = rng.exponential(size=5000)
    total = ExactSum()
    total.add_exact(s * x)
    total.add_exact(product_errors(s, x))
    exact = sum(Fraction(float(a)) * Fraction(float(b)) for a, b in zip(s, x))
    assert sum(map(Fraction, total.partials), Fraction(0)) == exact


def test_exact_ratio_is_correctly_rounded_and_scale_free():
    from fractions import Fraction

    rng = np.random.default_rng(8)
    s, x = rng.uniform(0.1, 1, 50), rng.exponential(size=50)
    top, bottom = ExactSum(), ExactSum()
    top.add_exact(s * x)
    top.add_exact(product_errors(s, x))
    bottom.add_exact(s)
    exact = sum(Fraction(float(a)) * Fraction(float(b)) for a, b in zip(s, x)) / sum(
        map(Fraction, map(float, s))
    )
    assert exact_ratio(top, bottom) == float(exact)
    for total in (top, bottom):
        total.scale(-1000)  # the same sums in other units: the same ratio
    assert exact_ratio(top, bottom) == float(exact)


def test_totals_merge_across_exponents_is_one_pass():
    """Totals of the same rows, split in two whose weights differ by 2^600: merged either
    way round they give the one-pass mean, accuracy and Brier to the bit."""
    from xent.options import ScoreOptions
    from xent.parts import new_totals
    from xent.readers.chunks import PredictionChunk
    from xent.results import summarize
    from xent.scorer import rows_of, score_chunk

    rng = np.random.default_rng(3)
    n = 64
    q = rng.dirichlet(np.ones(3), n)
    weights = np.r_[rng.uniform(0.5, 1, 32) * 2.0**300, rng.uniform(0.5, 1, 32) * 2.0**-300]
    chunk = PredictionChunk(
        values=q,
        lines=np.arange(2, n + 2),
        labels=rng.integers(0, 3, n),
        classes=["a", "b", "c"],
        sample_weights=weights,
    )
    options = ScoreOptions()

    def totals_of(part):
        totals = new_totals(["a", "b", "c"], options)
        totals.add(score_chunk(part, options, source="t", metrics=True))
        return totals

    one = summarize(totals_of(chunk), options, source="t")
    first, second = rows_of(chunk, slice(0, 32)), rows_of(chunk, slice(32, n))
    for a, b in ((first, second), (second, first)):
        merged = totals_of(a).merge(totals_of(b))
        got = summarize(merged, options, source="t")
        assert got.mean == one.mean
        assert got.accuracy == one.accuracy
        assert got.metrics.brier_score == one.metrics.brier_score


def test_dask_partitions_of_other_exponents_merge_exactly(xent_cli, tmp_path):
    pytest.importorskip("distributed")
    rng = np.random.default_rng(12)
    n = 300
    weights = np.repeat(10.0 ** rng.integers(-300, 300, n // 30), 30) * rng.uniform(0.5, 2, n)
    parts = tmp_path / "parts"
    parts.mkdir()
    text = table(rng, n, weights=weights)
    head, *rows = text.splitlines(keepends=True)
    for i in range(0, n, 30):  # a partition each: its own exponent
        (parts / f"part-{i // 30:02d}.csv").write_text(head + "".join(rows[i : i + 30]))
    losses, w = losses_of(text)
    s = by_hand(w)
    expected = math.fsum(s * losses) / math.fsum(s)
    local = run_json(xent_cli, parts, "--sample-weights", "w")
    cluster = run_json(
        xent_cli, parts, "--sample-weights", "w", "--cluster", "local", "--workers", "1"
    )
    assert local["mean"] == pytest.approx(expected, rel=1e-13)
    assert cluster["mean"] == local["mean"]


@pytest.mark.parametrize("weight", ["5e-324", "1e-320"])
def test_an_infinite_loss_of_a_tiny_weight_makes_the_mean_infinite(
    xent_cli, tmp_path, monkeypatch, weight
):
    """A row of positive weight and infinite loss makes the weighted mean infinite
    (s·inf = inf), however small s is beside the others: scaled below the floats' range,
    it stays the smallest float (it was 0, and the mean a finite number, exit 0). In the
    big row's chunk, and in a chunk of its own (its exponent meets the big rows' in the
    totals)."""
    from xent.readers import csv_rows

    path = tmp_path / "w.csv"
    tiny = "a," + weight + ",0,1\n"
    path.write_text("label,w,a,b\na,1.7976931348623157e308,0.5,0.5\n" + tiny)
    args = ["compute", "-i", path, "--sample-weights", "w", "-f", "plain"]
    result = xent_cli(*args)
    assert result.stdout == "inf\n" and "infinite loss" in result.stderr
    path.write_text("label,w,a,b\n" + "a,1e308,0.5,0.5\n" * 50 + tiny)
    monkeypatch.setattr(csv_rows, "CHUNK_BYTES", 64)
    assert xent_cli(*args).stdout == "inf\n"
