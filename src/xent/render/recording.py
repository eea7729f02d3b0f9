"""``--save-svg`` / ``--save-html``: what the terminal shows, saved as a picture.

A recording Rich console prints the renderable (always the table view, whatever
``--format`` wrote to stdout, so a pipe still gets a picture) and saves what it recorded.
"""

from __future__ import annotations

import io

from ..atomic import atomic_text_file
from .text import xml_safe


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
    # Exported first, then written atomically: a failure leaves no half-written picture.
    for path, export in (
        (svg, lambda: xml_safe(console.export_svg(title="xent", clear=False))),
        (html, lambda: console.export_html(clear=False)),
    ):
        if path is not None:
            with atomic_text_file(path, source=path) as stream:
                stream.write(export())
