"""NumPy ``.npy`` and ``.npz`` files, read a block of rows at a time (memory stays flat).

An ``.npz`` holds a predictions array (n, K) (or (n,) for a binary P(class 1)) and a labels
array (n,) (or (n, K) soft labels), and may hold the class names (``classes``); an ``.npy``
holds predictions alone, read as rows of distributions.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..errors import DataError, param
from .array_pairs import has_pair
from .chunks import Said, class_names, task_of
from .columnar_rows import LABEL_NAMES, LOGIT_NAMES, PRED_NAMES, Rows, batch_rows, placed
from .lm_arrays import (
    LOGPROB_NAMES,
    TOKEN_NAMES,
    VOCABULARY,
    MappedArray,
    block_rows,
    holds_note,
    holds_of,
    load_npy,
    named_label,
    stored_member,
)
from .read_options import ReadOptions
from .values import texts


def npy_chunks(file, source: str, options: ReadOptions, said: Said):
    """An ``.npy`` holds predictions alone: read as rows of distributions (no label
    column), else refused: the labels are needed. With ``labels_file`` (an integer
    ``.npy``): a (tokens, vocabulary) array and its target tokens."""
    if options.q_file is not None:  # kl, js: P here, Q in an .npy of its own
        from .array_pairs import pair_chunks

        p = MappedArray(_load_npy(file, source), "P")
        q = load_npy(options.q_file, "Q", options.q_file)
        yield from pair_chunks(p, q, options, source, said, options.q_file)
        return
    if options.labels_file is not None:
        values = MappedArray(_load_npy(file, source), "the array")
        yield from _npz_rows(values, labels_file(options, source), None, options, source, said)
        return
    if options.label_column is not None or options.label_columns:
        raise DataError(
            "an .npy file holds one array, the predictions, and no labels: save both with "
            "np.savez('preds.npz', pred=pred, labels=labels)",
            source=source,
        )
    pred = _load_npy(file, source)
    if pred.ndim != 2:
        raise DataError(
            f"the array has shape {pred.shape}: expected (rows, classes)", source=source
        )
    classes = class_names(options, "multiclass", [str(i) for i in range(pred.shape[1])])
    said.classes(classes)
    rows = Rows(classes, "multiclass", options, source, "")
    step = batch_rows(pred.shape[1])
    mapped = MappedArray(pred, source)  # checks the file still holds each block (no SIGBUS)
    for start in range(0, pred.shape[0], step):
        yield rows.chunk(start, np.asarray(mapped.rows(step), dtype=np.float64))


def labels_file(options: ReadOptions, source: str) -> MappedArray:
    """The target tokens of ``options.labels_file``: an integer ``.npy``."""
    assert options.labels_file is not None
    labels = load_npy(options.labels_file, options.labels_file, source)
    if labels.dtype.kind not in "iu" or len(labels.shape) != 1:
        raise DataError(
            f"holds {labels.dtype} of shape {labels.shape}: expected one integer token per "
            f"row of {source} ({param('labels_file')})",
            source=options.labels_file,
        )
    return labels


def _load_npy(file, source: str) -> np.ndarray:
    """The array memory-mapped: from its path, or from a file object (a spooled copy of
    stdin or of a compressed file, which ``np.load`` cannot map)."""
    try:
        if isinstance(file, str):
            array = np.load(file, mmap_mode="r", allow_pickle=False)
        else:
            array = _map_stream(file)
    except ValueError as error:
        raise DataError(f"not a readable .npy file ({error})", source=source) from None
    _check_dtype(array.dtype, "the array", source)
    return array


def _map_stream(file) -> np.ndarray:
    fmt = np.lib.format
    file.seek(0)
    version = fmt.read_magic(file)
    header = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
    shape, fortran, dtype = header(file)
    if dtype.hasobject or 0 in shape:
        return np.zeros(shape, dtype)
    order = "F" if fortran else "C"
    offset = file.tell()
    return np.memmap(file, dtype=dtype, mode="r", offset=offset, shape=shape, order=order)  # type: ignore[call-overload]


def _check_dtype(dtype, what: str, source: str) -> None:
    if dtype.hasobject or dtype.kind not in "biufUS":
        raise DataError(
            f"{what} is of type {dtype}: expected numbers (or label names)", source=source
        )


class NpyStream:
    """An ``.npy`` in a stream (a member of an ``.npz``), read a block of rows at a time."""

    def __init__(self, stream, name: str, source: str) -> None:
        self.source = source
        fmt = np.lib.format
        try:
            version = fmt.read_magic(stream)
            header = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
            self.shape, fortran, self.dtype = header(stream)
        except ValueError as error:
            raise DataError(f"{name} is not a readable array ({error})", source=source) from None
        _check_dtype(self.dtype, name, source)
        self.stream, self.name = stream, name
        self.whole = None
        if fortran and len(self.shape) > 1:  # column-major: read whole (rare: np.save of a .T)
            count = int(np.prod(self.shape))
            data = self._read(count * self.dtype.itemsize)
            self.whole = np.frombuffer(data, self.dtype).reshape(self.shape, order="F")
        self.row_items = int(np.prod(self.shape[1:])) if len(self.shape) > 1 else 1
        self.at = 0

    def _read(self, size: int) -> bytes:
        """``size`` bytes, or the error that the member holds fewer than its header says
        (a reshape of a short read was a ValueError, exit 70)."""
        data = self.stream.read(size)
        if len(data) < size:
            raise DataError(
                f"{self.name} holds fewer values than its header says (shape {self.shape}): "
                "the archive is damaged or truncated",
                source=self.source,
            )
        return data

    def rows(self, n: int) -> np.ndarray:
        n = min(n, self.shape[0] - self.at) if self.shape else 0
        if self.whole is not None:
            block = self.whole[self.at : self.at + n]
        else:
            data = self._read(n * self.row_items * self.dtype.itemsize)
            block = np.frombuffer(data, self.dtype).reshape((n, *self.shape[1:]))
        self.at += n
        return block


def npz_chunks(file, source: str, options: ReadOptions, said: Said):
    import zipfile

    try:
        archive = zipfile.ZipFile(file)
    except zipfile.BadZipFile:
        raise DataError("not an .npz archive (a zip of .npy arrays)", source=source) from None
    with archive:
        names = [n[: -len(".npy")] for n in archive.namelist()]
        if "classes" in names:  # the class names, saved beside the arrays
            names.remove("classes")
            if not options.classes:
                with archive.open("classes.npy") as member:
                    saved = np.lib.format.read_array(member, allow_pickle=False)
                options = replace(options, classes=tuple(str(c) for c in saved.reshape(-1)))
        if options.label_column is None and has_pair(names):  # kl, js: members p and q
            yield from _npz_pair(file, archive, options, source, said)
            return
        pred_name, label_name, logits = _npz_names(names, options, source)
        if options.labels_file is not None and label_name is not None:
            raise DataError(
                f"the target tokens are both in {options.labels_file} "
                f"({param('labels_file')}) and in the array {label_name}: give one",
                source=source,
            )
        opened = []

        def open_member(name: str):
            mapped = stored_member(file, archive, name + ".npy", name, source)
            if mapped is not None:
                return mapped
            opened.append(archive.open(name + ".npy"))
            return NpyStream(opened[-1], name, source)

        pred = open_member(pred_name)
        kept = {}
        for name in options.keep_columns:
            if name not in names:
                raise MissingArray(name, names, source)
            kept[name] = open_member(name)
        labels = open_member(label_name) if label_name else None
        if options.labels_file is not None:
            labels = labels_file(options, source)
        holds = None  # told by the option, else from the first rows
        if options.holds == "auto" and (pred_name in PRED_NAMES + LOGIT_NAMES or not labels):
            holds = logits  # as the name says; unlabelled rows of distributions as before
        yield from _npz_rows(pred, labels, holds, options, source, said, kept)
        for stream in opened:
            stream.close()


def _npz_pair(file, archive, options: ReadOptions, source: str, said: Said):
    """An .npz's members p and q: P and Q (kl, js), memory-mapped where they are stored."""
    from .array_pairs import pair_chunks

    opened = []

    def member(name: str):
        mapped = stored_member(file, archive, name + ".npy", name, source)
        if mapped is not None:
            return mapped
        opened.append(archive.open(name + ".npy"))
        return NpyStream(opened[-1], name, source)

    yield from pair_chunks(member("p"), member("q"), options, source, said, source)
    for stream in opened:
        stream.close()


def safetensors_chunks(file, source: str, options: ReadOptions, said: Said):
    """A ``.safetensors`` file's (tokens, vocabulary) array and its target tokens (an
    integer tensor named labels, targets, tokens, ..., or ``labels_file``)."""
    from .lm_arrays import pick_arrays, safetensors_arrays

    if not isinstance(file, str):  # stdin or decompressed: spooled to a temporary file
        file = file.name
    arrays = safetensors_arrays(file, source)
    if options.label_column is None and has_pair(arrays):  # kl, js: tensors p and q
        from .array_pairs import pair_chunks

        yield from pair_chunks(arrays["p"], arrays["q"], options, source, said, source)
        return
    values, tokens = pick_arrays(arrays, options, source)
    for name in options.keep_columns:
        if name not in arrays:
            raise MissingArray(name, list(arrays), source)
    kept = {name: arrays[name] for name in options.keep_columns}
    if options.labels_file is not None:
        if tokens is not None:
            raise DataError(
                f"the target tokens are both in {options.labels_file} "
                f"({param('labels_file')}) and in the tensor {tokens.name}: give one",
                source=source,
            )
        tokens = labels_file(options, source)
    elif tokens is None and options.label_column is not None:
        raise DataError(
            f"no tensor of target tokens (named {', '.join(TOKEN_NAMES)}): add one, or give "
            f"them in an integer .npy with {param('labels_file')}",
            source=source,
        )
    if tokens is not None and (tokens.dtype.kind not in "iu" or len(tokens.shape) != 1):
        raise DataError(
            f"{tokens.name} is {tokens.dtype} of shape {tokens.shape}: expected one integer "
            "token per row",
            source=source,
        )
    if len(values.shape) != 2 or values.shape[1] < 2:
        raise DataError(
            f"{values.name} has shape {values.shape}: expected (tokens, vocabulary)",
            source=source,
        )
    yield from _npz_rows(values, tokens, None, options, source, said, kept)


class MissingArray(DataError):
    """A kept column (a sequence id, a count, ``xent compare --id``) not among an array
    file's arrays: ``name``, and the ``names`` there are."""

    def __init__(self, name: str, names: list[str], source: str) -> None:
        super().__init__(kept_missing(name, names), source=source)
        self.name, self.names = name, names


def kept_missing(name: str, names: list[str]) -> str:
    return (
        f"no array {name!r} (arrays: {', '.join(names) or 'none'}): "
        f"{param('sequence_column')}, {param('byte_column')} and {param('word_column')} name "
        "an array of one value per row"
    )


def _kept_rows(kept: dict, pred, source: str) -> None:
    """The kept arrays (sequence ids, counts): one number per row of the values."""
    for name, array in kept.items():
        if (
            len(array.shape) != 1
            or array.shape[0] != pred.shape[0]
            or array.dtype.kind not in "biuf"
        ):
            raise DataError(
                f"{name} is {array.dtype} of shape {array.shape}: expected one number per row "
                f"of {pred.name} ({pred.shape[0]:,} rows)",
                source=source,
            )


def _npz_names(names: list[str], options: ReadOptions, source: str):
    """The predictions array, the labels array (None for rows of distributions) and
    whether the predictions are logits."""
    listed = ", ".join(names) or "none"

    def pick(wanted, option: str | None, what: str) -> str:
        if option is not None:
            if option not in names:
                raise DataError(
                    f"no array {option!r} (arrays: {listed}); name the {what} with "
                    + (param("label_column") if what == "labels" else param("pred_array")),
                    source=source,
                )
            return option
        found = [n for n in wanted if n in names]
        if not found:
            raise DataError(
                f"no {what} array: expected one named {', '.join(wanted)} (arrays: {listed})",
                source=source,
            )
        return found[0]

    label = None
    if options.label_column is not None:
        named_label(options.label_column, names, source)
        chosen = options.label_column if options.label_column in names else None
        if options.labels_file is None:  # labels, ..., else tokens (not said: rarer)
            tokens = next((n for n in TOKEN_NAMES if n in names), None)
            label = (chosen is None and tokens) or pick(LABEL_NAMES, chosen, "labels")
        else:  # the tokens are in the labels file: an array of them too is one too many
            label = chosen or next((n for n in TOKEN_NAMES if n in names), None)
    pred_option = options.pred_array
    if pred_option is None:
        rest = [n for n in names if n != label]
        wanted = PRED_NAMES + LOGIT_NAMES + LOGPROB_NAMES
        pred_option = next((n for n in wanted if n in rest), rest[0] if len(rest) == 1 else None)
    pred = pick(PRED_NAMES + LOGIT_NAMES + LOGPROB_NAMES, pred_option, "predictions")
    return pred, label, pred in LOGIT_NAMES


def _npz_shapes(pred, labels, source: str) -> tuple[bool, bool]:
    """(binary, soft): whether the predictions are one P(class 1) per row, and the labels
    distributions; a shape that does not fit is an error naming both arrays."""
    shape = pred.shape
    if len(shape) not in (1, 2) or (len(shape) == 2 and shape[1] == 0):
        raise DataError(
            f"{pred.name} has shape {shape}: expected (rows, classes), or (rows,) for a "
            "binary P(class 1)",
            source=source,
        )
    if pred.dtype.kind not in "biuf":
        raise DataError(f"{pred.name} is of type {pred.dtype}: expected numbers", source=source)
    binary = len(shape) == 1 or shape[1] == 1
    if labels is None:
        return binary, False
    if labels.shape[:1] != shape[:1]:
        raise DataError(
            f"{pred.name} has {shape[0]:,} rows but {labels.name} has "
            f"{labels.shape[0] if labels.shape else 0:,}: one label per prediction",
            source=source,
        )
    soft = len(labels.shape) == 2
    if soft and labels.shape != (shape[0], 1 if binary else shape[1]):
        raise DataError(
            f"{labels.name} has shape {labels.shape}: expected ({shape[0]},) labels or "
            f"{shape} soft labels, as {pred.name}",
            source=source,
        )
    if len(labels.shape) > 2:
        raise DataError(f"{labels.name} has shape {labels.shape}", source=source)
    return binary, soft


def _npz_rows(pred, labels, logits, options, source: str, said, kept=None):
    """``logits``: True or False as the array's name says, None to read ``options.holds``
    (``auto``: told from the first rows); ``kept``: arrays of one value per row whose
    values each chunk keeps (``chunk.columns``: sequence ids, counts)."""
    kept = kept or {}
    _kept_rows(kept, pred, source)
    shape = pred.shape
    binary, soft = _npz_shapes(pred, labels, source)
    k = 1 if binary else shape[1]
    labelled = labels is not None
    task = task_of(options, k, labelled)
    classes = class_names(options, task, [str(i) for i in range(k)])
    said.classes(classes)
    rows = Rows(classes, task, options, source, labels.name if labels else "")
    rows.logits = bool(logits)
    if task == "multilabel" and not soft:
        assert labels is not None  # a multi-label task is a labelled one
        raise DataError(
            f"{param('multi_label')} needs {labels.name} of shape {shape}: 0/1 per class",
            source=source,
        )
    first = 0
    step = batch_rows(k) if k < 1000 else block_rows(k)
    while first < shape[0]:
        values = pred.rows(step).reshape(-1, k)
        n = values.shape[0]
        if logits is None:
            holds = holds_of(options, pred.name, values)
            said.notes += holds_note(holds, pred.name, options)
            rows.logits, rows.log_probs = holds == "logits", holds == "logprobs"
            logits = rows.logits
        if first == 0:
            narrow = pred.dtype.kind == "f" and pred.dtype.itemsize <= 4
            rows.float32 = bool(logits) and narrow and k >= VOCABULARY
        label_block = labels.rows(n) if labels is not None else None
        try:
            if soft:
                assert label_block is not None  # soft labels are labels
                chunk = rows.chunk(first, values, None, label_block.reshape(n, -1))
            else:
                chunk = rows.chunk(first, values, label_block)
        except DataError as error:
            raise placed(error, source) from None
        if kept:
            at = chunk.lines - first - 1  # rows left out (on_error skip) have none
            chunk.columns = {name: texts(array.rows(n)[at]) for name, array in kept.items()}
        yield chunk
        first += n
