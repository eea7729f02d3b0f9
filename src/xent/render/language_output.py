"""Language-model figures of a summary (``Summary.language``, ``Summary.top_k_entropy``):
perplexity per token, document, byte and word, and the top-k entropy, as JSON keys, CSV
rows (one per document) and table parts (the worst documents, and how many are left out).
They format; they never compute."""

from __future__ import annotations

import csv
import math

from .numbers import full_precision, json_number
from .text import require_encodable

# The documents a table shows: those of highest perplexity.
DOCUMENTS_SHOWN = 10
DOCUMENT_HEADER = [
    "document",
    "tokens",
    "nll_nats",
    "perplexity",
    "bytes",
    "bits_per_byte",
    "words",
    "word_perplexity",
]


def _maybe(x):
    return None if x is None else json_number(x)


def language_dict(summary) -> dict:
    """``language_model`` and ``top_k_entropy``: present only when computed."""
    data: dict = {}
    lm = summary.language
    if lm is not None:
        data["language_model"] = {
            "tokens": lm.tokens,
            "nll_nats": json_number(lm.nll),
            "token_perplexity": json_number(lm.token_perplexity),
            "mean_surprisal_bits": json_number(lm.mean_surprisal_bits),
            "bytes": lm.bytes,
            "byte_perplexity": _maybe(lm.byte_perplexity),
            "bits_per_byte": _maybe(lm.bits_per_byte),
            "words": lm.words,
            "word_perplexity": _maybe(lm.word_perplexity),
            "document_column": lm.document_column,
            "documents": len(lm.documents),
            "mean_document_perplexity": _maybe(lm.mean_document_perplexity),
            "per_document": [document_dict(d) for d in lm.documents],
        }
    tk = summary.top_k_entropy
    if tk is not None:
        data["top_k_entropy"] = {
            "tokens": tk.tokens,
            "mean_mass_outside": json_number(tk.mean_mass_outside),
            "max_mass_outside": json_number(tk.max_mass_outside),
            "vocab_size": tk.vocab_size,
            "entropy_lower_bound": _maybe(tk.lower),
            "entropy_upper_bound": _maybe(tk.upper),
            "unit": summary.unit,
        }
    return data


def document_dict(d) -> dict:
    return {
        "document": d.name,
        "tokens": d.tokens,
        "nll_nats": json_number(d.nll),
        "perplexity": json_number(d.perplexity),
        "bytes": d.bytes,
        "bits_per_byte": _maybe(d.bits_per_byte),
        "words": d.words,
        "word_perplexity": _maybe(d.word_perplexity),
    }


def _cells(values) -> list:
    return [
        "" if v is None else v if isinstance(v, (int, str)) else full_precision(v) for v in values
    ]


def render_documents_csv(summary, out) -> None:
    """A row per document, then ``(all)``: the corpus's token-weighted figures."""
    lm = summary.language
    require_encodable(out, [d.name for d in lm.documents], "document")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(DOCUMENT_HEADER)
    for d in lm.documents:
        writer.writerow(
            _cells(
                [d.name, d.tokens, d.nll, d.perplexity, d.bytes, d.bits_per_byte]
                + [d.words, d.word_perplexity]
            )
        )
    writer.writerow(
        _cells(
            ["(all)", lm.tokens, lm.nll, lm.token_perplexity, lm.bytes, lm.bits_per_byte]
            + [lm.words, lm.word_perplexity]
        )
    )


# ------------------------------------------------------------------------------ table


def language_parts(summary, precision: int) -> list:
    """A title, the corpus's figures, then the documents of highest perplexity."""
    from rich.text import Text

    from .layout import Column, fitted_table
    from .numbers import number

    lm, tk = summary.language, summary.top_k_entropy
    grid: list[list] = []
    if lm is not None:
        grid += corpus_rows(lm, precision)
    if tk is not None:
        grid += top_k_rows(tk, summary.unit, precision)
    columns = [Column("", "left", "bold"), Column(""), Column("", "left", "dim", is_note=True)]
    title = "Language model"
    if lm is not None:
        title += f": {lm.tokens:,} tokens"
        if lm.documents:
            title += f", {len(lm.documents):,} documents ({lm.document_column})"
    parts: list = [Text(title, style="bold"), fitted_table(columns, grid, grid=True)]
    if lm is not None and lm.documents:
        parts += documents_parts(lm, precision, number)
    return parts


def corpus_rows(lm, precision: int) -> list[list]:
    from .numbers import number

    rows = [
        ["token perplexity", number(lm.token_perplexity, precision), "exp(Σ NLL / Σ tokens)"],
        ["mean surprisal", number(lm.mean_surprisal_bits, precision), "bits a token"],
    ]
    if lm.mean_document_perplexity is not None:
        rows.append(
            [
                "mean per-document perplexity",
                number(lm.mean_document_perplexity, precision),
                "mean of each document's exp(NLL / tokens)",
            ]
        )
    if lm.bytes is not None:
        bpb = number(lm.bits_per_byte, precision)
        rows.append(["bits per byte", bpb, "Σ NLL / Σ bytes / ln 2"])
        rows.append(
            ["byte perplexity", number(lm.byte_perplexity, precision), f"{lm.bytes:,} bytes"]
        )
    if lm.words is not None:
        rows.append(
            ["word perplexity", number(lm.word_perplexity, precision), f"{lm.words:,} words"]
        )
    return rows


def top_k_rows(tk, unit: str, precision: int) -> list[list]:
    from .numbers import number

    mean, most = number(tk.mean_mass_outside, precision), number(tk.max_mass_outside, precision)
    rows = [
        [
            "mass outside listed tokens",
            f"{mean} (max {most})",
            f"mean over {tk.tokens:,} tokens",
        ]
    ]
    if tk.lower is None:
        rows.append(["entropy", "not known", "the vocabulary size gives bounds"])
    else:
        rows.append(
            [
                "entropy, bounds",
                f"{number(tk.lower, precision)} to {number(tk.upper, precision)}",
                f"{unit}, mean a token, V = {tk.vocab_size:,}",
            ]
        )
    return rows


def documents_parts(lm, precision: int, number) -> list:
    from rich.text import Text

    from .layout import Column, fitted_table

    worst = sorted(lm.documents, key=lambda d: (-_key(d.perplexity), d.name))[:DOCUMENTS_SHOWN]
    columns = [Column("document", "left"), Column("tokens"), Column("perplexity")]
    bits = lm.bytes is not None
    if bits:
        columns.append(Column("bits/byte"))
    rows = []
    for d in worst:
        row = [d.name, f"{d.tokens:,}", number(d.perplexity, precision)]
        if bits:
            row.append(number(d.bits_per_byte, precision) if d.bits_per_byte is not None else "–")
        rows.append(row)
    parts: list = [fitted_table(columns, rows, title="documents of highest perplexity")]
    left = len(lm.documents) - len(worst)
    if left:
        parts.append(
            Text(
                f"{left:,} more documents, each of lower perplexity, are not listed (JSON "
                "and CSV list them all)",
                style="dim",
            )
        )
    return parts


def _key(x: float) -> float:
    return -math.inf if math.isnan(x) else x
