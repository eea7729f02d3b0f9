"""How every renderer writes a number (standard library only).

- :func:`full_precision`: plain, csv and json text: the shortest text that reads back as
  the same float (``repr``), ``inf``/``-inf``/``nan`` for the others.
- :func:`json_number`: a finite float stays a JSON number; the others are the strings
  ``"inf"``, ``"-inf"``, ``"nan"`` (strict JSON has no literal for them).
- :func:`number`: tables and explain, ``--precision`` decimals.
- :func:`undefined`: a statistic with no value (a degenerate spread: one row, rows that
  do not vary), the same words in every table: ``undefined (one row)``. JSON writes
  ``null`` (with a note saying why), CSV an empty cell, and plain output never prints one.
"""

from __future__ import annotations

import math


def full_precision(x: float) -> str:
    """The shortest text that reads back as the same float: ``0.916290731874155``."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return repr(x)


def json_number(x):
    """A JSON value for ``x``: the float, or ``"inf"``/``"-inf"``/``"nan"``."""
    x = float(x)
    return x if math.isfinite(x) else full_precision(x)


def number(x: float, precision: int) -> str:
    """``precision`` decimals for ordinary sizes, scientific for tiny or huge ones, and 0
    and 1 as integers (one-hot labels read best that way).

    A number too small to show a digit in ``precision`` decimals is scientific, so that
    it never reads as 0: ``1.00e-05`` at 4 decimals. With 0 decimals, numbers from 0.5 up
    are rounded to integers (``0.92`` is ``1``) and smaller ones are ``4e-01``.
    """
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    if x == 0 or x == 1:
        return str(int(x))
    size = abs(x)
    if size >= 1e6:
        return f"{x:.{precision}g}"
    smallest = 10.0**-precision if precision else 0.5
    if size >= smallest:
        if size < 1 and not precision:  # 0.5 to 1, rounded half up (.0f would give 0.5 as 0)
            return "-1" if x < 0 else "1"
        return f"{x:.{precision}f}"
    return f"{x:.{max(precision - 2, 1) if precision else 0}e}"


def undefined(reason: str) -> str:
    """A table's cell for a statistic that has no value, and why: ``undefined (one row)``."""
    return f"undefined ({reason})" if reason else "undefined"
