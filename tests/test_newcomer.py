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
