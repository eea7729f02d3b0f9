"""``--output FILE``, and stdout itself: where a command's output goes.

``--output FILE`` is written as :mod:`xent.atomic` says: a regular file atomically (a
temporary file in its directory, renamed over FILE only when the command succeeds), a
device, a FIFO or /dev/stdout straight through, never replaced.

stdout is wrapped so that a failed write (``> /dev/full``) is one line, not a traceback,
and so that text the stream's encoding cannot hold (``PYTHONIOENCODING=ascii``) is written
with ASCII symbols or escapes instead of crashing: machine formats check what they write
before the first byte (csv refuses, json writes ``\\u`` escapes), so only text for people
ever falls back.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager, redirect_stdout

from ..atomic import OutputError, atomic_text_file, protected_inputs, reason

OUTPUT_HELP = "Write to FILE (replaced atomically, on success)."


class SafeStdout:
    """sys.stdout for a command: write errors are :class:`OutputError`, and characters the
    encoding cannot hold become ASCII symbols or escapes (see :func:`xent.render.text.fallback`)."""

    def __init__(self, inner) -> None:
        self._inner = inner

    def _fail(self, error: OSError) -> OutputError:
        failure = OutputError(reason(error), source="stdout")
        failure.stdout = True
        return failure

    def write(self, text: str) -> int:
        try:
            return self._inner.write(text)
        except UnicodeEncodeError:
            from ..render.text import fallback

            return self.write(fallback(text, self.encoding))
        except BrokenPipeError:
            raise
        except OSError as error:
            raise self._fail(error) from None

    def flush(self) -> None:
        try:
            self._inner.flush()
        except BrokenPipeError:
            raise
        except OSError as error:
            raise self._fail(error) from None

    @property
    def encoding(self) -> str:
        return getattr(self._inner, "encoding", None) or "utf-8"

    def __getattr__(self, name):
        return getattr(self._inner, name)


@contextmanager
def output_to(path: str | None):
    """stdout for the command: ``sys.stdout`` (wrapped), or a file for ``--output``.

    ``sys.stdout`` is redirected, so every renderer (and the format auto-detection, which
    sees a file, not a terminal) writes to the file without knowing it.
    """
    if path is None or path == "-":
        if sys.stdout is None:
            raise OutputError("stdout is closed: nowhere to write the output (give -o FILE)")
        with redirect_stdout(SafeStdout(sys.stdout)) as stream:
            yield stream
        return
    with atomic_text_file(path) as stream, redirect_stdout(stream):
        yield stream


# The options that name files a command writes; every other file named is an input.
OUTPUT_PARAMETERS = frozenset(
    {"output", "save_svg", "save_html", "reliability_svg", "predictions", "save_calibration"}
)


# The parameters that name files (or directories of them) a command reads.
INPUT_PARAMETERS = frozenset(
    {"paths", "file", "file_a", "file_b", "labels_file", "q_file", "calibration"}
)


def _inputs(params: dict) -> tuple[list[str], list[str]]:
    """What an output must not overwrite, when one is asked for: (the inputs, the other
    values that may name a file). A directory is an input's, its files walked; any other
    value (a --p of "/", a class name) is only a file if it names one."""
    if not any(params.get(key) for key in OUTPUT_PARAMETERS):
        return [], []
    inputs: list[str] = []
    others: list[str] = []
    for key, value in params.items():
        if key in OUTPUT_PARAMETERS:
            continue
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(item, str) and item not in ("", "-"):
                (inputs if key in INPUT_PARAMETERS else others).append(item)
    return inputs, others


@contextmanager
def short_help(command, ctx):
    """``--help`` in a screen or two: each option's short help, no defaults (they are in
    the help where they matter, and every one in docs/cli.md), and -h/--help in the output
    panel (one panel less)."""
    shown = [(param, getattr(param, "show_default", None)) for param in command.params]
    for param, _ in shown:
        param.show_default = False
    help_option = command.get_help_option(ctx)
    if help_option is not None and any(
        getattr(param, "rich_help_panel", None) == "Output" for param in command.params
    ):
        help_option.rich_help_panel = "Output"
    try:
        yield
    finally:
        for param, default in shown:
            param.show_default = default


def output_command_class():
    """The Click command class of every xent command: runs it inside :func:`output_to`
    its ``--output`` value, so the option works the same way everywhere."""
    from typer.core import TyperCommand

    class XentCommand(TyperCommand):
        def format_help(self, ctx, formatter):
            with short_help(self, ctx):
                return super().format_help(ctx, formatter)

        def invoke(self, ctx):
            from ..errors import GateFailed

            gate = None
            inputs, others = _inputs(ctx.params)
            with protected_inputs(inputs, others), output_to(ctx.params.get("output")):
                try:
                    return super().invoke(ctx)
                except GateFailed as failed:  # the output is whole: keep it, then fail
                    gate = failed
            raise gate

    return XentCommand
