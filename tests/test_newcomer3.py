"""Issue 24, items 1 and 8: a metadata column that silently becomes a class, and
calibration over alternative predictions. Files are written by pandas in the test, and
the numbers checked against scikit-learn."""

from __future__ import annotations

import json

import numpy as np
import pytest

pd = pytest.importorskip("pandas")

CLASSES = ["class_0", "class_1", "class_2"]


def _frame(n: int = 40, seed: int = 0):
    rng = np.random.default_rng(seed)
    q = rng.dirichlet(np.ones(3), n)
    labels = rng.integers(0, 3, n)
    frame = pd.DataFrame(q, columns=CLASSES)
    frame.insert(0, "label", [CLASSES[i] for i in labels])
    return frame, labels, q


def _write(frame, path, fmt: str) -> str:
    if fmt == "csv":
        frame.to_csv(path, index=False)
    elif fmt == "parquet":
        pytest.importorskip("pyarrow")
        frame.to_parquet(path)
    else:
        frame.to_json(path, double_precision=15)
    return str(path)


FORMATS = ["csv", "parquet", "json"]


# --------------------------------------------------------------------------- item 1 (a)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_column_of_zeros_that_is_never_a_label_is_named(xent_cli, tmp_path, fmt):
    from sklearn.metrics import log_loss

    frame, labels, q = _frame()
    frame["fold"] = 0
    path = _write(frame, tmp_path / f"wine.{fmt}", fmt)
    result = xent_cli("compute", "-i", path, "-f", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    note = (
        "column 'fold' is 0 in every row and never the label: if it is not a class (an id, "
        "a fold), leave it out with --ignore-columns fold"
    )
    assert data["classes"] == [*CLASSES, "fold"]
    assert note in data["notes"]
    assert result.stderr == f"xent: warning: {path}: {note}\n"
    # The option it names drops it: three classes, scikit-learn's log loss, no note.
    result = xent_cli("compute", "-i", path, "--ignore-columns", "fold", "-f", "json")
    data = json.loads(result.stdout)
    assert data["classes"] == CLASSES
    assert data["cross_entropy"] == pytest.approx(log_loss(labels, q), rel=1e-12)
    assert not any("fold" in n for n in data["notes"]) and result.stderr == ""
    # The table shows the note (and stderr stays quiet).
    table = xent_cli("compute", "-i", path, "-f", "table", env={"COLUMNS": "200"})
    assert note in table.stdout and table.stderr == ""


def test_zero_columns_across_chunks_and_what_is_not_named(xent_cli, tmp_path, monkeypatch):
    """A column 0 in the first chunks but not in a later one, a class that is sometimes
    the label though always 0, and logits, are not named; two columns are, together."""
    monkeypatch.setattr("xent.readers.csv_rows.CHUNK_BYTES", 64)  # many chunks
    frame, labels, q = _frame()
    frame["late"] = 0.0
    frame.loc[len(frame) - 1, ["class_0", "class_1", "class_2", "late"]] = [0.2, 0.2, 0.1, 0.5]
    frame["zero_label"] = 0.0
    frame.loc[0, "label"] = "zero_label"
    frame["extra"] = 0
    frame["more"] = 0
    path = _write(frame, tmp_path / "chunks.csv", "csv")
    data = json.loads(xent_cli("compute", "-i", path, "-f", "json").stdout)
    named = [n for n in data["notes"] if "0 in every row" in n]
    assert named == [
        "columns 'extra', 'more' are 0 in every row and never the label: if they are not "
        "classes (ids, folds), leave them out with --ignore-columns extra,more"
    ]
    logits = xent_cli("compute", "-i", path, "--from-logits", "-f", "json")
    assert not any("0 in every row" in n for n in json.loads(logits.stdout)["notes"])


def test_zero_column_note_quotes_names_for_the_option(xent_cli, tmp_path):
    frame, _, _ = _frame()
    frame["a,b"] = 0
    path = _write(frame, tmp_path / "quoted.csv", "csv")
    data = json.loads(xent_cli("compute", "-i", path, "-f", "json").stdout)
    assert data["notes"][-1].endswith("--ignore-columns '\"a,b\"'")
    again = xent_cli("compute", "-i", path, "--ignore-columns", '"a,b"', "-f", "json")
    assert json.loads(again.stdout)["classes"] == CLASSES


# --------------------------------------------------------------------------- item 1 (b)


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_id_column_is_named_where_the_row_fails(xent_cli, tmp_path, fmt):
    from sklearn.metrics import log_loss

    frame, labels, q = _frame()
    frame.insert(0, "id", range(len(frame)))  # row 1 passes: its id is 0
    path = _write(frame, tmp_path / f"ids.{fmt}", fmt)
    result = xent_cli("compute", "-i", path)
    assert result.exit_code == 1
    where = f"{path}:3" if fmt == "csv" else f"{path}: row 2"
    row = ", ".join(f"{v:.6g}" for v in [1, *q[1]])
    assert result.stderr == (
        f"xent: {where}: prediction sums to 2, not 1 (tolerance 4e-06): [{row}]; column "
        "'id' holds 1: if it is not a class, --ignore-columns id leaves it out\n"
    )
    result = xent_cli("compute", "-i", path, "--ignore-columns", "id", "-f", "plain")
    assert float(result.stdout) == pytest.approx(log_loss(labels, q), rel=1e-12)


def test_a_column_outside_the_unit_interval_is_named(xent_cli, tmp_path):
    frame, _, q = _frame()
    frame["score"] = 3.5 + np.arange(len(frame))  # a model's raw score, say
    path = _write(frame, tmp_path / "score.csv", "csv")
    result = xent_cli("compute", "-i", path)
    assert result.exit_code == 1
    assert result.stderr.endswith(
        "; column 'score' holds 3.5: if it is not a class, --ignore-columns score leaves it out\n"
    )
    assert "outside [0, 1]" in result.stderr and f"{path}:2:" in result.stderr


def test_a_real_misfit_is_not_blamed_on_a_column(xent_cli, tmp_path):
    """A row that sums to 1.3 (no whole number), or whose sum more than one column
    explains, keeps the --renormalize hint."""
    path = tmp_path / "misfit.csv"
    for rows in ("a,0.5,0.5,0.3", "a,0,1,1"):
        path.write_text(f"label,a,b,id\n{rows}\n")
        result = xent_cli("compute", "-i", path)
        assert result.exit_code == 1
        assert result.stderr.endswith("(--renormalize divides by the sum)\n"), result.stderr


# --------------------------------------------------------------------------- item 16


def test_compute_help_is_a_screen_or_two(xent_cli):
    """Issue 24, item 16: at 100 columns, one line per option (230 lines before), every
    option and panel still there, and the details in the command reference."""
    shown = xent_cli("compute", "--help", env={"COLUMNS": "100"}).stdout
    lines = shown.splitlines()
    wrapped = [line for line in lines if line.startswith("│  ") and "[FILES]" not in line]
    assert not wrapped, (
        "an option's help wraps: keep it to one short line (about 50 characters) and put "
        "the full text in xent/cli/help_details.py (docs/cli.md shows it)",
        wrapped,
    )
    assert len(lines) <= 85, len(lines)
    for panel in ("Input", "Files", "Conventions", "Metrics", "Intervals", "Output"):
        assert f"─ {panel}" in shown
    assert "docs/cli.md" in shown and "[default:" not in shown


def test_short_help_has_its_full_text_in_the_reference():
    import typer

    from xent.cli import app
    from xent.cli.help_details import DETAILS

    group = typer.main.get_command(app)
    ctx = group.context_class(group, info_name="xent")
    helps = set()
    for name in group.list_commands(ctx):
        helps |= {p.help for p in group.get_command(ctx, name).params if p.help}
    assert set(DETAILS) <= helps  # no stale entry
    with open("docs/cli.md", encoding="utf-8") as page:
        reference = page.read()
    assert "Score the files on a Dask cluster: a scheduler's address (tcp://host:8786)" in reference
    assert "(with --weights, Σ s·loss / Σ s·w\\[label\\])" in reference
