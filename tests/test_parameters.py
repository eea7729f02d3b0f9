"""Errors name parameters, not flags: Python reads ``renormalize=True``, the command line
``--renormalize``, from the one error (:func:`xent.errors.param`). And the rules of an
:class:`~xent.evaluation.Evaluation` are checked when it is built."""

import pickle

import pytest

import xent
from xent.cli.app import flag
from xent.errors import InvalidProbabilities, UsageError, param, spell
from xent.evaluation import Evaluation
from xent.options import ScoreOptions
from xent.readers.read_options import ReadOptions

UNNORMALISED = [0.4, 0.3, 0.05, 0.05, 0.3]


def test_the_python_api_names_the_renormalize_parameter():
    with pytest.raises(InvalidProbabilities) as caught:
        xent.score_rows(["dog"], [UNNORMALISED])
    message = str(caught.value)
    assert message == (
        "pred: prediction sums to 1.1, not 1 (tolerance 5e-06): [0.4, 0.3, 0.05, 0.05, 0.3] "
        "(renormalize=True divides by the sum)"
    )
    assert "--" not in message


def test_the_cli_names_the_renormalize_flag(xent_cli):
    result = xent_cli("compute", "--labels", "dog", "--pred", ",".join(map(str, UNNORMALISED)))
    assert result.exit_code == 1
    assert result.stderr == (
        "xent: --pred: prediction sums to 1.1, not 1 (tolerance 5e-06): "
        "[0.4, 0.3, 0.05, 0.05, 0.3] (--renormalize divides by the sum)\n"
    )


@pytest.mark.parametrize(
    "text, python, cli",
    [
        (param("top_k"), "top_k", "--top-k"),
        (param("renormalize", True), "renormalize=True", "--renormalize"),
        (param("reduction", "none"), "reduction='none'", "--reduction none"),
        (param("clip", 1e-15), "clip=1e-15", "--clip 1e-15"),
        (param("id_column", cli="COLUMN"), "id_column", "--id COLUMN"),
        (param("replicates"), "replicates", "--bootstrap"),
        ("{braces} kept", "{braces} kept", "{braces} kept"),
    ],
)
def test_a_parameter_is_spelled_for_its_reader(text, python, cli):
    assert spell(text) == python
    assert spell(text, flag) == cli


def test_an_error_about_an_option_is_placed_at_its_parameter():
    with pytest.raises(UsageError) as caught:
        ScoreOptions(base=1.0)
    error = caught.value
    assert error.parameter == "base"
    assert str(error).startswith("base: 1.0 is not a log base")
    assert error.spelled(flag).startswith("--base: 1.0 is not a log base")
    # A worker's error crosses processes whole: the parameter still spelled by the reader.
    assert pickle.loads(pickle.dumps(error)).spelled(flag) == error.spelled(flag)


@pytest.mark.parametrize(
    "values, python",
    [
        (
            {"reduction": "none", "by_file": True},
            "by_file: by_file needs a summary: leave out reduction='none'",
        ),
        (
            {"reduction": "none", "cluster": "local"},
            "reduction: reduction='none' with cluster: the rows would all come back through "
            "the scheduler to be written here; score the files locally for one loss per row",
        ),
        (
            {"reduction": "none", "drawings": ("save_html",)},
            "save_html: save_svg/save_html save the summary: leave out reduction='none'",
        ),
        ({"workers": 2}, "workers: workers is for cluster='local'"),
        (
            {"reduction": "none", "score": ScoreOptions(ci=0.95)},
            "ci: the intervals are the summary's: leave out reduction='none'",
        ),
        ({"reduction": "median"}, "reduction: 'median' is not a reduction: use mean, sum, none"),
    ],
)
def test_the_rules_of_an_evaluation_are_checked_when_it_is_built(values, python):
    with pytest.raises(UsageError) as caught:
        Evaluation(read=ReadOptions(), **values)
    assert str(caught.value) == python
    assert "--" not in str(caught.value)


def test_rows_given_as_values_read_no_column():
    with pytest.raises(UsageError) as caught:
        Evaluation(group_by="g")
    assert str(caught.value) == (
        "group_by: group_by and sequence_column read a file's columns: give sources"
    )
    assert caught.value.spelled(flag) == (
        "--group-by: --group-by and --sequence-column read a file's columns: give --file"
    )


def test_an_evaluation_is_frozen():
    evaluation = Evaluation(score=ScoreOptions(top_k=2), reduction="sum")
    with pytest.raises(AttributeError):
        evaluation.reduction = "mean"  # type: ignore[misc]
    assert evaluation == Evaluation(score=ScoreOptions(top_k=2), reduction="sum")
