"""Compressed input, streamed: gzip, bzip2 and xz from the standard library, zstd with the
``zstandard`` package (the ``fast`` extra).

The binary stream is wrapped, never decompressed into memory: the readers see the
decompressed bytes a block at a time. Damaged data is a :class:`DataError` naming the file,
and the bytes read of the compressed file are counted (for the progress bar, whose total
is the file's size).
"""

from __future__ import annotations

import io
from typing import IO

from ..errors import DataError, UsageError, XentError

# By the name's last suffix, and by the first bytes (for stdin and misnamed files).
SUFFIXES = {".gz": "gzip", ".gzip": "gzip", ".bz2": "bzip2", ".xz": "xz", ".zst": "zstd"}
SUFFIXES[".zstd"] = "zstd"
MAGIC = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)
ZSTD_EXTRA = "reading zstd needs the zstandard package: pip install 'xent[fast]'"


def compression_of(head: bytes) -> str | None:
    """The compression whose magic bytes begin ``head``, if any."""
    return next((kind for magic, kind in MAGIC if head.startswith(magic)), None)


class Counted(io.RawIOBase):
    """A raw stream that counts the bytes read from ``stream``."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.read_some = getattr(stream, "read1", stream.read)
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.read_some(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.count += n
        return n


class Guarded(io.RawIOBase):
    """The decompressed bytes; a decompressor's error becomes one line naming the file."""

    def __init__(self, inner, kind: str, source: str) -> None:
        self.inner, self.kind, self.source = inner, kind, source

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            return self.inner.readinto(buffer)
        except XentError:
            raise
        except EOFError:
            raise DataError(
                f"the {self.kind} data ends early: the file is cut short", source=self.source
            ) from None
        except Exception as error:  # zlib.error, lzma.LZMAError, OSError, ZstdError
            raise DataError(
                f"the {self.kind} data is damaged ({error})", source=self.source
            ) from None


def decompressed(stream, kind: str, source: str) -> io.BufferedReader:
    """A buffered stream of the decompressed bytes of ``stream``."""
    inner: io.BufferedIOBase | IO[bytes]  # gzip, bz2, lzma: BufferedIOBase; zstd: IO
    if kind == "gzip":
        import gzip

        inner = gzip.GzipFile(fileobj=stream, mode="rb")
    elif kind == "bzip2":
        import bz2

        inner = bz2.BZ2File(stream, mode="rb")
    elif kind == "xz":
        import lzma

        inner = lzma.LZMAFile(stream, mode="rb")
    else:
        try:
            import zstandard
        except ImportError:
            raise UsageError(ZSTD_EXTRA, source=source) from None
        inner = zstandard.ZstdDecompressor().stream_reader(stream, read_across_frames=True)
    return io.BufferedReader(Guarded(inner, kind, source), buffer_size=1 << 16)
