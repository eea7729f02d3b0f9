"""Columnar and array files: Parquet, Feather/Arrow IPC (with pyarrow, the ``fast``
extra) and NumPy ``.npy``/``.npz``, read a block of rows at a time (memory stays flat).
This module picks the reader (``arrow_tables``, ``npy_arrays``; their shared checks are in
``columnar_rows``) and gives it a file that can seek.

A table holds a label column (strings, a dictionary, or integers: class names or indices)
and one number column per class, or one list column of K probabilities (``pred``, as
written from a NumPy array; ``logits`` holds logits). An ``.npz`` holds a predictions
array (n, K) (or (n,) for a binary P(class 1)) and a labels array (n,) (or (n, K) soft
labels). Rows are numbered by position (``row 3``), as in a JSON document; the chunks are
checked as the CSV reader checks them: every label a class, no missing value.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import DataError
from .arrow_tables import arrow_chunks, parquet_chunks
from .chunks import PredictionChunk, Said
from .npy_arrays import npy_chunks, npz_chunks, safetensors_chunks
from .read_options import ReadOptions
from .sources import not_read, zip_kind


@contextmanager
def seekable(path: str | None, stream):
    """A file that can seek: the path itself, or the stream (stdin, decompressed)
    copied block by block into a temporary file, never into memory."""
    if path is not None:
        yield path
        return
    with tempfile.TemporaryFile(prefix="xent-") as spool:
        shutil.copyfileobj(stream, spool, 1 << 20)
        spool.seek(0)
        yield spool


def read_binary_chunks(
    fmt: str, path: str | None, stream, source: str, options: ReadOptions, said: Said
) -> Iterator[PredictionChunk]:
    """The chunks of a binary source (``path`` when it is a plain file, else ``stream``)."""
    if fmt == "feather" and path is None:
        yield from arrow_chunks(None, stream, source, options, said)
        return
    with seekable(path, stream) as file:
        if fmt == "zip":
            import zipfile

            try:
                with zipfile.ZipFile(file) as archive:
                    fmt = zip_kind(archive.namelist())
            except zipfile.BadZipFile as error:
                raise DataError(f"a damaged zip archive ({error})", source=source) from None
            if fmt != "npz":
                raise not_read(fmt, source)
            if not isinstance(file, str):
                file.seek(0)
        if fmt == "parquet":
            yield from parquet_chunks(file, source, options, said)
        elif fmt == "feather":
            yield from arrow_chunks(file, None, source, options, said)
        elif fmt == "npy":
            yield from npy_chunks(file, source, options, said)
        elif fmt == "safetensors":
            yield from safetensors_chunks(file, source, options, said)
        elif fmt == "llama":
            from .llama_logits import llama_chunks

            yield from llama_chunks(file, source, options, said)
        else:
            yield from npz_chunks(file, source, options, said)
