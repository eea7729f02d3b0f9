"""The installed ``xent`` script and ``python -m xent``, in real subprocesses."""

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).with_name("xent")
ARTICLE = ["compute", "--labels", "dog", "--pred", "0.4,0.3,0.05,0.05,0.2"]


def run(*command, **kwargs):
    env = {k: v for k, v in os.environ.items() if k != "XENT_CLASSES"}
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60, **kwargs)


@pytest.mark.skipif(not SCRIPT.exists(), reason="xent is not installed beside this Python")
def test_installed_script_prints_the_article_number():
    result = run(str(SCRIPT), *ARTICLE)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "0.916290731874155\n"
    assert float(result.stdout) == -math.log(0.4)


def test_python_dash_m():
    result = run(sys.executable, "-m", "xent", *ARTICLE, "--base", "2")
    assert result.returncode == 0, result.stderr
    assert float(result.stdout) == pytest.approx(-math.log2(0.4), rel=1e-15)


@pytest.mark.skipif(not SCRIPT.exists(), reason="xent is not installed beside this Python")
@pytest.mark.parametrize(
    "args, status, message",
    [
        (["compute", "--labels", "cat", "--pred", "0.5,0.5"], 1, "xent: --labels: unknown class"),
        (["compute", "--nope"], 2, "xent: No such option: --nope"),
    ],
)
def test_installed_script_errors_are_one_line_without_traceback(args, status, message):
    result = run(str(SCRIPT), *args)
    assert result.returncode == status
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_start_up_imports_no_rich_for_plain_output():
    code = (
        "import sys; from xent.cli import main; sys.argv = ['xent', *sys.argv[1:]]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('rich' in sys.modules, file=sys.stderr)"
    )
    result = run(sys.executable, "-c", code, *ARTICLE[0:], "--format", "plain")
    assert result.stdout == "0.916290731874155\n"
    assert result.stderr.strip() == "False"
