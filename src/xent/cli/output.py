"""``--output FILE``: write a command's output atomically.

The output goes to a temporary file in FILE's directory, which is renamed over FILE only
when the command succeeds (``os.replace`` is atomic on POSIX and Windows). A failed or
interrupted run removes the temporary file and leaves FILE as it was: never half-written,
never clobbered.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager, redirect_stdout

from ..errors import UsageError

OUTPUT_HELP = (
    "Write the output to FILE instead of stdout, atomically: FILE is replaced only when "
    "the command succeeds (- is stdout)."
)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_text_file(path: str, *, source: str = "--output"):
    """A text stream whose content replaces ``path`` on success, and vanishes on failure."""
    import tempfile

    target = os.path.realpath(path)  # through a symlink: the link stays, its file changes
    if os.path.isdir(target):
        raise UsageError(f"{path} is a directory: expected a file name", source=source)
    directory, name = os.path.split(target)
    try:
        stream = tempfile.NamedTemporaryFile(
            "w",
            encoding="utf-8",
            newline="",
            dir=directory,
            prefix=f".{name}.",
            suffix=".tmp",
            delete=False,
        )
    except OSError as error:
        raise UsageError(
            f"cannot write in {directory or '.'}: {error.strerror}", source=source
        ) from None
    try:
        with stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        try:  # the new file keeps the old one's permissions, or gets the usual ones
            mode = os.stat(target).st_mode & 0o7777
        except OSError:
            mode = 0o666 & ~_umask()
        os.chmod(stream.name, mode)
        os.replace(stream.name, target)
    except BaseException:
        try:
            os.unlink(stream.name)
        except OSError:
            pass
        raise


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
