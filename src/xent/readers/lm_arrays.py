"""Arrays at vocabulary scale: a (tokens, vocabulary) array of logits, log-probabilities or
probabilities and a (tokens,) array of target tokens, read a block of rows at a time and
memory-mapped where the format allows (``.npy``, a stored ``.npz`` member, ``.safetensors``),
so that memory is O(block x vocabulary) whatever the number of tokens.

What the values are is ``ReadOptions.holds``: ``logits`` (scored through an exact
log-softmax), ``logprobs`` (checked: every value <= 0, each row's log-sum-exp 0 within the
tolerance; used as log Q) or ``probabilities``; ``auto`` tells them apart by the array's
name (``logits``, ``log_probs``, ``probs``), else by its first rows: rows of
distributions are probabilities, rows of non-positive values whose exponentials sum to 1
are log-probabilities, anything else is logits.

``.safetensors`` is read without the package: an 8-byte little-endian header length, a JSON
header (each tensor's ``dtype``, ``shape`` and ``data_offsets``), then the raw bytes.
bfloat16 is widened to float32 exactly (its 16 bits are the top half of a float32's).
"""

from __future__ import annotations

import json
import math
import os
import struct

import numpy as np

from ..errors import DataError, param
from ..rules import HOLDS  # noqa: F401  (re-exported)
from .read_options import ReadOptions

# The names of a token array beside the values, in order of choice (the labels' names first).
TOKEN_NAMES = ("labels", "label", "y", "y_true", "targets", "target", "tokens", "token_ids")
LOGPROB_NAMES = ("log_probs", "logprobs", "log_probabilities", "logprob")
LOGIT_NAMES = ("logits",)
PROB_NAMES = ("pred", "preds", "probs", "proba", "probabilities", "y_pred", "predictions")
# From this many classes on, logits stored in float32 or narrower stay float32 in the
# chunks (the scorer's at-label log-softmax widens them exactly; xent.engine.VOCABULARY).
VOCABULARY = 1024
# A block of rows holds about this many values (32 MiB as float64): 128 rows at V=32,000.
BLOCK_VALUES = 4 << 20
# How far from 0 a row of log-probabilities may sum (its log-sum-exp), when auto tells.
AUTO_TOLERANCE = 1e-6

SAFETENSORS_DTYPES: dict[str, np.dtype] = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"),  # widened to float32 as it is read
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"),
    "U8": np.dtype("u1"),
    "U16": np.dtype("<u2"),
    "U32": np.dtype("<u4"),
    "U64": np.dtype("<u8"),
}


def block_rows(columns: int) -> int:
    """Rows of a block of ``columns`` values: about :data:`BLOCK_VALUES` values."""
    return max(1, BLOCK_VALUES // max(columns, 1))


def widen_bfloat16(bits: np.ndarray) -> np.ndarray:
    """float32 values of bfloat16 bit patterns (exact)."""
    return (np.asarray(bits, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)


class MappedArray:
    """An array read a block of rows at a time (as :class:`npy_arrays.NpyStream`): a
    memory map, or any array; ``bfloat16``: its uint16 bits are widened to float32.

    The pages of the rows already read are given back (``madvise(MADV_DONTNEED)``, when
    the next block is asked for: the reader has copied the last one by then), so the
    process's resident set stays flat in the number of rows, as a file read would."""

    def __init__(self, array: np.ndarray, name: str, bfloat16: bool = False) -> None:
        self.array, self.name, self.bfloat16 = array, name, bfloat16
        self.shape = tuple(array.shape)
        self.dtype = np.dtype(np.float32) if bfloat16 else array.dtype
        self.at = 0
        self.released = 0  # bytes of the map given back so far

    def rows(self, n: int) -> np.ndarray:
        self._release()
        self._check_size(n)
        block = self.array[self.at : self.at + n]
        self.at += block.shape[0]
        return widen_bfloat16(block) if self.bfloat16 else np.asarray(block)

    def _check_size(self, n: int) -> None:
        """A memory-mapped file that no longer holds the next block (truncated while it is
        read) is an error here: touching the missing pages would be a SIGBUS."""
        filename = getattr(self.array, "filename", None)
        if filename is None or not n:
            return
        row_bytes = self.array.itemsize * math.prod(self.shape[1:])
        end = getattr(self.array, "offset", 0) + min(self.at + n, self.shape[0]) * row_bytes
        try:
            if isinstance(filename, (str, bytes, os.PathLike)):
                size = os.stat(filename).st_size
            else:  # a file object (a spooled copy of stdin or of a compressed file)
                size = os.fstat(filename.fileno()).st_size
        except (OSError, ValueError, AttributeError):
            return
        if size < end:
            raise DataError("the file changed while it was read", source=self.name)

    def _release(self) -> None:
        import mmap

        raw = getattr(self.array, "_mmap", None)
        if raw is None or not hasattr(raw, "madvise") or not self.at:
            return
        start = self.array.offset % mmap.ALLOCATIONGRANULARITY  # type: ignore[attr-defined]
        row_bytes = self.array.itemsize * math.prod(self.shape[1:])
        done = (start + self.at * row_bytes) // mmap.PAGESIZE * mmap.PAGESIZE
        if done > self.released:
            try:
                raw.madvise(mmap.MADV_DONTNEED, self.released, done - self.released)
            except (OSError, ValueError, AttributeError):
                return
            self.released = done


def load_npy(path, name: str, source: str) -> MappedArray:
    """An ``.npy`` memory-mapped (read whole only if it is not a plain file)."""
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except FileNotFoundError:
        raise DataError("no such file", source=name) from None
    except (ValueError, OSError) as error:
        raise DataError(f"not a readable .npy file ({error})", source=name) from None
    if not isinstance(array, np.ndarray) or array.dtype.hasobject:
        raise DataError("not an .npy array of numbers", source=name)
    return MappedArray(array, name)


def stored_member(file, archive, member: str, name: str, source: str) -> MappedArray | None:
    """An uncompressed ``.npz`` member memory-mapped through its offset in the archive;
    None where it cannot be (compressed, Fortran order, not a file)."""
    import zipfile

    info = archive.getinfo(member)
    if info.compress_type != zipfile.ZIP_STORED or not isinstance(file, str):
        return None
    with open(file, "rb") as raw:
        raw.seek(info.header_offset)
        local = raw.read(30)
        if len(local) < 30 or local[:4] != b"PK\x03\x04":
            return None
        name_length, extra_length = struct.unpack("<HH", local[26:30])
        start = info.header_offset + 30 + name_length + extra_length
        raw.seek(start)
        fmt = np.lib.format
        try:
            version = fmt.read_magic(raw)
            header = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
            shape, fortran, dtype = header(raw)
        except ValueError as error:
            raise DataError(f"{name} is not a readable array ({error})", source=source) from None
        offset = raw.tell()
    if dtype.hasobject or (fortran and len(shape) > 1):
        return None
    if offset - start + math.prod(shape) * dtype.itemsize > info.file_size:
        return None  # the header claims more than the member holds: read, it says so
    if not shape or 0 in shape:
        return MappedArray(np.zeros(shape, dtype), name)
    return MappedArray(np.memmap(file, dtype=dtype, mode="r", offset=offset, shape=shape), name)


def holds_of(options: ReadOptions, name: str, block: np.ndarray) -> str:
    """What an array of values holds: the option, else its name, else its first rows."""
    if options.holds != "auto":
        return options.holds
    if name in LOGIT_NAMES:
        return "logits"
    if name in LOGPROB_NAMES:
        return "logprobs"
    if name in PROB_NAMES:
        return "probabilities"
    rows = np.asarray(block, dtype=np.float64).reshape(block.shape[0], -1)
    if not rows.size or not np.isfinite(rows).all():
        return "logits"  # the scorer names the bad value
    tol = 1e-6 * max(1.0, math.sqrt(rows.shape[1]))
    if (rows >= 0).all() and (rows <= 1).all() and (np.abs(rows.sum(axis=1) - 1) <= tol).all():
        return "probabilities"
    if (rows <= 0).all():
        top = rows.max(axis=1, keepdims=True)
        lse = top[:, 0] + np.log(np.exp(rows - top).sum(axis=1))
        if (np.abs(lse) <= tol).all():
            return "logprobs"
    return "logits"


def holds_note(holds: str, name: str, options: ReadOptions) -> list[str]:
    """The note that says how the values were read, when ``auto`` told it from them."""
    if options.holds != "auto" or name in LOGIT_NAMES + LOGPROB_NAMES + PROB_NAMES:
        return []
    told = {
        "logits": "logits (the rows are not distributions)",
        "logprobs": "log-probabilities (each row's exponentials sum to 1)",
        "probabilities": "probabilities (each row sums to 1)",
    }[holds]
    return [f"{name} read as {told}: told from its first rows (the holds option says)"]


# ------------------------------------------------------------------ safetensors


def safetensors_arrays(path, source: str) -> dict[str, MappedArray]:
    """The tensors of a ``.safetensors`` file, memory-mapped, by name."""
    with open(path, "rb") as raw:
        head = raw.read(8)
        size = raw.seek(0, 2)
        if len(head) < 8:
            raise DataError("truncated .safetensors file: no header length", source=source)
        (length,) = struct.unpack("<Q", head)
        if length > size - 8 or length > 100 << 20:
            raise DataError(
                f"not a .safetensors file: its header length {length:,} is past the end "
                f"({size:,} bytes)",
                source=source,
            )
        raw.seek(8)
        text = raw.read(length)
    try:
        header = json.loads(text)
    except (UnicodeDecodeError, ValueError) as error:
        raise DataError(f"the .safetensors header is not JSON ({error})", source=source) from None
    if not isinstance(header, dict):
        raise DataError("the .safetensors header is not a JSON object", source=source)
    arrays = {}
    base = 8 + length
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        arrays[name] = _tensor(path, name, entry, base, size, source)
    return arrays


def _tensor(path, name: str, entry, base: int, size: int, source: str) -> MappedArray:
    try:
        kind, shape, (begin, end) = entry["dtype"], tuple(entry["shape"]), entry["data_offsets"]
        shape = tuple(int(n) for n in shape)
    except (KeyError, TypeError, ValueError):
        raise DataError(
            f"tensor {name!r}: expected dtype, shape and data_offsets in the header",
            source=source,
        ) from None
    dtype = SAFETENSORS_DTYPES.get(kind)
    if dtype is None:
        raise DataError(
            f"tensor {name!r} is of type {kind}: expected "
            + ", ".join(k for k in SAFETENSORS_DTYPES if not k.startswith("U")),
            source=source,
        )
    count = math.prod(shape)
    if end - begin != count * dtype.itemsize or begin < 0 or base + end > size:
        raise DataError(
            f"tensor {name!r}: shape {shape} of {kind} needs {count * dtype.itemsize:,} "
            f"bytes, its offsets {begin:,} to {end:,} (file of {size:,} bytes) disagree: "
            "truncated or damaged",
            source=source,
        )
    if count == 0:
        array = np.zeros(shape, dtype)
    else:
        array = np.memmap(path, dtype=dtype, mode="r", offset=base + begin, shape=shape)
    return MappedArray(array, name, bfloat16=kind == "BF16")


def named_label(name: str, names: list[str], source: str) -> None:
    """A labels array named (other than the default, ``label``, which falls back on the
    usual names) must be there: never silently another."""
    if name != "label" and name not in names:
        raise DataError(
            f"no array {name!r} (arrays: {', '.join(names) or 'none'}) named by "
            f"{param('label_column')}",
            source=source,
        )


def pick_arrays(
    arrays: dict[str, MappedArray], options: ReadOptions, source: str
) -> tuple[MappedArray, MappedArray | None]:
    """The values and the target tokens among a file's named arrays."""
    listed = ", ".join(arrays) or "none"
    if options.pred_array is not None:
        if options.pred_array not in arrays:
            raise DataError(f"no array {options.pred_array!r} (arrays: {listed})", source=source)
        values = arrays[options.pred_array]
    else:
        floats = [a for a in arrays.values() if a.dtype.kind == "f" and len(a.shape) == 2]
        named = [a for a in floats if a.name in LOGIT_NAMES + LOGPROB_NAMES + PROB_NAMES]
        chosen = named or floats
        if len(chosen) != 1:
            raise DataError(
                f"{'no' if not chosen else 'more than one'} (tokens, vocabulary) array of "
                f"floats (arrays: {listed}): name it with {param('pred_array')}",
                source=source,
            )
        values = chosen[0]
    tokens = None
    if options.label_column is not None:
        named_label(options.label_column, list(arrays), source)
        wanted = (options.label_column, *TOKEN_NAMES)
        tokens = next((arrays[n] for n in wanted if n in arrays and n != values.name), None)
    return values, tokens
