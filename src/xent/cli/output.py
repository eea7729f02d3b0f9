"""``--output FILE``: write a command's output atomically.

The output goes to a temporary file in FILE's directory, which is renamed over FILE only
when the command succeeds (``os.replace`` is atomic on POSIX and Windows). A failed or
interrupted run removes the temporary file and leaves FILE as it was: never half-written,
never clobbered.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager, redirect_stdout

from ..atomic import atomic_text_file

OUTPUT_HELP = (
    "Write the output to FILE instead of stdout, atomically: FILE is replaced only when "
    "the command succeeds (- is stdout)."
)


@contextmanager
def output_to(path: str | None):
    """stdout for the command: ``sys.stdout`` itself, or an atomic file for ``--output``.

    ``sys.stdout`` is redirected, so every renderer (and the format auto-detection, which
    sees a file, not a terminal) writes to the file without knowing it.
    """
    if path is None or path == "-":
        yield sys.stdout
        return
    with atomic_text_file(path) as stream, redirect_stdout(stream):
        yield stream


def output_command_class():
    """The Click command class of every xent command: runs it inside :func:`output_to`
    its ``--output`` value, so the option works the same way everywhere."""
    from typer.core import TyperCommand

    class XentCommand(TyperCommand):
        def invoke(self, ctx):
            with output_to(ctx.params.get("output")):
                return super().invoke(ctx)

    return XentCommand
