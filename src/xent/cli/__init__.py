"""The ``xent`` command line: Typer wiring over the readers, the engine and the renderers.

Each command lives in a module of its own and registers itself on :data:`app` when it is
first asked for (``app.COMMAND_MODULES``); this
package knows Typer and exit statuses, the layers below know neither.
"""

from __future__ import annotations

# _lean_typer first (imports sort it first too): Typer without what xent never uses.
# The commands register themselves on the app when they are first asked for
# (app.COMMAND_MODULES): a run imports and builds only its own.
from . import _lean_typer  # noqa: F401
from .app import app

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point."""
    app()
