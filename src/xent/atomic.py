"""Output files (``--output``, ``--save-svg``, ``--save-html``), written the way a shell's
``>`` writes them, but atomically wherever that is possible, and never before the command
has succeeded.

- **A regular file** (new, or with one link) is written to a temporary file in its
  directory and renamed over it only on success (``os.replace`` is atomic on POSIX and
  Windows): a failed or interrupted run leaves it as it was, never half-written. The new
  file keeps the old one's permissions (and owner, where xent may set it). A symlink is
  followed: the link stays, its file changes.
- **A regular file with hard links** (``st_nlink > 1``) is written to a temporary file
  too; only when the command has succeeded is the file truncated and the complete output
  copied into it, so that every name of it sees the new content (a rename would break the
  links). A failed run leaves it untouched.
- **An input of the command** (the same file, by device and inode, whatever its name: a
  hard link, a symlink, the file itself) is refused before anything is written:
  ``xent compute -i a.csv -o a.csv`` would otherwise destroy what it reads.
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

The temporary file is ``.NAME.xent-HOST-PID-RANDOM.tmp`` beside the target. It is removed
when the command fails or is interrupted (SIGINT, SIGTERM, SIGHUP); a process killed with
SIGKILL cannot remove it, so the next run writing the same target removes those of its
host whose process is gone.

A file name that is not UTF-8 (bytes the system gave as surrogate escapes) is written
into the output as ``\\xNN``, never an encoding error. Every failure, when opening or while
writing (no space left on device, an I/O error), is an :class:`OutputError`: one line,
exit 2. A reader that went away stays a ``BrokenPipeError``.
"""

from __future__ import annotations

import codecs
import io
import os
import re
import stat
from contextlib import contextmanager

from .errors import UsageError
from .lifeline import check_terminated

# The names under which a process reaches its own descriptors (bash treats the first three
# the same way in a redirection).
_OWN_DESCRIPTOR = re.compile(r"^/(?:dev/fd|proc/(?:self|thread-self|\d+)/fd)/(\d+)$")
_STANDARD = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class OutputError(UsageError):
    """An output file that cannot be opened or written (exit 2)."""

    #: the error was writing xent's stdout itself: the caller silences it before exiting.
    stdout = False


def reason(error: OSError) -> str:
    """``No space left on device``: the system's words, as a shell prints them."""
    return error.strerror or str(error)


def _error(path: str, text: str, source: str) -> OutputError:
    """``PATH: text``, from the option ``source``; the name once when the source is it."""
    if source == path:
        return OutputError(text, source=source)
    return OutputError(f"{path}: {text}", source=source)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _names(error: UnicodeError) -> tuple[str | bytes, int]:
    """A codec error handler: a surrogate escape (a byte of a non-UTF-8 file name) as
    ``\\xNN``, any other unencodable character as ``\\uNNNN``."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    bad = error.object[error.start : error.end]
    text = "".join(
        f"\\x{ord(c) - 0xDC00:02x}" if 0xDC80 <= ord(c) <= 0xDCFF else f"\\u{ord(c):04x}"
        for c in bad
    )
    return text, error.end


codecs.register_error("xent.names", _names)

# ----------------------------------------------------------------- the inputs of a command

_INPUTS: dict[tuple[int, int], str] = {}


@contextmanager
def protected_inputs(paths, files=(), *, stdin: bool = True):
    """While the block runs, an output that is one of ``paths`` (a directory: the files
    under it), one of ``files`` (regular files only: other values a command was given),
    or the file on stdin, is refused: writing it would destroy an input."""
    saved = dict(_INPUTS)
    for path in paths:
        _protect(path)
    for path in files:
        _protect(path, walk=False)
    if stdin:
        try:
            st = os.fstat(0)
        except (OSError, ValueError):
            st = None
        if st is not None and stat.S_ISREG(st.st_mode):
            _INPUTS[(st.st_dev, st.st_ino)] = "<stdin>"
    try:
        yield
    finally:
        _INPUTS.clear()
        _INPUTS.update(saved)


def _protect(path: str, walk: bool = True) -> None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return
    if stat.S_ISREG(st.st_mode):
        _INPUTS[(st.st_dev, st.st_ino)] = path
    elif walk and stat.S_ISDIR(st.st_mode):
        for root, _, names in os.walk(path):
            for name in names:
                _protect(os.path.join(root, name))


def _refuse_input(path: str, st: os.stat_result | None, source: str) -> None:
    name = None if st is None else _INPUTS.get((st.st_dev, st.st_ino))
    if name is not None:
        same = "" if name == path else f" {name}"  # a.csv -o a.csv: once
        raise _error(path, f"the same file as the input{same}: write the output elsewhere", source)


# ----------------------------------------------------------------- streams


class OutputStream(io.TextIOWrapper):
    """A UTF-8 text stream whose write errors are :class:`OutputError`, one line."""

    target: str  # the name the error names
    source: str  # the option that named it

    def _fail(self, error: OSError):
        return _error(self.target, reason(error), self.source)

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
    stream = OutputStream(open(fd, "wb"), encoding="utf-8", errors="xent.names", newline="")
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


def _open_through(path: str, source: str) -> tuple[int | None, str, os.stat_result | None]:
    """(a descriptor to write straight through, or None for a regular file; the file's
    real path; its status, None for a new file). Refuses what ``>`` refuses."""
    own = _own_descriptor(path)
    try:
        if own is not None:
            return os.dup(own), path, None
        target = os.path.realpath(path)  # through a symlink: the link stays, its file changes
        try:
            st = os.stat(target)
        except FileNotFoundError:
            return None, target, None
        if stat.S_ISDIR(st.st_mode):
            raise OutputError(f"{path} is a directory: expected a file name", source=source)
        _refuse_input(path, st, source)
        if not stat.S_ISREG(st.st_mode):  # a device, a FIFO, a terminal: never replaced
            return os.open(target, os.O_WRONLY | _CLOEXEC), target, st
    except OSError as error:
        raise _error(path, reason(error), source) from None
    if not _may_write(target, st):
        raise _error(path, "Permission denied", source)
    return None, target, st


# ----------------------------------------------------------------- temporary files


def _host() -> str:
    import zlib

    return f"{zlib.crc32(os.uname().nodename.encode()) & 0xFFFFFFFF:08x}"


def _prefix(name: str) -> str:
    # Short enough for a 255-byte name limit, whatever the target's length.
    return f".{name[:180]}.xent-{_host()}-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


def _remove_stale(directory: str, name: str) -> None:
    """Remove the temporary files of this target left by xent processes of this host that
    are gone (killed with SIGKILL, or the machine lost power)."""
    prefix = _prefix(name)
    try:
        entries = [e for e in os.listdir(directory or ".") if e.startswith(prefix)]
    except OSError:
        return
    for entry in entries:
        pid = entry[len(prefix) :].split("-", 1)[0]
        if entry.endswith(".tmp") and pid.isdigit() and not _alive(int(pid)):
            try:
                os.unlink(os.path.join(directory, entry))
            except OSError:
                pass


def _temporary(target: str, source: str) -> tuple[int, str]:
    import tempfile

    directory, name = os.path.split(target)
    _remove_stale(directory, name)
    try:
        return tempfile.mkstemp(
            prefix=f"{_prefix(name)}{os.getpid()}-", suffix=".tmp", dir=directory
        )
    except OSError as error:
        raise OutputError(
            f"cannot write in {directory or '.'}: {reason(error)}", source=source
        ) from None


def _keep_permissions(temporary: str, st: os.stat_result | None) -> None:
    if st is None:
        os.chmod(temporary, 0o666 & ~_umask())
        return
    if (st.st_uid, st.st_gid) != (os.geteuid(), os.getegid()):
        try:
            os.chown(temporary, st.st_uid, st.st_gid)
        except OSError:
            pass
    os.chmod(temporary, st.st_mode & 0o7777)


def _copy_into(temporary: str, target: str, path: str, source: str) -> None:
    """The complete output, copied over the hard-linked ``target`` in place."""
    import shutil

    try:
        with open(temporary, "rb") as done, open(target, "r+b") as linked:
            linked.truncate(0)
            shutil.copyfileobj(done, linked, 1 << 20)
            linked.flush()
            os.fsync(linked.fileno())
    except OSError as error:
        raise _error(path, reason(error), source) from None


def _commit(stream: OutputStream, temporary: str, target: str, st, path: str) -> None:
    """Move the complete temporary file into place, checked once more against the inputs
    (the command has read them by now)."""
    stream.flush()
    try:
        os.fsync(stream.fileno())
    except OSError as error:
        raise stream._fail(error) from None
    check_terminated()  # a SIGTERM or SIGHUP whose exception Python swallowed
    try:
        now = os.stat(target)
    except OSError:
        now = None
    _refuse_input(path, now, stream.source)
    if now is not None and now.st_nlink > 1 and stat.S_ISREG(now.st_mode):
        _copy_into(temporary, target, path, stream.source)
        os.unlink(temporary)
        return
    try:
        _keep_permissions(temporary, st)
        os.replace(temporary, target)
    except OSError as error:
        raise _error(path, reason(error), stream.source) from None


@contextmanager
def atomic_text_file(path: str, *, source: str = "--output"):
    """A text stream for ``path``, written as the module docstring says: atomically for a
    regular file (hard links too, at the end), straight through for anything else."""
    fd, target, st = _open_through(path, source)
    if fd is not None:
        with _write_through(fd, path, source) as stream:
            yield stream
        return
    fd, temporary = _temporary(target, source)
    try:
        with _stream(fd, path, source) as stream:
            yield stream
            _commit(stream, temporary, target, st, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
