"""The ``xent`` script's entry point: Ctrl-C while the command line is still being
imported (Typer, the commands) is one line and exit 130 too, not a traceback; and a
SIGTERM ends xent the way Ctrl-C does, unwinding, so ``--output`` removes its temporary
file and leaves FILE as it was."""

from __future__ import annotations

import os
import signal
import sys

from xent.lifeline import terminate, terminated

# SIGTERM and SIGHUP: SystemExit unwinds through every `finally` (the atomic --output
# cleans up) and is not caught as an error; 143 = 128 + SIGTERM (129 for SIGHUP), as a
# shell reports it. Should Python swallow it (raised inside an at-fork hook), no output is
# put in place afterwards and the exit status still says so.
_terminate = terminate


def main() -> None:
    # xent's NumPy work is chunk by chunk, never a large matrix product, and its cores go
    # to worker processes: one BLAS thread, unless the user asks for more. OpenBLAS's
    # thread pool is otherwise started at import (start-up time on every command) and
    # again in each forked worker (16 workers x 16 threads on 16 cores).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    signal.signal(signal.SIGTERM, _terminate)
    sys.unraisablehook = _unraisable
    if hasattr(signal, "SIGHUP") and signal.getsignal(signal.SIGHUP) != signal.SIG_IGN:
        signal.signal(signal.SIGHUP, _terminate)  # under nohup it stays ignored
    try:
        from xent.cli import main as run
    except KeyboardInterrupt:
        sys.stderr.write("xent: interrupted\n")
        raise SystemExit(130) from None
    try:
        run()
    except SystemExit as done:
        _exit(_status(done.code))
    _exit(_status(0))


def _unraisable(unraisable) -> None:
    """Python ignores an exception raised where it cannot propagate (an at-fork hook, a
    ``__del__``) and prints a traceback: for the SystemExit of a SIGTERM or SIGHUP, which
    is then acted on later (:func:`xent.lifeline.check_terminated`), say nothing."""
    if isinstance(unraisable.exc_value, SystemExit) and terminated() is not None:
        return
    sys.__unraisablehook__(unraisable)


def _status(code):
    """``code``, unless a SIGTERM or SIGHUP came: then 128 + it, as a shell reports it."""
    signum = terminated()
    return code if signum is None else 128 + signum


def _exit(code) -> None:
    """End the process as ``sys.exit(code)`` would, less the interpreter's teardown.

    Tearing down NumPy, Typer and Rich module by module takes about 20 ms, as long as
    everything else a one-shot ``xent compute`` does beyond ``import numpy``; the result is
    written by then. So: the atexit handlers run as at any exit (a Dask client closes,
    multiprocessing cleans up), stdout and stderr are flushed, and ``os._exit`` ends the
    process. Every file xent writes is closed before this (``with``); with a thread still
    running, or an exit code that is not a number, the usual exit is taken."""
    import atexit
    import threading

    if code is None:
        code = 0
    # Terminated: every `finally` has run; a thread left (a pool's manager) may only fail
    # noisily in the interpreter's teardown, so it is skipped, atexit handlers included.
    if terminated() is None and (not isinstance(code, int) or threading.active_count() > 1):
        raise SystemExit(code)
    if terminated() is None:
        atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):  # closed, or its reader went away
            pass
    os._exit(code)
