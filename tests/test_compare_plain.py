"""``xent compare -f plain --ci``: the difference B − A and its interval on one line, in
the form ``compute -f plain --ci`` writes the mean's (``D [LOW, HIGH]``, full precision),
the same numbers as JSON's ``difference`` and ``ci.difference``; one row has no interval
(the difference alone, why on stderr); without ``--ci`` the difference alone, as before."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
OLD, NEW = str(EXAMPLES / "animals.csv"), str(EXAMPLES / "animals-new.csv")
LINE = re.compile(r"^(\S+) \[(\S+), (\S+)\]\n$")


@pytest.mark.parametrize(
    "extra", [(), ("--bootstrap", "40", "--seed", "7"), ("--id", "id")], ids=str
)
@pytest.mark.parametrize("level", ["0.95", "0.5"])
def test_plain_prints_the_difference_and_the_json_interval_exactly(
    xent_cli, tmp_path, level, extra
):
    a, b = OLD, NEW
    if "--id" in extra:  # matched by a column: the same interval path, read in memory
        a, b = str(tmp_path / "a.csv"), str(tmp_path / "b.csv")
        for source, target in ((OLD, a), (NEW, b)):
            lines = Path(source).read_text().splitlines()
            rows = [f"{i},{line}" for i, line in enumerate(lines[1:])]
            Path(target).write_text("\n".join(["id," + lines[0], *rows]) + "\n")
    args = ["compare", a, b, "--ci", level, *extra]
    plain = xent_cli(*args, "-f", "plain")
    assert plain.exit_code == 0, plain.output
    assert plain.stderr == ""
    match = LINE.match(plain.stdout)
    assert match, plain.stdout
    data = json.loads(xent_cli(*args, "-f", "json").stdout)
    numbers = [float(x) for x in match.groups()]
    assert numbers == [data["difference"], *data["ci"]["difference"]]  # exactly, not approx
    low, d, high = numbers[1], numbers[0], numbers[2]
    assert low < high and math.isfinite(d)


def test_the_documented_line(xent_cli):
    # The bounds by hand (SciPy's ttest_rel interval; the paired Poisson bootstrap's with
    # --bootstrap 200) are checked in tests/test_gates.py against the JSON; here, the text.
    plain = xent_cli("compare", OLD, NEW, "--ci", "0.95", "-f", "plain").stdout
    assert plain == "-0.25243690829088256 [-0.39564483095419134, -0.10922898562757377]\n"
    args = ["compare", OLD, NEW, "--ci", "0.95", "--bootstrap", "200", "-f", "plain"]
    plain = xent_cli(*args).stdout
    assert plain == "-0.25243690829088256 [-0.3887626170418158, -0.1127566651832045]\n"


def test_one_row_prints_the_difference_alone_and_why_on_stderr(xent_cli, tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("label,x,y\nx,0.7,0.3\n")
    b.write_text("label,x,y\nx,0.9,0.1\n")
    result = xent_cli("compare", a, b, "--ci", "0.95", "-f", "plain")
    assert result.exit_code == 0, result.output
    assert result.stdout == repr(math.log(0.7) - math.log(0.9)) + "\n"
    assert float(result.stdout) == pytest.approx(math.log(0.7 / 0.9), rel=1e-15)
    assert result.stderr == "xent: one row: no confidence interval can be given (--ci needs two)\n"
    assert json.loads(xent_cli("compare", a, b, "--ci", "0.95", "-f", "json").stdout)["ci"] is None


def test_without_ci_the_difference_alone_as_before(xent_cli, tmp_path):
    plain = xent_cli("compare", OLD, NEW, "-f", "plain")
    assert plain.exit_code == 0 and plain.stderr == ""
    assert plain.stdout == "-0.25243690829088256\n"  # as documented before --ci had a place
    data = json.loads(xent_cli("compare", OLD, NEW, "-f", "json").stdout)
    assert float(plain.stdout) == data["difference"]
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"  # one row, no --ci: nothing on stderr
    a.write_text("label,x,y\nx,0.7,0.3\n")
    b.write_text("label,x,y\nx,0.9,0.1\n")
    one = xent_cli("compare", a, b, "-f", "plain")
    assert one.stdout == repr(math.log(0.7) - math.log(0.9)) + "\n" and one.stderr == ""
