"""Worker processes end with the process that forked them.

A forked worker whose parent is killed (SIGKILL, or a crash) would otherwise be adopted by
PID 1 and keep running, holding memory and a file. :func:`follow_parent`, called first in
a worker's initializer, ends the worker when its parent is gone: at once through
``prctl(PR_SET_PDEATHSIG)`` on Linux, and by a thread that looks at the parent's PID twice
a second everywhere (the signal comes when the *thread* that forked ends, and macOS has no
such call). It also gives SIGTERM and SIGHUP their default action back: they end a worker
at once, while the main process's handlers unwind it (see :mod:`xent._console`).
"""

from __future__ import annotations

import os
import signal
import sys

_forked_by = [os.getpid()]
# The signal that asked xent to end (SIGTERM, SIGHUP), kept: Python ignores an exception
# raised while an at-fork hook or a __del__ runs, and the run would then go on to exit 0.
_terminated: list[int] = []


def terminate(signum: int, frame=None):
    """The handler of SIGTERM and SIGHUP in the main process: unwind as Ctrl-C does (every
    ``finally`` runs: ``--output`` removes its temporary file), 128 + the signal."""
    _terminated.append(signum)
    raise SystemExit(128 + signum)


def check_terminated() -> None:
    """Unwind now if a termination signal came and its exception was swallowed: called
    before an output file is put in place."""
    if _terminated:
        raise SystemExit(128 + _terminated[0])


def terminated() -> int | None:
    return _terminated[0] if _terminated else None


def _before_fork() -> None:
    _forked_by[0] = os.getpid()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork)


def _death_signal() -> None:
    """Linux: SIGKILL for this process when its parent ends."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _watch(parent: int) -> None:
    import threading

    event = threading.Event()
    while not event.wait(0.5):
        if os.getppid() != parent:
            os._exit(1)


def follow_parent() -> None:
    """In a worker process just forked: end it when the process that forked it ends."""
    _terminated.clear()
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    parent = _forked_by[0]
    if parent == os.getpid():  # this module was first imported after the fork
        parent = os.getppid()
    _death_signal()
    if os.getppid() != parent:  # the parent ended before the signal was asked for
        os._exit(1)
    import threading

    threading.Thread(target=_watch, args=(parent,), daemon=True, name="xent-parent").start()
