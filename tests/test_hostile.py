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
