"""Gates on an interval (--gate-on upper/lower with --fail-above and --fail-if-worse).

The bounds are computed here by hand from each row's loss −log Q(label) in the CSV: by
SciPy's t intervals (``ttest_1samp``, ``ttest_rel``: the default), and for ``--bootstrap
200`` from the Poisson(1) weights of the bootstrap's definition (keyed by line, or by
position in compare), each replicate's weighted mean, and NumPy's linear-interpolation
percentiles. The gates are then checked at limits just below and just above those bounds.
"""

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from xent.accumulators.bootstrap import poisson_weights

ROOT = Path(__file__).resolve().parents[1]
OLD = ROOT / "examples" / "animals-new.csv"  # the better model
NEW = ROOT / "examples" / "animals.csv"
# How an interval is drawn: the options, for the default (t) and a bootstrap.
METHODS = {"t": [], "bootstrap": ["--bootstrap", "200"]}


def _losses(path: Path) -> np.ndarray:
    with open(path, newline="") as stream:
        return np.array([-math.log(float(row[row["label"]])) for row in csv.DictReader(stream)])


def _replicates(losses: np.ndarray, first_key: int = 2) -> np.ndarray:
    """Each replicate's weighted mean; a file's rows are keyed by line (line 1 is the
    header), compare's by position (1, 2, ...)."""
    n = losses.size
    w = poisson_weights(np.arange(first_key, n + first_key), 200, 0)
    return (w * losses[:, None]).sum(0) / w.sum(0)


def _interval(replicates: np.ndarray) -> tuple[float, float]:
    low, high = np.quantile(replicates, [0.025, 0.975])
    return float(low), float(high)


@pytest.mark.parametrize("method", METHODS)
def test_the_bounds_of_the_mean_are_those_computed_by_hand(xent_cli, method):
    low, high = _mean_interval(method)
    args = ["compute", "-i", NEW, "--ci", "0.95", *METHODS[method], "-f", "json"]
    data = json.loads(xent_cli(*args).stdout)
    assert data["ci"]["mean_cross_entropy"] == pytest.approx([low, high], rel=1e-12)
    assert low < data["cross_entropy"] < high


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("on", ["upper", "lower"])
def test_fail_above_gates_on_a_bound(xent_cli, on, method):
    low, high = _mean_interval(method)
    bound = high if on == "upper" else low
    args = ["compute", "-i", NEW, "--ci", "0.95", *METHODS[method], "--gate-on", on, "-f", "plain"]
    below = xent_cli(*args, "--fail-above", repr(bound * (1 - 1e-9)))
    above = xent_cli(*args, "--fail-above", repr(bound * (1 + 1e-9)))
    assert below.exit_code == 3 and above.exit_code == 0
    assert below.stdout == above.stdout and below.stdout.startswith("0.5067")  # output first
    assert f"the {on} bound of the mean cross-entropy's interval" in below.stderr
    assert str(bound)[:10] in below.stderr


def test_the_estimate_is_the_default_gate(xent_cli):
    low, high = _mean_interval("t")
    mean = float(_losses(NEW).mean())
    limit = repr((mean + high) / 2)  # above the mean, below the upper bound
    args = ["compute", "-i", NEW, "--ci", "0.95", "--fail-above", limit, "-f", "plain"]
    assert xent_cli(*args).exit_code == 0
    assert xent_cli(*args, "--gate-on", "estimate").exit_code == 0
    assert xent_cli(*args, "--gate-on", "upper").exit_code == 3


def _mean_interval(method: str) -> tuple[float, float]:
    if method == "bootstrap":
        return _interval(_replicates(_losses(NEW)))
    ci = stats.ttest_1samp(_losses(NEW), 0).confidence_interval(0.95)
    return float(ci.low), float(ci.high)


def _difference_interval(method: str = "t") -> tuple[float, float]:
    if method == "t":
        ci = stats.ttest_rel(_losses(NEW), _losses(OLD)).confidence_interval(0.95)
        return float(ci.low), float(ci.high)
    # Paired: the same weights for a row in A and in B; D_r = mean_B,r − mean_A,r.
    return _interval(_replicates(_losses(NEW), 1) - _replicates(_losses(OLD), 1))


@pytest.mark.parametrize("method", METHODS)
def test_the_bounds_of_the_difference_are_those_computed_by_hand(xent_cli, method):
    low, high = _difference_interval(method)
    args = ["compare", OLD, NEW, "--ci", "0.95", *METHODS[method], "-f", "json"]
    data = json.loads(xent_cli(*args).stdout)
    assert data["ci"]["difference"] == pytest.approx([low, high], rel=1e-12)
    assert 0 < low < high  # B (animals.csv) is worse, and the interval excludes 0


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("on", ["upper", "lower"])
def test_fail_if_worse_gates_on_a_bound(xent_cli, on, method):
    low, high = _difference_interval(method)
    bound = high if on == "upper" else low
    args = ["compare", OLD, NEW, "--ci", "0.95", *METHODS[method], "--gate-on", on, "-f", "plain"]
    assert xent_cli(*args, "--fail-if-worse", repr(bound * (1 - 1e-9))).exit_code == 3
    assert xent_cli(*args, "--fail-if-worse", repr(bound * (1 + 1e-9))).exit_code == 0
    failed = xent_cli(*args, "--fail-if-worse")  # margin 0: the interval is above 0
    assert failed.exit_code == 3
    assert f"the {on} bound of the interval of B − A" in failed.stderr


def test_upper_with_margin_0_needs_an_interval_below_0(xent_cli):
    """The new model better, its interval excluding 0 on the right side: passes; the
    other way round (interval above 0, the wrong side): fails."""
    low, high = _difference_interval()
    better = ["compare", NEW, OLD, "--ci", "0.95", "--gate-on", "upper", "--fail-if-worse"]
    assert -high < 0 and xent_cli(*better).exit_code == 0
    worse = ["compare", OLD, NEW, "--ci", "0.95", "--gate-on", "upper", "--fail-if-worse"]
    assert xent_cli(*worse).exit_code == 3


def test_an_interval_that_straddles_0_fails_the_upper_gate(xent_cli, tmp_path):
    # Two rows, one won by each model: the difference's interval holds 0.
    a = tmp_path / "a.csv"
    b = tmp_path / "b.csv"
    a.write_text("label,x,y\nx,0.9,0.1\nx,0.6,0.4\ny,0.5,0.5\ny,0.3,0.7\n")
    b.write_text("label,x,y\nx,0.6,0.4\nx,0.9,0.1\ny,0.3,0.7\ny,0.5,0.5\n")
    data = json.loads(xent_cli("compare", a, b, "--ci", "0.95", "-f", "json").stdout)
    low, high = data["ci"]["difference"]
    assert low < 0 < high
    gate = ["compare", a, b, "--ci", "0.95", "--fail-if-worse"]
    assert xent_cli(*gate, "--gate-on", "upper").exit_code == 3
    assert xent_cli(*gate, "--gate-on", "lower").exit_code == 0


@pytest.mark.parametrize(
    "args, message",
    [
        (["--gate-on", "upper", "--fail-above", "1"], "--gate-on upper compares a bound"),
        (["--gate-on", "lower", "--ci", "0.9"], "--gate-on lower says what --fail-above"),
        (
            ["--gate-on", "upper", "--ci", "0.9", "--fail-above", "1", "-r", "sum"],
            "the interval is of the mean loss",
        ),
        (["--fail-above", "nan", "--gate-on", "upper", "--ci", "0.9"], "nan is not a limit"),
    ],
)
def test_gate_rules_are_one_line_before_reading(xent_cli, args, message):
    result = xent_cli("compute", "-i", NEW, *args)
    assert result.exit_code == 2 and result.stdout == ""
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("method", METHODS)
def test_a_bound_gate_on_vectors_gates_as_on_a_file(xent_cli, tmp_path, method):
    """Rows given as arguments have the file's interval (0.3: before, refused): one row
    has none and fails a bound gate, as a file of one row does; several gate on it."""
    one = xent_cli(
        "compute", "-l", "dog", "-p", "0.4,0.3,0.05,0.05,0.2", "--ci", "0.95",
        "--gate-on", "upper", "--fail-above", "1",
    )  # fmt: skip
    assert one.exit_code == 3 and "no interval could be computed" in one.stderr
    rows = [("dog", "0.4,0.3,0.05,0.05,0.2"), ("fox", "0.2,0.5,0.1,0.1,0.1")]
    rows += [("dog", "0.7,0.1,0.1,0.05,0.05"), ("horse", "0.3,0.3,0.2,0.1,0.1")]
    given = [arg for label, pred in rows for arg in ("-l", label, "-p", pred)]
    lines = ["label,dog,fox,horse,eagle,squirrel"] + [f"{lb},{p}" for lb, p in rows]
    path = tmp_path / "rows.jsonl"
    names = lines[0].split(",")
    path.write_text(
        "".join(
            json.dumps(dict(zip(names, [line.split(",")[0], *map(float, line.split(",")[1:])])))
            + "\n"
            for line in lines[1:]
        )
    )
    gate = ["--ci", "0.9", *METHODS[method], "--gate-on", "upper", "-f", "plain"]
    # The upper bound: 1.2924875315059103 (bootstrap), 1.5170508583307383 (t: SciPy's, below).
    losses = [0.916290731874155, 0.6931471805599453, 0.35667494393873245, 1.6094379124341003]
    high = float(stats.ttest_1samp(losses, 0).confidence_interval(0.9).high)
    limits = {"t": (high - 1e-6, high + 1e-6), "bootstrap": (1.2, 1.3)}[method]
    for limit, code in zip(map(repr, limits), (3, 0)):
        vectors = xent_cli("compute", *given, *gate, "--fail-above", limit)
        file = xent_cli("compute", "-i", path, *gate, "--fail-above", limit)
        assert vectors.exit_code == file.exit_code == code
        assert vectors.stdout == file.stdout
        assert vectors.stdout.startswith("0.8938876922017333 [")


def test_one_row_has_no_interval_and_fails_a_bound_gate(xent_cli, tmp_path):
    one = tmp_path / "one.csv"
    one.write_text("label,x,y\nx,0.9,0.1\n")
    args = ["compute", "-i", one, "--ci", "0.95", "--fail-above", "5", "-f", "plain"]
    assert xent_cli(*args).exit_code == 0
    failed = xent_cli(*args, "--gate-on", "upper")
    assert failed.exit_code == 3 and "no interval could be computed" in failed.stderr


def test_the_rule_names_parameters_in_python():
    from xent.errors import UsageError
    from xent.rules import check_gate

    with pytest.raises(UsageError) as error:
        check_gate("upper", 1.0, gate="fail_above", ci=None)
    assert str(error.value) == (
        "gate_on: gate_on='upper' compares a bound of the interval: give ci=0.95 too"
    )
    with pytest.raises(UsageError, match="not what a gate compares"):
        check_gate("middle", 1.0, gate="fail_above", ci=0.9)
    check_gate("estimate", None, gate="fail_above", ci=None)
