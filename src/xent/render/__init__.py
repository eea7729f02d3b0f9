"""Renderers: a :class:`~xent.report.Report` to text. They format; they never compute a loss.

``plain``, ``json`` and ``csv`` are for scripts (full precision, stable); ``table`` is for
people (Rich, imported only when a table is drawn).
"""

from __future__ import annotations

from .numbers import full_precision

FORMATS = ("auto", "table", "json", "csv", "plain")
__all__ = ["FORMATS", "full_precision", "render", "render_summary"]


def render(report, fmt: str, out, *, precision: int = 4) -> None:
    """Write ``report`` to the text stream ``out`` in ``fmt`` (not ``auto``: resolve it first)."""
    if fmt == "plain":
        from .plain_output import render_plain as renderer
    elif fmt == "json":
        from .json_output import render_json as renderer
    elif fmt == "csv":
        from .csv_output import render_csv as renderer
    elif fmt == "table":
        from .rich_table import render_table

        render_table(report, out, precision=precision)
        return
    else:
        raise ValueError(f"unknown format {fmt!r}")
    renderer(report, out)


def render_summary(summary, fmt: str, out, *, precision: int = 4) -> None:
    """Write a :class:`~xent.summary.FileSummary` to ``out`` in ``fmt`` (not ``auto``)."""
    if fmt == "table":
        from .summary_table import render_summary_table

        render_summary_table(summary, out, precision=precision)
        return
    from . import summary_output

    renderers = {
        "plain": summary_output.render_summary_plain,
        "json": summary_output.render_summary_json,
        "csv": summary_output.render_summary_csv,
    }
    if fmt not in renderers:
        raise ValueError(f"unknown format {fmt!r}")
    renderers[fmt](summary, out)
