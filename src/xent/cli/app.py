"""The ``xent`` application: error handling, shared options and helpers for the commands.

This module knows Typer and exit statuses; the layers below raise :class:`XentError` and
know neither. NumPy and Rich are imported inside the commands, so ``xent --help`` and
shell completion start fast.
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import NamedTuple

import typer
from typer.core import TyperGroup

from ..errors import ExitStatus, XentError
from .output import output_command_class

# Every command writes through --output (atomically) when it is given.
XentCommand = output_command_class()

# Typer vendors Click in recent releases and depends on it in older ones; reach Click's
# exception classes through the public BadParameter so both work.
ClickUsageError = typer.BadParameter.__mro__[1]
ClickException = typer.BadParameter.__mro__[2]

EXIT_STATUS_HELP = (
    "Exit status: 0 success, 1 bad data (not a distribution, unknown label, ...), "
    "2 bad usage (unknown option, missing input), 3 a gate failed (--fail-above, "
    "--fail-if-worse: the output is printed in full first), 71 out of memory or a worker "
    "process killed, 130 interrupted."
)


# The parameters whose flag is not their name with dashes (``top_k`` -> ``--top-k``).
FLAGS = {
    "replicates": "--bootstrap",
    "id_column": "--id",
    "disagreements": "--disagree",
    "sources": "--file",
    "address": "--cluster",
    "predictions": "--output",
    "fmt": "--format",
    "calibrator": "--method",
}


def flag(parameter: str) -> str:
    """The command line's name of a library parameter: ``renormalize`` -> ``--renormalize``."""
    return FLAGS.get(parameter) or "--" + parameter.replace("_", "-")


def error_line(message: str) -> None:
    """The one line a user sees for a problem: ``xent: --pred: value 2 is 'x', not a number``.

    Control characters from the input (an ESC in a class name, a newline) are written as
    escapes (``\\x1b``): one line, and nothing that reaches a terminal raw.
    """
    if sys.stderr is None:  # stderr closed (2>&-): nowhere to say it
        return
    from ..render.text import visible

    try:
        sys.stderr.write(f"xent: {visible(message)}\n")
        sys.stderr.flush()
    except OSError:
        pass


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    error_line(f"warning: {message}")


def _usage_error(error) -> ExitStatus:
    command = error.ctx.command_path if error.ctx else "xent"
    # Typer words a bad choice as "Value error, 'xml' is not one of ..."; the
    # "Value error, " is noise to a user.
    message = error.format_message().replace("Value error, ", "")
    error_line(f"{message} (see '{command} --help')")
    return ExitStatus.BAD_USAGE


class _Interrupted(Exception):
    """Ctrl-C inside a command (Typer would turn KeyboardInterrupt into a silent exit 130)."""


class _PipeClosed(Exception):
    """stdout's reader went away (Typer would exit 1 on EPIPE)."""


def _silence_stdout() -> None:
    """Point stdout at devnull, so that the interpreter's final flush of what stdout still
    holds does not fail again (Python's signal docs, "Note on SIGPIPE")."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, AttributeError, ValueError):
        pass


# Each command's module, imported when the command is asked for (a run builds only the
# command it runs: Typer's conversion of all of them costs several ms a start). In the
# order of the help's list.
COMMAND_MODULES = {
    "compute": "compute",
    "kl": "divergence",
    "js": "divergence",
    "entropy": "entropy",
    "explain": "explain",
    "calibrate": "calibrate",
    "compare": "compare",
    "report": "report",
}


class XentGroup(TyperGroup):
    """Turns every failure into one line on stderr and a documented exit status; imports
    a command's module when the command is asked for (see ``COMMAND_MODULES``)."""

    def list_commands(self, ctx) -> list[str]:
        known = super().list_commands(ctx)
        return list(COMMAND_MODULES) + [name for name in known if name not in COMMAND_MODULES]

    def resolve_command(self, ctx, args):
        if args and args[0] not in COMMAND_MODULES:  # a typo: every name, for a suggestion
            for name in COMMAND_MODULES:
                self.get_command(ctx, name)
        return super().resolve_command(ctx, args)

    def get_command(self, ctx, cmd_name: str):
        command = super().get_command(ctx, cmd_name)
        if command is not None or cmd_name not in COMMAND_MODULES:
            return command
        import importlib

        from typer.main import get_command_from_info

        importlib.import_module(f"{__package__}.{COMMAND_MODULES[cmd_name]}")  # registers
        for info in app.registered_commands:
            name = info.name
            if not name:
                assert info.callback is not None  # registered by @app.command()
                name = info.callback.__name__.replace("_", "-")
            if name == cmd_name:
                command = get_command_from_info(
                    info,
                    pretty_exceptions_short=app.pretty_exceptions_short,
                    rich_markup_mode=app.rich_markup_mode,
                )
                self.add_command(command, cmd_name)
                return command
        return None

    def invoke(self, ctx):
        # Typer's main catches KeyboardInterrupt and EPIPE itself, silently: take them
        # first, so that they reach main() below.
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise _Interrupted() from None
        except BrokenPipeError:
            raise _PipeClosed() from None

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        status = ExitStatus.OK
        showwarning, warnings.showwarning = warnings.showwarning, _show_warning
        try:
            status = super().main(
                args=args,
                prog_name=prog_name or "xent",
                complete_var=complete_var,
                standalone_mode=False,
                **extra,
            )
        except XentError as error:
            error_line(error.spelled(flag))  # its parameters as flags: --renormalize
            status = error.exit_status
            if getattr(error, "stdout", False):  # stdout failed (> /dev/full): say it once
                _silence_stdout()
        except ClickUsageError as error:
            if type(error).__name__ == "NoArgsIsHelpError":  # bare `xent`: show the help
                sys.stdout.write(error.format_message() + "\n")
                status = ExitStatus.OK
            else:
                status = _usage_error(error)
        except ClickException as error:
            error_line(error.format_message())
            status = error.exit_code
        except MemoryError as error:  # NumPy says what it could not allocate; pyarrow too
            error_line(f"out of memory: {error}" if str(error) else "out of memory")
            status = ExitStatus.NO_RESOURCES
        except (KeyboardInterrupt, _Interrupted, typer.Abort):
            error_line("interrupted")
            status = ExitStatus.INTERRUPTED
        except (BrokenPipeError, _PipeClosed):
            # The reader went away (`xent ... | head -1`): say nothing more. Point stdout at
            # devnull so the interpreter's final flush does not fail again (Python's
            # signal docs, "Note on SIGPIPE").
            _silence_stdout()
            status = ExitStatus.OK
        except Exception as error:  # a bug in xent, not a problem with the input
            if os.environ.get("XENT_DEBUG"):
                raise
            error_line(
                f"internal error: {type(error).__name__}: {error} "
                "(set XENT_DEBUG=1 for the traceback, and please report it)"
            )
            status = 70  # EX_SOFTWARE
        finally:
            warnings.showwarning = showwarning
        status = int(status or 0)
        if standalone_mode:
            sys.exit(status)
        return status


def _completion_wanted(args: list[str] | None = None) -> bool:
    """Typer's shell completion (``--install-completion``, ``--show-completion`` and the
    shell's own requests through ``$_XENT_COMPLETE``) costs a few ms of imports on every
    start: set it up only when it can be used, or listed (the top-level help)."""
    if os.environ.get("_XENT_COMPLETE"):
        return True
    args = sys.argv[1:] if args is None else args
    if not args or args[0] in ("-h", "--help"):  # bare `xent` prints the help too
        return True
    return any(a.startswith(("--install-completion", "--show-completion")) for a in args)


app = typer.Typer(
    cls=XentGroup,
    name="xent",
    help=(
        "Entropy and cross-entropy, exact, from the command line.\n\n"
        "\b\nExamples:\n"
        "  xent compute --labels dog --pred 0.4,0.3,0.05,0.05,0.2\n"
        "  xent compute --labels dog --pred 0.98,0.005,0.005,0.005,0.005 --base 2\n"
        "  xent entropy --pred 0.4,0.3,0.05,0.05,0.2\n\n" + EXIT_STATUS_HELP
    ),
    no_args_is_help=True,
    add_completion=_completion_wanted(),
    rich_markup_mode="rich",  # help in panels (Rich is imported for --help only)
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from .._version import version

        sys.stdout.write(f"xent {version()}\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    pass


class Terminal(NamedTuple):
    """What we need to know about the terminal, looked up once per command. (A NamedTuple:
    a frozen dataclass costs about a millisecond of start-up.)"""

    stdout_is_tty: bool
    stdin_is_tty: bool
    stderr_is_tty: bool = False

    @classmethod
    def detect(cls) -> Terminal:
        def isatty(stream) -> bool:
            try:
                return stream.isatty()
            except (AttributeError, ValueError):
                return False

        return cls(
            stdout_is_tty=isatty(sys.stdout),
            stdin_is_tty=isatty(sys.stdin),
            stderr_is_tty=isatty(sys.stderr),
        )


def output_format(fmt) -> str:
    if fmt.value == "auto":
        return "table" if Terminal.detect().stdout_is_tty else "plain"
    return fmt.value


def save_pictures(renderable_factory, svg: str | None, html: str | None) -> None:
    """Save the table view for ``--save-svg`` / ``--save-html``, at the terminal's width
    when there is one (so the file is what the terminal shows), else 80 columns."""
    if svg is None and html is None:
        return
    from ..render.recording import save_recording

    width = 80
    if Terminal.detect().stdout_is_tty:
        import shutil

        width = shutil.get_terminal_size().columns
    save_recording(renderable_factory(), svg=svg, html=html, width=width)


def render_report(
    report, fmt, precision: int, *, svg: str | None = None, html: str | None = None
) -> None:
    from ..render import render

    render(report, output_format(fmt), sys.stdout, precision=precision)
    sys.stdout.flush()  # surface a broken pipe here, where it is handled
    if svg is not None or html is not None:
        from ..render.rich_table import report_renderable

        save_pictures(lambda: report_renderable(report, precision), svg, html)
