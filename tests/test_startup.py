"""Start-up: what a command imports, and shell completion, in real subprocesses.

Shell scripts call xent in loops, so each start counts (``benchmarks/startup.py``):
``--help`` imports no NumPy, and no command imports the parts of Typer it never uses
(``xent.cli._lean_typer``), while completion and typo suggestions still work.
"""

import os
import subprocess
import sys

ARTICLE = ["compute", "--labels", "dog", "--pred", "0.4,0.3,0.05,0.05,0.2", "--format", "plain"]
# Imported by `import typer` but used by none of the commands' usual paths.
NEVER_AT_START = [
    "typer.completion",
    "shellingham",
    "subprocess",
    "difflib",
    "urllib.parse",
    "gettext",
]


def run(*args, env=None):
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("XENT_", "_XENT"))}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=environment, timeout=60
    )


def imported(*args) -> set[str]:
    """The modules ``python -X importtime -m xent ARGS`` imports."""
    result = run("-X", "importtime", "-m", "xent", *args)
    assert result.returncode == 0, result.stderr
    return {
        line.rsplit("|", 1)[1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def test_help_imports_no_numpy():
    modules = imported("--help")
    assert "typer" in modules  # the parse worked
    assert not {m for m in modules if m == "numpy" or m.startswith("numpy.")}
    # Rich draws the help's panels; a computation's start-up never imports it (below).


def test_a_computation_skips_what_typer_imports_for_nothing():
    # sys.modules at the end: a module imported any way at all is there.
    code = (
        "import sys; from xent.cli import main; sys.argv = ['xent', *sys.argv[1:]]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print(sorted(m for m in {NEVER_AT_START!r} if m in sys.modules), file=sys.stderr)"
    )
    result = run("-c", code, *ARTICLE)
    assert result.stdout == "0.916290731874155\n"
    assert result.stderr.strip() == "[]"


def test_completion_options_are_listed_in_the_help():
    result = run("-m", "xent", "--help")
    assert "--install-completion" in result.stdout
    assert "--show-completion" in result.stdout


def test_show_completion_prints_the_script():
    no_detection = {"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    result = run("-m", "xent", "--show-completion", "bash", env=no_detection)
    assert result.returncode == 0, result.stderr
    assert "_XENT_COMPLETE=complete_bash" in result.stdout
    assert "complete -o default -F _xent_completion xent" in result.stdout


def test_the_shell_completes_a_command_and_an_option():
    env = {"_XENT_COMPLETE": "complete_bash", "COMP_WORDS": "xent compu", "COMP_CWORD": "1"}
    assert run("-m", "xent", env=env).stdout.split() == ["compute"]
    env.update(COMP_WORDS="xent compute --for", COMP_CWORD="2")
    assert run("-m", "xent", env=env).stdout.split() == ["--format"]


def test_a_typo_still_gets_a_suggestion():
    result = run("-m", "xent", "comput")  # difflib, imported only now
    assert result.returncode == 2
    assert "Did you mean 'compute'" in result.stderr


def test_lean_typer_leaves_real_modules_behind():
    code = (
        "import sys, xent.cli, typer.main\n"
        "import subprocess, difflib, urllib.parse\n"
        "from xent.cli._lean_typer import _StandIn\n"
        "assert not any(isinstance(m, _StandIn) for m in list(sys.modules.values()))\n"
        "assert subprocess.run is typer.main.subprocess.run\n"
        "from pathlib import Path\n"
        "print(Path('/a b').as_uri())\n"
    )
    result = run("-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "file:///a%20b\n"


def test_a_run_builds_only_its_own_command():
    code = (
        "import sys; from xent.cli import main; sys.argv = ['xent', *sys.argv[1:]]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('xent.cli.')), file=sys.stderr)"
    )
    result = run("-c", code, *ARTICLE)
    assert result.stdout == "0.916290731874155\n"
    loaded = eval(result.stderr.strip().splitlines()[-1])
    assert "xent.cli.compute" in loaded
    assert not {"xent.cli.divergence", "xent.cli.entropy", "xent.cli.explain"} & set(loaded)


def test_every_command_is_listed_and_runs():
    listed = run("-m", "xent", "--help").stdout
    for name in ("compute", "kl", "js", "entropy", "explain", "calibrate", "compare", "report"):
        assert f" {name} " in listed  # in Rich's command panel
    assert run("-m", "xent", "js", "--p", "0.5,0.5", "--q", "0.5,0.5").stdout == "0.0\n"


def test_command_parameters_are_not_string_annotations():
    """Typer reads every parameter's type when it builds the command, at each start: a
    string annotation (``from __future__ import annotations``) is compiled and evaluated
    there, 6 ms for ``compute`` against 1.8 ms with the types themselves."""
    import importlib
    import inspect

    from xent.cli.app import COMMAND_MODULES, app

    for module in set(COMMAND_MODULES.values()):
        importlib.import_module(f"xent.cli.{module}")
    for info in app.registered_commands:
        assert info.callback is not None
        strings = [
            name
            for name, parameter in inspect.signature(info.callback).parameters.items()
            if isinstance(parameter.annotation, str)
        ]
        assert not strings, (info.callback.__module__, strings)


EXIT_PROBE = """
import atexit, sys, threading, time
atexit.register(lambda: print("atexit ran", file=sys.stderr))
def after_main():  # prints once the main thread has ended: the usual exit waits for it
    while threading.main_thread().is_alive():
        time.sleep(0.01)
    print("thread done")
if sys.argv[1] == "thread":
    threading.Thread(target=after_main).start()
sys.argv = ["xent", *sys.argv[2:]]
from xent._console import main
main()
"""


def test_the_exit_skips_the_teardown_not_the_atexit_handlers_nor_the_output():
    """``xent`` ends with ``os._exit`` once its output is flushed (the interpreter's
    teardown is about 20 ms): the status, the output and the atexit handlers are those
    of a usual exit, and a thread still running is waited for as usual."""
    ok = run("-c", EXIT_PROBE, "none", *ARTICLE)
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "0.916290731874155\n", "atexit ran\n")
    bad = run("-c", EXIT_PROBE, "none", "compute", "--labels", "cat", "--pred", "0.4,0.6")
    assert bad.returncode == 1  # bad data: no such class
    assert bad.stderr.splitlines()[-1] == "atexit ran"
    gate = run("-c", EXIT_PROBE, "none", *ARTICLE, "--fail-above", "0.5")
    assert (gate.returncode, gate.stdout) == (3, "0.916290731874155\n")
    waited = run("-c", EXIT_PROBE, "thread", *ARTICLE)
    assert waited.returncode == 0
    assert waited.stdout == "0.916290731874155\nthread done\n"
    assert waited.stderr == "atexit ran\n"
