"""The ``xent`` script's entry point: Ctrl-C while the command line is still being
imported (Typer, the commands) is one line and exit 130 too, not a traceback."""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from xent.cli import main as run
    except KeyboardInterrupt:
        sys.stderr.write("xent: interrupted\n")
        raise SystemExit(130) from None
    run()
