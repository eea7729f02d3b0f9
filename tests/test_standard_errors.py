"""``--ci`` without ``--bootstrap``: intervals from standard errors (issue 24, item 5).

Each is checked against SciPy: the mean loss and the Brier score against
``scipy.stats.ttest_1samp(...).confidence_interval`` (Student's t, n − 1 degrees of
freedom), the accuracies against ``scipy.stats.binomtest(...).proportion_ci(method=
"wilson")``, and, with weights, against the ratio estimator's standard error written out
here in NumPy. The sums are exact, so any split of the rows gives the same bits.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from xent.accumulators.standard_errors import RatioSums
from xent.accumulators.student import t_quantile

CLASSES = ["a", "b", "c", "d"]


def predictions(seed: int, n: int, *, weights: bool = False, groups: int = 0):
    """(CSV text, labels, probabilities, weights) of n random rows over four classes."""
    rng = np.random.default_rng(seed)
    q = rng.dirichlet(np.full(len(CLASSES), 0.7), n)
    labels = np.array([rng.choice(len(CLASSES), p=row) for row in q])
    w = np.exp(rng.normal(0, 1, n)) if weights else np.ones(n)
    head = ["label", *(["w"] if weights else []), *(["g"] if groups else []), *CLASSES]
    lines = [",".join(head)]
    for i in range(n):
        cells = [CLASSES[labels[i]]]
        cells += [repr(float(w[i]))] if weights else []
        cells += [f"g{i % groups}"] if groups else []
        lines.append(",".join(cells + [repr(float(x)) for x in q[i]]))
    return "\n".join(lines) + "\n", labels, q, w


def run_json(xent_cli, path, *args) -> dict:
    result = xent_cli("compute", "-i", path, "-f", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def t_interval(values, level):
    ci = stats.ttest_1samp(values, 0).confidence_interval(level)
    return [float(ci.low), float(ci.high)]


def wilson(hits, n, level):
    ci = stats.binomtest(int(hits), int(n)).proportion_ci(level, method="wilson")
    return [float(ci.low), float(ci.high)]


@pytest.mark.parametrize("level", [0.8, 0.95, 0.99])
def test_unweighted_intervals_are_scipys(xent_cli, tmp_path, level):
    text, labels, q, _ = predictions(1, 300)
    path = tmp_path / "p.csv"
    path.write_text(text)
    data = run_json(xent_cli, path, "--ci", str(level), "--top-k", "2")
    ci = data["ci"]
    n = len(labels)
    losses = -np.log(q[np.arange(n), labels])
    assert ci["mean_cross_entropy"] == pytest.approx(t_interval(losses, level), rel=1e-12)
    assert ci["perplexity"] == pytest.approx(np.exp(ci["mean_cross_entropy"]), rel=1e-14)
    hits = (q.argmax(axis=1) == labels).sum()
    assert ci["accuracy"] == pytest.approx(wilson(hits, n, level), rel=1e-12)
    top2 = (np.argsort(-q, axis=1)[:, :2] == labels[:, None]).any(axis=1).sum()
    assert ci["top_k_accuracy"] == pytest.approx(wilson(top2, n, level), rel=1e-12)
    brier = ((q - np.eye(len(CLASSES))[labels]) ** 2).sum(axis=1)
    assert ci["brier_score"] == pytest.approx(t_interval(brier, level), rel=1e-12)
    assert ci["method"] == "student t (means), wilson (accuracies)"
    assert ci["replicates"] is None and ci["seed"] is None and "ece" not in ci
    assert any("--bootstrap 200" in note for note in data["notes"])  # why ECE has none


def test_binary_brier_interval_is_scikit_learns_convention(xent_cli, tmp_path):
    rng = np.random.default_rng(4)
    p1 = rng.uniform(0.01, 0.99, 80)
    y = (rng.uniform(size=80) < p1).astype(int)
    path = tmp_path / "binary.csv"
    path.write_text("label,p\n" + "".join(f"{a},{float(b)!r}\n" for a, b in zip(y, p1)))
    ci = run_json(xent_cli, path, "--ci", "0.9")["ci"]
    # brier_score_loss's per-row terms, (P(class 1) − label)²: half the two-class sum.
    assert ci["brier_score"] == pytest.approx(t_interval((p1 - y) ** 2, 0.9), rel=1e-12)


def test_weighted_intervals_are_the_ratio_estimators(xent_cli, tmp_path):
    text, labels, q, w = predictions(2, 250, weights=True)
    path = tmp_path / "w.csv"
    path.write_text(text)
    ci = run_json(xent_cli, path, "--ci", "0.95", "--sample-weights", "w")["ci"]
    n = len(labels)
    t = stats.t.ppf(0.975, n - 1)

    def ratio_interval(x):  # R ± t·sqrt(n/(n−1)·Σ w²(x − R)²) / Σ w
        r = (w * x).sum() / w.sum()
        se = math.sqrt(n / (n - 1) * (w**2 * (x - r) ** 2).sum()) / w.sum()
        return [r - t * se, r + t * se]

    losses = -np.log(q[np.arange(n), labels])
    assert ci["mean_cross_entropy"] == pytest.approx(ratio_interval(losses), rel=1e-11)
    brier = ((q - np.eye(len(CLASSES))[labels]) ** 2).sum(axis=1)
    assert ci["brier_score"] == pytest.approx(ratio_interval(brier), rel=1e-11)
    # Wilson at Kish's effective size (Σ w)²/Σ w², the formula written out.
    hits = (q.argmax(axis=1) == labels).astype(float)
    p, size, z = (w * hits).sum() / w.sum(), w.sum() ** 2 / (w**2).sum(), stats.norm.ppf(0.975)
    centre = (p + z * z / (2 * size)) / (1 + z * z / size)
    half = z / (1 + z * z / size) * math.sqrt(p * (1 - p) / size + z * z / (4 * size * size))
    assert ci["accuracy"] == pytest.approx([centre - half, centre + half], rel=1e-11)


def test_class_weights_weigh_the_ratio(xent_cli, tmp_path):
    text, labels, q, _ = predictions(3, 200)
    path = tmp_path / "p.csv"
    path.write_text(text)
    weights = np.array([1.0, 2.0, 0.5, 3.0])
    args = ["--ci", "0.9", "--weights", ",".join(map(str, weights))]
    ci = run_json(xent_cli, path, *args)["ci"]
    n = len(labels)
    y = weights[labels] * -np.log(q[np.arange(n), labels])  # PyTorch's w·l over Σ w
    d = weights[labels]
    r = y.sum() / d.sum()
    se = math.sqrt(n / (n - 1) * ((y - r * d) ** 2).sum()) / d.sum()
    t = stats.t.ppf(0.95, n - 1)
    assert ci["mean_cross_entropy"] == pytest.approx([r - t * se, r + t * se], rel=1e-11)


def test_each_group_has_its_rows_interval(xent_cli, tmp_path):
    text, labels, q, _ = predictions(5, 240, groups=3)
    path = tmp_path / "g.csv"
    path.write_text(text)
    data = run_json(xent_cli, path, "--ci", "0.95", "--group-by", "g")
    losses = -np.log(q[np.arange(len(labels)), labels])
    for group in data["groups"]:
        index = int(group["group"][1:])
        expected = t_interval(losses[index::3], 0.95)
        assert group["ci"]["mean_cross_entropy"] == pytest.approx(expected, rel=1e-12)


def test_every_format_and_split_gives_the_same_bits(xent_cli, tmp_path, monkeypatch):
    """CSV (chunks of 1 kB, two workers; one chunk), JSON Lines and the rows as arguments:
    one "ci" object, bit for bit (the sums are exact)."""
    from xent.readers import csv_rows

    text, labels, q, _ = predictions(6, 60)
    csv_path, jsonl = tmp_path / "p.csv", tmp_path / "p.jsonl"
    csv_path.write_text(text)
    jsonl.write_text(
        "".join(
            json.dumps({"label": CLASSES[y], **dict(zip(CLASSES, map(float, row)))}) + "\n"
            for y, row in zip(labels, q)
        )
    )
    whole = run_json(xent_cli, csv_path, "--ci", "0.9")["ci"]
    assert run_json(xent_cli, jsonl, "--ci", "0.9")["ci"] == whole
    vectors = ["compute", "-f", "json", "--ci", "0.9", "--classes", ",".join(CLASSES)]
    for y, row in zip(labels, q):
        vectors += ["-l", CLASSES[y], "-p", ",".join(repr(float(x)) for x in row)]
    assert json.loads(xent_cli(*vectors).stdout)["ci"] == whole
    monkeypatch.setattr(csv_rows, "CHUNK_BYTES", 1024)
    monkeypatch.setenv("XENT_CSV_WORKERS", "2")
    assert run_json(xent_cli, csv_path, "--ci", "0.9")["ci"] == whole


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(0, 50, allow_subnormal=False), min_size=2, max_size=40),
    st.data(),
)
def test_any_split_merges_to_one_pass(values, data):
    x = np.array(values)
    s = np.array(
        data.draw(st.lists(st.floats(0.01, 1), min_size=x.size, max_size=x.size)), dtype=float
    )
    cut = data.draw(st.integers(0, x.size))
    for d in (None, s):
        one, left, right = RatioSums(), RatioSums(), RatioSums()
        y = x if d is None else x * d
        one.add([y], d)
        left.add([y[:cut]], None if d is None else d[:cut])
        right.add([y[cut:]], None if d is None else d[cut:])
        left.merge(right)
        assert left.standard_error == one.standard_error or (
            math.isnan(left.standard_error) and math.isnan(one.standard_error)
        )
        assert left.ratio == one.ratio


def test_the_standard_error_is_exact_where_floats_cancel():
    """Losses equal to 1e-9 of each other: Σ y² − (Σ y)²/n in floats is all rounding; the
    exact sums give the sample deviation (NumPy's two-pass, which does not cancel)."""
    x = 2.302585092994046 + np.arange(10) * 1e-12
    sums = RatioSums()
    sums.add([x])
    expected = np.std(x, ddof=1) / math.sqrt(x.size)
    assert sums.standard_error == pytest.approx(expected, rel=1e-6)
    same = RatioSums()
    same.add([np.full(7, 0.1)])
    assert same.standard_error == 0.0  # every row the same: a zero width, not a rounding


def test_equal_losses_give_a_zero_width_and_infinite_losses_an_infinite_one(xent_cli, tmp_path):
    path = tmp_path / "flat.csv"
    path.write_text("label,a,b\na,0.5,0.5\nb,0.5,0.5\na,0.5,0.5\n")
    ci = run_json(xent_cli, path, "--ci", "0.95")["ci"]
    assert ci["mean_cross_entropy"] == [math.log(2), math.log(2)]
    path.write_text("label,a,b\na,0.5,0.5\nb,1,0\na,0.5,0.5\n")
    data = run_json(xent_cli, path, "--ci", "0.95")
    assert data["ci"]["mean_cross_entropy"] == ["inf", "inf"]  # strict JSON: inf as a string
    assert "the loss is infinite in some rows: its interval is infinite" in data["notes"]


def test_a_lower_bound_is_never_below_0(xent_cli, tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("label,a,b\na,0.999999,0.000001\na,0.5,0.5\n")  # n = 2: t = 12.7
    low, high = run_json(xent_cli, path, "--ci", "0.95")["ci"]["mean_cross_entropy"]
    losses = [-math.log(0.999999), math.log(2)]
    expected = t_interval(losses, 0.95)
    assert expected[0] < 0 and low == 0.0 and high == pytest.approx(expected[1], rel=1e-12)


@pytest.mark.parametrize("degrees", [1, 2, 3, 5, 11, 71, 500, 1999, 2000, 10**4, 10**7])
@pytest.mark.parametrize("level", [0.5, 0.9, 0.95, 0.99, 0.999])
def test_t_quantile_is_scipys(degrees, level):
    assert t_quantile(level, degrees) == pytest.approx(
        stats.t.ppf((1 + level) / 2, degrees), rel=1e-11
    )


@pytest.mark.parametrize("degrees", [1, 2, 3, 10, 1999, 2000])
def test_t_quantile_far_in_the_tail_is_mpmaths(degrees):
    """At level 0.999999 SciPy's own error reaches 1e-10 (its (1 + level)/2 rounds): the
    reference is the root of the tail in 40 digits."""
    import mpmath

    mpmath.mp.dps = 40
    alpha = 1 - mpmath.mpf(0.999999)
    v = mpmath.mpf(degrees)

    def tail(t):
        return mpmath.betainc(v / 2, mpmath.mpf(1) / 2, 0, v / (v + t * t), regularized=True)

    root = mpmath.findroot(lambda t: tail(t) - alpha, stats.t.ppf(0.9999995, degrees))
    assert t_quantile(0.999999, degrees) == pytest.approx(float(root), rel=1e-11)


def test_seed_needs_the_bootstrap(xent_cli, tmp_path):
    from xent.errors import UsageError
    from xent.options import ScoreOptions

    path = tmp_path / "p.csv"
    path.write_text(predictions(7, 10)[0])
    result = xent_cli("compute", "-i", path, "--ci", "0.9", "--seed", "3")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == (
        "xent: --seed: seeds the bootstrap's weights: give --bootstrap too (200 is the usual "
        "number), or leave it out\n"
    )
    with pytest.raises(UsageError, match="give replicates too"):
        ScoreOptions(ci=0.9, seed=3)
    assert xent_cli("compute", "-i", path, "--ci", "0.9", "--bootstrap", "50", "--seed", "3")


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.floats(-1e300, 1e300, allow_nan=False, allow_infinity=False), min_size=0, max_size=80
    ),
    st.integers(0, 80),
    st.integers(-60, 0),
)
def test_an_integer_sum_is_the_exact_sum(values, cut, shift):
    """IntegerSum against Fractions: any split, merged, and scaled by 2^shift, exactly
    (subnormals and values of every size included; 2,048 values and more go by buckets)."""
    from fractions import Fraction

    from xent.accumulators.exact import IntegerSum

    x = np.array(values + [5e-324, -2.5e-320], dtype=np.float64)
    exact = sum(map(Fraction, x.tolist()), Fraction(0))
    one, left, right = IntegerSum(), IntegerSum(), IntegerSum()
    one.add_exact(x)
    left.add_exact(x[:cut])
    right.add_exact(x[cut:])
    right.scale(shift)
    right.scale(-shift)
    left.merge(right)
    assert one.fraction() == exact and left.fraction() == exact
    one.scale(shift)
    assert one.fraction() == exact * Fraction(2) ** shift
    big = IntegerSum()
    big.add_exact(np.tile(x, 2048 // x.size + 1))  # the bucket path
    assert big.fraction() == exact * (2048 // x.size + 1)
    big.add_count(3)
    assert big.fraction() == exact * (2048 // x.size + 1) + 3


def test_multi_label_and_logprobs_rows_get_their_intervals(xent_cli, tmp_path):
    """Multi-label rows: the loss's t interval and the exact-match accuracy's Wilson
    interval; a logprobs file's tokens: the mean surprisal's interval over its responses
    (its lower bound below 0 shown as 0). The per-row losses are xent's -r none, checked
    elsewhere."""
    path = tmp_path / "ml.csv"
    path.write_text(
        "label,a,b,c\na|b,0.9,0.8,0.1\nc,0.2,0.3,0.7\na,0.6,0.4,0.2\nb|c,0.3,0.9,0.6\n"
        "a|c,0.7,0.2,0.4\n"
    )
    ci = run_json(xent_cli, path, "--multi-label", "--ci", "0.9")["ci"]
    rows = xent_cli("compute", "-i", path, "--multi-label", "-r", "none", "-f", "csv").stdout
    losses = [float(line.split(",")[2]) for line in rows.splitlines()[1:]]
    assert ci["mean_cross_entropy"] == pytest.approx(t_interval(losses, 0.9), rel=1e-12)
    assert ci["accuracy"] == pytest.approx(wilson(4, 5, 0.9), rel=1e-12)  # row 5 is wrong
    # A logprobs file's tokens: their responses are the units (the tokens of a response
    # are not independent), the clustered standard error of the mean, t of G − 1 df.
    logprobs = Path(__file__).resolve().parents[1] / "examples" / "chat-logprobs.jsonl"
    ci = run_json(xent_cli, logprobs, "--ci", "0.95")["ci"]
    rows = xent_cli("compute", "-i", logprobs, "-r", "none", "-f", "csv").stdout
    cells = [line.split(",") for line in rows.splitlines()[1:]]
    response = np.array([int(c[-1]) for c in cells])  # the line of its response
    surprisal = np.array([float(c[2]) for c in cells])
    units = np.unique(response)
    y = np.array([surprisal[response == u].sum() for u in units])
    d = np.array([(response == u).sum() for u in units], dtype=float)
    r, g = y.sum() / d.sum(), units.size
    se = math.sqrt(g / (g - 1) * ((y - r * d) ** 2).sum()) / d.sum()
    t = stats.t.ppf(0.975, g - 1)
    assert g == 2 and ci["method"].startswith("student t (means; the loss clustered")
    assert r - t * se < 0 and ci["mean_cross_entropy"][0] == 0.0
    assert ci["mean_cross_entropy"][1] == pytest.approx(r + t * se, rel=1e-12)


def test_one_row_of_positive_weight_has_no_interval(xent_cli, tmp_path):
    """Zero-weight rows count for nothing: one row of weight has no spread to estimate, and
    a zero width would claim the mean known. As for one row: no interval, and why."""
    path = tmp_path / "w.csv"
    path.write_text("label,w,a,b\na,0,0.7,0.3\nb,1,0.2,0.8\na,0,0.6,0.4\n")
    args = ["compute", "-i", path, "--sample-weights", "w", "--ci", "0.9"]
    data = json.loads(xent_cli(*args, "-f", "json").stdout)
    why = "one row of positive weight: no confidence interval can be given (--ci needs two)"
    assert data["ci"] is None and why in data["notes"]
    plain = xent_cli(*args, "-f", "plain")
    assert plain.stdout == repr(-math.log(0.8)) + "\n" and why in plain.stderr
    gate = xent_cli(*args, "--gate-on", "upper", "--fail-above", "1", "-f", "plain")
    assert gate.exit_code == 3 and "no interval could be computed" in gate.stderr
    vectors = ["compute", "-l", "0", "-l", "1", "-p", "0.7,0.3", "-p", "0.2,0.8"]
    result = xent_cli(*vectors, "--sample-weights", "0,1", "--ci", "0.9", "-f", "plain")
    assert result.stdout == repr(-math.log(0.8)) + "\n" and why in result.stderr


@pytest.mark.parametrize("weighted", [False, True])
def test_with_a_sequence_column_the_loss_interval_is_over_the_sequences(
    xent_cli, tmp_path, weighted
):
    """A sequence's tokens are not independent rows: with --sequence-column the mean
    loss's interval takes the sequences as the units (the clustered standard error of a
    ratio, Student's t of G − 1 degrees of freedom), written out here in NumPy."""
    rng = np.random.default_rng(8)
    q = rng.dirichlet(np.full(3, 0.8), 400)
    labels = np.array([rng.choice(3, p=row) for row in q])
    sequence = np.sort(rng.integers(0, 30, 400))
    w = np.exp(rng.normal(0, 0.5, 400)) if weighted else np.ones(400)
    lines = ["label,seq,w,a,b,c"] + [
        f"{'abc'[y]},s{g},{float(s)!r}," + ",".join(repr(float(x)) for x in row)
        for y, g, s, row in zip(labels, sequence, w, q)
    ]
    path = tmp_path / "tokens.csv"
    path.write_text("\n".join(lines) + "\n")
    args = ["--sequence-column", "seq", "--ci", "0.95", "--ignore-columns", "w"]
    if weighted:
        args = ["--sequence-column", "seq", "--ci", "0.95", "--sample-weights", "w"]
    ci = run_json(xent_cli, path, *args)["ci"]
    losses = -np.log(q[np.arange(400), labels])
    groups = np.unique(sequence)
    y = np.array([(w * losses)[sequence == g].sum() for g in groups])
    d = np.array([w[sequence == g].sum() for g in groups])
    r, g = y.sum() / d.sum(), groups.size
    se = math.sqrt(g / (g - 1) * ((y - r * d) ** 2).sum()) / d.sum()
    t = stats.t.ppf(0.975, g - 1)
    assert ci["method"] == "student t (means; the loss clustered by sequence), wilson (accuracies)"
    assert ci["mean_cross_entropy"] == pytest.approx([r - t * se, r + t * se], rel=1e-11)
    assert ci["perplexity"] == pytest.approx(np.exp(ci["mean_cross_entropy"]), rel=1e-14)
    bootstrap = run_json(xent_cli, path, *args, "--bootstrap", "50")["ci"]
    assert bootstrap["method"] == "poisson bootstrap, percentile"  # rows resampled, as before


@pytest.mark.parametrize("level", [1e-300, 1e-12, 0.999999999, 0.9999999999999999])
def test_a_level_near_0_or_1_gives_an_interval(xent_cli, tmp_path, level):
    """(1 + level)/2 rounds to 1 at level 0.9999999999999999: the quantiles are found from
    the tail (1 − level)/2 (it was an internal error); SciPy's isf of that tail agrees."""
    from xent.accumulators.student import normal_quantile

    assert normal_quantile(level) == pytest.approx(
        stats.norm.isf((1 - level) / 2), rel=1e-12, abs=1e-300
    )
    for degrees in (1, 2, 3, 10, 1999, 2000, 10**6):
        assert t_quantile(level, degrees) >= 0
    path = tmp_path / "p.csv"
    path.write_text(predictions(9, 30)[0])
    ci = run_json(xent_cli, path, "--ci", repr(level))["ci"]
    low, high = ci["mean_cross_entropy"]
    assert 0 <= low <= high and all(0 <= x <= 1 for x in ci["accuracy"])


def test_weights_far_apart_give_an_interval_not_an_error(xent_cli, tmp_path):
    """Weights of 1e300 and 1e-3 in one file (the fuzz found it): the squares of the small
    ones, scaled by the large one's, fall below the smallest float, and the exact spread
    came out below 0 (an internal error). The one weighty row decides the mean: a zero
    width, as its standard error is, to a float's resolution."""
    path = tmp_path / "w.json"
    rows = [(0, 0.458, 1e300), (1, 0.332, 0.5), (0, 0.694, 0.5), (0, 0.106, 2.0), (0, 0.174, 1e-3)]
    path.write_text(json.dumps([{"label": y, "pred": [q], "w": w} for y, q, w in rows]))
    data = run_json(xent_cli, path, "--sample-weights", "w", "--ci", "0.999999")
    low, high = data["ci"]["mean_cross_entropy"]
    assert low == high == pytest.approx(-math.log(1 - 0.458), rel=1e-12)


def test_every_example_format_gives_one_ci(xent_cli):
    """examples/animals in CSV, gzip CSV, JSON Lines, Parquet and .npz: the same "ci"
    object, bit for bit (the t interval of tests/test_gates.py)."""
    pytest.importorskip("pyarrow")
    examples = Path(__file__).resolve().parents[1] / "examples"
    names = ["animals.csv", "animals.csv.gz", "animals.jsonl", "animals.parquet", "animals.npz"]
    cis = [run_json(xent_cli, examples / name, "--ci", "0.95")["ci"] for name in names]
    assert all(ci == cis[0] for ci in cis[1:])
    assert cis[0]["mean_cross_entropy"] == [0.25105510077120163, 0.7624930331435975]


def test_the_html_report_says_how_its_intervals_were_drawn(xent_cli, tmp_path):
    examples = Path(__file__).resolve().parents[1] / "examples"
    page = tmp_path / "r.html"
    for extra, said in (
        ([], "95% intervals: Student&#x27;s t for the means, Wilson&#x27;s for the accuracies"),
        (["--bootstrap", "200"], "95% intervals: poisson bootstrap (200 replicates, seed 0)"),
    ):
        args = ["report", "-i", examples / "animals.csv", "--ci", "0.95", *extra, "-o", page]
        assert xent_cli(*args).exit_code == 0
        assert said in page.read_text()
