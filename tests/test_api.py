"""xent.api.evaluate: the one call of every command, from Python. Its numbers are the
pipeline's (checked against references elsewhere); here, that each source kind reaches
the scoring it names, and that its errors name parameters."""

import math

import pytest

from xent.api import Distributions, Vectors, evaluate
from xent.errors import UsageError
from xent.evaluation import Evaluation
from xent.options import ScoreOptions
from xent.pipeline import score_file
from xent.readers.read_options import ReadOptions

ARTICLE = "examples/article.csv"


def test_a_file_is_scored_as_score_file_scores_it():
    evaluation = Evaluation(score=ScoreOptions(base=2.0), read=ReadOptions())
    summary = evaluate(evaluation, ARTICLE)
    assert summary.cross_entropy == score_file(ARTICLE, ScoreOptions(base=2.0)).cross_entropy
    assert summary.rows == score_file(ARTICLE).rows


def test_vectors_give_the_articles_number():
    report = evaluate(Evaluation(), Vectors(["dog"], [[0.4, 0.3, 0.05, 0.05, 0.2]]))
    assert report.cross_entropy == pytest.approx(-math.log(0.4), rel=1e-15)


def test_distributions_give_entropy_and_kl():
    p, q = [[0.5, 0.5]], [[0.4, 0.6]]
    entropy = evaluate(Evaluation(measure="entropy"), Distributions(p))
    assert entropy.cross_entropy == pytest.approx(math.log(2), rel=1e-15)
    kl = evaluate(Evaluation(measure="kl"), Distributions(p, q, ["a", "b"]))
    expected = 0.5 * math.log(0.5 / 0.4) + 0.5 * math.log(0.5 / 0.6)
    assert float(kl.per_row[0]) == pytest.approx(expected, rel=1e-12)


def test_several_files_and_a_loss_per_row_are_refused_by_parameter(tmp_path):
    for name in ("a.csv", "b.csv"):
        (tmp_path / name).write_text("label,a,b\na,0.5,0.5\n")
    evaluation = Evaluation(read=ReadOptions(), reduction="none")
    with pytest.raises(UsageError) as caught:
        evaluate(evaluation, [str(tmp_path / "a.csv"), str(tmp_path / "b.csv")])
    assert str(caught.value).startswith("reduction: reduction='none' with several files")
