"""``xent explain``, comparisons and ``--save-svg`` / ``--save-html``.

Every number is checked against math.log or SciPy, never against xent's own output.
"""

from __future__ import annotations

import json
import math
import re
import string
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import numpy as np
import pytest
from scipy.special import rel_entr
from scipy.stats import entropy as scipy_entropy
from typer.testing import CliRunner

import references
from xent.cli import app
from xent.render.explain_text import LANGUAGES, TEXT

ARTICLE = "0.4,0.3,0.05,0.05,0.2"
IMPROVED = "0.98,0.005,0.005,0.005,0.005"  # the article's 0.98 for dog, the 0.02 left spread evenly
CLASSES = ["dog", "fox", "horse", "eagle", "squirrel"]

runner = CliRunner()


def run(*args: str):
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def explain_json(*args: str) -> dict:
    return json.loads(run("explain", "--format", "json", *args))


def f4(x: float) -> str:
    return f"{x:.4f}"


# --------------------------------------------------------------------------- the steps


def test_substituted_terms_are_the_references():
    data = explain_json("--labels", "dog", "--pred", ARTICLE)
    (prediction,) = data["predictions"]
    q = [float(v) for v in ARTICLE.split(",")]
    for k, term in enumerate(prediction["terms"]):
        assert term["class"] == CLASSES[k]
        assert term["q"] == pytest.approx(q[k], rel=1e-15)
        assert term["neg_log_q"] == pytest.approx(-math.log(q[k]), rel=1e-15)
        assert term["vanishes"] is (k != 0)
        assert term["contribution"] == (pytest.approx(-math.log(0.4), rel=1e-15) if k == 0 else 0)
    assert prediction["cross_entropy"] == pytest.approx(-math.log(0.4), rel=1e-15)
    assert prediction["entropy"] == 0
    assert prediction["kl_divergence"] == pytest.approx(-math.log(0.4), rel=1e-15)
    assert prediction["perplexity"] == pytest.approx(2.5, rel=1e-15)
    assert prediction["cross_entropy_bits"] == pytest.approx(-math.log2(0.4), rel=1e-15)


def test_plain_text_shows_the_substituted_numbers():
    text = run("explain", "--labels", "dog", "--pred", ARTICLE, "--format", "plain")
    ce = -math.log(0.4)
    assert "H(P,Q) = −Σ P(i)·log Q(i)" in text
    # The true class's term, with its numbers substituted; every other term vanishes.
    assert re.search(rf"dog\s+1 · \(−ln 0\.4000\) = 1 · {f4(ce)} = {f4(ce)}", text)
    for name, q in zip(CLASSES[1:], ARTICLE.split(",")[1:]):
        assert re.search(rf"\+ {name}\s+0 · \(−ln {f4(float(q))}\) = 0\s+vanishes: P = 0", text)
    assert f"= {f4(ce)} + 0 + 0 + 0 + 0 = {f4(ce)}" in text
    assert f"H(P,Q) = {f4(ce)} nats" in text
    assert "H(P) = −Σ P(i)·log P(i) = 0 nats" in text
    assert f"KL(P‖Q) = H(P,Q) − H(P) = {f4(ce)} − 0 = {f4(ce)} nats" in text
    assert f"e^H(P,Q) = e^{f4(ce)} = 2.5000" in text
    # The base lesson: the same loss in nats and in bits, one a rescaling of the other.
    assert f"in nats (log base e): {f4(ce)}" in text
    assert f"in bits (log base 2): {f4(ce / math.log(2))} = {f4(ce)} / ln 2" in text


def test_another_base_is_shown_next_to_nats_and_bits():
    text = run("explain", "-l", "dog", "-p", ARTICLE, "--base", "10", "-f", "plain")
    ce = -math.log(0.4)
    assert f"H(P,Q) = {f4(-math.log10(0.4))} hartleys" in text
    assert "(−log₁₀ 0.4000)" in text
    assert f"in hartleys (log base 10): {f4(-math.log10(0.4))} = {f4(ce)} / ln 10" in text
    assert f"10^H(P,Q) = 10^{f4(-math.log10(0.4))} = 2.5000" in text


def test_soft_label_has_entropy_and_no_vanishing_note_for_its_classes():
    p = [0.7, 0.1, 0.1, 0.05, 0.05]
    q = [float(v) for v in ARTICLE.split(",")]
    data = explain_json("-l", ",".join(map(str, p)), "-p", ARTICLE)
    (prediction,) = data["predictions"]
    assert prediction["entropy"] == pytest.approx(scipy_entropy(p), rel=1e-12)
    assert prediction["kl_divergence"] == pytest.approx(rel_entr(p, q).sum(), rel=1e-12)
    assert not any(term["vanishes"] for term in prediction["terms"])
    meanings = {step["key"]: step["meaning"] for step in prediction["steps"]}
    assert meanings["substitute"] == TEXT["en"]["substitute_none"]
    assert meanings["entropy"] == TEXT["en"]["entropy_positive"]


# --------------------------------------------------------------------------- comparisons


def test_comparison_shows_the_article_improvement():
    text = run("explain", "-l", "dog", "-p", ARTICLE, "-p", IMPROVED, "-f", "plain")
    first, last = -math.log(0.4), -math.log(0.98)
    fall = first - last
    assert f4(first) == "0.9163" and f4(last) == "0.0202"
    assert "Comparing 2 predictions for the label “dog”" in text
    assert re.search(rf"loss H\(P,Q\)\s+{f4(first)}\s+{f4(last)}", text)
    assert re.search(rf"fall from #1\s+—\s+{f4(fall)} \({-fall / first:+.1%}\)", text)
    assert f"from {f4(first)} to {f4(last)} nats, a fall of {f4(fall)}" in " ".join(text.split())


def test_comparison_numbers_in_json():
    data = explain_json("-l", "dog", "-p", ARTICLE, "-p", IMPROVED)
    first, second = data["predictions"]
    assert second["cross_entropy"] == pytest.approx(-math.log(0.98), rel=1e-15)
    assert second["fall"] == pytest.approx(math.log(0.98) - math.log(0.4), rel=1e-12)
    assert second["relative_fall"] == pytest.approx(1 - math.log(0.98) / math.log(0.4), rel=1e-12)
    assert first["fall"] == 0
    assert data["comparison"]["header"] == ["class", "P", "#1", "#2"]


def test_chinese_explanation():
    text = run("explain", "-l", "dog", "-p", ARTICLE, "-p", IMPROVED, "--lang", "zh", "-f", "plain")
    for word in ("交叉熵", "标签", "预测", "损失", "熵", "比较"):
        assert word in text
    assert f4(-math.log(0.4)) in text and f4(-math.log(0.98)) in text


# --------------------------------------------------------------------------- the texts


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_language_has_every_text():
    keys = set(TEXT["en"])
    assert set(LANGUAGES) == set(TEXT)
    for lang in LANGUAGES:
        assert set(TEXT[lang]) == keys, lang
        for key, value in TEXT[lang].items():
            assert value.strip(), (lang, key)
            # The same placeholders, so a translation cannot drop a number.
            assert fields(value) == fields(TEXT["en"][key]), (lang, key)


# --------------------------------------------------------------------------- pictures


def svg_text(path) -> str:
    root = ET.parse(path).getroot()  # raises on a malformed file
    assert root.tag.endswith("svg")
    return "".join(root.itertext()).replace("\xa0", " ")


class _TextOf(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append(tag)

    def handle_data(self, data) -> None:
        self.parts.append(data)


def html_text(path) -> str:
    parser = _TextOf()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    assert {"html", "body", "pre"} <= set(parser.tags)
    return "".join(parser.parts)


@pytest.mark.parametrize(
    "command",
    [
        ["compute", "-l", "dog", "-p", ARTICLE],
        ["entropy", "-p", ARTICLE],
        ["explain", "-l", "dog", "-p", ARTICLE, "-p", IMPROVED],
    ],
)
def test_saved_pictures_are_well_formed_and_hold_the_numbers(tmp_path, command):
    svg, html = tmp_path / "out.svg", tmp_path / "out.html"
    # stdout is not a terminal here: the files still hold the table view.
    run(*command, "--format", "plain", "--save-svg", str(svg), "--save-html", str(html))
    q = [float(v) for v in ARTICLE.split(",")]
    expected = f4(scipy_entropy(q)) if command[0] == "entropy" else f4(-math.log(0.4))
    assert expected in svg_text(svg)
    assert expected in html_text(html)
    if command[0] == "explain":
        assert f4(-math.log(0.98)) in svg_text(svg)


def test_unwritable_picture_is_one_line(tmp_path):
    target = tmp_path / "missing" / "out.svg"
    result = runner.invoke(app, ["compute", "-l", "dog", "-p", ARTICLE, "--save-svg", str(target)])
    assert result.exit_code == 2  # the option names a place that cannot be written
    assert result.stderr == (
        f"xent: {target}: cannot write in {target.parent}: No such file or directory\n"
    )


def test_failed_picture_leaves_the_old_file(tmp_path, monkeypatch):
    from rich.console import Console

    target = tmp_path / "out.svg"
    target.write_text("old")

    def fail(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Console, "export_svg", fail)
    result = runner.invoke(app, ["compute", "-l", "dog", "-p", ARTICLE, "--save-svg", str(target)])
    assert result.exit_code == 130
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.svg"]


# --------------------------------------------------------------------------- bad input


def test_explain_errors():
    result = runner.invoke(app, ["explain", "-p", ARTICLE])
    assert result.exit_code == 2
    assert result.stderr.startswith("xent: no label")
    result = runner.invoke(app, ["explain", "-l", "cat", "-p", ARTICLE])
    assert result.exit_code == 1
    assert "unknown class 'cat'" in result.stderr
    result = runner.invoke(app, ["explain", "-l", "dog", "-p", ARTICLE, "-p", "0.5,0.5,0,0,0.1"])
    assert result.exit_code == 1
    assert result.stderr.startswith("xent: --pred (sample 2): prediction sums to")
    result = runner.invoke(app, ["explain", "-l", "dog", "-p", ARTICLE, "-f", "csv"])
    assert result.exit_code == 2


# --------------------------------------------------------------------------- examples/


def test_example_files_hold_the_article_predictions():
    import csv
    from pathlib import Path

    examples = Path(__file__).resolve().parent.parent / "examples"
    with open(examples / "article.csv", newline="", encoding="utf-8") as f:
        from_csv = list(csv.DictReader(f))
    from_json = json.loads((examples / "article.json").read_text(encoding="utf-8"))
    expected = [ARTICLE, IMPROVED]
    assert len(from_csv) == len(from_json) == len(expected)
    for row_csv, row_json, pred in zip(from_csv, from_json, expected):
        q = [float(v) for v in pred.split(",")]
        assert row_csv["label"] == row_json["label"] == "dog"
        assert [float(row_csv[c]) for c in CLASSES] == q
        assert [row_json[c] for c in CLASSES] == q
        assert math.fsum(q) == pytest.approx(1, abs=1e-12)


def test_unknown_label_with_two_classes_is_named_as_in_compute():
    # Two probabilities are two classes, not a binary prediction: 'cat' is an unknown class.
    result = runner.invoke(app, ["explain", "-l", "cat", "-p", "0.5,0.5"])
    assert result.exit_code == 1
    assert result.stderr == "xent: --labels: unknown class 'cat': the classes are 0, 1\n"


# --------------------------------------------------------------------------- calibration


def test_several_predictions_are_alternatives_with_no_ece():
    """Issue 24, item 8: several --pred of one label are alternatives for one sample, not
    a batch of samples: each one's confidence, top class and rightness, and no ECE (it
    was 0.31 here, over the two alternatives)."""
    data = explain_json("-l", "dog", "-p", ARTICLE, "-p", IMPROVED, "-p", "0.1,0.6,0.1,0.1,0.1")
    calibration = data["calibration"]
    assert calibration["ece"] is None and "not a batch" in calibration["why_no_ece"]
    assert calibration["predictions"] == [
        {"confidence": 0.4, "top_class": "dog", "right": True},  # max of the article's Q
        {"confidence": 0.98, "top_class": "dog", "right": True},
        {"confidence": 0.6, "top_class": "fox", "right": False},
    ]
    assert "non_empty_bins" not in calibration
    assert calibration["step"]["key"] == "calibration"
    text = run("explain", "-l", "dog", "-p", ARTICLE, "-p", IMPROVED, "-f", "plain")
    assert "no ECE for alternative predictions" in text and "ECE =" not in text
    assert "#2              0.9800        dog    yes" in text
    zh = run("explain", "-l", "dog", "-p", ARTICLE, "-p", IMPROVED, "--lang", "zh", "-f", "plain")
    assert "备选预测" in zh and "置信度" in zh and "ECE =" not in zh
    table = run("explain", "-l", "dog", "-p", ARTICLE, "-p", IMPROVED, "-f", "table")
    assert "no ECE for alternative predictions" in table


def test_bins_of_alternatives_are_refused():
    result = CliRunner().invoke(
        app, ["explain", "-l", "dog", "-p", ARTICLE, "-p", IMPROVED, "--bins", "10"]
    )
    assert result.exit_code == 2
    assert result.stderr == (
        "xent: --bins: the ECE's bins are a file's (--file): several --pred of one label are "
        "alternative predictions of one sample, not a batch of samples\n"
    )


def test_one_prediction_has_no_calibration_step():
    data = explain_json("-l", "dog", "-p", ARTICLE)
    assert "calibration" not in data
    assert "ECE" not in run("explain", "-l", "dog", "-p", ARTICLE, "-f", "plain")


def test_explain_a_file_batch(tmp_path):
    rng = np.random.default_rng(11)
    q = rng.dirichlet([1.0, 1.0, 1.0], size=200)
    y = np.array([rng.choice(3, p=row) for row in q])
    path = tmp_path / "p.csv"
    path.write_text(
        "label,a,b,c\n"
        + "".join("abc"[t] + "," + ",".join(map(repr, map(float, r))) + "\n" for t, r in zip(y, q))
    )
    data = explain_json("--file", str(path), "--bins", "10")
    confidence, hits = q.max(axis=1), (q.argmax(axis=1) == y).astype(float)
    expected = references.torchmetrics_calibration_error(confidence, hits, 10)
    assert data["calibration"]["ece"] == pytest.approx(expected, rel=1e-12)
    bins = data["calibration"]["non_empty_bins"]
    assert sum(b["rows"] for b in bins) == 200
    assert math.fsum(b["term"] for b in bins) == pytest.approx(expected, rel=1e-12)
    assert data["mean_cross_entropy"] == pytest.approx(-np.log(q[np.arange(200), y]).mean())
    assert [s["key"] for s in data["steps"]] == ["batch_loss", "calibration"]
    text = run("explain", "--file", str(path), "--bins", "10", "--lang", "zh", "-f", "plain")
    assert "校准" in text and "200 个样本" in text


def test_explain_file_usage_errors(tmp_path):
    (tmp_path / "p.csv").write_text("label,a,b\na,0.7,0.3\n")
    result = runner.invoke(app, ["explain", "--file", str(tmp_path / "p.csv"), "-l", "a"])
    assert result.exit_code == 2
    result = runner.invoke(app, ["explain", "-l", "a", "-p", "0.7,0.3", "--from-logits"])
    assert result.exit_code == 2


@pytest.mark.parametrize("fmt", ["table", "plain", "json"])
def test_an_infinite_loss_is_one_warning_and_its_fall_is_said(xent_cli, fmt):
    """Q(dog) = 0: one warning line (the lesson scores the rows in three bases, and the
    second one warned again in nats), no NumPy "invalid value" line from ∞ − ∞; the first
    prediction's fall is 0, the next one's from ∞ to −ln 0.5 is ∞."""
    args = ["explain", "--labels", "dog", "--pred", "0,1,0,0,0", "--pred", "0.5,0.5,0,0,0"]
    result = xent_cli(*args, "-c", "dog,fox,horse,eagle,squirrel", "-f", fmt)
    assert result.exit_code == 0
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("xent: warning: a prediction gives"), lines
    if fmt == "json":
        falls = [p["fall"] for p in json.loads(result.stdout)["predictions"]]
        assert falls == [0.0, "inf"]
