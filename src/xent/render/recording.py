"""``--save-svg`` / ``--save-html``: what the terminal shows, saved as a picture.

A recording Rich console prints the renderable (always the table view, whatever
``--format`` wrote to stdout, so a pipe still gets a picture) and saves what it recorded.
"""

from __future__ import annotations

import io

from ..errors import XentError


def save_recording(
    renderable, *, svg: str | None = None, html: str | None = None, width: int = 80
) -> None:
    """Write ``renderable`` to ``svg`` and/or ``html`` as a ``width``-column terminal."""
    from rich.console import Console

    # A terminal with full colour, whatever stdout is: the file is for people.
    console = Console(
        record=True,
        file=io.StringIO(),
        width=width,
        force_terminal=True,
        color_system="truecolor",
    )
    console.print(renderable)
    for path, save in ((svg, console.save_svg), (html, console.save_html)):
        if path is None:
            continue
        try:
            if save is console.save_svg:
                save(path, title="xent", clear=False)
            else:
                save(path, clear=False)
        except OSError as error:
            raise XentError(f"cannot write the file: {error.strerror}", source=path) from None
