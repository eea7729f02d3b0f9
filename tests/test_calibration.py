"""Calibration metrics: the bin rule at its edges, merged histograms, the references
(torchmetrics' calibration_error written out by hand, and torchmetrics itself where it is
installed), equal-mass bins and the Wilson intervals of the reliability diagram."""

from __future__ import annotations

import math

import numpy as np
import pytest

import references
from xent import metrics
from xent.options import ScoreOptions
from xent.readers.chunks import PredictionChunk
from xent.scorer import rows_of, score_chunk
from xent.totals import Totals


def random_batch(n=500, k=4, seed=0, sharp=2.0):
    rng = np.random.default_rng(seed)
    z = sharp * rng.normal(size=(n, k))
    q = np.exp(z - z.max(axis=1, keepdims=True))
    q /= q.sum(axis=1, keepdims=True)
    # Labels drawn from a tempered Q: miscalibrated, but not hopelessly.
    p = q**0.7
    p /= p.sum(axis=1, keepdims=True)
    y = np.array([rng.choice(k, p=row) for row in p])
    return y, q


def chunk_of(y, q, s=None, task="multiclass"):
    k = q.shape[1]
    return PredictionChunk(
        classes=[f"c{i}" for i in range(k)],
        values=q,
        lines=np.arange(2, len(y) + 2),
        labels=np.asarray(y),
        sample_weights=s,
        task=task,
    )


def totals_of(chunks, bins=15):
    totals = Totals(chunks[0].classes, bins=bins)
    for chunk in chunks:
        totals.add(score_chunk(chunk, ScoreOptions(bins=bins), source="t", metrics=True))
    return totals


# --------------------------------------------------------------------------- the bin rule


def test_the_bin_rule_at_0_1_and_the_edges():
    edges = np.array(
        [0.0, 0.05, 0.1, np.nextafter(0.1, 1), 0.5, np.nextafter(0.5, 1), 0.7, 0.95, 1.0]
    )
    which = metrics.bin_index(edges, 10)
    # 0 in the first bin; an edge closes the bin that ends there; 1.0 in the last.
    assert which.tolist() == [0, 0, 0, 1, 4, 5, 6, 9, 9]
    assert metrics.bin_index(np.array([0.0, 1.0]), 1).tolist() == [0, 0]


@pytest.mark.parametrize("bins", [1, 2, 3, 7, 10, 15, 49, 100, 1000, 10000])
def test_the_bin_of_a_confidence_is_the_binary_search_of_the_edges(bins):
    """bin_index settles the bin with two comparisons; a binary search of the edges
    (NumPy's searchsorted, side="left": an edge belongs to the bin that ends there) is
    the reference, on every edge, the doubles next to it and random confidences."""
    edges = np.arange(bins + 1) / bins
    near = np.concatenate(
        [edges, np.nextafter(edges, -1), np.nextafter(edges, 2), (np.arange(bins) + 0.5) / bins]
    )
    rng = np.random.default_rng(bins)
    confidence = np.clip(np.concatenate([near, rng.random(5000), [0.0, 1.0, 5e-324]]), 0, 1)
    expected = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, bins - 1)
    np.testing.assert_array_equal(metrics.bin_index(confidence, bins), expected)


def test_the_top_label_histograms_are_the_three_histograms():
    rng = np.random.default_rng(5)
    q = rng.dirichlet(np.ones(6), size=300)
    labels = rng.integers(0, 6, size=300)
    for s in (None, rng.uniform(0, 3, size=300)):
        coarse, counts, fine = metrics.top_label_histograms(labels, q, 15, s)
        np.testing.assert_array_equal(coarse, metrics.calibration_bins(labels, q, 15, s))
        np.testing.assert_array_equal(counts, metrics.calibration_counts(q, 15, s))
        np.testing.assert_array_equal(fine, metrics.fine_calibration_bins(labels, q, s))
        # classwise: one histogram per class of its own probability against [label = c]
        classwise = metrics.class_calibration_bins(labels, q, 15, s)
        w = np.ones(300) if s is None else s
        for c in range(6):
            which = metrics.bin_index(q[:, c], 15)
            hit = (labels == c).astype(float)
            np.testing.assert_allclose(classwise[c, 0], np.bincount(which, w, 15), rtol=1e-15)
            np.testing.assert_allclose(
                classwise[c, 1], np.bincount(which, w * q[:, c], 15), rtol=1e-14
            )
            np.testing.assert_allclose(classwise[c, 2], np.bincount(which, w * hit, 15))


def test_the_fine_bins_are_exact_at_their_edges():
    c = np.array([0.0, 2.0**-16, np.nextafter(2.0**-16, 1), 0.5, 1.0])
    q = np.column_stack([c, 1 - c])
    fine = metrics.fine_calibration_bins(np.zeros(5, np.intp), np.column_stack([q[:, 0]]), None)
    assert np.flatnonzero(fine[0]).tolist() == [0, 1, 32767, 65535]
    assert fine[0][[0, 1, 32767, 65535]].tolist() == [2, 1, 1, 1]


def test_confidence_exactly_1_and_exactly_0_in_a_binary_file():
    # P(class 1) of 0, 0, 1, 1 with labels 0, 1, 1, 0: the binary histogram of class 1
    # puts the 0s in the first bin and the 1s in the last.
    p = np.array([0.0, 0.0, 1.0, 1.0])
    q = np.column_stack([1 - p, p])
    y = np.array([0, 1, 1, 0])
    h = metrics.class_calibration_bins(y, q, 10)[1]
    assert h[0].tolist() == [2, 0, 0, 0, 0, 0, 0, 0, 0, 2]
    assert metrics.ece_from_bins(h) == pytest.approx(0.5)  # |0.5 − 0|/2 + |0.5 − 1|/2
    # The top-label confidence is 1 for every row: one bin, accuracy 1/2.
    assert metrics.calibration_errors(metrics.calibration_bins(y, q, 10)) == pytest.approx(
        (0.5, 0.5, 0.5)
    )


def test_an_edge_confidence_matches_torchmetrics_only_off_the_edges():
    """torchmetrics bins [lo, hi): P(class 1) = 0.5 falls in its upper bin, xent's lower."""
    p, y = np.array([0.5, 0.3]), np.array([1, 0])
    q = np.column_stack([1 - p, p])
    ours = metrics.ece_from_bins(metrics.class_calibration_bins(y, q, 2)[1])
    assert ours == pytest.approx(0.1)  # one bin (0, 0.5]: confidence 0.4, accuracy 0.5
    theirs = references.torchmetrics_calibration_error(p, y, 2)
    assert theirs == pytest.approx(0.5 * 0.5 + 0.5 * 0.3)  # [0, 0.5) and [0.5, 1)


# --------------------------------------------------------------------------- the references


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("bins", [1, 7, 15])
def test_ece_mce_rms_agree_with_torchmetrics_formula(seed, bins):
    y, q = random_batch(seed=seed)
    totals = totals_of([chunk_of(y, q)], bins)
    conf, acc = q.max(axis=1), (q.argmax(axis=1) == y).astype(float)
    ece, mce, rms = totals.calibration_errors()
    assert ece == pytest.approx(
        references.torchmetrics_calibration_error(conf, acc, bins), rel=1e-9
    )
    assert mce == pytest.approx(
        references.torchmetrics_calibration_error(conf, acc, bins, "max"), rel=1e-9
    )
    assert rms == pytest.approx(
        references.torchmetrics_calibration_error(conf, acc, bins, "l2"), rel=1e-9
    )
    assert ece == pytest.approx(references.ece(y, q, bins), rel=1e-9)


@pytest.mark.parametrize("seed", range(3))
def test_torchmetrics_itself_agrees_off_the_edges(seed):
    torch = pytest.importorskip("torch")
    functional = pytest.importorskip("torchmetrics.functional.classification")
    y, q = random_batch(n=300, k=5, seed=seed)
    totals = totals_of([chunk_of(y, q)], 10)
    ours = totals.calibration_errors()
    for norm, value in zip(("l1", "max", "l2"), ours):
        theirs = functional.multiclass_calibration_error(
            torch.tensor(q, dtype=torch.float64), torch.tensor(y), 5, n_bins=10, norm=norm
        )
        # torchmetrics casts multi-class confidences to float32 (.float()): its rounding.
        assert value == pytest.approx(float(theirs), rel=1e-6)
    # Binary: P(class 1) against the label is torchmetrics' binary_calibration_error.
    p = q[:, 0] / (q[:, 0] + q[:, 1])
    yb = (y == 0).astype(np.intp)
    binary = totals_of([chunk_of(yb, np.column_stack([1 - p, p]))], 10)
    theirs = functional.binary_calibration_error(
        torch.tensor(p, dtype=torch.float64), torch.tensor(yb), n_bins=10
    )
    assert binary.class_eces()[1] == pytest.approx(float(theirs), rel=1e-9)


def test_torchmetrics_puts_a_confidence_of_1_in_a_bin_of_its_own():
    torch = pytest.importorskip("torch")
    functional = pytest.importorskip("torchmetrics.functional.classification")
    p = np.array([1.0, 1.0, 0.95, 0.95])
    y = np.array([0, 1, 1, 1])
    q = np.column_stack([1 - p, p])
    ours = metrics.ece_from_bins(metrics.class_calibration_bins(y, q, 10)[1])
    # xent: one last bin (0.9, 1], mean confidence 0.975 and accuracy 0.75.
    assert ours == pytest.approx(0.225, rel=1e-12)
    theirs = float(functional.binary_calibration_error(torch.tensor(p), torch.tensor(y), n_bins=10))
    # torchmetrics: the two 1.0s alone (gap 0.5), the 0.95s in [0.9, 1.0) (gap 0.05).
    assert theirs == pytest.approx(0.5 * 0.5 + 0.5 * 0.05, rel=1e-12)
    assert theirs == pytest.approx(references.torchmetrics_calibration_error(p, y, 10))


@pytest.mark.parametrize("seed", range(3))
def test_classwise_ece_is_the_mean_of_one_vs_rest_eces(seed):
    y, q = random_batch(seed=seed, k=3)
    totals = totals_of([chunk_of(y, q)], 10)
    expected = [
        references.torchmetrics_calibration_error(q[:, c], (y == c).astype(float), 10)
        for c in range(3)
    ]
    np.testing.assert_allclose(totals.class_eces(), expected, rtol=1e-9)


# --------------------------------------------------------------------------- merging


@pytest.mark.parametrize("seed", range(5))
def test_the_histograms_merge_from_random_splits(seed):
    y, q = random_batch(n=400, k=5, seed=seed)
    s = np.random.default_rng(seed).uniform(0, 3, size=400)
    chunk = chunk_of(y, q, s)
    whole = totals_of([chunk])
    cuts = sorted(np.random.default_rng(seed + 9).choice(np.arange(1, 400), 5, replace=False))
    edges = [0, *cuts, 400]
    parts = [totals_of([rows_of(chunk, slice(a, b))]) for a, b in zip(edges, edges[1:])]
    merged = parts[0]
    for part in parts[1:]:
        merged.merge(part)
    for name in ("calibration", "calibration_counts", "class_calibration", "fine_calibration"):
        np.testing.assert_allclose(getattr(merged, name), getattr(whole, name), rtol=1e-13)
    assert merged.calibration_errors() == pytest.approx(whole.calibration_errors(), rel=1e-12)
    assert merged.adaptive_ece() == pytest.approx(whole.adaptive_ece(), rel=1e-12)
    np.testing.assert_allclose(
        np.array(merged.reliability()), np.array(whole.reliability()), rtol=1e-12
    )


# --------------------------------------------------------------------------- equal mass


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("bins", [5, 10, 20])
def test_equal_mass_ece_is_exact_when_the_cuts_fall_between_fine_bins(seed, bins):
    y, q = random_batch(n=1000, seed=seed)
    totals = totals_of([chunk_of(y, q)], bins)
    ece, bound = totals.adaptive_ece()
    conf, acc = q.max(axis=1), (q.argmax(axis=1) == y).astype(float)
    expected = references.equal_mass_ece(conf, acc, bins)
    assert abs(ece - expected) <= bound + 1e-12
    # 1000 rows in 2^16 fine bins: a cut lies between two unless two rows share the
    # fine bin that holds it (a tie at 2^-16 near confidence 1); then the bound says so.
    assert bound <= 0.002
    if bound == 0.0:
        assert ece == pytest.approx(expected, rel=1e-9)


def test_equal_mass_ece_stays_within_its_bound_on_ties():
    rng = np.random.default_rng(3)
    conf = rng.choice([0.55, 0.6, 0.8, 0.9, 0.99], size=997)
    y = (rng.uniform(size=997) < conf).astype(np.intp)  # class 1 is the top label
    q = np.column_stack([1 - conf, conf])
    totals = totals_of([chunk_of(y, q)], 10)
    ece, bound = totals.adaptive_ece()
    expected = references.equal_mass_ece(conf, (y == 1).astype(float), 10)
    assert bound > 0
    assert abs(ece - expected) <= bound


# --------------------------------------------------------------------------- the diagram


def test_the_reliability_rows_and_their_wilson_intervals():
    y, q = random_batch(n=600, seed=4)
    totals = totals_of([chunk_of(y, q)], 10)
    conf, right = q.max(axis=1), (q.argmax(axis=1) == y)
    which = metrics.bin_index(conf, 10)
    for b, (low, high, rows, weight, mean_conf, acc, w_low, w_high) in enumerate(
        totals.reliability()
    ):
        assert (low, high) == (b / 10, (b + 1) / 10)
        inside = which == b
        assert rows == inside.sum() == weight
        if not rows:
            assert math.isnan(acc) and math.isnan(w_low)
            continue
        assert mean_conf == pytest.approx(conf[inside].mean(), rel=1e-12)
        assert acc == pytest.approx(right[inside].mean(), rel=1e-12)
        k = int(right[inside].sum())
        scipy_stats = pytest.importorskip("scipy.stats")
        ci = scipy_stats.binomtest(k, rows).proportion_ci(0.95, method="wilson")
        assert (w_low, w_high) == pytest.approx((ci.low, ci.high), rel=1e-9, abs=1e-12)
        assert (w_low, w_high) == pytest.approx(references.wilson(k, rows), rel=1e-9, abs=1e-12)


# --------------------------------------------------------------------------- the commands


def test_reliability_rows_svg_and_table(xent_cli, tmp_path):
    import csv
    import json
    import xml.dom.minidom

    y, q = random_batch(n=300, seed=2)
    path = tmp_path / "p.csv"
    with open(path, "w") as f:
        f.write("label,a,b,c,d\n")
        for label, row in zip(y, q):
            f.write("abcd"[label] + "," + ",".join(repr(float(v)) for v in row) + "\n")
    svg = tmp_path / "r.svg"
    result = xent_cli(
        "compute",
        "-i",
        path,
        "--reliability",
        "-f",
        "csv",
        "--bins",
        "10",
        "--reliability-svg",
        svg,
    )
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(result.stdout.splitlines()))
    assert len(rows) == 10 and sum(int(r["rows"]) for r in rows) == 300
    totals = totals_of([chunk_of(y, q)], 10)
    for row, expected in zip(rows, totals.reliability()):
        assert float(row["accuracy"]) == pytest.approx(expected[5], nan_ok=True)
        assert float(row["wilson_low"]) == pytest.approx(expected[6], nan_ok=True)
    document = xml.dom.minidom.parse(str(svg))
    bars = [
        r for r in document.getElementsByTagName("rect") if r.getAttribute("class") == "accuracy"
    ]
    assert len(bars) == sum(1 for r in rows if int(r["rows"]))
    data = json.loads(xent_cli("compute", "-i", path, "--reliability", "-f", "json").stdout)
    assert data["interval"] == "wilson, 95%" and len(data["reliability"]) == 15
    table = xent_cli("compute", "-i", path, "--reliability", "-f", "table", env={"COLUMNS": "80"})
    assert "95% interval" in table.stdout and "|" in table.stdout


def test_reliability_needs_a_file_and_a_summary(xent_cli, tmp_path):
    result = xent_cli("compute", "-l", "0", "--pred", "0.7,0.3", "--reliability")
    assert result.exit_code == 2 and "--file" in result.stderr
    (tmp_path / "p.csv").write_text("label,a,b\na,0.7,0.3\n")
    result = xent_cli("compute", "-i", tmp_path / "p.csv", "--reliability", "-r", "none")
    assert result.exit_code == 2 and "--reduction none" in result.stderr


def test_binary_files_report_the_binary_ece(xent_cli, tmp_path):
    import json

    p = np.array([0.0, 0.2, 0.5, 0.9, 1.0, 0.7])
    y = np.array([0, 0, 1, 1, 1, 0])
    path = tmp_path / "b.csv"
    path.write_text("label,p\n" + "".join(f"{a},{float(b)!r}\n" for a, b in zip(y, p)))
    data = json.loads(xent_cli("compute", "-i", path, "--clip", "1e-15", "-f", "json").stdout)
    expected = references.torchmetrics_calibration_error(p, y, 15)  # no edge, 1.0 right
    q = np.column_stack([1 - p, p])
    ours = metrics.ece_from_bins(metrics.class_calibration_bins(y, q, 15)[1])
    assert data["binary_ece"] == pytest.approx(ours, rel=1e-12)
    # The 1.0 (label 1) sits alone in torchmetrics' extra bin with gap 0; in xent it
    # shares (14/15, 1] with nothing else either: the two agree here.
    assert data["binary_ece"] == pytest.approx(expected, rel=1e-12)
