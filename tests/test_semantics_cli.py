"""The framework options and the divergence commands, through Typer's CliRunner."""

import json
import math
from pathlib import Path

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


# --------------------------------------------------------------------------- compute flags

PRED3 = ["--pred", "0.7,0.2,0.1", "--pred", "0.1,0.6,0.3", "--pred", "0.25,0.25,0.5"]


def test_label_smoothing_flag(run):
    result = run("compute", "--labels", "dog", "--pred", Q, "--label-smoothing", "0.1")
    assert result.exit_code == 0, result.stderr
    by_hand = 0.9 * -math.log(0.4) + 0.02 * sum(-math.log(float(q)) for q in Q.split(","))
    assert float(result.stdout) == pytest.approx(by_hand, rel=1e-15)


def test_weights_flag_is_pytorchs_weighted_mean(run):
    result = run("compute", "-l", "0", "-l", "2", *PRED3[:2], *PRED3[4:], "--weights", "1,2,3")
    assert result.exit_code == 0, result.stderr
    assert float(result.stdout) == pytest.approx((-math.log(0.7) - 3 * math.log(0.5)) / 4)


def test_weights_and_smoothing_json(run):
    args = ["-l", "2", "--pred", "0.25,0.25,0.5", "--weights", "1,2,3", "--label-smoothing", "0.2"]
    data = json.loads(run("compute", *args, "-f", "json").stdout)
    expected = (
        0.8 * 3 * -math.log(0.5)
        + 0.2 / 3 * (-math.log(0.25) - 2 * math.log(0.25) - 3 * math.log(0.5))
    ) / 3
    assert data["cross_entropy"] == pytest.approx(expected, rel=1e-14)
    assert sum(c["contribution"] for c in data["contributions"]) == pytest.approx(expected)


def test_ignore_index_flag(run):
    result = run("compute", "-l", "0", "-l", "-100", "-l", "2", *PRED3, "--ignore-index", "-100")
    assert result.exit_code == 0, result.stderr
    assert float(result.stdout) == pytest.approx((-math.log(0.7) - math.log(0.5)) / 2)


def test_ignore_label_flag_names_the_user_rows_in_errors(run):
    args = ["-l", "pad", "-l", "b", "--pred", "0.5,0.5", "--pred", "0.5,0.6", "-c", "a,b"]
    result = run("compute", *args, "--ignore-label", "pad")
    assert result.exit_code == 1
    assert result.stderr.startswith("xent: --pred (sample 2): prediction sums to 1.1")


def test_every_row_ignored_says_so(run):
    result = run("compute", "-l", "-100", "--pred", "0.5,0.5", "--ignore-index", "-100")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "xent: every row is ignored: all 1 labels are the ignore index -100 (--ignore-index), "
        "so there is no loss to average (PyTorch would print nan)\n"
    )


def test_multi_label_flag_matches_bce_with_logits(run):
    result = run(
        "compute", "-l", "1,1", "-l", "0,1", "--logits", "2,-1", "--logits", "0,3", "--multi-label"
    )
    assert result.exit_code == 0, result.stderr

    def bce(x, y):  # PyTorch's log-sum-exp form
        return max(x, 0) - x * y + math.log1p(math.exp(-abs(x)))

    expected = (bce(2, 1) + bce(-1, 1) + bce(0, 0) + bce(3, 1)) / 4
    assert float(result.stdout) == pytest.approx(expected, rel=1e-12)


def test_multi_label_by_class_names(run):
    result = run("compute", "-l", "dog,eagle", "--pred", "0.9,0.2,0.1,0.7,0.5", "--multi-label")
    expected = -(math.log(0.9) + math.log(0.8) + math.log(0.9) + math.log(0.7) + math.log(0.5)) / 5
    assert float(result.stdout) == pytest.approx(expected, rel=1e-12)


def test_from_logits_is_logits(run):
    a = run("compute", "-l", "0", "--pred", "2,1,0.1", "--from-logits").stdout
    b = run("compute", "-l", "0", "--logits", "2,1,0.1").stdout
    assert a == b
    assert float(a) == pytest.approx(-(2 - math.log(math.exp(2) + math.e + math.exp(0.1))))


def test_batch_metrics_in_json(run):
    data = json.loads(
        run(
            "compute",
            "-l",
            "0",
            "-l",
            "1",
            "-l",
            "2",
            *PRED3,
            "--top-k",
            "2",
            "--bins",
            "10",
            "-f",
            "json",
        ).stdout
    )
    m = data  # the same keys as a file's summary
    assert (m["top_k_accuracy"], m["k"]) == (1.0, 2)
    # (0.09 + 0.04 + 0.01) + (0.01 + 0.16 + 0.09) + (0.0625 + 0.0625 + 0.25), over 3
    assert m["brier_score"] == pytest.approx((0.14 + 0.26 + 0.375) / 3, rel=1e-12)
    # confidences 0.7, 0.6, 0.5, all right: |1 - 0.7| + |1 - 0.6| + |1 - 0.5|, over 3
    assert m["ece"] == pytest.approx(0.4, rel=1e-12)
    assert m["bins"] == 10


@pytest.mark.parametrize(
    "args, message",
    [
        (["--label-smoothing", "1.5"], "--label-smoothing: 1.5 is not in [0, 1]"),
        (["--weights", "1,x,1,1,1"], "--weights: value 2 is 'x', not a number"),
        (["--weights", "1,1"], "--weights: 2 weights for 5 classes"),
        (["--top-k", "0"], "--top-k: 0 is not a positive number"),
        (["--ignore-index", "1", "--ignore-label", "x"], "not both"),
    ],
)
def test_bad_flags_are_usage_errors(run, args, message):
    result = run("compute", "--labels", "dog", "--pred", Q, *args)
    assert result.exit_code == 2, result.stdout
    assert message in result.stderr


DOC_EXAMPLES = [  # the worked examples of docs/conventions.md, exactly as printed there
    ("compute -l dog --pred 0.4,0.3,0.05,0.05,0.2 --label-smoothing 0.1", "1.019084978601583"),
    (
        "compute -l 0 -l 2 --pred 0.7,0.2,0.1 --pred 0.25,0.25,0.5 --weights 1,2,3",
        "0.609029121404642",
    ),
    (
        "compute -l 2 --pred 0.25,0.25,0.5 --weights 1,2,3 --label-smoothing 0.2",
        "0.6931471805599453",  # ln 2, correctly rounded
    ),
    (
        "compute -l 0 -l -100 -l 2 --pred 0.7,0.2,0.1 --pred 0.1,0.1,0.8 --pred 0.25,0.25,0.5 "
        "--ignore-index -100",
        "0.5249110622493389",
    ),
    (
        "compute -l 1,1 -l 0,1 --logits 2,-1 --logits 0,3 --multi-label",
        "0.5454810576737207",
    ),
    ("compute -l 0 --pred 2,1,0.1 --from-logits", "0.41703001627783354"),
    ("compute -l 1 --pred 0.5,0,0.5 --clip 1e-7 --renormalize", "16.11809565095832"),
    ("kl --p 0.5,0.5 --q 0.4,0.6", "0.020410997260127572"),
    ("js --p 0.1,0.9 --q 0.5,0.5 --base 2", "0.1467931024360522"),
]


@pytest.mark.parametrize("command, printed", DOC_EXAMPLES)
def test_the_documented_examples(run, command, printed):
    result = run(*command.split())
    assert result.exit_code == 0, result.stderr
    assert result.stdout == printed + "\n"
    assert printed in (Path(__file__).parents[1] / "docs" / "conventions.md").read_text("utf-8")


def test_multi_label_values_must_match_the_classes(run):
    result = run("compute", "-l", "1,0,1", "--pred", "0.5,0.2", "--multi-label")
    assert result.exit_code == 1
    assert "3 values given, but there are 2 classes" in result.stderr


def test_multi_label_unknown_class_name(run):
    result = run("compute", "-l", "dog,cat", "--pred", "0.9,0.2,0.1,0.7,0.5", "--multi-label")
    assert result.exit_code == 1
    assert result.stderr == (
        "xent: --labels: unknown class 'cat': the classes are dog, fox, horse, eagle, squirrel\n"
    )
