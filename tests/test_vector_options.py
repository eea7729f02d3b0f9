"""Rows given as arguments (``--labels``/``--pred``) take every option of ``xent compute``
or refuse it with one line: no option is silently ignored. ``--ci`` gives the interval a
file of the same rows gives: the same Poisson bootstrap, keyed by the same row numbers
(a vector's sample number is a JSON Lines file's line number; a CSV file's rows start on
line 2, after its header, so its weights are another draw of the same bootstrap)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from scipy import stats

from xent.accumulators.bootstrap import poisson_weights

CLASSES = ["dog", "fox", "horse", "eagle", "squirrel"]
ROWS = [
    ("dog", [0.4, 0.3, 0.05, 0.05, 0.2]),
    ("fox", [0.2, 0.5, 0.1, 0.1, 0.1]),
    ("dog", [0.7, 0.1, 0.1, 0.05, 0.05]),
    ("horse", [0.3, 0.3, 0.2, 0.1, 0.1]),
    ("squirrel", [0.1, 0.2, 0.1, 0.1, 0.5]),
    ("fox", [0.25, 0.25, 0.2, 0.2, 0.1]),
]
VECTORS = [a for label, q in ROWS for a in ("-l", label, "-p", ",".join(map(repr, q)))]


def _jsonl(path) -> str:
    path.write_text(
        "".join(json.dumps({"label": y, **dict(zip(CLASSES, q))}) + "\n" for y, q in ROWS)
    )
    return str(path)


@pytest.mark.parametrize(
    "options",
    [
        ["--ci", "0.95"],
        ["--ci", "0.95", "--bootstrap", "200"],
        ["--ci", "0.8", "--bootstrap", "500", "--seed", "7"],
    ],
)
def test_vector_intervals_are_a_files(xent_cli, tmp_path, options):
    """The same rows as arguments and as a JSON Lines file: the same "ci" object, the same
    plain line; and the interval of the mean against SciPy's t interval, or against NumPy
    with the bootstrap's weights."""
    path = _jsonl(tmp_path / "rows.jsonl")
    vectors = json.loads(xent_cli("compute", *VECTORS, *options, "-f", "json").stdout)
    file = json.loads(xent_cli("compute", "-i", path, *options, "-f", "json").stdout)
    assert vectors["ci"] == file["ci"]
    bootstrap = "--bootstrap" in options
    assert set(vectors["ci"]) >= {"mean_cross_entropy", "perplexity", "accuracy"}
    assert ("ece" in vectors["ci"]) == bootstrap  # only a bootstrap gives the ECE's
    plain = [
        xent_cli("compute", *src, *options, "-f", "plain").stdout for src in (VECTORS, ["-i", path])
    ]
    assert plain[0] == plain[1]
    level = float(options[1])
    losses = np.array([-np.log(q[CLASSES.index(y)]) for y, q in ROWS])
    if not bootstrap:
        expected = stats.ttest_1samp(losses, 0).confidence_interval(level)
        assert vectors["ci"]["mean_cross_entropy"] == pytest.approx(list(expected), rel=1e-12)
        assert vectors["ci"]["replicates"] is None and vectors["ci"]["seed"] is None
        return
    replicates = int(options[options.index("--bootstrap") + 1])
    seed = int(options[options.index("--seed") + 1]) if "--seed" in options else 0
    w = poisson_weights(np.arange(1, len(ROWS) + 1), replicates, seed)
    with np.errstate(invalid="ignore"):
        means = (w * losses[:, None]).sum(0) / w.sum(0)
    means = means[np.isfinite(means)]  # a replicate of all-zero weights has no mean
    alpha = (1 - level) / 2
    expected = np.quantile(means, [alpha, 1 - alpha])
    assert vectors["ci"]["mean_cross_entropy"] == pytest.approx(list(expected), rel=1e-12)
    assert vectors["ci"]["level"] == level and vectors["ci"]["replicates"] == replicates


def test_vector_interval_in_the_table(xent_cli):
    out = xent_cli("compute", *VECTORS, "--ci", "0.9", "-f", "table").stdout
    ci = json.loads(xent_cli("compute", *VECTORS, "--ci", "0.9", "-f", "json").stdout)["ci"]
    low, high = ci["mean_cross_entropy"]
    assert f"[{low:.4f}, {high:.4f}]" in out
    text = " ".join(out.split())  # (the note wraps at the terminal's width)
    assert (
        "90% interval" in text and "Student's t for the means, Wilson's for the accuracies" in text
    )
    out = xent_cli("compute", *VECTORS, "--ci", "0.9", "--bootstrap", "200", "-f", "table").stdout
    assert "poisson bootstrap (200 replicates, seed 0)" in out


def test_one_vector_has_no_interval_and_says_so(xent_cli):
    result = xent_cli(
        "compute", "-l", "dog", "-p", "0.4,0.3,0.05,0.05,0.2", "--ci", "0.9", "-f", "table"
    )
    assert result.exit_code == 0
    assert "one row: no confidence interval can be given (--ci needs two)" in result.stdout


BAD_ROW = ["-l", "dog", "-p", "0.5,0.6,0,0,0"]  # sums to 1.1
ZERO_ROW = ["-l", "eagle", "-p", "0.5,0.5,0,0,0"]
# Every option of compute: (what the run needs besides the rows, the option as given, the
# format). The option given either changes the output (stdout, the exit status, the files
# written) or is refused with one line. A new option must be added here.
CASES = {
    "labels": None,  # the rows themselves
    "pred": None,
    "logits": ([], ["--from-logits"], "json"),  # --logits: the rows given as logits
    "classes": ([], ["--classes", "a,b,c,d,e"], "json"),
    "file": ([], ["--file", "examples/animals.csv"], "json"),
    "paths": ([], ["examples/animals.csv"], "json"),
    "by_file": ([], ["--by-file"], "json"),
    "cluster": ([], ["--cluster", "local"], "json"),
    "workers": ([], ["--workers", "2"], "json"),
    "pred_array": ([], ["--pred-array", "scores"], "json"),
    "holds": ([], ["--holds", "logits"], "json"),
    "labels_file": ([], ["--labels-file", "labels.npy"], "json"),
    "logprobs_mode": ([], ["--logprobs-mode", "chat"], "json"),
    "input_format": ([], ["--input-format", "csv"], "json"),
    "label_column": ([], ["--label-column", "y"], "json"),
    "label_columns": ([], ["--label-columns", "a,b"], "json"),
    "delimiter": ([], ["--delimiter", ";"], "json"),
    "ignore_columns": ([], ["--ignore-columns", "id"], "json"),
    "on_error": (BAD_ROW, ["--on-error", "skip"], "json"),
    "from_logits": ([], ["--from-logits"], "json"),
    "clip": (ZERO_ROW, ["--clip", "eps"], "json"),
    "renormalize": ([], ["--renormalize"], "json"),
    "label_smoothing": ([], ["--label-smoothing", "0.1"], "json"),
    "weights": ([], ["--weights", "1,2,1,1,1"], "json"),
    "sample_weights": ([], ["--sample-weights", "1,2,1,1,1,3"], "json"),
    "ignore_index": ([], ["--ignore-index", "1"], "json"),
    "ignore_label": ([], ["--ignore-label", "fox"], "json"),
    "multi_label": ([], ["--multi-label"], "json"),
    "temperature": ([], ["--temperature", "2"], "json"),
    "calibration": ([], ["--calibration", "examples/animals-calibration.json"], "json"),
    "top_k": ([], ["--top-k", "2"], "json"),
    "bins": ([], ["--bins", "5"], "json"),
    "worst": ([], ["--worst", "2"], "json"),
    "reliability": ([], ["--reliability"], "json"),
    "reliability_svg": ([], ["--reliability-svg", "r.svg"], "json"),
    "ci": ([], ["--ci", "0.9"], "json"),
    "bootstrap": (["--ci", "0.9"], ["--bootstrap", "50"], "json"),
    "seed": (["--ci", "0.9"], ["--seed", "3"], "json"),
    "group_by": ([], ["--group-by", "fold"], "json"),
    "sequence_column": ([], ["--sequence-column", "doc"], "json"),
    "vocab_size": ([], ["--vocab-size", "50000"], "json"),
    "byte_column": ([], ["--byte-column", "bytes"], "json"),
    "word_column": ([], ["--word-column", "words"], "json"),
    "counts_per": ([], ["--counts-per", "document"], "json"),
    "fail_above": ([], ["--fail-above", "0.5"], "json"),
    "gate_on": (["--ci", "0.9", "--fail-above", "1.1"], ["--gate-on", "upper"], "json"),
    "base": ([], ["--base", "2"], "json"),
    "fmt": ([], ["--format", "csv"], "json"),  # the later -f wins: csv, not the json
    "precision": ([], ["--precision", "2"], "table"),
    "classes_shown": ([], ["--classes-shown", "2"], "json"),
    "reduction": ([], ["--reduction", "sum"], "json"),
    "output": ([], ["--output", "out.json"], "json"),
    "save_svg": ([], ["--save-svg", "out.svg"], "table"),
    "save_html": ([], ["--save-html", "out.html"], "table"),
}


def _compute_parameters() -> list[str]:
    import typer

    from xent.cli import app

    group = typer.main.get_command(app)
    command = group.get_command(group.context_class(group, info_name="xent"), "compute")
    return [p.name for p in command.params]


def test_every_option_of_compute_has_a_case():
    assert sorted(_compute_parameters()) == sorted(CASES)


def _run(xent_cli, where, args):
    cwd = os.getcwd()
    os.chdir(where)
    try:
        result = xent_cli("compute", *VECTORS, *args)
    finally:
        os.chdir(cwd)
    return result, sorted(os.listdir(where))


@pytest.mark.parametrize("name", [n for n, case in CASES.items() if case is not None])
def test_each_option_changes_vector_output_or_is_refused(xent_cli, tmp_path, name):
    setup, option, fmt = CASES[name]
    option = [os.path.abspath(a) if a.startswith("examples/") else a for a in option]
    before, after = tmp_path / "before", tmp_path / "after"
    before.mkdir(), after.mkdir()
    plain, files_plain = _run(xent_cli, before, [*setup, "-f", fmt])
    given, files_given = _run(xent_cli, after, [*setup, "-f", fmt, *option])
    if given.exit_code == 2:
        lines = given.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("xent: "), given.stderr
        assert given.stdout == ""
        return
    seen = (plain.exit_code, plain.stdout, files_plain)
    assert seen != (given.exit_code, given.stdout, files_given), f"{option} ignored"


def test_one_vector_in_plain_says_why_on_stderr(xent_cli):
    args = ["compute", "-l", "dog", "-p", "0.4,0.3,0.05,0.05,0.2", "--ci", "0.9", "-f", "plain"]
    result = xent_cli(*args)
    assert result.exit_code == 0 and result.stdout == "0.916290731874155\n"
    assert result.stderr == "xent: one row: no confidence interval can be given (--ci needs two)\n"


@pytest.mark.parametrize("option", [["--bootstrap", "50"], ["--seed", "3"]])
@pytest.mark.parametrize("source", [VECTORS, ["-i", "examples/animals.csv"]])
def test_bootstrap_and_seed_without_ci_are_refused(xent_cli, option, source):
    result = xent_cli("compute", *source, *option)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == (
        f"xent: {option[0]}: says how --ci draws its interval: give --ci 0.95 too, or leave "
        "it out\n"
    )


def test_classes_shown_limits_the_vector_tables(xent_cli):
    """--classes-shown lists the largest contributions, as for a file (0.3: it was refused
    for vectors, which listed every class): 50 classes, the label's contribution first."""
    q = ",".join(["0.02"] * 50)
    table = xent_cli("compute", "-l", "3", "-p", q, "--classes-shown", "3", "-f", "table").stdout
    assert "47 more classes, each with a smaller share of the loss, are not listed" in table
    data = json.loads(
        xent_cli(
            "compute", "-l", "3", "-l", "4", "-p", q, "-p", q, "--classes-shown", "2", "-f", "json"
        ).stdout
    )
    assert data["classes_left_out"] == 48
    assert [c["class"] for c in data["contributions"]] == ["3", "4"]
    assert data["contributions"][0]["contribution"] == pytest.approx(-np.log(0.02) / 2)
    everything = json.loads(
        xent_cli("compute", "-l", "3", "-p", q, "--classes-shown", "all", "-f", "json").stdout
    )
    assert len(everything["contributions"]) == 50 and "classes_left_out" not in everything
