"""``xent compare`` of two language models' array files: every option of compare either
changes what it gives or is refused with one line (none silently ignored); ``--id`` on
arrays says what it is for; the disagreements name each file's position as the source
numbers it; KL and the log ratio of the perplexities in the ``--base`` unit (checked
against NumPy float64 written out here)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import typer.main

from test_lm_compare import T, V, approx, compare_json, one_line, reference, two_models

NAMES = [str(i) for i in range(V)]


@pytest.fixture
def pair(tmp_path):
    """a.npz and b.npz (logits, labels, ids, a second array of logits, per-row weights),
    the same models' probabilities (pa.npz, pb.npz) and .npy files with two labels files."""
    la, lb, y = two_models(tmp_path, seed=11)
    rng = np.random.default_rng(12)
    for name, logits in (("a", la), ("b", lb)):
        np.savez(
            tmp_path / f"{name}.npz",
            logits=logits,
            labels=y,
            other=logits + rng.standard_normal(logits.shape),
            id=np.arange(T),
            w=np.linspace(1, 2, T),
        )
        np.savez(tmp_path / f"p{name}.npz", probs=np.exp(logits), labels=y)
        np.save(tmp_path / f"{name}.npy", logits)
    np.save(tmp_path / "y.npy", y)
    np.save(tmp_path / "y2.npy", np.roll(y, 1))
    return tmp_path


# option: (files, the baseline's arguments, the option's arguments, what must happen:
# "changes", or the text of the one line that refuses it).
CASES = {
    "id_column": ("ab", [], ["--id", "id"], "changes"),
    "disagree": ("ab", [], ["--disagree", "1"], "changes"),
    "fail_if_worse": ("ab", [], ["--fail-if-worse", "-1"], "changes"),
    "token_stats": ("ab", [], ["--token-stats", "kl"], "changes"),
    "exact_percentiles": ("ab", [], ["--exact-percentiles", "10"], "changes"),
    "gate_on": ("ab", [], [], "test_gate_on_changes_the_gate"),
    "ci": ("ab", [], ["--ci", "0.9"], "changes"),
    "bootstrap": ("ab", ["--ci", "0.9"], ["--bootstrap", "20"], "changes"),
    "seed": ("ab", ["--ci", "0.9", "--bootstrap", "20"], ["--seed", "3"], "changes"),
    "input_format": ("ab", [], ["--input-format", "csv"], "a.npz"),
    "label_column": ("ab", [], ["--label-column", "foo"], "no array 'foo'"),
    "label_columns": ("ab", [], ["--label-columns", "x,y"], "--label-columns: a.npz is an array"),
    "delimiter": ("ab", [], ["--delimiter", ";"], "--delimiter: a.npz is an array file"),
    "ignore_columns": ("ab", [], ["--ignore-columns", "x"], "--ignore-columns: a.npz is an"),
    "logprobs_mode": ("ab", [], ["--logprobs-mode", "chat"], "--logprobs-mode: a.npz is an"),
    "on_error": ("ab", [], ["--on-error", "skip"], "--on-error: compare needs every row"),
    "pred_array": ("ab", [], ["--pred-array", "other"], "changes"),
    "holds": ("pab", [], ["--holds", "logits"], "changes"),
    "labels_file": ("npy", ["--labels-file", "y.npy"], ["--labels-file", "y2.npy"], "changes"),
    "classes": ("ab", [], ["--classes", ",".join(f"c{i}" for i in range(V))], "changes"),
    "from_logits": ("pab", [], ["--from-logits"], "changes"),
    "clip": ("ab", [], ["--clip", "0.01"], "changes"),
    "renormalize": ("ab", [], ["--renormalize"], "--renormalize: a.npz holds logits"),
    "label_smoothing": ("ab", [], ["--label-smoothing", "0.1"], "changes"),
    "weights": ("ab", [], ["--weights", ",".join(str(1 + i % 3) for i in range(V))], "changes"),
    "sample_weights": ("ab", [], ["--sample-weights", "w"], "--sample-weights: a.npz is an"),
    "ignore_index": ("ab", [], ["--ignore-index", "3"], "changes"),
    "ignore_label": ("ab", [], ["--ignore-label", "3"], "changes"),
    "top_k": ("ab", [], ["--top-k", "2"], "--top-k: a comparison gives"),
    "base": ("ab", [], ["--base", "2"], "changes"),
    "fmt": ("ab", [], ["--format", "csv"], "changes"),
    "precision": ("ab", ["-f", "table"], ["--precision", "2"], "changes"),
    "classes_shown": ("ab", [], ["--classes-shown", "3"], "changes"),
    "output": ("ab", [], ["--output", "out.json"], "changes"),
}
FILES = {"ab": ["a.npz", "b.npz"], "pab": ["pa.npz", "pb.npz"], "npy": ["a.npy", "b.npy"]}


def compare_options() -> list[str]:
    import xent.cli.compare  # noqa: F401  (the command, registered when imported)
    from xent.cli.app import app

    command = typer.main.get_command(app).commands["compare"]  # type: ignore[attr-defined]
    return [p.name for p in command.params if p.name not in ("file_a", "file_b")]


def test_every_option_is_checked():
    assert sorted(compare_options()) == sorted(CASES)


def run(xent_cli, folder, *args):
    import os

    here = os.getcwd()
    os.chdir(folder)
    try:
        result = xent_cli("compare", *args)
    finally:
        os.chdir(here)
    return result


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_option_on_an_array_pair_is_used_or_refused(xent_cli, pair, name):
    files, baseline, option, expected = CASES[name]
    if expected.startswith("test_"):  # checked by a test of its own
        return
    fmt = [] if "-f" in baseline or name == "fmt" else ["-f", "json"]
    before = run(xent_cli, pair, *FILES[files], *baseline, *fmt)
    assert before.exit_code == 0, before.stderr
    after = run(xent_cli, pair, *FILES[files], *baseline, *option, *fmt)
    if expected != "changes":
        assert after.exit_code != 0
        lines = after.stderr.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0], after.stderr
        return
    assert after.exit_code in (0, 3), after.stderr
    if name == "output":  # written to the file, not to stdout
        assert after.stdout == "" and (pair / "out.json").read_text() == before.stdout
        return
    assert (after.exit_code, after.stdout) != (before.exit_code, before.stdout)


@pytest.mark.parametrize("option", [["--bootstrap", "20"], ["--seed", "3"]])
def test_how_the_interval_is_drawn_needs_an_interval(xent_cli, pair, option):
    line = one_line(xent_cli, pair / "a.npz", pair / "b.npz", *option)
    why = "says how --ci draws its interval: give --ci 0.95 too, or leave it out"
    assert line == f"xent: {option[0]}: {why}"
    csv = one_line(xent_cli, "examples/animals.csv", "examples/animals-new.csv", *option)
    assert csv == line


def test_gate_on_changes_the_gate(xent_cli, pair):
    """--gate-on lower passes a margin between the interval's lower bound and the estimate,
    which the estimate fails."""
    data = compare_json(xent_cli, pair / "a.npz", pair / "b.npz", "--ci", "0.9")
    low, estimate = data["ci"]["difference"][0], data["difference"]
    assert low < estimate
    gate = ["--ci", "0.9", "--fail-if-worse", str((low + estimate) / 2)]
    files = [str(pair / "a.npz"), str(pair / "b.npz")]
    assert xent_cli("compare", *files, *gate).exit_code == 3
    assert xent_cli("compare", *files, *gate, "--gate-on", "lower").exit_code == 0


def test_id_on_arrays_says_what_it_is_for(xent_cli, pair):
    line = one_line(xent_cli, pair / "a.npz", pair / "b.npz", "--id", "x")
    assert (
        line.startswith("xent: --id: ")
        and "a.npz has no array 'x' (arrays: logits, labels, other, id, w)" in line
    )
    assert "matched by position" in line and "sequence" not in line
    line = one_line(
        xent_cli, pair / "a.npy", pair / "b.npy", "--labels-file", pair / "y.npy", "--id", "x"
    )
    assert (
        line.startswith("xent: --id: ")
        and "a.npy is an npy file: its rows are matched by position" in line
    )
    assert "sequence" not in line and "group" not in line


def disagreements(table: str) -> list[list[str]]:
    """The disagreements table's header and rows, split into words."""
    lines = table[table.index("where they disagree most") :].splitlines()[1:]
    rows = []
    for line in lines:
        if not line.strip() and rows:
            break
        if line.strip() and not line.strip().startswith("─"):
            rows.append(line.split())
    return rows


def test_the_disagreements_name_rows_of_arrays(xent_cli, pair):
    la = np.load(pair / "a.npy")
    lb = np.load(pair / "b.npy")
    y = np.load(pair / "y.npy")
    gap = np.abs(lb[np.arange(T), y] - la[np.arange(T), y])
    worst = int(np.argmax(gap)) + 1
    table = run(xent_cli, pair, "a.npz", "b.npz", "-f", "table", "--disagree", "2").stdout
    rows = disagreements(table)
    assert rows[0] == ["row", "label", "loss", "A", "loss", "B"]
    assert rows[1][0] == str(worst)
    data = compare_json(xent_cli, pair / "a.npz", pair / "b.npz", "--id", "id")
    first = data["disagreements"][0]
    assert (first["row"], first["row_a"], first["row_b"]) == (worst, worst, worst)
    assert "line_a" not in first
    table = run(xent_cli, pair, "a.npz", "b.npz", "--id", "id", "-f", "table").stdout
    assert disagreements(table)[0][:5] == ["row", "row", "A", "row", "B"]


def test_a_csv_pair_keeps_its_lines(xent_cli):
    data = compare_json(xent_cli, "examples/animals.csv", "examples/animals-new.csv")
    assert {"line_a", "line_b"} <= set(data["disagreements"][0])


def test_logprobs_files_name_tokens(xent_cli):
    path = "examples/chat-logprobs.jsonl"
    result = xent_cli("compare", path, path, "-f", "table")
    assert disagreements(result.stdout)[0][:5] == ["token", "line", "A", "line", "B"]


@pytest.mark.parametrize("base", ["2", "10"])
def test_kl_and_the_log_ratio_in_the_base_unit(xent_cli, tmp_path, base):
    la, lb, y = two_models(tmp_path, seed=5)
    ref = reference(la, lb, y)
    data = compare_json(xent_cli, tmp_path / "a.npz", tmp_path / "b.npz", "--base", base)
    tokens, ln_b = data["tokens"], math.log(float(base))
    assert tokens["unit"] == {"2": "bits", "10": "hartleys"}[base]
    assert tokens["base"] == float(base)
    kl_b = ref["kl"] / ln_b  # KL in that base, from NumPy's per-token KL in nats
    kl = tokens["kl"]
    assert kl["value"] == approx(kl_b.mean())
    assert kl["standard_error"] == approx(kl_b.std(ddof=1) / math.sqrt(T))
    assert kl["max"] == approx(kl_b.max()) and kl["min"] == approx(kl_b.min())
    for name, value in kl["percentiles"].items():
        assert value == approx(np.percentile(kl_b, float(name)))
    rows = np.arange(T)
    nll_a, nll_b = -la[rows, y] / ln_b, -lb[rows, y] / ln_b
    d = nll_b - nll_a
    ppl = tokens["perplexity"]
    assert ppl["log_ratio"]["value"] == approx(d.mean())
    assert ppl["log_ratio"]["standard_error"] == approx(d.std(ddof=1) / math.sqrt(T))
    # Unit-free: the perplexities and their ratio; Δp and the same top token: fractions.
    assert ppl["a"]["value"] == approx(ref["ppl_a"])
    assert ppl["ratio"]["value"] == approx(float(base) ** d.mean())
    assert ppl["ratio"]["value"] == approx(ref["ppl_b"] / ref["ppl_a"])
    assert tokens["delta_p"]["value"] == approx(ref["dp_mean"])
    assert tokens["top1"]["value"] == approx(ref["top1"])
    assert data["difference"] == approx(d.mean())  # as the losses, in the same unit


def test_the_table_shows_the_unit(xent_cli, tmp_path):
    two_models(tmp_path, seed=6)
    result = xent_cli(
        "compare", str(tmp_path / "a.npz"), str(tmp_path / "b.npz"), "-f", "table", "-b", "2"
    )
    assert "bits per token" in result.stdout
    assert "log2(PPL(B)/PPL(A))" in result.stdout and "KL(A‖B) bits" in result.stdout
    nats = xent_cli("compare", str(tmp_path / "a.npz"), str(tmp_path / "b.npz"), "-f", "table")
    assert "nats per token" in nats.stdout and "ln(PPL(B)/PPL(A))" in nats.stdout
