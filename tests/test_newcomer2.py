"""Issue 24, items 2, 3, 4, 5 and 16: scikit-learn's conventions where a newcomer expects
them, each checked against scikit-learn itself."""

from __future__ import annotations

import json

import numpy as np
import pytest


def _binary_file(path, with_zero: bool = False):
    rng = np.random.default_rng(3)
    n = 200
    labels = rng.integers(0, 2, n)
    p = np.clip(rng.beta(2, 2, n) * 0.6 + 0.4 * labels * rng.random(n), 0, 1)
    if with_zero:
        p[5], labels[5] = 0.0, 1  # Q(label) = 0 on data row 6 (line 7)
    with open(path, "w") as f:
        f.write("label,p\n")
        for y, q in zip(labels, p):
            f.write(f"{int(y)},{float(q)!r}\n")
    return labels, p


# --------------------------------------------------------------------------- item 2


def test_binary_brier_is_scikit_learns(xent_cli, tmp_path):
    from sklearn.metrics import brier_score_loss

    path = tmp_path / "binary.csv"
    labels, p = _binary_file(path)
    result = xent_cli("compute", "-i", path, "-f", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["brier_score"] == pytest.approx(brier_score_loss(labels, p), rel=1e-12)
    assert data["brier_convention"] == "binary"
    assert any("brier_score_loss" in note for note in data["notes"])
    table = xent_cli("compute", "-i", path, "-f", "table", env={"COLUMNS": "120"}).stdout
    assert "sklearn binary, 0 to 1" in table


def test_binary_brier_of_vectors_is_scikit_learns(xent_cli):
    from sklearn.metrics import brier_score_loss

    args = ["-l", "1", "-p", "0.8", "-l", "0", "-p", "0.3", "-l", "1", "-p", "0.6"]
    data = json.loads(xent_cli("compute", *args, "-f", "json").stdout)
    expected = brier_score_loss([1, 0, 1], [0.8, 0.3, 0.6])
    assert data["brier_score"] == pytest.approx(expected, rel=1e-12)
    assert any("brier_score_loss" in note for note in data["notes"])


def test_binary_brier_interval_and_classes(xent_cli, tmp_path):
    from sklearn.metrics import brier_score_loss

    path = tmp_path / "binary.csv"
    labels, p = _binary_file(path)
    data = json.loads(xent_cli("compute", "-i", path, "--ci", "0.9", "-f", "json").stdout)
    low, high = data["ci"]["brier_score"] if "brier_score" in data["ci"] else (None, None)
    if low is not None:
        assert low <= brier_score_loss(labels, p) <= high <= 1
    for k, c in enumerate(data["per_class"]):
        mask = labels == k
        assert c["brier_score"] == pytest.approx(
            brier_score_loss(labels[mask], p[mask], pos_label=1, labels=[0, 1]), rel=1e-12
        )


def test_multiclass_brier_keeps_its_convention(xent_cli):
    data = json.loads(xent_cli("compute", "-i", "examples/animals.csv", "-f", "json").stdout)
    assert data["brier_convention"] == "multiclass"


# --------------------------------------------------------------------------- item 3


def test_clip_eps_is_scikit_learns_log_loss(xent_cli, tmp_path):
    from sklearn.metrics import log_loss

    path = tmp_path / "zero.csv"
    labels, p = _binary_file(path, with_zero=True)
    expected = log_loss(labels, p)  # scikit-learn clips at np.finfo(float).eps
    assert np.isfinite(expected)
    assert np.finfo(float).eps == 2.220446049250313e-16
    data = json.loads(xent_cli("compute", "-i", path, "--clip", "eps", "-f", "json").stdout)
    assert data["cross_entropy"] == pytest.approx(expected, rel=1e-12)
    same = json.loads(
        xent_cli("compute", "-i", path, "--clip", "2.220446049250313e-16", "-f", "json").stdout
    )
    assert same["cross_entropy"] == data["cross_entropy"]
    # The note on the infinite loss suggests eps, not 1e-15 (which does not reproduce it).
    plain = json.loads(xent_cli("compute", "-i", path, "-f", "json").stdout)
    assert any("--clip eps" in note for note in plain["notes"])
    assert not any("1e-15" in note for note in plain["notes"])


def test_clip_that_is_not_a_number(xent_cli):
    result = xent_cli("compute", "-l", "1", "--pred", "0.5,0.5", "--clip", "tiny")
    assert result.exit_code != 0
    assert "'tiny' is not a clip value" in result.stderr
    assert "Traceback" not in result.output


# --------------------------------------------------------------------------- item 4


@pytest.mark.parametrize("fmt", ["plain", "json", "table"])
def test_infinite_loss_from_a_file_warns_on_stderr(xent_cli, tmp_path, monkeypatch, fmt):
    monkeypatch.setattr("xent.readers.csv_rows.CHUNK_BYTES", 64)  # many chunks
    path = tmp_path / "zero.csv"
    rows = ["label,p"] + [f"{i % 2},{0.3 + 0.4 * (i % 2)}" for i in range(20)]
    rows[8] = "1,0"  # data row 8: line 9
    rows[15] = "0,1"  # line 16
    path.write_text("\n".join(rows) + "\n")
    result = xent_cli("compute", "-i", path, "-f", fmt)
    assert result.exit_code == 0
    lines = [line for line in result.stderr.splitlines() if "probability 0" in line]
    assert len(lines) == 1, result.stderr
    assert "2 rows give probability 0 to the label" in lines[0]
    assert "the first on line 9" in lines[0]
    assert str(path) in lines[0]


def test_finite_file_says_nothing_on_stderr(xent_cli):
    result = xent_cli("compute", "-i", "examples/animals.csv", "-f", "plain")
    assert result.exit_code == 0 and result.stderr == ""


# --------------------------------------------------------------------------- item 16


def _commands():
    import typer

    from xent.cli import app

    group = typer.main.get_command(app)
    ctx = group.context_class(group, info_name="xent")
    yield [], group
    for name in group.list_commands(ctx):
        yield [name], group.get_command(ctx, name)


def test_no_help_text_loses_bracketed_text(xent_cli):
    """Rich markup swallows an unescaped [word] ('xent[dask]' printed as 'xent'): every
    bracketed piece of a help string is printed by --help."""
    import re

    checked = 0
    for path, command in _commands():
        shown = xent_cli(*path, "--help", env={"COLUMNS": "1000"}).stdout
        shown = re.sub(r"\s+", " ", shown)
        texts = [command.help or ""] + [getattr(p, "help", None) or "" for p in command.params]
        for text in texts:
            visible = re.sub(r"\s+", " ", text.replace("\\[", "["))
            for piece in re.findall(r"\[[^\[\]]*\]", visible):
                assert piece in shown, (path, piece, text)
                checked += 1
    assert checked >= 2  # xent[dask] and w[label] at least


def test_cluster_help_names_the_extra(xent_cli):
    shown = xent_cli("compute", "--help", env={"COLUMNS": "1000"}).stdout
    assert "pip install 'xent[dask]'" in shown


# --------------------------------------------------------------------------- item 5


def test_plain_output_keeps_the_interval(xent_cli):
    import re

    path = "examples/animals.csv"
    plain = xent_cli("compute", "-i", path, "--ci", "0.95", "-f", "plain").stdout
    match = re.fullmatch(r"(\S+) \[(\S+), (\S+)\]\n", plain)
    assert match, plain
    value, low, high = map(float, match.groups())
    data = json.loads(xent_cli("compute", "-i", path, "--ci", "0.95", "-f", "json").stdout)
    assert value == data["cross_entropy"]
    assert [low, high] == data["ci"]["mean_cross_entropy"]  # the same numbers, full precision
    # The mean itself, by hand: −ln Q(label) averaged over the rows.
    rows = [line.split(",") for line in open(path).read().splitlines()]
    header = rows[0]
    losses = [-np.log(float(r[header.index(r[0])])) for r in rows[1:]]
    assert value == pytest.approx(np.mean(losses), rel=1e-12)
    assert low < value < high
    # Without --ci, and for the sum, the number alone.
    assert xent_cli("compute", "-i", path, "-f", "plain").stdout == match.group(1) + "\n"
    summed = xent_cli("compute", "-i", path, "--ci", "0.95", "-r", "sum", "-f", "plain").stdout
    assert float(summed) == pytest.approx(np.sum(losses), rel=1e-12)
