"""The Poisson(1) weights of the streaming bootstrap (:mod:`.bootstrap`): a pure function
of (seed, the row's key, the replicate). NumPy's counter-based Philox-4x64, keyed by the
seed, its counter the key's block of BLOCK_ROWS rows, gives a 32-bit u per weight; the
weight is u's Poisson(1) quantile, #{k: threshold_k ≤ u}."""

from __future__ import annotations

import math
import threading

import numpy as np

# Poisson(1) CDF, k = 0..MAX_WEIGHT: u below cdf[k] (and not below cdf[k−1]) is weight k.
MAX_WEIGHT = 20
_CDF = np.cumsum([math.exp(-1) / math.factorial(k) for k in range(MAX_WEIGHT + 1)])
# Rows per counter of the generator: a row's weights are a row of its block's values.
BLOCK_ROWS = 256


def _poisson_table() -> tuple[np.ndarray, np.ndarray]:
    """The Poisson(1) quantile of a 32-bit u, by its top 16 bits: a table of the weight of
    each of the 65,536 cells, 255 where a cell straddles a threshold (then the thresholds
    decide, rarely)."""
    thresholds = np.minimum(np.round(_CDF * 2.0**32), 2.0**32).astype(np.uint64)
    starts = np.arange(1 << 16, dtype=np.uint64) << np.uint64(16)
    first = np.searchsorted(thresholds, starts, side="right")
    last = np.searchsorted(thresholds, starts + np.uint64(0xFFFF), side="right")
    table = np.where(first == last, first, 255).astype(np.uint8)
    return table, thresholds


_TABLE, _THRESHOLDS = _poisson_table()


def _uniforms(keys: np.ndarray, replicates: int, seed: int) -> np.ndarray:
    """(n, replicates) uint32 of the rows with these keys: Philox-4x64 keyed by the seed,
    its counter the key's block of BLOCK_ROWS rows; a row's values are its block's row."""
    n = keys.size
    out = np.empty((n, replicates), dtype=np.uint32)
    if n == 0:
        return out
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    blocks = ordered // BLOCK_ROWS
    starts = np.flatnonzero(np.r_[True, blocks[1:] != blocks[:-1]])
    ends = np.r_[starts[1:], n]
    size = BLOCK_ROWS * replicates
    for start, end in zip(starts.tolist(), ends.tolist()):
        generator = np.random.Philox(key=seed, counter=[0, int(blocks[start]), 0, 0])
        raw = generator.random_raw((size + 1) // 2).view(np.uint32)[:size]
        out[order[start:end]] = raw.reshape(BLOCK_ROWS, replicates)[ordered[start:end] % BLOCK_ROWS]
    return out


# The first thresholds as uint32, compared with each u: all weights below 5 (99.6 %).
_FIRST = [np.uint32(t) for t in _THRESHOLDS[:5]]
# Scratch arrays of this thread, reused from one block of rows to the next: a fresh
# array of megabytes costs its page faults every time.
_SCRATCH = threading.local()


def scratch(name: str, shape: tuple[int, ...], dtype=np.float64) -> np.ndarray:
    """An uninitialised array of ``shape``, this thread's ``name`` buffer (grown as asked):
    valid until the next call for the same name."""
    size = int(np.prod(shape))
    buffer = getattr(_SCRATCH, name, None)
    if buffer is None or buffer.size < size or buffer.dtype != np.dtype(dtype):
        buffer = np.empty(max(size, 1), dtype=dtype)
        setattr(_SCRATCH, name, buffer)
    return buffer[:size].reshape(shape)


def _weights_of(u: np.ndarray) -> np.ndarray:
    """The Poisson(1) quantile of each 32-bit u, #{k: threshold_k ≤ u} (as uint8): five
    comparisons (vectorised, in cache) count the first five thresholds; the rare u beyond
    the fifth (0.4 %) are searched. The same as the table of :func:`_poisson_table`."""
    w = scratch("counts", u.shape, np.uint8)
    above = scratch("above", u.shape, np.bool_)
    np.greater_equal(u, _FIRST[0], out=w.view(bool))  # (into buffers: twice as fast)
    for threshold in _FIRST[1:]:
        np.greater_equal(u, threshold, out=above)
        w += above.view(np.uint8)
    rare = w == len(_FIRST)
    if rare.any():
        w[rare] = np.searchsorted(_THRESHOLDS, u[rare], side="right")
    return w


def poisson_weights(keys, replicates: int, seed: int, out: np.ndarray | None = None) -> np.ndarray:
    """(n, replicates) Poisson(1) weights of the rows with these keys (non-negative
    integers), as float64: the same for a key whatever rows come with it. Consecutive
    keys (a file's lines, nearly always) are made a block of the generator at a time.
    ``out``: an (n, replicates) float64 array to write them into."""
    keys = np.asarray(keys, dtype=np.int64)
    if keys.size and keys.min() < 0:
        raise ValueError("bootstrap keys are non-negative")
    n = keys.size
    out = np.empty((n, replicates)) if out is None else out
    if not n or keys[-1] - keys[0] != n - 1 or not (np.diff(keys) == 1).all():
        out[:] = _weights_of(_uniforms(keys, replicates, seed))
        return out
    first, size = int(keys[0]), BLOCK_ROWS * replicates
    for block in range(first // BLOCK_ROWS, (first + n - 1) // BLOCK_ROWS + 1):
        start = block * BLOCK_ROWS
        lo, hi = max(first, start), min(first + n, start + BLOCK_ROWS)
        generator = np.random.Philox(key=seed, counter=[0, block, 0, 0])
        raw = generator.random_raw((size + 1) // 2).view(np.uint32)[:size]
        u = raw.reshape(BLOCK_ROWS, replicates)[lo - start : hi - start]
        out[lo - first : hi - first] = _weights_of(u)
    return out
