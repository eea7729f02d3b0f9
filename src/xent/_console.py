"""The ``xent`` script's entry point: Ctrl-C while the command line is still being
imported (Typer, the commands) is one line and exit 130 too, not a traceback; and a
SIGTERM ends xent the way Ctrl-C does, unwinding, so ``--output`` removes its temporary
file and leaves FILE as it was."""

from __future__ import annotations

import os
import signal
import sys


def _terminate(signum, frame) -> None:
    # SystemExit unwinds through every `finally` (the atomic --output cleans up) and is
    # not caught as an error; 143 = 128 + SIGTERM, as a shell reports a terminated job.
    raise SystemExit(128 + signal.SIGTERM)


def main() -> None:
    # xent's NumPy work is chunk by chunk, never a large matrix product, and its cores go
    # to worker processes: one BLAS thread, unless the user asks for more. OpenBLAS's
    # thread pool is otherwise started at import (start-up time on every command) and
    # again in each forked worker (16 workers x 16 threads on 16 cores).
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    signal.signal(signal.SIGTERM, _terminate)
    try:
        from xent.cli import main as run
    except KeyboardInterrupt:
        sys.stderr.write("xent: interrupted\n")
        raise SystemExit(130) from None
    run()
