"""Undefined statistics say so the same way in every renderer (issue 23, item 3).

A statistic of a degenerate spread has no value: one row (no standard error, statistic,
p-value or interval), or rows whose differences are all the same (standard error 0: the
statistic is ±inf for a non-zero difference, undefined for 0, and there is no p-value).
JSON writes null with a note, CSV an empty cell, a table ``undefined (why)``, and plain
output prints only numbers that exist (the reason on stderr where a number is missing).
No renderer prints ``nan`` for them, and no p-value is ever 0 from a degenerate variance.
"""

from __future__ import annotations

import csv
import io
import json
import math

import pytest

ONE_A, ONE_B = ["a,0.7,0.3"], ["a,0.9,0.1"]
CONSTANT_A, CONSTANT_B = ["a,0.7,0.3", "b,0.3,0.7"] * 3, ["a,0.9,0.1", "b,0.1,0.9"] * 3
DIFFERENCE = math.log(0.7) - math.log(0.9)  # B − A, per row: B is better


def pair(tmp_path, a_rows, b_rows):
    a, b = tmp_path / "A.csv", tmp_path / "B.csv"
    a.write_text("id,label,a,b\n" + "".join(f"{i},{r}\n" for i, r in enumerate(a_rows)))
    b.write_text("id,label,a,b\n" + "".join(f"{i},{r}\n" for i, r in enumerate(b_rows)))
    return str(a), str(b)


def compare(xent_cli, tmp_path, a_rows, b_rows, fmt, *extra):
    a, b = pair(tmp_path, a_rows, b_rows)
    result = xent_cli("compare", a, b, "--id", "id", "-f", fmt, *extra, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.stdout


def table_cells(text: str, name: str) -> str:
    """The line of the comparison's grid that starts with ``name``."""
    return next(line for line in text.splitlines() if line.startswith(name))


def all_row(text: str) -> dict:
    return next(row for row in csv.DictReader(io.StringIO(text)) if row["class"] == "(all)")


# --------------------------------------------------------------------------- compare, one row


def test_one_row_table_says_undefined(xent_cli, tmp_path):
    out = compare(xent_cli, tmp_path, ONE_A, ONE_B, "table")
    for name in ("standard error", "t statistic", "p-value"):
        assert "undefined (one row)" in table_cells(out, name), out
    assert "nan" not in out.split("class")[0], out  # the grid above the classes
    assert "one row: no standard error" in out


def test_one_row_csv_leaves_the_cells_empty(xent_cli, tmp_path):
    row = all_row(compare(xent_cli, tmp_path, ONE_A, ONE_B, "csv"))
    assert row["standard_error"] == row["statistic"] == row["p_value"] == ""
    assert float(row["difference"]) == pytest.approx(DIFFERENCE, rel=1e-15)


def test_one_row_json_is_null_with_a_note(xent_cli, tmp_path):
    c = json.loads(compare(xent_cli, tmp_path, ONE_A, ONE_B, "json"))
    assert c["standard_error"] is None and c["statistic"] is None and c["p_value"] is None
    assert any(note.startswith("one row:") for note in c["notes"])


def test_one_row_plain_prints_the_difference_which_is_defined(xent_cli, tmp_path):
    out = compare(xent_cli, tmp_path, ONE_A, ONE_B, "plain")
    assert float(out) == pytest.approx(DIFFERENCE, rel=1e-15)
    assert "nan" not in out


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_one_row_gives_no_interval_of_the_difference(xent_cli, tmp_path, fmt):
    # Every replicate of one row is that row: a zero-width interval would claim certainty.
    out = compare(xent_cli, tmp_path, ONE_A, ONE_B, fmt, "--ci", "0.95")
    if fmt == "json":
        c = json.loads(out)
        assert c["ci"] is None
        assert any("no confidence interval" in note for note in c["notes"])
    elif fmt == "csv":
        row = all_row(out)
        assert row["ci_lo"] == row["ci_hi"] == ""
    else:
        assert not any(line.startswith("95% interval") for line in out.splitlines())
        assert "no confidence interval can be given (--ci needs two)" in out


# --------------------------------------------------------------------------- compare, se = 0


@pytest.mark.parametrize("better", ["b", "a"])
def test_constant_difference_in_every_renderer(xent_cli, tmp_path, better):
    a_rows, b_rows = (CONSTANT_A, CONSTANT_B) if better == "b" else (CONSTANT_B, CONSTANT_A)
    infinity = "-inf" if better == "b" else "inf"
    c = json.loads(compare(xent_cli, tmp_path, a_rows, b_rows, "json"))
    assert c["difference"] == pytest.approx(DIFFERENCE if better == "b" else -DIFFERENCE, rel=1e-14)
    assert c["standard_error"] == 0.0 and c["statistic"] == infinity and c["p_value"] is None
    row = all_row(compare(xent_cli, tmp_path, a_rows, b_rows, "csv"))
    assert row["standard_error"] == "0.0" and row["statistic"] == infinity
    assert row["p_value"] == ""  # never 0 from a degenerate variance
    table = compare(xent_cli, tmp_path, a_rows, b_rows, "table")
    assert ("-∞" if better == "b" else "∞") in table_cells(table, "t statistic")
    assert "undefined (se = 0)" in table_cells(table, "p-value")
    assert "every row's difference is the same" in table


def test_zero_difference_everywhere_gives_an_undefined_statistic(xent_cli, tmp_path):
    c = json.loads(compare(xent_cli, tmp_path, CONSTANT_A, CONSTANT_A, "json"))
    assert c["difference"] == 0 and c["standard_error"] == 0
    assert c["statistic"] is None and c["p_value"] is None
    assert any("every row's difference is 0" in note for note in c["notes"])
    row = all_row(compare(xent_cli, tmp_path, CONSTANT_A, CONSTANT_A, "csv"))
    assert row["statistic"] == row["p_value"] == ""
    table = compare(xent_cli, tmp_path, CONSTANT_A, CONSTANT_A, "table")
    assert "undefined (se = 0)" in table_cells(table, "t statistic")
    assert "undefined (se = 0)" in table_cells(table, "p-value")
    assert "nan" not in table.split("class")[0]


def test_a_varying_difference_is_unchanged(xent_cli, tmp_path):
    # The ordinary case keeps its numbers: SciPy's ttest_rel, written out here (t, p).
    a_rows = ["a,0.7,0.3", "a,0.6,0.4", "b,0.2,0.8"]
    b_rows = ["a,0.9,0.1", "a,0.5,0.5", "b,0.4,0.6"]
    c = json.loads(compare(xent_cli, tmp_path, a_rows, b_rows, "json"))
    d = [
        -math.log(0.9) + math.log(0.7),
        -math.log(0.5) + math.log(0.6),
        -math.log(0.6) + math.log(0.8),
    ]
    mean = sum(d) / 3
    se = math.sqrt(sum((x - mean) ** 2 for x in d) / 2 / 3)
    assert c["statistic"] == pytest.approx(mean / se, rel=1e-12)
    assert 0 < c["p_value"] < 1
    table = compare(xent_cli, tmp_path, a_rows, b_rows, "table")
    assert "undefined" not in table


# --------------------------------------------------------------------------- compute


def one_row_file(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("label,a,b\na,0.7,0.3\n")
    return str(path)


def test_compute_one_row_with_ci_in_every_renderer(xent_cli, tmp_path):
    path = one_row_file(tmp_path)
    note = "one row: no confidence interval can be given (--ci needs two)"
    plain = xent_cli("compute", "-i", path, "--ci", "0.95", "-f", "plain")
    assert plain.exit_code == 0
    assert plain.stdout == "0.35667494393873245\n"  # −ln 0.7: the number alone ...
    assert note in plain.stderr  # ... and why on stderr
    data = json.loads(xent_cli("compute", "-i", path, "--ci", "0.95", "-f", "json").stdout)
    assert data["ci"] is None and note in data["notes"]
    out = xent_cli("compute", "-i", path, "--ci", "0.95", "-f", "csv")
    assert "_lo" not in out.stdout and "nan" not in all_row(out.stdout).values()
    assert note in out.stderr
    table = xent_cli("compute", "-i", path, "--ci", "0.95", "-f", "table", env={"COLUMNS": "200"})
    assert "interval" not in table.stdout.splitlines()[1] and note in table.stdout


def test_compute_plain_without_ci_says_nothing_on_stderr(xent_cli, tmp_path):
    result = xent_cli("compute", "-i", one_row_file(tmp_path), "-f", "plain")
    assert result.stdout == "0.35667494393873245\n" and result.stderr == ""


def test_a_group_of_one_row_has_no_interval_in_any_renderer(xent_cli, tmp_path):
    path = tmp_path / "groups.csv"
    path.write_text("label,g,a,b\na,x,0.7,0.3\nb,y,0.2,0.8\nb,y,0.4,0.6\n")
    args = ("compute", "-i", str(path), "--group-by", "g", "--ci", "0.95")
    note = "one group of one row: no confidence interval can be given for it (--ci needs two)"
    table = xent_cli(*args, "-f", "table", env={"COLUMNS": "200"}).stdout
    x_row = next(line for line in table.splitlines() if line.strip().startswith("x "))
    assert "undefined (one row)" in x_row and "nan" not in x_row
    assert note in " ".join(table.split())
    data = json.loads(xent_cli(*args, "-f", "json").stdout)
    groups = {g["group"]: g for g in data["groups"]}
    assert groups["x"]["ci"] is None and groups["y"]["ci"] is not None
    assert note in data["notes"]
    rows = {r["group"]: r for r in csv.DictReader(io.StringIO(xent_cli(*args, "-f", "csv").stdout))}
    assert rows["x"]["mean_cross_entropy_lo"] == rows["x"]["mean_cross_entropy_hi"] == ""
    assert float(rows["y"]["mean_cross_entropy_lo"]) <= float(rows["y"]["mean_cross_entropy_hi"])
    # Plain output is the whole run's number and interval: every group's rows are in it.
    plain = xent_cli(*args, "-f", "plain").stdout
    assert plain.startswith("0.3635480396729776 [") and "nan" not in plain


def test_two_groups_of_one_row_are_counted_in_the_note(xent_cli, tmp_path):
    path = tmp_path / "groups.csv"
    path.write_text("label,g,a,b\na,x,0.7,0.3\nb,y,0.2,0.8\nb,z,0.4,0.6\nb,z,0.3,0.7\n")
    data = json.loads(
        xent_cli("compute", "-i", str(path), "--group-by", "g", "--ci", "0.9", "-f", "json").stdout
    )
    assert (
        "2 groups of one row: no confidence interval can be given for them (--ci needs two)"
        in (data["notes"])
    )
