"""``xent compare`` against a direct numpy computation; ``--group-by`` and
``--sequence-column`` against pandas-free numpy group sums; the readers' kept columns."""

import json
import math

import numpy as np
import pytest

from xent.compare import compare_files
from xent.options import ScoreOptions
from xent.readers.files import read_prediction_chunks
from xent.readers.read_options import ReadOptions

CLASSES = ["a", "b", "c"]


def _write(path, labels, q, ids=None, extra=None):
    header = (["id"] if ids is not None else []) + ["label"]
    header += list(extra or {}) + CLASSES
    lines = [",".join(header)]
    for i, (y, row) in enumerate(zip(labels, q.tolist())):
        cells = ([str(ids[i])] if ids is not None else []) + [CLASSES[y]]
        cells += [str(values[i]) for values in (extra or {}).values()]
        cells += [repr(x) for x in row]
        lines.append(",".join(cells))
    path.write_text("\n".join(lines) + "\n")


def _models(rng, n):
    labels = rng.integers(0, 3, n)
    qa = rng.dirichlet([2, 2, 2], n)
    qb = 0.7 * qa + 0.3 * np.eye(3)[labels]  # B is better
    return labels, qa, qb


@pytest.fixture
def pair(tmp_path):
    rng = np.random.default_rng(12)
    labels, qa, qb = _models(rng, 3000)
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    _write(a, labels, qa)
    _write(b, labels, qb)
    return a, b, labels, qa, qb


def _direct(labels, qa, qb):
    n = len(labels)
    la = -np.log(qa[np.arange(n), labels])
    lb = -np.log(qb[np.arange(n), labels])
    d = lb - la
    return la, lb, d, d.std(ddof=1) / math.sqrt(n)


def test_compare_against_numpy(pair, monkeypatch):
    a, b, labels, qa, qb = pair
    monkeypatch.setattr("xent.readers.csv_rows.CHUNK_BYTES", 7000)  # chunks that do not line up
    c = compare_files(str(a), str(b), ScoreOptions(), disagreements=5)
    la, lb, d, se = _direct(labels, qa, qb)
    assert c.rows == 3000
    assert c.a.mean == pytest.approx(la.mean(), rel=1e-12)
    assert c.b.mean == pytest.approx(lb.mean(), rel=1e-12)
    assert c.difference == pytest.approx(d.mean(), rel=1e-9)
    assert c.standard_error == pytest.approx(se, rel=1e-9)
    t = d.mean() / se
    assert c.statistic == pytest.approx(t, rel=1e-9)
    from scipy import stats

    # scipy's paired t-test gives the same statistic and p-value (Student's t, n − 1 df).
    reference = stats.ttest_rel(lb, la)
    assert reference.statistic == pytest.approx(t, rel=1e-9)
    assert c.p_value == pytest.approx(reference.pvalue, rel=1e-8)
    assert c.p_value == pytest.approx(2 * stats.t.sf(abs(t), 2999), rel=1e-8)
    assert c.degrees_of_freedom == 2999
    assert (c.wins_a, c.wins_b, c.ties) == (int((d > 0).sum()), int((d < 0).sum()), 0)
    top = np.argsort(-np.abs(d), kind="stable")[:5]
    assert [r.row for r in c.disagreements] == list(top + 1)
    assert [r.loss_b for r in c.disagreements] == pytest.approx(lb[top])
    for k, (name, rows, mean_a, mean_b, diff) in enumerate(c.per_class):
        mask = labels == k
        assert (name, rows) == (CLASSES[k], mask.sum())
        assert (mean_a, mean_b) == pytest.approx((la[mask].mean(), lb[mask].mean()), rel=1e-12)
        assert diff == pytest.approx(d[mask].mean(), rel=1e-9)


def test_paired_bootstrap_interval(pair):
    a, b, labels, qa, qb = pair
    c = compare_files(str(a), str(b), ScoreOptions(ci=0.95, replicates=300, seed=2))
    la, lb, d, se = _direct(labels, qa, qb)
    lo, hi = c.ci
    assert lo < d.mean() < hi
    # Paired: close to the normal interval of the mean difference.
    assert abs((hi - lo) / 2 - 1.96 * se) < 0.15 * 1.96 * se
    again = compare_files(str(a), str(b), ScoreOptions(ci=0.95, replicates=300, seed=2))
    assert again.ci == c.ci


def test_compare_by_id_matches_shuffled_rows(tmp_path):
    rng = np.random.default_rng(3)
    labels, qa, qb = _models(rng, 200)
    ids = np.arange(200)
    perm = rng.permutation(200)
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    _write(a, labels, qa, ids)
    _write(b, labels[perm], qb[perm], ids[perm])
    c = compare_files(str(a), str(b), ScoreOptions(), id_column="id")
    la, lb, d, se = _direct(labels, qa, qb)
    assert c.difference == pytest.approx(d.mean(), rel=1e-9)
    assert c.standard_error == pytest.approx(se, rel=1e-9)
    assert any("in memory" in note for note in c.notes)


def test_compare_errors_name_file_and_line(xent_cli, tmp_path):
    rng = np.random.default_rng(4)
    labels, qa, qb = _models(rng, 10)
    a, b, short, other = (tmp_path / f"{n}.csv" for n in ("a", "b", "short", "other"))
    _write(a, labels, qa)
    changed = labels.copy()
    changed[6] = (changed[6] + 1) % 3
    _write(b, changed, qb)
    _write(short, labels[:8], qb[:8])
    _write(other, labels, qb[:, [1, 0, 2]])
    result = xent_cli("compare", a, b)
    assert result.exit_code == 1
    assert f"{b}:8: the label differs from {a} line 8" in result.stderr
    result = xent_cli("compare", a, short)
    assert result.exit_code == 1 and f"{a}:10: more rows than {short}" in result.stderr
    other.write_text(other.read_text().replace("label,a,b,c", "label,b,a,c", 1))
    result = xent_cli("compare", a, other)
    assert result.exit_code == 1 and "the classes differ" in result.stderr


def test_compare_by_id_errors(xent_cli, tmp_path):
    rng = np.random.default_rng(5)
    labels, qa, qb = _models(rng, 4)
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    _write(a, labels, qa, [1, 2, 3, 4])
    _write(b, labels, qb, [1, 2, 3, 9])
    result = xent_cli("compare", a, b, "--id", "id")
    assert result.exit_code == 1 and f"{a}:5: id '4' is not in {b}" in result.stderr
    _write(b, labels, qb, [1, 2, 2, 4])
    result = xent_cli("compare", a, b, "--id", "id")
    assert result.exit_code == 1 and "appears twice" in result.stderr


def test_fail_if_worse_gate(xent_cli, pair):
    a, b, *_ = pair
    # B is better than A: no gate; A against B (A is worse) fails, alone or with a margin.
    assert xent_cli("compare", a, b, "--fail-if-worse", "-f", "plain").exit_code == 0
    worse = xent_cli("compare", b, a, "--fail-if-worse", "-f", "json")
    assert worse.exit_code == 3
    data = json.loads(worse.stdout)  # the whole output first
    assert data["difference"] > 0 and "gate failed" in worse.stderr
    margin = data["difference"] + 0.01
    assert xent_cli("compare", b, a, "--fail-if-worse", margin).exit_code == 0
    assert xent_cli("compare", "--fail-if-worse", b, a).exit_code == 3


def test_compare_formats(xent_cli, pair):
    a, b, *_ = pair
    plain = xent_cli("compare", a, b, "-f", "plain")
    data = json.loads(xent_cli("compare", a, b, "-f", "json", "--ci", "0.9").stdout)
    assert float(plain.stdout) == data["difference"]
    assert data["ci"]["level"] == 0.9 and len(data["ci"]["difference"]) == 2
    assert set(data["wins"]) == {"a", "b", "ties"}
    rows = xent_cli("compare", a, b, "-f", "csv").stdout.splitlines()
    assert rows[0].startswith("class,rows,mean_a,mean_b,difference")
    assert all(len(r.split(",")) == len(rows[0].split(",")) for r in rows)
    table = xent_cli("compare", a, b, "-f", "table").stdout
    assert "Diebold-Mariano" in table and "where they disagree most" in table


# --------------------------------------------------------------------------- groups


def test_kept_columns_in_every_path(tmp_path, reader):
    path = tmp_path / "g.csv"
    path.write_text('label,lang,a,b\na,en,0.9,0.1\nb,"fr",0.2,0.8\nb,de,0.3,0.7\n')
    chunks = list(read_prediction_chunks(str(path), ReadOptions(keep_columns=("lang",))))
    assert chunks[0].classes == ["a", "b"]  # the kept column is not a class
    assert [t for c in chunks for t in c.columns["lang"]] == ["en", "fr", "de"]
    clean = tmp_path / "clean.csv"
    clean.write_text("label,lang,a,b\na,en,0.9,0.1\nb,fr,0.2,0.8\nx,de,0.3,0.7\n")
    skip = ReadOptions(keep_columns=("lang",), on_error="skip")
    chunks = list(read_prediction_chunks(str(clean), skip))
    assert [t for c in chunks for t in c.columns["lang"]] == ["en", "fr"]


@pytest.mark.parametrize("ending", ["\n", "\r\n"])
@pytest.mark.parametrize("delimiter", [",", "\t"])
def test_kept_columns_first_middle_and_last(tmp_path, reader, ending, delimiter):
    """Each kept column's text per row, wherever it stands (first, between the classes,
    last), several at once, CRLF or not, CSV or TSV."""
    rows = [["en", "a", "0.9", "s1", "0.1", "x"], ["fr", "b", "0.2", "s1", "0.8", "y"]]
    rows += [["de", "b", "0.3", "s2", "0.7", "z"]] * 3
    header = ["lang", "label", "a", "seq", "b", "tail"]
    lines = [delimiter.join(r) for r in [header, *rows]]
    path = tmp_path / ("g.tsv" if delimiter == "\t" else "g.csv")
    path.write_bytes(ending.join(lines).encode() + ending.encode())
    options = ReadOptions(keep_columns=("lang", "seq", "tail"))
    chunks = list(read_prediction_chunks(str(path), options))
    assert chunks[0].classes == ["a", "b"]
    for name, j in (("lang", 0), ("seq", 3), ("tail", 5)):
        assert [t for c in chunks for t in c.columns[name]] == [r[j] for r in rows]


def test_group_by_against_numpy(xent_cli, tmp_path, monkeypatch):
    rng = np.random.default_rng(7)
    n = 2000
    labels, qa, _ = _models(rng, n)
    langs = rng.choice(["en", "fr", "de", "zh"], n)
    path = tmp_path / "g.csv"
    _write(path, labels, qa, extra={"lang": langs})
    monkeypatch.setattr("xent.readers.csv_rows.CHUNK_BYTES", 5000)
    result = xent_cli("compute", "-i", path, "--group-by", "lang", "-f", "json", "--ci", "0.9")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    losses = -np.log(qa[np.arange(n), labels])
    means = [g["mean_cross_entropy"] for g in data["groups"]]
    assert means == sorted(means, reverse=True)
    assert data["group_by"] == "lang"
    for g in data["groups"]:
        mask = langs == g["group"]
        assert g["rows"] == mask.sum()
        assert g["mean_cross_entropy"] == pytest.approx(losses[mask].mean(), rel=1e-12)
        assert g["perplexity"] == pytest.approx(math.exp(losses[mask].mean()), rel=1e-12)
        hits = qa[mask].argmax(1) == labels[mask]
        assert g["accuracy"] == pytest.approx(hits.mean(), rel=1e-12)
        lo, hi = g["ci"]["mean_cross_entropy"]
        assert lo < g["mean_cross_entropy"] < hi
        p = np.bincount(labels[mask], minlength=3) / mask.sum()
        base = -(p[p > 0] * np.log(p[p > 0])).sum()
        assert g["skill"]["base_rate_entropy"] == pytest.approx(base, rel=1e-12)
    csv_rows = xent_cli("compute", "-i", path, "--group-by", "lang", "-f", "csv").stdout
    assert csv_rows.splitlines()[0].startswith("group,rows,mean_cross_entropy,perplexity")
    assert csv_rows.splitlines()[-1].startswith("(all),2000,")


def test_sequences_corpus_and_mean_perplexity(xent_cli, tmp_path):
    rng = np.random.default_rng(8)
    n = 600
    labels, qa, _ = _models(rng, n)
    seq = np.sort(rng.integers(0, 40, n))
    path = tmp_path / "tokens.csv"
    _write(path, labels, qa, extra={"seq": seq})
    result = xent_cli("compute", "-i", path, "--sequence-column", "seq", "-f", "json")
    assert result.exit_code == 0, result.stderr
    s = json.loads(result.stdout)["sequences"]
    losses = -np.log(qa[np.arange(n), labels])
    ids = np.unique(seq)
    per_seq = [math.exp(losses[seq == i].mean()) for i in ids]
    assert s["sequences"] == len(ids) and s["tokens"] == n
    assert s["corpus_perplexity"] == pytest.approx(math.exp(losses.mean()), rel=1e-12)
    assert s["mean_sequence_perplexity"] == pytest.approx(np.mean(per_seq), rel=1e-12)
    table = xent_cli("compute", "-i", path, "--sequence-column", "seq", "-f", "table").stdout
    assert "corpus perplexity" in table and "mean per-sequence perplexity" in table


def test_group_by_needs_a_csv_column(xent_cli, tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("label,a,b\na,0.9,0.1\n")
    result = xent_cli("compute", "-i", path, "--group-by", "lang")
    assert result.exit_code == 1 and "no 'lang' column" in result.stderr
    jsonl = tmp_path / "g.jsonl"
    jsonl.write_text('{"label": "a", "pred": [0.9, 0.1]}\n')
    result = xent_cli("compute", "-i", jsonl, "--group-by", "lang")
    assert result.exit_code == 2 and "CSV or TSV" in result.stderr
    vectors = xent_cli("compute", "-l", "dog", "-p", "0.4,0.3,0.05,0.05,0.2", "--group-by", "x")
    assert vectors.exit_code == 2


def test_many_groups_keep_no_calibration_histograms(tmp_path):
    """A group shows its loss, accuracy, skill and intervals, not the calibration metrics,
    so its totals keep none of their histograms: 3,000 groups took 4.7 GB when each held
    a 1.5 MB fine histogram. The run's own metrics are unchanged (checked by hand)."""
    import tracemalloc

    from xent import score_file

    rng = np.random.default_rng(9)
    n = 2000
    labels, qa, _ = _models(rng, n)
    users = np.array([f"u{i}" for i in range(1000)])[rng.integers(0, 1000, n)]
    path = tmp_path / "users.csv"
    _write(path, labels, qa, extra={"user": users})
    tracemalloc.start()
    try:
        summary = score_file(str(path), group_by="user")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 100 * 2**20  # 1,000 histograms of 1.5 MB would be 1.5 GB
    assert len(summary.groups) == len(set(users))
    for name, group in summary.groups:
        mask = users == name
        assert group.rows == mask.sum()
        assert group.accuracy == pytest.approx((qa[mask].argmax(1) == labels[mask]).mean())
        assert group.metrics is None  # no top-k, Brier or ECE a group
    brier = ((qa - np.eye(3)[labels]) ** 2).sum(axis=1).mean()
    assert summary.metrics.brier_score == pytest.approx(brier, rel=1e-12)


def test_a_groups_rows_are_every_field_of_those_rows():
    """groups.subset builds the rows field by field (``_replace`` was slow): every field
    of ScoredRows is taken at the rows, cleared where a group has none of its own, or kept
    whole where it is the chunk's (the weights' exponent: accumulators.scaling)."""
    from xent.accumulators.groups import subset
    from xent.scorer import ScoredRows

    n = 6
    arrays = {name: np.arange(n) * (i + 1) for i, name in enumerate(ScoredRows._fields)}
    chunk_wide = {"skipped": ["an error"], "ignored": 2, "detail": "d", "weight_exponent": -7}
    scored = ScoredRows(**{**arrays, **chunk_wide})
    rows = np.array([1, 4])
    picked = subset(scored, rows)
    # zero_columns is per class, not per row: a group does not say (its totals' note is
    # the whole file's).
    cleared = {"skipped": [], "ignored": 0, "detail": None, "zero_columns": None}
    for name in ScoredRows._fields:
        if name == "weight_exponent":
            assert picked.weight_exponent == -7
        elif name in cleared:
            assert getattr(picked, name) == cleared[name], name
        else:
            np.testing.assert_array_equal(getattr(picked, name), arrays[name][rows], name)


def test_too_many_groups_across_files_names_the_file_of_the_group(xent_cli, tmp_path, monkeypatch):
    """Groups merge file by file: the group beyond the limit is named by its own file."""
    from xent.accumulators import groups

    monkeypatch.setattr(groups, "MAX_GROUPS", 5)
    first, second = tmp_path / "1.csv", tmp_path / "2.csv"
    first.write_text("label,a,b,c,g\n" + "".join(f"a,0.5,0.25,0.25,x{i}\n" for i in range(4)))
    second.write_text("label,a,b,c,g\n" + "".join(f"b,0.5,0.25,0.25,y{i}\n" for i in range(4)))
    result = xent_cli("compute", "--file", first, "--file", second, "--group-by", "g")
    assert result.exit_code == 1
    # x0-x3 and y0 make five; y1, on line 3 of the second file, is the sixth.
    assert result.stderr.startswith(f"xent: {second}:3: more than 5 distinct values")


def test_compare_and_group_errors_name_parameters_and_the_cli_spells_flags(xent_cli, tmp_path):
    """The library's errors name parameters (on_error, id_column); the command line's
    spell them as flags, as before (group_by: test_too_many_groups_* above)."""
    from xent.errors import DataError, UsageError

    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("label,x,y\nx,0.9,0.1\ny,0.2,0.8\n")
    b.write_text("label,x,y\nx,0.6,0.4\nx,0.3,0.7\n")
    with pytest.raises(UsageError) as caught:
        compare_files(str(a), str(a), read=ReadOptions(on_error="skip"))
    assert "on_error='skip' would misalign them" in str(caught.value)  # (no such flag)
    with pytest.raises(DataError) as caught:
        compare_files(str(a), str(b))
    assert str(caught.value).endswith("(or match them with id_column)")
    result = xent_cli("compare", a, b)
    assert result.stderr.rstrip().endswith("(or match them with --id COLUMN)")


@pytest.mark.parametrize("df", [1, 2, 3, 5, 11, 30, 71, 100, 999, 10**4, 10**5, 10**6])
def test_student_t_p_value_against_scipy(df):
    """The incomplete-beta t tail (no SciPy at run time) against scipy.stats.t.sf."""
    from scipy import stats

    from xent.accumulators.paired import incomplete_beta, two_sided_t

    for t in [0.0, 1e-6, 1e-3, 0.1, 0.5, 1.0, 1.5, 2.0, 3.0, 3.88, 4.5, 6.0, 10.0, 30.0, 1e3]:
        reference = 2 * stats.t.sf(t, df)
        assert two_sided_t(t, df) == pytest.approx(reference, rel=1e-8, abs=1e-300), (t, df)
        assert two_sided_t(-t, df) == two_sided_t(t, df)
    for x in [1e-9, 0.01, 0.3, 0.5, 0.9, 0.999]:
        a = df / 2
        assert incomplete_beta(a, 0.5, x, 1 - x) == pytest.approx(
            stats.beta.cdf(x, a, 0.5), rel=1e-8, abs=1e-300
        )
    assert two_sided_t(math.inf, df) == 0.0
    assert math.isnan(two_sided_t(math.nan, df))


def test_student_t_p_value_on_the_cli(tmp_path):
    """compare -f json: the p-value and degrees of freedom of scipy.stats.ttest_rel."""
    import subprocess
    import sys

    from scipy import stats

    a, b = "examples/animals.csv", "examples/animals-new.csv"
    out = subprocess.run(
        [sys.executable, "-m", "xent", "compare", a, b, "-f", "json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    data = json.loads(out)
    losses = []
    for path in (a, b):
        rows = [line.split(",") for line in open(path).read().splitlines()]
        header, body = rows[0], rows[1:]
        label = header.index("label")
        losses.append(np.array([-math.log(float(r[header.index(r[label])])) for r in body]))
    reference = stats.ttest_rel(losses[1], losses[0])
    assert data["degrees_of_freedom"] == reference.df == 11
    assert data["p_value"] == pytest.approx(reference.pvalue, rel=1e-9)
    assert "Student's t" in data["test"]
