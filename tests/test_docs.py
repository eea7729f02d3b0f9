"""The shell examples in the README files and the documentation pages print what they say.

Every ``$ xent ...`` line in a ``console`` or ``sh`` block is run (as if piped: no
terminal, so ``--format auto`` is plain); the lines after it, up to the next ``$`` or the
end of the block, are its expected output (stdout and stderr), with ``...`` matching
anything, as in doctest. A command shown without output must succeed.
"""

import doctest
import math
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from xent.cli import app

ROOT = Path(__file__).resolve().parents[1]
# The README, the examples' guide and every page of the documentation site (docs/).
DOCS = [
    "README.md",
    "examples/README.md",
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md")),
]
BLOCK = re.compile(r"^```(?:console|sh|shell)\n(.*?)^```", re.M | re.S)


def examples():
    for name in DOCS:
        text = (ROOT / name).read_text(encoding="utf-8")
        for block in BLOCK.findall(text):
            command, expected = None, []
            for line in block.splitlines() + ["$"]:
                if line.startswith("$"):
                    if command is not None:
                        yield pytest.param(command, "\n".join(expected), id=f"{name}: {command}")
                    command, expected = line[1:].strip() or None, []
                elif command is not None:
                    expected.append(line)


def argv(command: str) -> tuple[list[str], str | None]:
    """The arguments of ``xent ...`` and its stdin (``cat FILE | xent ...``)."""
    words = shlex.split(command, comments=True)
    stdin = None
    if words[0] == "cat" and words[2] == "|":
        stdin, words = (ROOT / words[1]).read_text(encoding="utf-8"), words[3:]
    if words[-2:] == ["|", "cat"]:  # "as if piped" is how the tests run anyway
        words = words[:-2]
    assert words[0] == "xent" and "|" not in words, command
    return words[1:], stdin


@pytest.mark.parametrize("command, expected", list(examples()))
def test_documented_example(command, expected, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("XENT_CLASSES", raising=False)
    args, stdin = argv(command)
    # Pictures (and saved calibrations) are written to a temporary folder, not beside the docs.
    args = [
        re.sub(r"^\w+\.(svg|html|json)$", lambda m: str(tmp_path / m.group(0)), a) for a in args
    ]
    result = CliRunner().invoke(app, args, input=stdin)
    if not expected.strip():
        assert result.exit_code == 0, result.output
        return
    checker = doctest.OutputChecker()
    got = result.output.rstrip("\n") + "\n"
    want = expected.rstrip("\n") + "\n"
    assert checker.check_output(want, got, doctest.ELLIPSIS), f"\nwanted:\n{want}\ngot:\n{got}"


@pytest.mark.parametrize(
    "command, reference",
    [
        # Each command's --help example, and its number derived by hand.
        ("entropy", -sum(q * math.log(q) for q in (0.4, 0.3, 0.05, 0.05, 0.2))),
        ("kl", 0.5 * math.log(0.5 / 0.4) + 0.5 * math.log(0.5 / 0.6)),
        ("js", 1.0),  # disjoint distributions: 1 bit
    ],
)
def test_help_examples_print_their_numbers(command, reference):
    runner = CliRunner()
    text = runner.invoke(app, [command, "--help"]).stdout
    shown = re.search(r"Example \((?:[^)]*, )?([0-9.]+) (nats|bits?)", text)
    line = re.search(rf"^\s+(xent {command} .*)$", text, re.M).group(1)
    args, _ = argv(line)
    printed = float(runner.invoke(app, [*args, "--format", "plain"]).stdout)
    assert printed == pytest.approx(reference, rel=1e-12)
    assert float(shown.group(1)) == round(reference, 4)


def test_every_page_s_examples_are_collected():
    counted = {name: 0 for name in DOCS}
    for param in examples():
        counted[param.id.split(": ", 1)[0]] += 1
    assert len(counted) >= 15 and "docs/conventions.md" in counted
    assert sum(counted.values()) >= 30  # 22 in 0.2, all still here
    for name in ("README.md", "docs/usage.md", "docs/files.md", "docs/calibration.md"):
        assert counted[name] >= 2, name
