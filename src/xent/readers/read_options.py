"""How to read a prediction file: :class:`ReadOptions`, the readers' one input besides the
file. (A module of its own: a computation from arguments reads no file and does not pay
for the dataclass.)"""

from __future__ import annotations

from dataclasses import dataclass

from ..rules import check_read


@dataclass(frozen=True)
class ReadOptions:
    """How to read a prediction file; the defaults read ``label,<class>,<class>,...``."""

    input_format: str | None = None  # csv, tsv, json, jsonl; None = from the name or content
    # None: no label column, every other column holds values (rows of distributions, for
    # entropy, kl and js): the chunks' labels and targets stay None.
    label_column: str | None = "label"
    label_columns: tuple[str, ...] = ()  # soft labels: one column per class, in class order
    delimiter: str | None = None  # None = detected from the header
    ignore_columns: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()  # overrides the header's / the "classes" key's names
    on_error: str = "raise"  # or "skip": drop bad rows, and say which
    csv_reader: str | None = None  # auto, numpy or arrow; None = $XENT_CSV_READER or auto
    sample_weights: str | None = None  # a column (JSON key) of per-row weights, not a class
    ignore_labels: tuple[str, ...] = ()  # label texts read as "ignored" (class index K)
    # Each row has any number of positive classes: the label column names them separated
    # by "|" (or --label-columns hold 0/1 per class), the values are K probabilities.
    multi_label: bool = False
    # The predictions array of an .npz (default: pred, probs, logits, ...; the labels
    # array is --label-column when it names one, else labels, label, y, ...).
    pred_array: str | None = None
    # Columns whose text each chunk keeps per row (chunk.columns), e.g. a group or an id
    # column: not class columns. CSV/TSV only.
    keep_columns: tuple[str, ...] = ()
    # What an array file's values are: auto, logits, logprobs or probabilities (auto:
    # by the array's name, else logits unless its rows are distributions or log-probs).
    holds: str = "auto"
    # An integer .npy of target tokens, one per row of an .npy/.npz/.safetensors file.
    labels_file: str | None = None
    # A logprobs file's responses: auto (told by the first), chat, completions (OpenAI),
    # vllm (sampled tokens) or vllm-prompt (prompt_logprobs): xent.readers.logprobs.
    logprobs_mode: str = "auto"
    # kl and js of arrays: Q in an .npy of its own, P in the file read (xent.readers.array_pairs).
    q_file: str | None = None

    def __post_init__(self) -> None:
        check_read(self)
