"""llama.cpp's logits file (``llama-perplexity --kl-divergence-base FILE``), tokens included.

As ``tools/perplexity/perplexity.cpp`` writes it (all little-endian): the magic
``_logits_``; ``n_ctx``, ``n_vocab`` and ``n_chunk`` (int32); the ``n_chunk * n_ctx``
tokens (int32); then, chunk after chunk, one row per scored token, the second half of each
context: positions ``j = n_ctx/2 .. n_ctx - 2``, whose target is the next token
``tokens[chunk * n_ctx + j + 1]``. A row is ``2 * ((n_vocab + 1) / 2) + 4`` uint16: two
float32 (``scale``, ``min_log_prob``), then ``n_vocab`` quantised log-probabilities q,
decoded as ``scale * q + min_log_prob`` (here in float64). Values below the row's maximum
minus 16 were stored as 0, so they decode to ``min_log_prob``: a row's exponentials sum to
1 only within its quantisation, which the check of the log-probabilities is told.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import DataError
from .chunks import Said
from .columnar_rows import Rows, placed
from .lm_arrays import block_rows
from .read_options import ReadOptions

MAGIC = b"_logits_"
HEADER = len(MAGIC) + 12


class LlamaLogits:
    """The layout of a llama.cpp logits file, checked against its size."""

    def __init__(self, path, source: str) -> None:
        with open(path, "rb") as raw:
            head = raw.read(HEADER)
            size = raw.seek(0, 2)
        if head[:8] != MAGIC:
            raise DataError(
                f"not a llama.cpp logits file: it begins {head[:8]!r}, not {MAGIC!r}",
                source=source,
            )
        if len(head) < HEADER:
            raise DataError("truncated llama.cpp logits file: no header", source=source)
        self.n_ctx, self.n_vocab, self.n_chunk = (int(v) for v in np.frombuffer(head[8:], "<i4"))
        if self.n_ctx < 2 or self.n_vocab < 2 or self.n_chunk < 1:
            raise DataError(
                f"a llama.cpp logits file with n_ctx {self.n_ctx}, n_vocab {self.n_vocab} and "
                f"n_chunk {self.n_chunk}: expected n_ctx >= 2, n_vocab >= 2, n_chunk >= 1",
                source=source,
            )
        self.first = self.n_ctx // 2
        self.per_chunk = self.n_ctx - 1 - self.first
        self.row_items = 2 * ((self.n_vocab + 1) // 2) + 4
        tokens = self.n_chunk * self.n_ctx
        self.rows = self.n_chunk * self.per_chunk
        expected = HEADER + 4 * tokens + 2 * self.row_items * self.rows
        if size != expected:
            raise DataError(
                f"{'truncated' if size < expected else 'damaged'} llama.cpp logits file: "
                f"{size:,} bytes, where n_ctx {self.n_ctx}, n_vocab {self.n_vocab} and "
                f"n_chunk {self.n_chunk} make {expected:,}",
                source=source,
            )
        self.tokens = np.memmap(path, "<i4", "r", offset=HEADER, shape=(tokens,))
        self.data = np.memmap(
            path, "<u2", "r", offset=HEADER + 4 * tokens, shape=(self.rows, self.row_items)
        )

    def targets(self, start: int, stop: int) -> np.ndarray:
        """The target token of rows ``start .. stop - 1``."""
        row = np.arange(start, stop)
        chunk, j = np.divmod(row, self.per_chunk)
        return np.asarray(self.tokens[chunk * self.n_ctx + self.first + j + 1], dtype=np.int64)

    def log_probs(self, start: int, stop: int) -> tuple[np.ndarray, float]:
        """The decoded log-probabilities of rows ``start .. stop - 1`` (float64), and how far
        from 0 their log-sum-exp may be for this quantisation."""
        block = np.asarray(self.data[start:stop])
        floats = np.ascontiguousarray(block[:, :4]).view("<f4").astype(np.float64)
        scale, floor = floats[:, :1], floats[:, 1:2]
        values = block[:, 4 : 4 + self.n_vocab] * scale
        values += floor
        with np.errstate(over="ignore"):
            tails = self.n_vocab * np.exp(floor[:, 0])
        slack = float(np.max(scale)) / 2 + math.log1p(float(np.max(tails))) + 1e-6
        return values, slack


def llama_chunks(path, source: str, options: ReadOptions, said: Said):
    """Chunks of decoded log-probabilities, each row's target the next token."""
    if options.labels_file is not None:
        raise DataError(
            "a llama.cpp logits file holds its tokens: leave out the labels file", source=source
        )
    if options.holds not in ("auto", "logprobs"):
        raise DataError(
            f"a llama.cpp logits file holds log-probabilities, not {options.holds}",
            source=source,
        )
    layout = LlamaLogits(path, source)
    classes = [str(i) for i in range(layout.n_vocab)]
    said.classes(classes)
    said.notes.append(
        f"llama.cpp logits: {layout.n_chunk:,} chunks of {layout.n_ctx:,} tokens, the last "
        f"{layout.per_chunk:,} of each scored (log-probabilities quantised to 16 bits)"
    )
    rows = Rows(classes, "multiclass", options, source, "tokens")
    rows.log_probs = True
    step = block_rows(layout.n_vocab)
    for start in range(0, layout.rows, step):
        stop = min(start + step, layout.rows)
        values, slack = layout.log_probs(start, stop)
        try:
            chunk = rows.chunk(start, values, layout.targets(start, stop))
        except DataError as error:
            raise placed(error, source) from None
        chunk.log_prob_tolerance = slack
        yield chunk


def same_llama_tokens(path_a: str, path_b: str, source_a: str, source_b: str) -> None:
    """Two llama.cpp logits files are of the same tokens, context included (llama.cpp's
    --kl-divergence checks the same): the same n_ctx, n_vocab, n_chunk and tokens."""

    def magic(path: str) -> bool:
        try:
            with open(path, "rb") as raw:
                return raw.read(len(MAGIC)) == MAGIC
        except OSError:
            return False  # the reader says what is wrong

    if path_a == "-" or path_b == "-" or not (magic(path_a) and magic(path_b)):
        return
    a, b = LlamaLogits(path_a, source_a), LlamaLogits(path_b, source_b)
    shape_a, shape_b = (a.n_ctx, a.n_vocab, a.n_chunk), (b.n_ctx, b.n_vocab, b.n_chunk)
    if shape_a != shape_b:
        raise DataError(
            f"n_ctx, n_vocab, n_chunk are {shape_b} here, {shape_a} in {source_a}: the two "
            "files must be of the same tokens and vocabulary",
            source=source_b,
        )
    differ = np.flatnonzero(np.asarray(a.tokens) != np.asarray(b.tokens))
    if differ.size:
        i = int(differ[0])
        raise DataError(
            f"token {i + 1:,} (chunk {i // a.n_ctx + 1}) is {int(b.tokens[i])} here, "
            f"{int(a.tokens[i])} in {source_a}: the two files must be of the same tokens",
            source=source_b,
        )
