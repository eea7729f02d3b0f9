"""Issue 24, item 12: every command that reads files takes every option that says how a
file is read (``xent.cli.shared.READ_OPTIONS``), and every command that reads prediction
files the label options too (``LABEL_OPTIONS``). Each option is exercised on each command:
a good value reads the file (and a bad one, or none, fails), or the command refuses it
with a line saying why; rows given as arguments refuse the options that read a file."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from xent.cli.shared import LABEL_OPTIONS, READ_OPTIONS

PREDICTION_COMMANDS = ("compute", "explain", "calibrate", "compare", "report")
DISTRIBUTION_COMMANDS = ("entropy", "kl", "js")

# The rows of every prediction file below: label, Q(a), Q(b).
ROWS = [("a", 0.7, 0.3), ("b", 0.2, 0.8), ("a", 0.6, 0.4), ("b", 0.4, 0.6)]
MEAN = sum(-math.log(qa if y == "a" else qb) for y, qa, qb in ROWS) / len(ROWS)


def _commands():
    import typer

    from xent.cli import app

    group = typer.main.get_command(app)
    ctx = group.context_class(group, info_name="xent")
    for name in group.list_commands(ctx):
        yield name, group.get_command(ctx, name)


def test_every_command_that_reads_files_takes_every_file_option():
    readers = {}
    for name, command in _commands():
        params = {p.name for p in command.params}
        if params & {"file", "file_a"}:  # --file, or compare's two files
            readers[name] = params
    assert sorted(readers) == sorted(PREDICTION_COMMANDS + DISTRIBUTION_COMMANDS)
    for name, params in readers.items():
        missing = set(READ_OPTIONS) - params
        assert not missing, (name, missing)
        if name in PREDICTION_COMMANDS:
            assert not set(LABEL_OPTIONS) - params, name
        else:  # rows of distributions have no label: every other column is a class
            assert not set(LABEL_OPTIONS) & params, name


@pytest.fixture
def files(tmp_path):
    """The files each option is tried on: path by name."""

    def csv(name, header, rows):
        path = tmp_path / name
        path.write_text("\n".join([header, *rows]) + "\n")
        return str(path)

    good = [f"{y},{a!r},{b!r}" for y, a, b in ROWS]
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(30, 3))
    np.savez(tmp_path / "scores.npz", scores=logits, labels=rng.integers(0, 3, 30))
    np.save(tmp_path / "values.npy", logits)
    np.save(tmp_path / "tokens.npy", rng.integers(0, 3, 30))
    dists = rng.dirichlet(np.ones(3), 30)
    np.savez(tmp_path / "dists.npz", scores=dists)
    return {
        "good": csv("good.csv", "label,a,b", good),
        "ids": csv(
            "ids.csv",
            "label,id,a,b",
            [f"{r.split(',')[0]},r{i},{r[2:]}" for i, r in enumerate(good)],
        ),
        "bad": csv("bad.csv", "label,a,b", [*good[:2], "a,x,0.5", *good[2:]]),
        "y": csv("y.csv", "y,a,b", good),
        "soft": csv(
            "soft.csv",
            "t_a,t_b,a,b",
            [("1,0," if y == "a" else "0,1,") + f"{a!r},{b!r}" for y, a, b in ROWS],
        ),
        "scores": str(tmp_path / "scores.npz"),
        "values": str(tmp_path / "values.npy"),
        "tokens": str(tmp_path / "tokens.npy"),
        "dist": csv("dist.csv", "a,b", ["0.5,0.5", "0.9,0.1", "0.25,0.75"]),
        "dist_ids": csv("dist_ids.csv", "id,a,b", ["r1,0.5,0.5", "r2,0.9,0.1"]),
        "dist_bad": csv("dist_bad.csv", "a,b", ["0.5,0.5", "x,0.1", "0.25,0.75"]),
        "pq": csv("pq.csv", "p_a,p_b,q_a,q_b", ["0.5,0.5,0.4,0.6", "0.9,0.1,0.5,0.5"]),
        "pq_ids": csv("pq_ids.csv", "id,p_a,p_b,q_a,q_b", ["r1,0.5,0.5,0.4,0.6"]),
        "pq_bad": csv("pq_bad.csv", "p_a,p_b,q_a,q_b", ["0.5,0.5,0.4,0.6", "x,0.1,0.5,0.5"]),
        "dists": str(tmp_path / "dists.npz"),
        "html": str(tmp_path / "report.html"),
        "chat": "examples/chat-logprobs.jsonl",
    }


def _run(xent_cli, files, command, path, *extra):
    if command == "report":
        args = ["report", path, "-o", files["html"]]
    elif command == "compare":
        args = ["compare", path, path, "-f", "json"]
    else:
        args = [command, "-i", path, "-f", "json"]
    return xent_cli(*args, *extra)


# (file, arguments that read it, arguments that fail on it) per option, for prediction
# files and for files of distributions. A refusal is ("refused", arguments, words).
PREDICTION_CASES = {
    "input_format": ("good", ["--input-format", "csv"], ["--input-format", "json"]),
    "delimiter": ("good", ["--delimiter", ","], ["--delimiter", ";"]),
    "ignore_columns": ("ids", ["--ignore-columns", "id"], []),
    "on_error": ("bad", ["--on-error", "skip"], []),
    "label_column": ("y", ["--label-column", "y"], []),
    "label_columns": ("soft", ["--label-columns", "t_a,t_b"], []),
    "pred_array": ("scores", ["--pred-array", "scores"], ["--pred-array", "nope"]),
    "holds": (
        "scores",
        ["--pred-array", "scores", "--holds", "logits"],
        ["--pred-array", "scores", "--holds", "logprobs"],
    ),  # fmt: skip
    "labels_file": ("values", ["--labels-file", "tokens"], []),
    "logprobs_mode": ("chat", ["--logprobs-mode", "chat"], ["--logprobs-mode", "vllm"]),
}
DISTRIBUTION_CASES = {
    "input_format": ("dist", ["--input-format", "csv"], ["--input-format", "json"]),
    "delimiter": ("dist", ["--delimiter", ","], ["--delimiter", ";"]),
    "ignore_columns": ("dist_ids", ["--ignore-columns", "id"], []),
    "on_error": ("dist_bad", ["--on-error", "skip"], []),
    "pred_array": ("dists", ["--pred-array", "scores"], ["--pred-array", "nope"]),
    "holds": ("refused", ["--holds", "logits"], "prediction files"),
    "labels_file": ("refused", ["--labels-file", "tokens"], "no labels"),
    "logprobs_mode": ("refused", ["--logprobs-mode", "chat"], "only the log-prob"),
}
# kl and js read a table's P and Q columns.
PAIR_FILES = {"dist": "pq", "dist_ids": "pq_ids", "dist_bad": "pq_bad"}
PAIR_REFUSED = {"pred_array": ("refused", ["--pred-array", "scores"], "not the arrays")}
# compare needs every row of both files; calibrate every class's values.
COMPARE_REFUSED = {"on_error": ("refused", ["--on-error", "skip"], "misalign")}
CALIBRATE_REFUSED = {"logprobs_mode": ("refused", ["--logprobs-mode", "chat"], "only the log-prob")}

EVERY = [(c, o) for c in PREDICTION_COMMANDS for o in READ_OPTIONS + LABEL_OPTIONS] + [
    (c, o) for c in DISTRIBUTION_COMMANDS for o in READ_OPTIONS
]


def _case(command, option):
    if command in PREDICTION_COMMANDS:
        refused = {"compare": COMPARE_REFUSED, "calibrate": CALIBRATE_REFUSED}.get(command, {})
        return refused.get(option, PREDICTION_CASES[option])
    if command in ("kl", "js"):
        name, good, bad = PAIR_REFUSED.get(option, DISTRIBUTION_CASES[option])
        return PAIR_FILES.get(name, name), good, bad
    return DISTRIBUTION_CASES[option]


def _paths(files, args):
    return [files.get(a, a) if a in ("tokens",) else a for a in args]


@pytest.mark.parametrize("command, option", EVERY)
def test_each_file_option_is_read_or_refused_by_each_command(xent_cli, files, command, option):
    name, good, bad = _case(command, option)
    if name == "refused":
        path = {"entropy": files["dists"], "calibrate": files["chat"]}.get(command, files["pq"])
        result = _run(xent_cli, files, command, path, *_paths(files, good))
        assert result.exit_code == 2, result.output
        flag = "--" + option.replace("_", "-")
        assert result.stderr.startswith(f"xent: {flag}: ") and bad in result.stderr
        assert result.stderr.count("\n") == 1, result.stderr
        return
    path = files[name]
    result = _run(xent_cli, files, command, path, *_paths(files, good))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    failed = _run(xent_cli, files, command, path, *_paths(files, bad))
    assert failed.exit_code != 0, failed.stdout
    assert failed.stderr.startswith("xent: ") and "Traceback" not in failed.stderr
    if name in ("good", "ids", "bad", "y", "soft") and command in ("compute", "explain"):
        data = json.loads(result.stdout)  # the same rows in every file: the same mean
        mean = data.get("cross_entropy", data.get("mean_cross_entropy"))
        assert mean == pytest.approx(MEAN, rel=1e-12)


@pytest.mark.parametrize("command", ["compute", "explain", "entropy", "kl"])
@pytest.mark.parametrize(
    "given",
    [
        ["--input-format", "csv"],
        ["--delimiter", ";"],
        ["--ignore-columns", "id"],
        ["--pred-array", "scores"],
        ["--holds", "logits"],
        ["--labels-file", "tokens.npy"],
        ["--logprobs-mode", "chat"],
        ["--label-column", "y"],
        ["--label-columns", "t_a,t_b"],
    ],
)
def test_rows_given_as_arguments_refuse_the_options_that_read_a_file(xent_cli, command, given):
    vectors = {
        "compute": ["-l", "0", "-p", "0.5,0.5"],
        "explain": ["-l", "0", "-p", "0.5,0.5"],
        "entropy": ["-p", "0.5,0.5"],
        "kl": ["--p", "0.5,0.5", "--q", "0.4,0.6"],
    }[command]
    result = xent_cli(command, *vectors, *given)
    if result.exit_code == 2 and "No such option" in result.stderr:
        assert command in DISTRIBUTION_COMMANDS and given[0].startswith("--label-column")
        return
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"xent: {given[0]}: reads a file, and the rows given as arguments have no columns: "
        "give --file, or leave it out\n"
    )


def test_explain_reads_a_pandas_file_with_its_index(xent_cli, tmp_path):
    """The newcomer's case: a pandas CSV with its unnamed index column and a ';'
    delimiter, explained as compute reads it."""
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(ROWS, columns=["label", "a", "b"])
    path = tmp_path / "frame.csv"
    frame.to_csv(path, sep=";")  # the index: a column with no name
    args = ["-i", path, "--delimiter", ";", "--ignore-columns", "", "-f", "json"]
    explained = json.loads(xent_cli("explain", *args).stdout)
    computed = json.loads(xent_cli("compute", *args).stdout)
    assert explained["mean_cross_entropy"] == computed["cross_entropy"]
    assert explained["mean_cross_entropy"] == pytest.approx(MEAN, rel=1e-12)


def test_a_group_of_options_is_expanded_in_its_place():
    """cli.shared.expand: a group parameter becomes the group's options where it stands
    (so --help lists them there), and the command is called with its own parameters."""
    import inspect

    from xent.cli import shared

    seen = {}

    @shared.expand
    def command(ctx, first: int = 1, reading=shared.READING, last: int = 2):
        seen.update(first=first, last=last)

    assert list(inspect.signature(command).parameters) == [
        "ctx",
        "first",
        *shared.READ_OPTIONS,
        "last",
    ]
    command(None, first=3, last=4, **dict.fromkeys(shared.READ_OPTIONS))
    assert seen == {"first": 3, "last": 4}
