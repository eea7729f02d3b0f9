"""Tables that fit the terminal (Rich): numbers are never cut.

A table is drawn whole when it fits the width; else without its bar columns; else without
its note columns too (a summary's name and value, a line per figure); else stacked, one
block per row with a line per column (``P (label)  1``), which wraps between a name and its
number, never inside a number. The choice is made at drawing time, from the
console's width (``COLUMNS``, the terminal, or the width of a saved picture).

Cells are plain text, not Rich markup, and go through :func:`~xent.render.text.visible`:
a class name is shown as it is, its control characters as escapes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rich import box
from rich.console import Group, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from .text import visible

BAR_WIDTH = 10
_EIGHTHS = " ▏▎▍▌▋▊▉"
_UNBOUNDED = 1_000_000


def bar(fraction: float, width: int = BAR_WIDTH) -> str:
    """A horizontal bar of ``fraction`` (0 to 1) of ``width`` cells, in eighths."""
    if not math.isfinite(fraction):
        return "█" * width
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    full, part = divmod(eighths, 8)
    return ("█" * full + (_EIGHTHS[part] if part else "")).ljust(width)


class Wrapping:
    """A table whose note columns wrap: it fits when the table without them (``probe``)
    and ``extra`` cells for each (:data:`NOTE_WIDTH` and its padding) do."""

    def __init__(self, layout, probe, extra: int) -> None:
        self.layout, self.probe, self.extra = layout, probe, extra

    def needs(self, console, options) -> int:
        return Measurement.get(console, options, self.probe).maximum + self.extra

    def __rich_console__(self, console, options):
        yield self.layout

    def __rich_measure__(self, console, options):
        return Measurement.get(console, options, self.layout)


class Fit:
    """The first of several layouts whose natural width fits (a :class:`Wrapping` one: its
    narrowest); the last one otherwise."""

    def __init__(self, *layouts) -> None:
        self.layouts = layouts

    def _choose(self, console, options):
        wide = options.update_width(_UNBOUNDED)
        for layout in self.layouts[:-1]:
            if isinstance(layout, Wrapping):
                needs = layout.needs(console, wide)
            else:
                needs = Measurement.get(console, wide, layout).maximum
            if needs <= options.max_width:
                return layout
        return self.layouts[-1]

    def __rich_console__(self, console, options):
        yield self._choose(console, options)

    def __rich_measure__(self, console, options):
        return Measurement.get(console, options, self._choose(console, options))


@dataclass(frozen=True)
class Column:
    header: str
    justify: str = "right"
    style: str | None = None
    is_bar: bool = False  # dropped first when the table does not fit
    is_note: bool = False  # dropped next (a grid's descriptions: the unit, what it is)


def _text(cell, style=None) -> Text:
    if isinstance(cell, Text):
        return cell
    return Text(visible(cell), style=style or "")


NOTE_WIDTH = 20  # the narrowest a wrapped note column may be


def _table(columns, rows, *, grid, footer, styles, sections, title, wrap=False) -> Table:
    if grid:
        table = Table.grid(padding=(0, 2))
    else:
        table = Table(
            box=box.SIMPLE_HEAD,
            pad_edge=False,
            show_footer=footer is not None,
            title=title,
            title_justify="left",
        )
    for k, column in enumerate(columns):
        header = Text("\n").join(Text(visible(line)) for line in column.header.split("\n"))
        table.add_column(
            header,
            footer=_text(footer[k]) if footer is not None else "",
            justify=column.justify,
            style=column.style,
            no_wrap=not (wrap and column.is_note),
            min_width=NOTE_WIDTH if wrap and column.is_note else None,
        )
    for r, row in enumerate(rows):
        table.add_row(
            *(_text(cell) for cell in row),
            style=styles[r] if styles else None,
            end_section=r in sections,
        )
    return table


def _stacked(columns, rows, *, footer, styles, key, title, grid) -> Group:
    """One block per row: its key cell, then ``header  value`` for the other columns (a
    grid's other cells on one line: ``0.9163 nats``)."""
    blocks = [Text(visible(title), style="bold")] if title else []
    for r, row in enumerate([*rows, *([footer] if footer is not None else [])]):
        style = styles[r] if styles and r < len(rows) else None
        head = row[key].plain if isinstance(row[key], Text) else visible(row[key])
        lines = [Text(head, style=style or "bold")]
        for k, (column, cell) in enumerate(zip(columns, row)):
            value = cell.plain if isinstance(cell, Text) else visible(cell)
            if k == key or column.is_bar or not value.strip():
                continue
            name = visible(column.header)
            lines.append(Text(f"  {name}  {value}" if name else f"  {value}", style=style or ""))
        if grid and len(lines) > 2:
            lines = [lines[0], Text("  " + " ".join(line.plain.strip() for line in lines[1:]))]
        blocks.append(Text("\n").join(lines))
    return Group(*blocks)


def fitted_table(
    columns: list[Column],
    rows: list[list],
    *,
    grid: bool = False,
    footer: list | None = None,
    styles: list | None = None,
    sections: tuple = (),
    key: int = 0,
    title: str | None = None,
) -> Fit:
    """The table, the table without its bars, or stacked: whichever fits first."""
    common = dict(grid=grid, footer=footer, styles=styles, sections=sections, title=title)
    layouts: list[RenderableType] = [_table(columns, rows, **common)]
    kept = [k for k, column in enumerate(columns) if not column.is_bar]
    narrow = [columns[k] for k in kept]
    rest = dict(common, footer=None if footer is None else [footer[k] for k in kept])
    cells = [[row[k] for k in kept] for row in rows]
    if len(kept) < len(columns):
        layouts.append(_table(narrow, cells, **rest))
    figures = [k for k in kept if not columns[k].is_note]
    if len(figures) < len(kept):
        # The notes wrapped, then gone: a name and its value keep one line at any width.
        bare = _table(
            [columns[k] for k in figures],
            [[row[k] for k in figures] for row in rows],
            **dict(common, footer=None if footer is None else [footer[k] for k in figures]),
        )
        padding = 2 if grid else 3
        extra = (len(kept) - len(figures)) * (NOTE_WIDTH + padding)
        layouts += [Wrapping(_table(narrow, cells, **rest, wrap=True), bare, extra), bare]
    if not grid and any(" " in column.header.strip() for column in narrow):
        # Headers on two lines: "P (label)" above its numbers takes the width of "(label)".
        two_lines = [
            Column(c.header.strip().replace(" ", "\n", 1), c.justify, c.style) for c in narrow
        ]
        layouts.append(_table(two_lines, cells, **rest))
    layouts.append(
        _stacked(columns, rows, footer=footer, styles=styles, key=key, title=title, grid=grid)
    )
    return Fit(*layouts)
