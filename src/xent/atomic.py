"""Files written atomically: a temporary file in the target's directory, renamed over
the target only on success (``os.replace`` is atomic on POSIX and Windows). A failed or
interrupted write removes the temporary file and leaves the target as it was: never
half-written, never clobbered. Used by ``--output`` and ``--save-svg``/``--save-html``."""

from __future__ import annotations

import os
from contextlib import contextmanager

from .errors import UsageError


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
