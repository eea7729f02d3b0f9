"""``xent compute`` and ``xent entropy`` through Typer's CliRunner, as a user runs them."""

import csv
import io
import json
import math

import pytest
from scipy.stats import entropy as scipy_entropy

ARTICLE = ["--labels", "dog", "--pred", "0.4,0.3,0.05,0.05,0.2"]
IMPROVED = "0.98,0.005,0.005,0.005,0.005"


def test_card_example_prints_the_exact_number_when_piped(xent_cli):
    result = xent_cli("compute", *ARTICLE)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "0.916290731874155\n"
    assert float(result.stdout) == -math.log(0.4)
    assert result.stderr == ""


def test_bits(xent_cli):
    result = xent_cli("compute", *ARTICLE, "--base", "2")
    assert float(result.stdout) == pytest.approx(-math.log2(0.4), rel=1e-15)


def test_any_base(xent_cli):
    result = xent_cli("compute", *ARTICLE, "--base", "3")
    assert float(result.stdout) == pytest.approx(-math.log(0.4) / math.log(3), rel=1e-15)


def test_table_shows_every_class_and_the_totals(xent_cli):
    result = xent_cli("compute", *ARTICLE, "--format", "table")
    assert result.exit_code == 0
    out = result.stdout
    for name, q in zip(["dog", "fox", "horse", "eagle", "squirrel"], [0.4, 0.3, 0.05, 0.05, 0.2]):
        line = next(line for line in out.splitlines() if line.strip().startswith(name))
        assert f"{q:.4f}" in line
        assert f"{-math.log(q):.4f}" in line  # -log Q, by hand
    assert "dog ◀" in out  # the true class is marked
    assert "cross-entropy H(P,Q)" in out and f"{-math.log(0.4):.4f}" in out
    assert "perplexity" in out and "2.5000" in out  # 1 / 0.4
    assert "nats" in out
    assert "article" in out  # says where the class names came from
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "\x1b[" not in out  # no colour when not a terminal


def test_table_precision(xent_cli):
    result = xent_cli("compute", *ARTICLE, "--format", "table", "--precision", "6")
    assert f"{-math.log(0.4):.6f}" in result.stdout


def test_json_has_the_documented_keys_and_values(xent_cli):
    result = xent_cli("compute", *ARTICLE, "--format", "json")
    data = json.loads(result.stdout)
    assert data["cross_entropy"] == -math.log(0.4)
    assert data["entropy"] == 0.0
    assert data["kl_divergence"] == pytest.approx(-math.log(0.4), rel=1e-15)
    assert data["perplexity"] == pytest.approx(2.5, rel=1e-15)
    assert data["unit"] == "nats" and data["base"] == math.e
    assert data["classes"] == ["dog", "fox", "horse", "eagle", "squirrel"]
    contributions = data["contributions"]
    assert [c["class"] for c in contributions] == data["classes"]
    assert [c["pred"] for c in contributions] == [0.4, 0.3, 0.05, 0.05, 0.2]
    assert [c["label"] for c in contributions] == [1, 0, 0, 0, 0]
    assert contributions[1]["neg_log_pred"] == pytest.approx(-math.log(0.3), rel=1e-15)
    assert sum(c["contribution"] for c in contributions) == data["cross_entropy"]


def test_json_infinity_is_a_string(xent_cli):
    result = xent_cli("compute", "--labels", "dog", "--pred", "0,0.3,0.05,0.05,0.6", "-f", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)  # strict JSON: no Infinity literal
    assert "Infinity" not in result.stdout
    assert data["cross_entropy"] == "inf" and float(data["cross_entropy"]) == math.inf
    assert "warning: a prediction gives probability 0" in result.stderr


def test_clip_like_sklearn(xent_cli):
    result = xent_cli("compute", "-l", "dog", "-p", "0,0.3,0.05,0.05,0.6", "--clip", "1e-15")
    assert float(result.stdout) == pytest.approx(-math.log(1e-15), rel=1e-15)
    assert result.stderr == ""


def test_csv_has_a_header_and_full_precision(xent_cli):
    result = xent_cli("compute", *ARTICLE, "--pred", IMPROVED, "-f", "csv", "-r", "none")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["row"] for r in rows] == ["1", "2"]
    assert float(rows[0]["cross_entropy"]) == -math.log(0.4)
    assert float(rows[1]["cross_entropy"]) == pytest.approx(-math.log(0.98), rel=1e-15)
    assert rows[0]["unit"] == "nats"


def test_several_samples_and_reductions(xent_cli):
    args = ["compute", *ARTICLE, "--pred", IMPROVED]
    mean = float(xent_cli(*args).stdout)
    assert mean == pytest.approx((-math.log(0.4) - math.log(0.98)) / 2, rel=1e-15)
    total = float(xent_cli(*args, "--reduction", "sum").stdout)
    assert total == pytest.approx(-math.log(0.4) - math.log(0.98), rel=1e-15)
    each = xent_cli(*args, "--reduction", "none").stdout.split()
    assert [float(x) for x in each] == pytest.approx([-math.log(0.4), -math.log(0.98)])
    table = xent_cli(*args, "-f", "table").stdout
    assert "0.9163" in table and "0.0202" in table and "mean" in table


def test_one_label_per_sample(xent_cli):
    result = xent_cli(
        "compute",
        "-l",
        "dog",
        "-l",
        "fox",
        "-p",
        "0.4,0.3,0.05,0.05,0.2",
        "-p",
        IMPROVED,
        "-r",
        "none",
    )
    assert [float(x) for x in result.stdout.split()] == pytest.approx(
        [-math.log(0.4), -math.log(0.005)], rel=1e-15
    )


@pytest.mark.parametrize("label", ["dog", "0", "1,0,0,0,0", "1.0, 0, 0, 0, 0"])
def test_label_forms_agree(xent_cli, label):
    result = xent_cli("compute", "--labels", label, "--pred", "0.4,0.3,0.05,0.05,0.2")
    assert float(result.stdout) == -math.log(0.4)


def test_soft_label(xent_cli):
    result = xent_cli("compute", "-l", "0.9,0.1,0,0,0", "-p", "0.4,0.3,0.05,0.05,0.2")
    assert float(result.stdout) == pytest.approx(-(0.9 * math.log(0.4) + 0.1 * math.log(0.3)))


def test_logits(xent_cli):
    z = [2.0, 1.0, 0.1]
    result = xent_cli("compute", "-l", "0", "--logits", "2.0,1.0,0.1")
    by_hand = -(z[0] - math.log(sum(math.exp(v) for v in z)))
    assert float(result.stdout) == pytest.approx(by_hand, rel=1e-14)


def test_huge_logits_are_finite(xent_cli):
    result = xent_cli("compute", "-l", "1", "--logits", "1000,-1000,0")
    assert float(result.stdout) == 2000.0


def test_binary_cross_entropy_from_one_probability(xent_cli):
    assert float(xent_cli("compute", "-l", "1", "-p", "0.8").stdout) == pytest.approx(
        -math.log(0.8), rel=1e-15
    )
    assert float(xent_cli("compute", "-l", "0", "-p", "0.8").stdout) == pytest.approx(
        -math.log(0.2), rel=1e-14
    )
    soft = float(xent_cli("compute", "-l", "0.25", "-p", "0.8").stdout)
    assert soft == pytest.approx(-(0.25 * math.log(0.8) + 0.75 * math.log(0.2)), rel=1e-14)


def test_classes_option_and_environment(xent_cli):
    result = xent_cli("compute", "-c", "cat,dog,cow", "-l", "cow", "-p", "0.2,0.3,0.5")
    assert float(result.stdout) == pytest.approx(-math.log(0.5), rel=1e-15)
    env = {"XENT_CLASSES": "cat,dog,cow"}
    result = xent_cli("compute", "-l", "dog", "-p", "0.2,0.3,0.5", env=env)
    assert float(result.stdout) == pytest.approx(-math.log(0.3), rel=1e-15)


def test_entropy_command(xent_cli):
    q = [0.4, 0.3, 0.05, 0.05, 0.2]
    result = xent_cli("entropy", "--pred", "0.4,0.3,0.05,0.05,0.2")
    assert float(result.stdout) == pytest.approx(scipy_entropy(q), rel=1e-14)
    result = xent_cli("entropy", "--pred", "0.4,0.3,0.05,0.05,0.2", "-b", "2", "-f", "json")
    data = json.loads(result.stdout)
    assert data["entropy"] == pytest.approx(scipy_entropy(q, base=2), rel=1e-14)
    assert [c["contribution"] for c in data["contributions"]] == pytest.approx(
        [-v * math.log2(v) for v in q], rel=1e-14
    )
    table = xent_cli("entropy", "--pred", "0.4,0.3,0.05,0.05,0.2", "-f", "table").stdout
    assert f"{-0.4 * math.log(0.4):.4f}" in table and "squirrel" in table


def test_entropy_of_a_one_hot_vector_is_zero(xent_cli):
    assert float(xent_cli("entropy", "-p", "1,0,0,0,0").stdout) == 0.0


def test_version_and_help(xent_cli):
    from xent import __version__

    assert xent_cli("--version").stdout == f"xent {__version__}\n"
    top = xent_cli("--help").stdout
    assert "xent compute --labels dog --pred 0.4,0.3,0.05,0.05,0.2" in top
    assert "Exit status" in top
    compute_help = xent_cli("compute", "--help").stdout
    assert "xent compute --labels dog --pred 0.4,0.3,0.05,0.05,0.2" in compute_help
    entropy_help = xent_cli("entropy", "--help").stdout
    assert "xent entropy --pred 0.4,0.3,0.05,0.05,0.2" in entropy_help
    # The example's number in the help is the true entropy of the article's prediction.
    assert f"{scipy_entropy([0.4, 0.3, 0.05, 0.05, 0.2]):.4f} nats" in entropy_help


# --------------------------------------------------------------------------- errors

DATA_ERRORS = [
    (
        ["compute", "-l", "cat", "-p", "0.4,0.3,0.05,0.05,0.2"],
        "xent: --labels: unknown class 'cat': the classes are dog, fox, horse, eagle, squirrel",
    ),
    (
        ["compute", "-l", "dog", "-p", "0.4,0.3,0.05,0.05,0.1"],
        "xent: --pred: prediction sums to 0.9, not 1 (tolerance 5e-06): "
        "[0.4, 0.3, 0.05, 0.05, 0.1] (--renormalize divides by the sum)",
    ),
    (
        ["compute", "-l", "dog", "-p", "0.4,0.3,abc,0.05,0.2"],
        "xent: --pred: value 3 is 'abc', not a number",
    ),
    (
        ["compute", "-l", "dog", "-p", "0.4,,0.3,0.1,0.2"],
        "xent: --pred: value 2 is empty, not a number",
    ),
    (
        ["compute", "-l", "dog", "-p", "1.4,-0.3,0.05,0.05,0.2"],
        # --renormalize cannot help a negative value: no hint
        "xent: --pred: prediction value 1 is 1.4, outside [0, 1]: [1.4, -0.3, 0.05, 0.05, 0.2]",
    ),
    (
        ["compute", "-l", "dog", "-p", "nan,0.3,0.05,0.05,0.2"],
        "xent: --pred: prediction value 1 is nan, outside [0, 1]: [nan, 0.3, 0.05, 0.05, 0.2]",
    ),
    (
        ["compute", "-l", "7", "-p", "0.4,0.3,0.05,0.05,0.2"],
        "xent: --labels: class index 7 is out of range: there are 5 classes (0 to 4)",
    ),
    (
        ["compute", "-l", "0.5,0.6,0,0,0", "-p", "0.4,0.3,0.05,0.05,0.2"],
        "xent: --labels: label sums to 1.1, not 1 (tolerance 5e-06): [0.5, 0.6, 0, 0, 0]",
    ),
    (
        ["compute", "-l", "1,0,0", "-p", "0.4,0.3,0.05,0.05,0.2"],
        "xent: --labels: 3 values given, but there are 5 classes",
    ),
    (
        ["compute", "-l", "dog", "-p", "0.5,0.5", "-p", "0.2,0.3,0.5"],
        "xent: --pred (sample 2): has 3 values, but the first prediction has 2",
    ),
    (
        [
            "compute",
            "-l",
            "dog",
            "-l",
            "fox",
            "-p",
            "0.4,0.3,0.05,0.05,0.2",
            "-p",
            "0.5,0.5,0,0,0.1",
        ],
        "xent: --pred (sample 2): prediction sums to 1.1, not 1 (tolerance 5e-06): "
        "[0.5, 0.5, 0, 0, 0.1] (--renormalize divides by the sum)",
    ),
    (
        ["compute", "-l", "0", "--logits", "1,inf,0"],
        "xent: --logits: logits must be finite numbers, got [ 1. inf  0.]",
    ),
    (
        ["entropy", "-p", "0.5,0.6"],
        "xent: --pred: prediction sums to 1.1, not 1 (tolerance 2e-06): [0.5, 0.6] "
        "(--renormalize divides by the sum)",
    ),
]


@pytest.mark.parametrize("args, message", DATA_ERRORS)
def test_bad_data_is_one_line_and_exit_1(xent_cli, args, message):
    result = xent_cli(*args)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == message + "\n"


USAGE_ERRORS = [
    (
        ["compute", "-l", "dog"],
        "xent: no prediction: give --pred 0.4,0.3,... (probabilities) or --logits 2.0,1.0,...",
    ),
    (
        ["compute", "-p", "0.5,0.5"],
        "xent: no label: give the true class with --labels "
        "(a name, an index, or one value per class)",
    ),
    (
        ["compute", "-l", "0", "-p", "0.5,0.5", "--logits", "1,2"],
        "xent: give the prediction as --pred or as --logits, not both",
    ),
    (
        ["compute", *ARTICLE, "--base", "1"],
        "xent: --base: '1' is not a log base: use e, 2, 10 or a positive number other than 1",
    ),
    (
        ["compute", *ARTICLE, "--base", "pi"],
        "xent: --base: 'pi' is not a log base: use e, 2, 10 or a positive number other than 1",
    ),
    (
        ["compute", *ARTICLE, "--clip", "0.7"],
        "xent: --clip: 0.7 is not a clip value: use a small number such as 1e-15",
    ),
    (
        ["compute", "-l", "dog", "-l", "fox", "-l", "horse", *ARTICLE[2:], "-p", IMPROVED],
        "xent: --labels: 3 labels for 2 predictions: give one label for all, or one per prediction",
    ),
    (
        ["compute", "-c", "a,b", *ARTICLE],
        "xent: --classes: 2 class names given, but the vectors have 5 values",
    ),
    (["compute", "-c", "a,a,b,c,d", *ARTICLE], "xent: --classes: class name 'a' is given twice"),
    (
        ["compute", *ARTICLE, "--format", "xml"],
        "xent: Invalid value for '--format' / '-f': 'xml' is not one of 'auto', 'table', 'json', "
        "'csv', 'plain'. (see 'xent compute --help')",
    ),
    (
        ["compute", "--no-such-option"],
        "xent: No such option: --no-such-option (see 'xent compute --help')",
    ),
    (["frobnicate"], "xent: No such command 'frobnicate'. (see 'xent --help')"),
]


@pytest.mark.parametrize("args, message", USAGE_ERRORS)
def test_bad_usage_is_one_line_and_exit_2(xent_cli, args, message):
    result = xent_cli(*args)
    assert result.exit_code == 2
    assert result.stderr == message + "\n"


def test_xent_classes_with_the_wrong_count_is_named(xent_cli):
    result = xent_cli("compute", *ARTICLE, env={"XENT_CLASSES": "a,b,c"})
    assert result.exit_code == 2
    assert result.stderr == (
        "xent: XENT_CLASSES: 3 class names given, but the vectors have 5 values\n"
    )


def test_renormalize_opts_in(xent_cli):
    result = xent_cli("compute", "-l", "dog", "-p", "0.4,0.3,0.05,0.05,0.1", "--renormalize")
    assert float(result.stdout) == pytest.approx(-math.log(0.4 / 0.9), rel=1e-15)
