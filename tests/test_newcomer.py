"""What a newcomer tripped on (issue 24): each figure named for what it is, in the value
column, and checked against scikit-learn or SciPy."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

E = "examples/"


def _value_of(table: str, name: str) -> str:
    """The value cell of the grid row that starts with ``name`` (cells are split by runs of
    two or more spaces)."""
    import re

    for line in table.splitlines():
        if line.startswith(name + "  "):
            return re.split(r"\s{2,}", line.strip())
    raise AssertionError(f"no row {name!r} in\n{table}")


# --------------------------------------------------------------------------- item 19


def test_compare_table_puts_each_figure_in_the_value_column(xent_cli):
    from scipy import stats

    a, b = E + "animals.csv", E + "animals-new.csv"
    table = xent_cli("compare", a, b, "-f", "table", env={"COLUMNS": "120"}).stdout
    data = json.loads(xent_cli("compare", a, b, "-f", "json").stdout)
    loss_a, loss_b = (
        [
            json.loads(line)["cross_entropy"]
            for line in xent_cli(
                "compute", "-i", f, "--reduction", "none", "-f", "json"
            ).stdout.splitlines()
        ]
        for f in (a, b)
    )
    t = stats.ttest_rel(loss_b, loss_a).statistic
    name, test, value = _value_of(table, "t statistic")
    assert float(value) == pytest.approx(t, abs=5e-5)
    assert "Diebold-Mariano" in test
    name, test, value = _value_of(table, "p-value")
    assert "two-sided" in test
    assert float(value) == pytest.approx(data["p_value"], rel=0.05)
    # No figure left in the description column.
    for line in table.splitlines()[:8]:
        cells = [c for c in line.strip().split("  ") if c.strip()]
        assert not any("p-value " in c and any(ch.isdigit() for ch in c) for c in cells[1:2])


# --------------------------------------------------------------------------- item 9


@pytest.mark.parametrize("base", ["e", "2"])
def test_js_file_gives_the_mean_distance_and_the_root_of_the_mean(xent_cli, tmp_path, base):
    from scipy.spatial.distance import jensenshannon

    rng = np.random.default_rng(9)
    p = rng.dirichlet(np.ones(4), size=300)
    q = rng.dirichlet(np.ones(4) * 0.3, size=300)
    q[0] = p[0]  # a zero divergence (√ of a rounded −0.0 must be 0)
    head = ",".join([f"p_c{i}" for i in range(4)] + [f"q_c{i}" for i in range(4)])
    body = "\n".join(",".join(map(repr, row)) for row in np.hstack([p, q]).tolist())
    path = tmp_path / "pq.csv"
    path.write_text(head + "\n" + body + "\n")
    scipy_base = math.e if base == "e" else 2.0
    distances = np.array([jensenshannon(a, b, base=scipy_base) for a, b in zip(p, q)])
    data = json.loads(xent_cli("js", "-i", path, "-f", "json", "-b", base).stdout)
    assert data["mean_js_distance"] == pytest.approx(distances.mean(), rel=1e-12)
    assert data["js_distance"] == pytest.approx(math.sqrt((distances**2).mean()), rel=1e-12)
    assert data["mean_js_distance"] < data["js_distance"]  # Jensen's inequality
    table = xent_cli("js", "-i", path, "-f", "table", "-b", base, env={"COLUMNS": "120"}).stdout
    assert float(_value_of(table, "mean JS distance")[1]) == pytest.approx(
        distances.mean(), abs=5e-5
    )
    assert float(_value_of(table, "√ of the mean JS")[1]) == pytest.approx(
        math.sqrt((distances**2).mean()), abs=5e-5
    )
    assert "jensenshannon" in _value_of(table, "mean JS distance")[2]


def test_js_distances_merge_over_parts():
    from scipy.spatial.distance import jensenshannon

    from xent.totals import RowTotals

    rng = np.random.default_rng(3)
    p, q = rng.dirichlet(np.ones(3), size=(2, 101))
    values = np.array([jensenshannon(a, b) ** 2 for a, b in zip(p, q)])
    merged = RowTotals(["a", "b", "c"])
    for part in np.array_split(np.arange(101), 4):
        totals = RowTotals(["a", "b", "c"])
        totals.add(values[part], np.zeros((part.size, 3)), roots=True)
        merged.merge(totals)
    want = np.mean([jensenshannon(a, b) for a, b in zip(p, q)])
    assert merged.root_total.value / merged.rows == pytest.approx(want, rel=1e-12)


# --------------------------------------------------------------------------- item 6


def _write_predictions(path, y, q, classes):
    head = "label," + ",".join(classes)
    body = "\n".join(
        classes[label] + "," + ",".join(map(repr, row)) for label, row in zip(y, q.tolist())
    )
    path.write_text(head + "\n" + body + "\n")


@pytest.fixture
def tied(tmp_path):
    """Predictions with ties for the top probability (a random forest's votes are)."""
    rng = np.random.default_rng(6)
    votes = rng.multinomial(4, [0.4, 0.3, 0.2, 0.1], size=400).astype(float)
    q = (votes + 0.5) / (votes + 0.5).sum(axis=1, keepdims=True)  # no zero: a finite loss
    y = rng.choice(4, size=400, p=[0.4, 0.3, 0.2, 0.1])
    path = tmp_path / "tied.csv"
    _write_predictions(path, y, q, ["a", "b", "c", "d"])
    return path, y, q


def test_the_two_accuracies_on_ties_are_scikit_learns(xent_cli, tied):
    from sklearn.metrics import accuracy_score, top_k_accuracy_score

    path, y, q = tied
    accuracy = accuracy_score(y, q.argmax(axis=1))
    top_1 = top_k_accuracy_score(y, q, k=1, labels=range(4))
    assert accuracy != top_1  # the file's ties break differently in the two
    data = json.loads(xent_cli("compute", "-i", path, "-f", "json").stdout)
    assert data["accuracy"] == pytest.approx(accuracy, rel=1e-12)
    assert data["top_k_accuracy"] == pytest.approx(top_1, rel=1e-12)  # both kept for scripts

    # k = 1: one of them, the accuracy, in the table and the page.
    table = xent_cli("compute", "-i", path, "-f", "table", env={"COLUMNS": "120"}).stdout
    assert _value_of(table, "accuracy (arg-max)")[1] == f"{100 * accuracy:.1f}%"
    assert "top-1" not in table and "top_k_accuracy_score" not in table
    page = path.with_suffix(".html")
    assert xent_cli("report", path, "-o", page).exit_code == 0
    html = page.read_text(encoding="utf-8")
    assert "top-1" not in html and 'data-key="top_k_accuracy"' not in html
    assert f'data-key="accuracy" data-value="{accuracy!r}"' in html


def test_both_accuracies_shown_say_how_each_breaks_ties(xent_cli, tied):
    from sklearn.metrics import accuracy_score, top_k_accuracy_score

    path, y, q = tied
    top_2 = top_k_accuracy_score(y, q, k=2, labels=range(4))
    accuracy = accuracy_score(y, q.argmax(axis=1))
    args = ("compute", "-i", path, "--top-k", "2", "-f", "table")
    table = xent_cli(*args, env={"COLUMNS": "120"}).stdout
    assert _value_of(table, "accuracy (arg-max)")[1] == f"{100 * accuracy:.1f}%"
    assert _value_of(table, "top-2 accuracy")[1] == f"{100 * top_2:.1f}%"
    flat = " ".join(table.split())
    assert "accuracy_score" in flat and "top_k_accuracy_score" in flat
    page = path.with_suffix(".html")
    assert xent_cli("report", path, "--top-k", "2", "-o", page).exit_code == 0
    html = page.read_text(encoding="utf-8")
    assert f'data-key="top_k_accuracy" data-value="{top_2!r}"' in html
    assert "accuracy_score" in html and "top_k_accuracy_score" in html


# --------------------------------------------------------------------------- item 7


def _calibration_file(path, sharpen: float):
    rng = np.random.default_rng(7)
    q = rng.dirichlet(np.ones(4) * 2, size=5000)
    y = np.array([rng.choice(4, p=row) for row in q])
    q = q**sharpen
    q /= q.sum(axis=1, keepdims=True)
    _write_predictions(path, y, q, ["a", "b", "c", "d"])


@pytest.mark.parametrize("sharpen, shown", [(1.0, True), (3.0, False)])
def test_the_equal_mass_ece_bound_is_a_bound_shown_when_it_matters(
    xent_cli, tmp_path, sharpen, shown
):
    from xent.render.numbers import number

    path = tmp_path / "p.csv"
    _calibration_file(path, sharpen)
    data = json.loads(xent_cli("compute", "-i", path, "-f", "json").stdout)
    value, bound = data["adaptive_ece"], data["adaptive_ece_bound"]  # the key is kept
    assert (bound >= value / 10) == shown
    table = xent_cli("compute", "-i", path, "-f", "table", env={"COLUMNS": "120"}).stdout
    row = _value_of(table, "equal-mass ECE")
    assert row[1] == number(value, 4)
    assert "±" not in table
    text = f"worst-case error ≤ {number(bound, 2)}"
    assert (text in row[2]) == shown
    page = path.with_suffix(".html")
    assert xent_cli("report", path, "-o", page).exit_code == 0
    assert (text in page.read_text(encoding="utf-8")) == shown


# --------------------------------------------------------------------------- item 20


def test_the_page_says_what_infinite_losses_do(xent_cli, tmp_path):
    from sklearn.metrics import log_loss

    rng = np.random.default_rng(20)
    q = rng.dirichlet(np.ones(3), size=300)
    y = rng.choice(3, size=300)
    q[:40] = np.eye(3)[y[:40]] * 0.97 + 0.01  # a tall first bin
    zero = [50, 60, 70]
    for row in zero:  # probability 0 for the label: an infinite loss
        q[row] = 0.5
        q[row, y[row]] = 0.0
    path = tmp_path / "inf.csv"
    _write_predictions(path, y, q, ["a", "b", "c"])
    page = tmp_path / "inf.html"
    assert xent_cli("report", path, "--ci", "0.9", "--bootstrap", "30", "-o", page).exit_code == 0
    html = page.read_text(encoding="utf-8")
    assert "∞ – ∞" not in html and ">nan<" not in html and "nan%" not in html
    assert "no 90% interval: 3 rows give the label probability 0" in html
    infinite_classes = sorted({"abc"[y[r]] for r in zero})
    assert "No shares of the loss: the summed loss is infinite" in html
    assert (
        f"{'classes' if len(infinite_classes) > 1 else 'class'} {', '.join(infinite_classes)}"
        in html
    )
    assert "3 of them infinite" in html
    # The finite rows' mean, as scikit-learn has it, is still the histogram's subject.
    finite = np.setdiff1d(np.arange(300), zero)
    assert log_loss(y[finite], q[finite], labels=range(3)) < 2


def test_a_dominant_first_bin_goes_on_a_log_scale(xent_cli, tmp_path):
    import re

    rng = np.random.default_rng(21)
    q = rng.dirichlet(np.ones(3), size=400)
    y = rng.choice(3, size=400)
    q[:350] = np.eye(3)[y[:350]] * 0.997 + 0.001
    path = tmp_path / "tall.csv"
    _write_predictions(path, y, q, ["a", "b", "c"])
    page = tmp_path / "tall.html"
    assert xent_cli("report", path, "-o", page).exit_code == 0
    html = page.read_text(encoding="utf-8")
    assert "rows (log scale)" in html and "on a log scale" in html
    # The bars' counts add up to the rows (none lost to the scale).
    bars = re.findall(r'class="bar"[^>]*height="([\d.]+)"[^>]*><title>[^<]*: ([\d,]+) rows', html)
    counts = [int(c.replace(",", "")) for _, c in bars]
    assert 0.99 * 400 <= sum(counts) <= 400
    # Each bar's height is log(1 + rows), the tallest the plot's height (268 px).
    tallest = max(counts)
    for height, count in zip((float(h) for h, _ in bars), counts):
        assert height == pytest.approx(268 * math.log1p(count) / math.log1p(tallest), abs=0.01)
    # Without a dominant bin, the scale stays linear.
    q2 = rng.dirichlet(np.ones(3), size=400)
    _write_predictions(path, y, q2, ["a", "b", "c"])
    assert xent_cli("report", path, "-o", page).exit_code == 0
    assert "log scale" not in page.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- item 17

FIGURES = [
    "mean cross-entropy",
    "sum",
    "standard deviation",
    "min / max",
    "perplexity",
    "accuracy (arg-max)",
    "Brier score",
    "calibration error",
    "max calibration error",
    "RMS calibration error",
    "equal-mass ECE",
    "classwise ECE",
    "base rate H(labels)",
    "pseudo-R² (McFadden)",
    "information gain",
]


@pytest.mark.parametrize("columns", [40, 50, 60, 72, 120])
def test_a_narrow_terminal_keeps_a_name_and_its_value_on_a_line(xent_cli, tied, columns):
    from sklearn.metrics import accuracy_score, log_loss

    from xent.render.numbers import number

    path, y, q = tied
    table = xent_cli("compute", "-i", path, "-f", "table", env={"COLUMNS": str(columns)}).stdout
    lines = table.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= columns
    for name in FIGURES:  # each figure on its name's line, never stacked below it
        assert _value_of(table, name)[1]
    assert _value_of(table, "mean cross-entropy")[1] == number(log_loss(y, q), 4)
    assert _value_of(table, "accuracy (arg-max)")[1] == (
        f"{100 * accuracy_score(y, q.argmax(axis=1)):.1f}%"
    )
    first = next(i for i, line in enumerate(lines) if line.startswith(FIGURES[0]))
    last = next(i for i, line in enumerate(lines) if line.startswith(FIGURES[-1]))
    grid = lines[first : last + 1]
    if columns >= 60:  # the notes too, wrapped where they must be
        assert "nats" in _value_of(table, "mean cross-entropy")
        assert len(grid) <= len(FIGURES) + 2
    else:  # a name and its value: one line per figure
        assert len(grid) == len(FIGURES)


# --------------------------------------------------------------------------- item 18

ZH = ["explain", "--labels", "dog", "--pred", "0.4,0.3,0.05,0.05,0.2", "--lang", "zh"]


def test_chinese_wraps_by_display_width():
    from xent.render.explain_steps import cells, wrap_cjk
    from xent.render.explain_text import TEXT

    for text in TEXT["zh"].values():
        for width in (20, 33, 60, 80):
            lines = wrap_cjk(text, width, "   ")
            longest_unit = max(cells(u) for u in wrap_cjk(text, 1))
            assert all(cells(line) <= max(width, longest_unit + 3) for line in lines)
            # Nothing lost or added: the breaks fall at spaces or between characters.
            assert "".join(line[3:] for line in lines).replace(" ", "") == text.replace(" ", "")
            assert not any(line[3:4] in "，。、；：！？）,.;:!?)" for line in lines[1:])


@pytest.mark.parametrize("columns", [50, 60, 100])
def test_chinese_explain_fits_the_terminal_and_notes_in_chinese(xent_cli, columns):
    from xent.render.explain_steps import cells

    table = xent_cli(*ZH, "-f", "table", env={"COLUMNS": str(columns)}).stdout
    assert all(cells(line.rstrip()) <= columns for line in table.splitlines())
    note = "类别:文章中的 dog、fox、horse、eagle、squirrel(见 --classes)"
    assert note.replace(" ", "") in "".join(table.split())
    assert "the article's" not in table
    plain = xent_cli(*ZH, "-f", "plain").stdout
    assert all(cells(line) <= 80 for line in plain.splitlines())
    assert "类别:文章中的" in plain and "the article's" not in plain
    english = xent_cli(*ZH[:-2], "-f", "plain").stdout
    assert "classes: the article's dog, fox, horse, eagle, squirrel" in english


# --------------------------------------------------------------------------- item 14


@pytest.fixture
def frame():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(14)
    q = rng.dirichlet(np.ones(3), size=250)
    y = rng.choice(3, size=250)
    df = pd.DataFrame(q, columns=["cat", "dog", "fox"])
    df.insert(0, "label", np.array(["cat", "dog", "fox"])[y])
    df["w"] = rng.uniform(0.5, 2.0, size=250)
    df["fold"] = 0
    return df, y, q


def test_score_frame_is_scikit_learns_log_loss(frame):
    from sklearn.metrics import accuracy_score, log_loss

    import xent
    from xent.results import Summary

    df, y, q = frame
    summary = xent.score_frame(df, label="label", ignore_columns=["w", "fold"])
    assert isinstance(summary, Summary)
    assert summary.rows == 250 and summary.classes == ["cat", "dog", "fox"]
    assert summary.mean == pytest.approx(log_loss(y, q, labels=range(3)), rel=1e-12)
    assert summary.accuracy == pytest.approx(accuracy_score(y, q.argmax(axis=1)), rel=1e-12)
    # Multiclass Brier: Σ over classes (xent's convention, 0 to 2), per row, averaged.
    brier = np.mean([((q[i] - np.eye(3)[y[i]]) ** 2).sum() for i in range(250)])
    assert summary.metrics.brier_score == pytest.approx(brier, rel=1e-12)
    weighted = xent.score_frame(df, sample_weights="w", columns=["cat", "dog", "fox"])
    want = log_loss(y, q, labels=range(3), sample_weight=df["w"].to_numpy())
    assert weighted.mean == pytest.approx(want, rel=1e-12)


def test_score_frame_gives_the_files_summary(frame, tmp_path, xent_cli):
    import xent
    from xent.render.summary_output import summary_to_dict

    df, y, q = frame
    path = tmp_path / "frame.csv"
    df.drop(columns=["w", "fold"]).to_csv(path, index=False)
    options = xent.ScoreOptions(worst=3, top_k=2)
    from_frame = summary_to_dict(
        xent.score_frame(df, ignore_columns=["w", "fold"], options=options)
    )
    from_file = summary_to_dict(xent.score_file(str(path), options))
    for data in (from_frame, from_file):
        data.pop("source")
        data.pop("skipped")  # numbered by row (a frame) or by line (a file)
        for w in data["worst"]:
            w.pop("line")
    assert from_frame == from_file
    cli = json.loads(xent_cli("compute", "-i", path, "-f", "json").stdout)
    assert xent.score_frame(df, ignore_columns=["w", "fold"]).mean == cli["mean"]


def test_score_frame_binary_integer_labels_and_logits():
    pd = pytest.importorskip("pandas")
    from scipy.special import log_softmax
    from sklearn.metrics import log_loss

    import xent

    rng = np.random.default_rng(15)
    p = rng.uniform(0.01, 0.99, size=80)
    y = (rng.uniform(size=80) < p).astype(int)
    summary = xent.score_frame(pd.DataFrame({"y": y, "p1": p}), label="y")
    assert summary.task == "binary"
    assert summary.mean == pytest.approx(log_loss(y, p), rel=1e-12)
    z = rng.normal(size=(80, 4))
    labels = rng.choice(4, size=80)
    df = pd.DataFrame(z, columns=list("abcd"))
    df["label"] = labels
    summary = xent.score_frame(df, options=xent.ScoreOptions(logits=True))
    want = -log_softmax(z, axis=1)[np.arange(80), labels].mean()
    assert summary.mean == pytest.approx(want, rel=1e-12)


def test_score_frame_names_the_row_and_column_of_bad_values(frame):
    import xent
    from xent.errors import DataError, UsageError

    df, *_ = frame
    df = df.drop(columns=["w", "fold"])
    df.loc[4, "dog"] = np.nan
    with pytest.raises(DataError, match="row 5: no value in dog"):
        xent.score_frame(df)
    skipped = xent.score_frame(df, options=xent.ScoreOptions(skip_bad_rows=True))
    assert skipped.rows == 249 and skipped.skipped == 1
    df.loc[4, "dog"] = 0.3
    df.loc[7, "label"] = "wolf"
    with pytest.raises(DataError, match="row 8"):
        xent.score_frame(df)
    with pytest.raises(DataError, match="no column 'y'"):
        xent.score_frame(df, label="y")
    with pytest.raises(UsageError, match="pandas DataFrame"):
        xent.score_frame({"label": [0]})


def test_pandas_is_never_imported_at_start_up():
    import subprocess
    import sys

    code = "import sys, xent, xent.cli; xent.score_rows; print('pandas' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


def test_score_frame_docstring_runs():
    import doctest

    import xent.frames

    pytest.importorskip("pandas")
    assert doctest.testmod(xent.frames).failed == 0
