"""What a source is: its format from the name and the first bytes, and the files of a
list of paths (several ``--file`` options, a shell glob, a directory).

Binary formats are told by their magic bytes (Parquet ``PAR1``, Arrow ``ARROW1``, NumPy
``\\x93NUMPY``, zip ``PK`` for ``.npz``), whatever the name says; text formats by the name,
else by the content (see :func:`xent.readers.files.sniff_format`). A format xent does not
read is named in the message.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

from ..errors import DataError, UsageError

# The formats with a reader of their own (the text ones are in files.INPUT_FORMATS too).
BINARY_FORMATS = ("parquet", "feather", "npy", "npz", "safetensors", "llama")
FORMAT_NAMES = {
    "csv": "CSV",
    "tsv": "TSV",
    "json": "JSON",
    "jsonl": "JSON Lines",
    "parquet": "Parquet",
    "feather": "Feather/Arrow IPC",
    "npy": "NumPy .npy",
    "npz": "NumPy .npz",
    "safetensors": "safetensors",
    "llama": "llama.cpp logits",
}
# The text formats told by the name's extension (the binary ones by their magic bytes).
EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
BINARY_SUFFIXES = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".feather": "feather",
    ".arrow": "feather",
    ".arrows": "feather",
    ".ipc": "feather",
    ".npy": "npy",
    ".npz": "npz",
    ".safetensors": "safetensors",
}
MAGIC = (
    (b"PAR1", "parquet"),
    (b"ARROW1", "feather"),
    (b"\xff\xff\xff\xff", "feather"),  # an Arrow IPC stream: a continuation marker
    (b"\x93NUMPY", "npy"),
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),  # an empty zip
    (b"_logits_", "llama"),  # llama-perplexity --kl-divergence-base
)
READS = (
    "xent reads CSV, TSV, JSON, JSON Lines, Parquet, Feather, .npy/.npz, compressed with "
    "gzip, bzip2, xz or zstd"
)
# The first bytes of formats xent does not read, to name them in the message.
OTHERS = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel file (.xls)"),
    (b"\x89HDF\r\n\x1a\n", "an HDF5 file"),
    (b"FEA1", "a Feather v1 file (write Feather v2: pyarrow.feather.write_feather)"),
    (b"Obj\x01", "an Avro file"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x04\x22\x4d\x18", "an LZ4 file"),
    (b"\x80\x04", "a Python pickle"),
    (b"\x80\x05", "a Python pickle"),
    (b"\xff\xfe", "UTF-16 text (save it as UTF-8)"),
    (b"\xfe\xff", "UTF-16 text (save it as UTF-8)"),
)


def magic_format(head: bytes) -> str | None:
    """``parquet``, ``feather``, ``npy``, ``zip``, ``llama`` or ``safetensors`` (8 bytes
    of header length, then a JSON object) from the first bytes, if they say."""
    found = next((fmt for magic, fmt in MAGIC if head.startswith(magic)), None)
    if found is None and head[8:10] == b'{"' and head[6:8] == b"\x00\x00":
        return "safetensors"
    return found


def unreadable(head: bytes) -> str | None:
    """What a file xent does not read looks like, from its first bytes; None for text."""
    for magic, what in OTHERS:
        if head.startswith(magic):
            return what
    if len(head) > 262 and head[257:262] == b"ustar":
        return "a tar archive"
    if b"\x00" in head[:4096]:
        return "binary data"
    return None


def not_read(what: str, source: str) -> DataError:
    return DataError(f"looks like {what}; {READS}", source=source)


def zip_kind(names: list[str]) -> str:
    """What a zip archive holds: NumPy arrays (``.npz``), or else what it looks like."""
    if names and all(name.endswith(".npy") for name in names):
        return "npz"
    if any(name.startswith("xl/") for name in names):
        return "an Excel file (zip)"
    if any(name.startswith("word/") for name in names):
        return "a Word document (zip)"
    if any(name.startswith(("content.xml", "mimetype")) for name in names):
        return "an OpenDocument file (zip)"
    return "a zip archive"


def binary_suffix(name: str) -> str | None:
    return BINARY_SUFFIXES.get(Path(name).suffix.lower()) if name else None


# ------------------------------------------------------------------ many files

# Files in a directory that are metadata, not rows (Spark, Hive, Dask write them).
SKIPPED = ("_SUCCESS", "_common_metadata", "_metadata")
GLOB_CHARS = ("*", "?", "[")


def expand_paths(paths: list[str]) -> list[str]:
    """The files of the given paths, in order: a directory gives its files sorted by name
    (a Parquet dataset's parts, a folder of CSV or JSON Lines files, in subfolders too),
    a pattern the shell left alone (quoted ``'preds/*.csv'``) its matches, sorted."""
    files: list[str] = []
    for path in paths:
        if "\x00" in path:
            raise UsageError("a file name cannot hold a NUL byte", source=repr(path))
        if path == "-" or os.path.isfile(path):
            files.append(path)
        elif os.path.isdir(path):
            found = directory_files(path)
            if not found:
                raise UsageError(
                    "the directory holds no prediction files (CSV, TSV, JSON, JSON Lines, "
                    "Parquet, Feather, .npy/.npz)",
                    source=path,
                )
            files += found
        elif any(c in path for c in GLOB_CHARS) and not os.path.exists(path):
            matches = sorted(glob.glob(path))
            if not matches:
                raise UsageError("no file matches the pattern", source=path)
            files += expand_paths(matches)
        else:
            files.append(path)  # the reader says what is wrong with it
    if files.count("-") > 1:
        raise UsageError("stdin (-) can be read once", parameter="sources")
    return files


def directory_files(directory: str) -> list[str]:
    from .compressed import SUFFIXES

    known = set(EXTENSIONS) | set(BINARY_SUFFIXES)
    found = []
    for root, dirs, names in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        for name in names:
            if name.startswith((".", "_")) or name in SKIPPED:
                continue
            stem, suffix = os.path.splitext(name.lower())
            if suffix in SUFFIXES:
                suffix = os.path.splitext(stem)[1]
            if suffix in known:
                found.append(os.path.join(root, name))
    return sorted(found, key=lambda p: os.path.relpath(p, directory).split(os.sep))
