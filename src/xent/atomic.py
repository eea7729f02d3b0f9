"""Output files (``--output``, ``--save-svg``, ``--save-html``), written the way a shell's
``>`` writes them, but atomically wherever that is possible.

- **A regular file** (new, or with one link) is written to a temporary file in its
  directory and renamed over it only on success (``os.replace`` is atomic on POSIX and
  Windows): a failed or interrupted run leaves it as it was, never half-written. The new
  file keeps the old one's permissions (and owner, where xent may set it). A symlink is
  followed: the link stays, its file changes.
- **A regular file with hard links** (``st_nlink > 1``) is truncated and written in place,
  as ``>`` does, because a rename would break the links. This is the one case that is not
  atomic: a failed run leaves the file partly written.
- **/dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N** are xent's own descriptors: it
  writes to descriptor N, as bash does. Nothing is truncated or replaced, so
  ``{ echo header; xent ... -o /dev/stdout; echo footer; } > report.txt`` keeps all three.
- **Anything else that is not a regular file** (a character device such as /dev/null or
  /dev/full, a FIFO, a terminal) is opened and written straight through; it is never
  replaced by a file.
- **Refused**, as ``>`` refuses them: a directory, a missing directory, a closed
  descriptor, and a regular file without write permission. The permission of a regular
  file comes from its mode bits even for root: a file of mode 444 is refused, although
  root's ``>`` would write it, because replacing a read-only file is rarely what was meant.

Every failure, when opening or while writing (no space left on device, an I/O error), is an
:class:`OutputError`: one line, exit 2. A reader that went away stays a ``BrokenPipeError``.
"""

from __future__ import annotations

import io
import os
import re
import stat
from contextlib import contextmanager

from .errors import UsageError

# The names under which a process reaches its own descriptors (bash treats the first three
# the same way in a redirection).
_OWN_DESCRIPTOR = re.compile(r"^/(?:dev/fd|proc/(?:self|thread-self|\d+)/fd)/(\d+)$")
_STANDARD = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}


class OutputError(UsageError):
    """An output file that cannot be opened or written (exit 2)."""

    #: the error was writing xent's stdout itself: the caller silences it before exiting.
    stdout = False


def reason(error: OSError) -> str:
    """``No space left on device``: the system's words, as a shell prints them."""
    return error.strerror or str(error)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class OutputStream(io.TextIOWrapper):
    """A UTF-8 text stream whose write errors are :class:`OutputError`, one line."""

    target: str  # the name the error names
    source: str  # the option that named it

    def _fail(self, error: OSError):
        return OutputError(f"{self.target}: {reason(error)}", source=self.source)

    def write(self, text):
        try:
            return super().write(text)
        except BrokenPipeError:
            raise
        except OSError as error:
            raise self._fail(error) from None

    def flush(self):
        try:
            return super().flush()
        except BrokenPipeError:
            raise
        except OSError as error:
            raise self._fail(error) from None

    def close(self):
        try:
            return super().close()
        except BrokenPipeError:
            raise
        except OSError as error:
            raise self._fail(error) from None


def _stream(fd: int, target: str, source: str) -> OutputStream:
    stream = OutputStream(open(fd, "wb"), encoding="utf-8", newline="")
    stream.target, stream.source = target, source
    return stream


def _own_descriptor(path: str) -> int | None:
    """N when ``path`` names this process's descriptor N (directly or through links)."""
    seen = 0
    while seen < 40:
        if path in _STANDARD:
            return _STANDARD[path]
        match = _OWN_DESCRIPTOR.match(path)
        if match:
            pid = path.split("/")[2]
            if pid.isdigit() and int(pid) != os.getpid():
                return None
            return int(match.group(1))
        if not os.path.islink(path):
            return None
        link = os.readlink(path)
        path = os.path.normpath(os.path.join(os.path.dirname(path), link))
        seen += 1
    return None


def _may_write(path: str, st: os.stat_result) -> bool:
    """Whether ``>`` should write this regular file: its mode bits, even for root."""
    if os.geteuid() == 0:
        return bool(st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    return os.access(path, os.W_OK)


def _open_error(path: str, error: OSError, source: str) -> OutputError:
    return OutputError(f"{path}: {reason(error)}", source=source)


@contextmanager
def _write_through(fd: int, path: str, source: str):
    stream = _stream(fd, path, source)
    try:
        yield stream
        stream.flush()
    finally:
        try:
            stream.close()
        except (OSError, OutputError):
            pass


@contextmanager
def atomic_text_file(path: str, *, source: str = "--output"):
    """A text stream for ``path``, written as the module docstring says: atomically for a
    regular file, straight through for anything else."""
    own = _own_descriptor(path)
    if own is not None:
        try:
            fd = os.dup(own)
        except OSError as error:
            raise _open_error(path, error, source) from None
        with _write_through(fd, path, source) as stream:
            yield stream
        return

    target = os.path.realpath(path)  # through a symlink: the link stays, its file changes
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as error:
        raise _open_error(path, error, source) from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise OutputError(f"{path} is a directory: expected a file name", source=source)
    if st is not None and not stat.S_ISREG(st.st_mode):
        # A device, a FIFO, a terminal: write into it, never replace it.
        try:
            fd = os.open(target, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError as error:
            raise _open_error(path, error, source) from None
        with _write_through(fd, path, source) as stream:
            yield stream
        return
    if st is not None and not _may_write(target, st):
        raise OutputError(f"{path}: Permission denied", source=source)
    if st is not None and st.st_nlink > 1:
        # Hard links: truncate and write in place, as `>` does (not atomic).
        try:
            fd = os.open(target, os.O_WRONLY | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0))
        except OSError as error:
            raise _open_error(path, error, source) from None
        with _write_through(fd, path, source) as stream:
            yield stream
        return

    import tempfile

    directory, name = os.path.split(target)
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    except OSError as error:
        raise OutputError(
            f"cannot write in {directory or '.'}: {reason(error)}", source=source
        ) from None
    try:
        with _stream(fd, path, source) as stream:
            yield stream
            stream.flush()
            try:
                os.fsync(stream.fileno())
            except OSError as error:
                raise stream._fail(error) from None
        if st is not None:  # the new file keeps the old one's permissions and owner
            mode = st.st_mode & 0o7777
            if (st.st_uid, st.st_gid) != (os.geteuid(), os.getegid()):
                try:
                    os.chown(temporary, st.st_uid, st.st_gid)
                except OSError:
                    pass
        else:
            mode = 0o666 & ~_umask()
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
