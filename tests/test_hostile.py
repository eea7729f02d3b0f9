"""Hostile environments, through the installed ``xent`` script in real subprocesses:
special files as ``--output``, closed and empty stdin, ASCII terminals, escape sequences
in class names, narrow terminals (issue 16)."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).with_name("xent")
ARTICLE = ["compute", "--labels", "dog", "--pred", "0.4,0.3,0.05,0.05,0.2"]
EXACT = "0.916290731874155\n"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0

pytestmark = [
    pytest.mark.skipif(not SCRIPT.exists(), reason="xent is not installed beside this Python"),
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX special files"),
]


def environment(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("XENT_CLASSES", "COLUMNS")}
    env.update(extra)
    return env


def run(*args, env=None, **kwargs):
    kwargs.setdefault("capture_output", True)
    return subprocess.run(
        [str(SCRIPT), *args], text=True, env=environment(**(env or {})), timeout=60, **kwargs
    )


def shell(command: str, env=None, **kwargs):
    """``command`` in sh, with ``$XENT`` the installed script."""
    return subprocess.run(
        ["sh", "-c", command],
        capture_output=True,
        text=True,
        env=environment(XENT=str(SCRIPT), **(env or {})),
        timeout=60,
        **kwargs,
    )


def one_line_error(result, status: int, *words: str) -> None:
    assert result.returncode == status, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("xent: ")
    assert "Traceback" not in result.stderr
    for word in words:
        assert word.lower() in result.stderr.lower()


def device(path: Path, minor: int) -> Path:
    """A character device of our own (1,3 is null, 1,7 is full): the real /dev/null is
    never put at risk by a regression."""
    if not IS_ROOT:
        pytest.skip("making a device node needs root")
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, minor))
        with open(path, "w") as probe:  # a filesystem mounted nodev refuses to open it
            probe.write("")
    except OSError as error:
        pytest.skip(f"cannot use a device node here: {error}")
    return path


# --------------------------------------------------------------------------- 1. --output


def test_output_to_a_null_device_writes_into_it_and_keeps_it_a_device(tmp_path):
    null = device(tmp_path / "null", 3)
    for option in (["-o", str(null)], ["--save-svg", str(null)], ["--save-html", str(null)]):
        result = run(*ARTICLE, *option)
        assert result.returncode == 0, result.stderr
        assert stat.S_ISCHR(os.stat(null).st_mode), option
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null"]  # no temporary file left


def test_output_to_a_full_device_is_one_line(tmp_path):
    full = device(tmp_path / "full", 7)
    result = run(*ARTICLE, "-o", str(full))
    one_line_error(result, 2, "--output", "no space left")
    assert stat.S_ISCHR(os.stat(full).st_mode)


def test_stdout_on_a_full_device_is_one_line(tmp_path):
    full = device(tmp_path / "full", 7)
    with open(full, "w") as stdout:
        result = run(*ARTICLE, capture_output=False, stdout=stdout, stderr=subprocess.PIPE)
    one_line_error(result, 2, "stdout", "no space left")


def test_output_to_dev_stdout_keeps_what_the_shell_wrote_around_it(tmp_path):
    report = tmp_path / "report.txt"
    result = shell(
        f'{{ echo header; "$XENT" {" ".join(ARTICLE)} -o /dev/stdout; echo footer; }} > {report}'
    )
    assert result.returncode == 0, result.stderr
    assert report.read_text() == f"header\n{EXACT}footer\n"


@pytest.mark.parametrize("name", ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"])
def test_output_to_dev_stdout_in_a_pipe(name):
    if not os.path.exists(name):
        pytest.skip(f"no {name} here")
    result = shell(f'"$XENT" {" ".join(ARTICLE)} -o {name} | cat')
    assert result.returncode == 0, result.stderr
    assert result.stdout == EXACT


def test_output_to_a_closed_descriptor_is_refused():
    result = run(*ARTICLE, "-o", "/dev/fd/9")
    one_line_error(result, 2, "/dev/fd/9", "bad file descriptor")


def test_output_to_a_fifo_writes_into_it(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE, text=True)
    result = run(*ARTICLE, "-o", str(fifo))
    out, _ = reader.communicate(timeout=60)
    assert result.returncode == 0, result.stderr
    assert out == EXACT
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_read_only_file_is_refused_as_a_redirection_would(tmp_path):
    target = tmp_path / "readonly.txt"
    target.write_text("old\n")
    target.chmod(0o444)
    result = run(*ARTICLE, "-o", str(target))
    one_line_error(result, 2, "permission denied")
    assert target.read_text() == "old\n"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o444


def test_hard_links_stay_linked(tmp_path):
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    first.write_text("old\n")
    os.link(first, second)
    result = run(*ARTICLE, "-o", str(first))
    assert result.returncode == 0, result.stderr
    assert second.read_text() == EXACT
    assert os.stat(first).st_ino == os.stat(second).st_ino


def test_a_regular_file_is_still_replaced_atomically(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old\n")
    inode = os.stat(target).st_ino
    bad = run("compute", "--labels", "dog", "--pred", "0.4,0.3", "-o", str(target))
    assert bad.returncode == 1
    assert target.read_text() == "old\n"
    result = run(*ARTICLE, "-o", str(target))
    assert result.returncode == 0, result.stderr
    assert target.read_text() == EXACT
    assert os.stat(target).st_ino != inode  # renamed into place, not written over
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_closed_stdout_is_one_line():
    result = shell(f'"$XENT" {" ".join(ARTICLE)} >&-')
    one_line_error(result, 2, "stdout is closed")


# --------------------------------------------------------------------------- 4, 9. stdin


def test_vectors_need_no_stdin_even_when_it_is_closed():
    result = shell(f'"$XENT" {" ".join(ARTICLE)} <&-')
    assert result.returncode == 0, result.stderr
    assert result.stdout == EXACT


def test_closed_stdin_is_no_input():
    result = shell('"$XENT" compute <&-')
    one_line_error(result, 2, "no input", "stdin is closed")


@pytest.mark.parametrize("args", [["compute"], ["compute", "--file", "-"]])
def test_empty_stdin_is_no_input(args):
    result = run(*args, stdin=subprocess.DEVNULL)
    one_line_error(result, 2, "no input", "stdin is empty")


def test_a_header_without_rows_is_still_bad_data():
    result = run("compute", input="label,a,b\n")
    one_line_error(result, 1, "<stdin>", "no rows")


# --------------------------------------------------------------------------- 4. encodings


def on_terminal(*args, env=None):
    """``xent args`` with stdout on a pseudo-terminal (``script``), its output as text."""
    if not Path("/usr/bin/script").exists() and not Path("/bin/script").exists():
        pytest.skip("no script(1) for a pseudo-terminal")
    import shlex

    command = " ".join(shlex.quote(a) for a in [str(SCRIPT), *args])
    result = subprocess.run(
        ["script", "-qec", command, "/dev/null"],
        capture_output=True,
        env=environment(**(env or {})),
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    return result.returncode, result.stdout.decode("utf-8", "replace")


@pytest.mark.parametrize(
    "args",
    [
        ARTICLE,
        ["explain", "--labels", "dog", "--pred", "0.4,0.3,0.05,0.05,0.2"],
        ["explain", "--labels", "dog", "--pred", "0.4,0.3,0.05,0.05,0.2", "--lang", "zh"],
        ["kl", "--p", "0.5,0.5", "--q", "0.4,0.6"],
    ],
)
def test_an_ascii_terminal_gets_ascii(args):
    status, out = on_terminal(*args, env={"PYTHONIOENCODING": "ascii", "TERM": "dumb"})
    assert status == 0, out
    assert "internal error" not in out and "Traceback" not in out
    assert out.isascii()
    assert "0.9163" in out or "0.0204" in out


@pytest.mark.parametrize("args", [ARTICLE, ["explain", *ARTICLE[1:], "-f", "plain"]])
def test_an_ascii_pipe_gets_ascii_text(args):
    result = run(*args, env={"PYTHONIOENCODING": "ascii"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.isascii()


def test_csv_that_the_encoding_cannot_hold_is_refused_before_the_header(tmp_path):
    data = tmp_path / "p.csv"
    data.write_text("label,ça,b\nça,0.5,0.5\n", encoding="utf-8")
    for args in (["-r", "none", "-f", "csv"], ["-f", "csv"], ["-f", "plain", "--worst", "1"]):
        result = run("compute", "--file", str(data), *args, env={"PYTHONIOENCODING": "ascii"})
        one_line_error(result, 2, "class name", "ascii", "PYTHONIOENCODING")
        assert result.stdout == ""
    vectors = run(
        *ARTICLE[:1], "--labels", "ça", "--pred", "0.5,0.5", "--classes", "ça,b", "-f", "csv"
    )
    assert vectors.returncode == 0 and "ça" in vectors.stdout  # UTF-8: exact
    utf8 = run("compute", "--file", str(data), "-f", "csv", "-o", str(tmp_path / "out.csv"))
    assert utf8.returncode == 0, utf8.stderr
    assert "ça" in (tmp_path / "out.csv").read_text(encoding="utf-8")


def test_json_on_an_ascii_stream_is_escaped_and_exact(tmp_path):
    import json

    result = run(
        "compute",
        "--labels",
        "ça",
        "--pred",
        "0.5,0.5",
        "--classes",
        "ça,b",
        "-f",
        "json",
        env={"PYTHONIOENCODING": "ascii"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.isascii()
    assert json.loads(result.stdout)["classes"] == ["ça", "b"]


# --------------------------------------------------------------------------- 6. escapes

RED = "\x1b[31mred"


@pytest.mark.parametrize(
    "args",
    [
        ["compute", "--labels", "0", "--pred", "0.5,0.5"],
        ["compute", "--labels", "0", "--pred", "0.5,0.5", "--pred", "0.6,0.4"],
        ["explain", "--labels", "0", "--pred", "0.5,0.5", "--pred", "0.6,0.4"],
        ["kl", "--p", "0.5,0.5", "--q", "0.4,0.6"],
    ],
)
@pytest.mark.parametrize("fmt", ["table", "plain"])
def test_escape_sequences_in_class_names_never_reach_the_terminal(args, fmt):
    result = run(*args, "--classes", f"{RED},b", "-f", fmt)
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout
    if fmt == "table" and (args.count("--pred") < 2 or args[0] == "explain"):  # class names
        assert "\\x1b[31mred" in result.stdout


def test_escape_sequences_in_a_file_header(tmp_path):
    data = tmp_path / "p.csv"
    data.write_text(f"label,{RED},b\n{RED},0.5,0.5\n")
    for args in (["-f", "table", "--worst", "1"], ["-f", "table", "-r", "none"]):
        result = run("compute", "--file", str(data), *args)
        assert result.returncode == 0, result.stderr
        assert "\x1b" not in result.stdout and "\\x1b[31mred" in result.stdout
    csv = run("compute", "--file", str(data), "-f", "csv")
    assert RED in csv.stdout  # machine formats keep the exact text


def test_error_lines_escape_control_characters():
    result = run("compute", "--labels", "x\ny", "--pred", "0.5,0.5", "--classes", f"{RED},b")
    one_line_error(result, 1)
    assert "\x1b" not in result.stderr
    assert "\\x1b[31mred" in result.stderr


# --------------------------------------------------------------------------- 8. widths


def numbers_in(text: str) -> set[str]:
    import re

    return set(re.findall(r"\d+\.\d+", text))


@pytest.mark.parametrize("columns", [80, 50, 40, 30, 24])
@pytest.mark.parametrize("precision", [4, 17])
def test_narrow_terminals_never_cut_a_number(columns, precision):
    wide = run(*ARTICLE, "-f", "table", "--precision", str(precision), env={"COLUMNS": "200"})
    narrow = run(
        *ARTICLE, "-f", "table", "--precision", str(precision), env={"COLUMNS": str(columns)}
    )
    assert narrow.returncode == 0, narrow.stderr
    assert "…" not in narrow.stdout
    assert numbers_in(wide.stdout) <= numbers_in(narrow.stdout)
    assert all(len(line) <= columns for line in narrow.stdout.splitlines())
    for name in ("dog", "fox", "horse", "eagle", "squirrel"):
        assert name in narrow.stdout


def test_bars_go_first():
    narrow = run(*ARTICLE, "-f", "table", env={"COLUMNS": "60"})
    assert "█" not in narrow.stdout and "0.9163" in narrow.stdout and "P (label)" in narrow.stdout


@pytest.mark.parametrize("columns", [30, 40])
def test_explain_keeps_class_names_on_a_narrow_terminal(columns):
    args = ["explain", "--labels", "dog", "--pred", "0.4,0.3,0.05,0.05,0.2"]
    result = run(*args, "--pred", "0.98,0.005,0.005,0.005,0.005", "-f", "table",
                 env={"COLUMNS": str(columns)})  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "…" not in result.stdout
    for name in ("dog", "fox", "horse", "eagle", "squirrel"):
        assert name in result.stdout


def test_precision_zero_is_decimals():
    result = run(*ARTICLE, "-f", "table", "--precision", "0")
    import re

    assert result.returncode == 0, result.stderr
    assert re.search(r"cross-entropy H\(P,Q\) +1 +nats", result.stdout)  # 0.9163, no decimals
    assert re.search(r"perplexity +2 ", result.stdout)  # 2.5, rounded half to even
    assert "9.2e-01" not in result.stdout
