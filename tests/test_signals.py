"""Interrupts, broken pipes and ``--output``, on the installed ``xent`` in subprocesses.

Ctrl-C prints one line and exits 130; a reader that goes away (``| head -1``) ends xent
quietly with status 0; ``--output FILE`` replaces FILE only on success, so a failed or
interrupted run leaves the previous FILE as it was and no temporary file behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).with_name("xent")
pytestmark = [
    pytest.mark.skipif(not SCRIPT.exists(), reason="xent is not installed beside this Python"),
    pytest.mark.skipif(os.name != "posix", reason="POSIX signals and pipes"),
]
HEADER = b"label,a,b,c,d,e\n"
ROW = b"c,0.1,0.2,0.3,0.25,0.15\n"


@pytest.fixture(params=["numpy", "arrow"])
def env(request):
    if request.param == "arrow":
        pytest.importorskip("pyarrow")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("XENT_")}
    environ["XENT_CSV_READER"] = request.param
    return environ


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory) -> Path:
    """Far more output with --reduction none than a pipe buffers (64 KiB)."""
    path = tmp_path_factory.mktemp("big") / "big.csv"
    path.write_bytes(HEADER + ROW * 40_000)
    return path


def interrupt_reading_stdin(args, env, cwd=None, signum=signal.SIGINT):
    """Start ``xent ARGS`` on a pipe that stays open, feed it rows, press Ctrl-C (or send
    another signal)."""
    process = subprocess.Popen(
        [str(SCRIPT), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=cwd,
    )
    # More than a pipe holds (64 KiB): when the write returns, xent is reading.
    process.stdin.write(HEADER + ROW * 10_000)
    process.stdin.flush()
    time.sleep(0.3)
    process.send_signal(signum)
    try:
        stdout, stderr = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    return process.returncode, stdout, stderr


@pytest.mark.parametrize("args", [["compute"], ["compute", "-r", "none", "-f", "csv"]])
def test_ctrl_c_is_one_line_and_exit_130(env, args):
    status, _, stderr = interrupt_reading_stdin(args, env)
    assert status == 130
    assert stderr == b"xent: interrupted\n"


@pytest.mark.parametrize(
    "args",
    [
        ["compute", "-r", "none", "-f", "csv"],
        ["compute", "-r", "none", "-f", "json"],
        ["compute", "-f", "json", "--worst", "5000"],
    ],
)
def test_broken_pipe_is_quiet_and_exit_0(env, big_csv, args):
    command = f"{SCRIPT} {' '.join(args)} --file {big_csv} | head -1; exit ${{PIPESTATUS[0]}}"
    result = subprocess.run(["bash", "-c", command], capture_output=True, env=env, timeout=60)
    assert result.stderr == b""
    assert result.returncode == 0
    assert result.stdout.count(b"\n") == 1


def test_output_file_is_written_on_success(env, tmp_path):
    out = tmp_path / "loss.txt"
    out.write_text("old\n")
    args = ["compute", "--labels", "dog", "--pred", "0.4,0.3,0.05,0.05,0.2", "-o", str(out)]
    result = subprocess.run([str(SCRIPT), *args], capture_output=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == b""
    assert out.read_text() == "0.916290731874155\n"  # plain: a file is not a terminal
    assert sorted(p.name for p in tmp_path.iterdir()) == ["loss.txt"]


@pytest.mark.parametrize(
    "args",
    [
        ["compute", "--labels", "cat", "--pred", "0.4,0.3,0.05,0.05,0.2"],
        ["entropy", "--pred", "0.5,0.6"],
        ["explain", "--labels", "dog", "--pred", "x"],
        ["kl", "--p", "0.5,0.5", "--q", "1,2"],
        ["js", "--p", "0.5,0.5"],
    ],
)
def test_failed_run_leaves_the_old_file(env, tmp_path, args):
    out = tmp_path / "out.txt"
    out.write_text("old\n")
    result = subprocess.run(
        [str(SCRIPT), *args, "--output", str(out)], capture_output=True, env=env, timeout=60
    )
    assert result.returncode in (1, 2)
    assert result.stderr.count(b"\n") == 1
    assert out.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_failed_file_run_midway_leaves_the_old_file(env, tmp_path):
    """Rows were already streamed to the temporary file when line 30,002 turns out bad."""
    data = tmp_path / "p.csv"
    data.write_bytes(HEADER + ROW * 30_000 + b"c,0.1,x,0.3,0.25,0.15\n")
    out = tmp_path / "rows.csv"
    out.write_text("old\n")
    args = ["compute", "--file", str(data), "-r", "none", "-o", str(out)]
    result = subprocess.run([str(SCRIPT), *args], capture_output=True, env=env, timeout=60)
    assert result.returncode == 1
    assert result.stderr.decode() == f"xent: {data}:30002:3: 'x' is not a number\n"
    assert out.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.csv", "rows.csv"]


def test_interrupted_run_leaves_the_old_file(env, tmp_path):
    out = tmp_path / "rows.csv"
    out.write_text("old\n")
    status, stdout, stderr = interrupt_reading_stdin(
        ["compute", "-r", "none", "-f", "csv", "--output", str(out)], env
    )
    assert (status, stdout, stderr) == (130, b"", b"xent: interrupted\n")
    assert out.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rows.csv"]


def test_terminated_run_leaves_the_old_file(env, tmp_path):
    out = tmp_path / "rows.csv"
    out.write_text("old\n")
    status, stdout, stderr = interrupt_reading_stdin(
        ["compute", "-r", "none", "-f", "csv", "--output", str(out)], env, signum=signal.SIGTERM
    )
    assert (status, stdout) == (143, b"")
    assert b"Traceback" not in stderr
    assert out.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rows.csv"]


def test_output_keeps_permissions_and_follows_symlinks(env, tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("old\n")
    real.chmod(0o640)
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    args = ["entropy", "--pred", "0.5,0.5", "-f", "plain", "-o", str(link)]
    result = subprocess.run([str(SCRIPT), *args], capture_output=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert link.is_symlink()
    assert real.read_text() == "0.6931471805599453\n"
    assert real.stat().st_mode & 0o777 == 0o640
