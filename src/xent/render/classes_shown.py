"""Which classes a table or a JSON document lists: all of them up to
:data:`DEFAULT_LIMIT`, else the ones with the largest contributions (a language model's
32,000 tokens would make a table of 32,000 rows and megabytes of JSON), and how many were
left out. The command line sets the limit (``classes_shown``: a number, or None for all).
"""

from __future__ import annotations

import math
from contextvars import ContextVar

DEFAULT_LIMIT = 20
LIMIT: ContextVar[int | None] = ContextVar("classes_shown", default=DEFAULT_LIMIT)
#: How the caller lists every class: a parameter for the library, a flag on the command line.
HOW_TO_LIST_ALL: ContextVar[str] = ContextVar("classes_shown_all", default="classes_shown=None")


def shown(weights: list[float]) -> tuple[list[int], int]:
    """The indices of the classes to list and how many are left out: every class, in
    order, when they are no more than the limit; else the limit's largest ``weights``
    (an infinite one first, NaN last), largest first."""
    limit = LIMIT.get()
    n = len(weights)
    if limit is None or n <= limit:
        return list(range(n)), 0

    def key(i: int) -> float:
        w = abs(weights[i])
        return -math.inf if math.isnan(w) else w

    chosen = sorted(range(n), key=key, reverse=True)[:limit]
    return chosen, n - limit


def left_out_note(left_out: int, what: str = "share of the loss") -> str:
    """What a table or a document says of the classes it does not list."""
    return (
        f"{left_out:,} more classes, each with a smaller {what}, are not listed "
        f"({HOW_TO_LIST_ALL.get()} lists them)"
    )
