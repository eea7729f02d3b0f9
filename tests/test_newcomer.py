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
            for line in xent_cli("compute", "-i", f, "--reduction", "none", "-f", "json")
            .stdout.splitlines()
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
