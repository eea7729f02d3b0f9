"""Log bases and the names of their units, and counts with their nouns (standard library
only, so parsing ``--base`` costs nothing at start-up)."""

from __future__ import annotations

import math

from .errors import UsageError

# Named bases: the article's natural log, bits, and decimal digits.
BASE_ALIASES = {"e": math.e, "2": 2.0, "10": 10.0}
UNIT_NAMES = {math.e: "nats", 2.0: "bits", 10.0: "hartleys"}


def counted(n: int, noun: str) -> str:
    """``1 row``, ``2 rows``, ``1,000 rows``."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def parse_base(text: str, *, parameter: str = "base") -> float:
    """``"e"``, ``"2"``, ``"10"`` or any positive number other than 1."""
    key = text.strip().lower()
    if key in BASE_ALIASES:
        return BASE_ALIASES[key]
    try:
        base = float(key)
    except ValueError:
        base = math.nan
    if not (math.isfinite(base) and base > 0 and base != 1):
        raise UsageError(
            f"{text!r} is not a log base: use e, 2, 10 or a positive number other than 1",
            parameter=parameter,
        )
    return base


def unit_name(base: float) -> str:
    """``nats``, ``bits``, ``hartleys``, or ``base-3 units`` for any other base."""
    if base in UNIT_NAMES:
        return UNIT_NAMES[base]
    return f"base-{base:g} units"


def base_label(base: float) -> str:
    """How a base is written for people: ``e``, ``2``, ``10``, ``3.5``."""
    return "e" if base == math.e else f"{base:g}"
