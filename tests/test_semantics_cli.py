"""The framework options and the divergence commands, through Typer's CliRunner."""

import json

import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import entropy as scipy_entropy
from typer.testing import CliRunner

from xent.cli import app

Q = "0.4,0.3,0.05,0.05,0.2"


@pytest.fixture
def run(monkeypatch):
    monkeypatch.delenv("XENT_CLASSES", raising=False)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [str(a) for a in args])


# --------------------------------------------------------------------------- kl and js


def test_kl_matches_scipy(run):
    result = run("kl", "--p", "0.5,0.5", "--q", "0.4,0.6")
    assert result.exit_code == 0, result.stderr
    assert float(result.stdout) == pytest.approx(scipy_entropy([0.5, 0.5], [0.4, 0.6]), rel=1e-12)


def test_js_prints_the_divergence_not_scipys_distance(run):
    result = run("js", "--p", "0.1,0.9", "--q", "0.5,0.5", "--base", "2", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    distance = jensenshannon([0.1, 0.9], [0.5, 0.5], base=2)
    assert data["js_divergence"] == pytest.approx(distance**2, rel=1e-12)
    assert data["js_distance"] == pytest.approx(distance, rel=1e-12)
    assert data["unit"] == "bits"
    assert [c["class"] for c in data["contributions"]] == ["0", "1"]
    assert sum(c["contribution"] for c in data["contributions"]) == pytest.approx(
        data["js_divergence"], rel=1e-12
    )


def test_js_of_disjoint_distributions_is_one_bit(run):
    assert run("js", "--p", "1,0", "--q", "0,1", "--base", "2").stdout == "1.0\n"


def test_divergence_table_names_the_classes(run):
    result = run("kl", "--p", Q, "--q", "0.2,0.2,0.2,0.2,0.2", "--format", "table")
    assert result.exit_code == 0, result.stderr
    assert "dog" in result.stdout and "KL(P‖Q)" in result.stdout


def test_divergence_of_several_rows(run):
    result = run("js", "--p", "0.1,0.9", "--p", "0.2,0.8", "--q", "0.5,0.5", "-r", "none")
    values = [float(v) for v in result.stdout.split()]
    assert values == pytest.approx(
        [jensenshannon(p, [0.5, 0.5]) ** 2 for p in ([0.1, 0.9], [0.2, 0.8])], rel=1e-12
    )


def test_kl_infinite_is_said(run):
    result = run("kl", "--p", "1,0", "--q", "0,1")
    assert result.stdout == "inf\n"
    assert "KL(P‖Q) is infinite" in result.stderr


def test_divergence_errors(run):
    result = run("kl", "--p", "0.5,0.6", "--q", "0.5,0.5")
    assert result.exit_code == 1
    assert result.stderr == "xent: --p: p sums to 1.1, not 1 (tolerance 2e-06): [0.5, 0.6]\n"
    result = run("js", "--p", "0.5,0.5")
    assert result.exit_code == 2
    assert "give both distributions" in result.stderr
    result = run("js", "--p", "0.5,0.5", "--q", "0.2,0.3,0.5")
    assert result.exit_code == 2
    assert "--p has 2 values but --q has 3" in result.stderr
