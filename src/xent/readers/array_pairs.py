"""Two distributions per row from arrays, for ``kl`` and ``js`` of two models: P and Q as
two (rows, classes) arrays of logits, log-probabilities or probabilities (``holds``): an
``.npy`` and a second ``.npy`` (``ReadOptions.q_file``), or the members ``p`` and ``q`` of
one ``.npz`` or ``.safetensors`` file. Read a block of rows at a time, memory-mapped where
the format allows; each chunk's values are P's block then Q's (classes ``p_<i>`` and
``q_<i>``, which :func:`xent.divergences.column_groups` splits), as a CSV file of
``p_``/``q_`` columns is read, with ``logits`` or ``log_probs`` set as the arrays hold."""

from __future__ import annotations

import numpy as np

from ..errors import DataError, param
from .chunks import PredictionChunk, Said
from .lm_arrays import block_rows, holds_note, holds_of
from .read_options import ReadOptions

P_NAME, Q_NAME = "p", "q"


def has_pair(names) -> bool:
    """Whether a file's arrays are a P and Q pair (named ``p`` and ``q``)."""
    return P_NAME in names and Q_NAME in names


def pair_chunks(p, q, options: ReadOptions, source: str, said: Said, q_source: str):
    """Chunks of P and Q side by side (``p``, ``q``: MappedArray or NpyStream)."""
    for array, where in ((p, source), (q, q_source)):
        if len(array.shape) != 2 or array.shape[1] < 2 or array.dtype.kind not in "fiu":
            raise DataError(
                f"{array.name} is {array.dtype} of shape {array.shape}: expected (rows, "
                "classes) of numbers",
                source=where,
            )
    if p.shape != q.shape:
        what = "rows" if p.shape[0] != q.shape[0] else "classes"
        raise DataError(
            f"P has shape {p.shape} in {source}, Q {q.shape}: the {what} differ (one Q "
            "per P, over the same classes)",
            source=q_source,
        )
    rows, k = p.shape
    classes = [f"p_{i}" for i in range(k)] + [f"q_{i}" for i in range(k)]
    said.classes(classes)
    step = block_rows(2 * k)
    holds = None
    for start in range(0, rows, step):
        pb, qb = p.rows(step), q.rows(step)
        if holds is None:
            holds = _holds(options, p, pb, q, qb, source, q_source)
            said.notes += holds_note(holds, "P and Q", options)
        n = pb.shape[0]
        yield PredictionChunk(
            classes=classes,
            values=np.hstack([pb, qb]),
            lines=np.arange(start + 1, start + n + 1),
            numbered="row",
            logits=holds == "logits",
            log_probs=holds == "logprobs",
        )


def _holds(options, p, pb, q, qb, source: str, q_source: str) -> str:
    """What both arrays hold: the option, else told from each array's first rows (the same
    for both, or an error)."""
    holds_p, holds_q = holds_of(options, p.name, pb), holds_of(options, q.name, qb)
    if holds_p != holds_q:
        raise DataError(
            f"P reads as {holds_p} ({source}), Q as {holds_q}: say what both hold with "
            + param("holds", "logits"),
            source=q_source,
        )
    return holds_p
