"""One value of an input: a number parsed from text, and any value shown in a message.

The lowest module of the readers: every reader and ``chunks`` import it, and it imports
nothing of theirs.
"""

from __future__ import annotations

import numpy as np


def to_float(text: str) -> float:
    """A number as written in a file or an argument: ``float`` without its extensions
    (``1_000`` and non-ASCII digits such as ``١`` are not numbers here)."""
    if "_" in text or not text.isascii():
        raise ValueError(text)
    return float(text)


def shown(value, limit: int = 40) -> str:
    """``repr(value)``, cut short for an error message: the value may be a whole file."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 4]}...{text[-1]}"


def texts(values: np.ndarray) -> list[str]:
    """A kept column's values as the texts a CSV file would hold (``12``, ``doc 3``)."""
    if (
        values.dtype.kind == "f"
        and np.isfinite(values).all()
        and (values == np.round(values)).all()
    ):
        values = values.astype(np.int64)
    return [str(v) for v in values.tolist()]
