"""Bounds on hostile input: a line, a JSON document and its nesting, each with a limit
(an environment variable) and a one-line error naming the file and line past it.

- ``XENT_MAX_LINE_BYTES`` (64 MiB): a CSV/TSV line (or a quoted field spanning lines) or
  a JSON Lines line. Files are read in blocks, so a file without line ends would otherwise
  be held whole.
- ``XENT_MAX_JSON_BYTES`` (64 MiB): a JSON document, which is parsed whole (JSON Lines
  is read in chunks and has no such limit). Parsed, it takes up to 15 times its size
  (Python objects: 64 MiB of short numbers in lists peaked at 0.98 GB), so 64 MiB fits a
  2 GB machine; 256 MiB took 3.7 GB.
- ``XENT_MAX_JSON_DEPTH`` (64): nesting of arrays and objects. A prediction file needs
  3 levels (4 with soft labels); Python's parser would fail with RecursionError at ~1000,
  so a larger setting is taken as 500 (``CEILINGS``).
"""

from __future__ import annotations

import os

from ..errors import DataError, UsageError

LIMITS = {
    "XENT_MAX_LINE_BYTES": 64 << 20,
    "XENT_MAX_JSON_BYTES": 64 << 20,
    "XENT_MAX_JSON_DEPTH": 64,
}

# A larger limit is taken as this one (which no file reaches): the bounds are passed to
# read calls, which take at most a C ssize_t.
MAX_LIMIT = 1 << 48
# What the code can do, whatever the setting: Python's JSON parser recurses once a level,
# within the interpreter's recursion limit (1000 frames, xent's own among them).
CEILINGS = {"XENT_MAX_JSON_DEPTH": 500}
# Bytes read at a time by read_at_most.
READ_BLOCK = 1 << 24

# Bytes scanned at a time for the nesting depth: a few temporary arrays of this size.
DEPTH_BLOCK = 1 << 24


def limit(name: str) -> int:
    """The bound ``name``: the environment's value (at most ``MAX_LIMIT``), else the
    default."""
    text = os.environ.get(name, "").strip()
    if not text:
        return LIMITS[name]
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise UsageError(
            f"{text!r} is not a limit: use a positive whole number (default {LIMITS[name]})",
            source=name,
        )
    return min(value, CEILINGS.get(name, MAX_LIMIT))


def read_at_most(stream, size: int) -> bytes:
    """The stream's bytes up to ``size + 1`` of them (one more than the bound says it is
    too long), read in blocks: one read of ``size`` bytes would allocate them all."""
    parts = []
    total = 0
    while total <= size:
        block = stream.read(min(READ_BLOCK, size + 1 - total))
        if not block:
            break
        parts.append(block)
        total += len(block)
    return b"".join(parts)


def too_long(what: str, size: int, name: str) -> str:
    return f"{what} is larger than {size:,} bytes (the limit; {name} raises it)"


def json_depth(data: bytes) -> int:
    """How deeply the arrays and objects of the JSON text ``data`` nest (brackets inside
    strings do not count). Vectorised, block by block, so a big document costs little."""
    import numpy as np

    a = np.frombuffer(data, dtype=np.uint8)
    depth = deepest = 0
    inside = False  # within a string at the start of the block
    for start in range(0, a.size, DEPTH_BLOCK):
        block = a[start : start + DEPTH_BLOCK]
        quotes = np.flatnonzero(block == 34) + start
        maybe = quotes[quotes > 0]
        maybe = maybe[a[maybe - 1] == 92]  # a backslash before: escaped if the run is odd
        if maybe.size:
            escaped = set()
            for q in maybe.tolist():
                run = 0
                while q - run - 1 >= 0 and a[q - run - 1] == 92:
                    run += 1
                if run % 2:
                    escaped.add(q)
            quotes = np.array([q for q in quotes.tolist() if q not in escaped], dtype=np.intp)
        folded = block | 32  # [ and { become 123, ] and } 125
        brackets = np.flatnonzero((folded == 123) | (folded == 125)) + start
        in_string = (np.searchsorted(quotes, brackets) % 2 == 1) ^ inside
        brackets = brackets[~in_string]
        steps = np.where((a[brackets] | 32) == 123, 1, -1)
        levels = depth + np.cumsum(steps)
        if levels.size:
            deepest = max(deepest, int(levels.max()))
            depth = int(levels[-1])
        inside ^= quotes.size % 2 == 1
    return deepest


def check_json_depth(data: bytes, source: str, line: int | None = None) -> None:
    """A DataError when ``data`` nests deeper than ``XENT_MAX_JSON_DEPTH``."""
    bound = limit("XENT_MAX_JSON_DEPTH")
    if json_depth(data) > bound:
        why = (
            "the most xent's JSON parser reads"
            if bound == CEILINGS["XENT_MAX_JSON_DEPTH"]
            else "the limit; XENT_MAX_JSON_DEPTH raises it"
        )
        raise DataError(
            f"JSON nested more than {bound} levels deep ({why}): a prediction file needs 3",
            source=source,
            line=line,
        )
