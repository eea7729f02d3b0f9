"""Perplexity normalised by tokens, bytes and words, for the corpus and per document, as
lm-evaluation-harness defines them (``lm_eval/api/metrics.py``): with ll a document's
log-likelihood in nats (the sum of its tokens' log-probs),

    weighted_perplexity = exp(−Σ ll / Σ words)          (its "word_perplexity")
    byte_perplexity     = exp(−Σ ll / Σ bytes)
    bits_per_byte       = −Σ ll / Σ bytes / ln 2

summed over the documents of the corpus (a document's words are
``len(re.split(r"\\s+", text))``, its bytes its UTF-8 length). The token perplexity is
exp(−Σ ll / Σ tokens) (token-weighted: one exp of the corpus's mean surprisal), and the
**mean per-document perplexity** the mean over documents of exp(−ll / tokens): it weighs a
short document like a long one, and is the larger of the two when every document has the
same length (Jensen). The rows' counts (``chunk.counts``: bytes and words per row; a
document's count may sit on one of its rows) are added up; the losses are the rows' as
scored, unweighted.

The state is sums (the corpus's Σ ll exact, :class:`~.exact.ExactSum`; counts as integers)
and, when rows name their document, one entry a document (bounded by :data:`MAX_DOCUMENTS`),
merged in input order: a document split across chunks adds its parts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import DataError
from .base import Accumulator, Rows
from .exact import ExactSum

MAX_DOCUMENTS = 5_000_000
COUNTS = ("bytes", "words")


@dataclass(frozen=True)
class Document:
    """One document's figures (bytes and words: None when not counted)."""

    name: str
    tokens: int
    nll: float  # −Σ log-prob, nats
    perplexity: float
    bytes: int | None
    bits_per_byte: float | None
    words: int | None
    word_perplexity: float | None


@dataclass(frozen=True)
class NormalisedSummary:
    """The corpus's figures and each document's (in the order first seen)."""

    tokens: int
    nll: float
    token_perplexity: float
    mean_surprisal_bits: float
    bytes: int | None
    byte_perplexity: float | None
    bits_per_byte: float | None
    words: int | None
    word_perplexity: float | None
    document_column: str | None
    mean_document_perplexity: float | None
    documents: list[Document]


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def per(nll: float, count: int | None) -> float | None:
    """exp(nll / count): a perplexity per unit (None uncounted; NaN for a count of 0)."""
    if count is None:
        return None
    return _exp(nll / count) if count else math.nan


def aligned(values: np.ndarray, chunk, scored) -> np.ndarray:
    """A chunk's per-row array at its scored rows (a subset, matched by line)."""
    if len(values) == len(scored.lines):
        return values
    return values[np.searchsorted(chunk.lines, scored.lines)]


class Normalised(Accumulator):
    """The sums behind :class:`NormalisedSummary` (see the module docstring): losses in
    ``base`` (turned into nats), per-row counts from the chunk, documents named by the
    chunk's ``document_column``."""

    name = "normalised"
    missing = "adopt"  # made by the map step, from what the chunks carry

    def __init__(
        self,
        base: float = math.e,
        document_column: str | None = None,
        source: str = "",
        per_document: bool = False,
    ) -> None:
        self.nats = math.log(base)
        self.document_column, self.source = document_column, source
        # The counts are each document's, the same on every one of its rows: taken once.
        self.per_document = per_document
        self.nll = ExactSum()
        self.tokens = 0
        self.counted: dict[str, int] = {}  # bytes, words: the sums of those counted
        # (source, name) -> [nll, tokens, bytes, words]: several files' documents apart
        self.documents: dict[tuple[str, str], list] = {}

    def empty(self, classes=(), settings=None) -> Normalised:
        return Normalised(math.exp(self.nats), self.document_column, self.source, self.per_document)

    def takes(self, rows: Rows) -> bool:
        return rows.chunk is not None

    def add(self, rows: Rows) -> None:
        scored, chunk = rows.scored, rows.chunk
        nll = rows.losses * self.nats
        self.nll.add_array(nll)
        self.tokens += nll.size
        counts = {
            name: aligned(values, chunk, scored)
            for name, values in (chunk.counts or {}).items()
            if name in COUNTS
        }
        for name, values in counts.items():
            if not self.per_document:
                self.counted[name] = self.counted.get(name, 0) + int(values.sum())
        column = self.document_column
        if column is not None and chunk.columns and column in chunk.columns:
            names = np.asarray(chunk.columns[column], dtype=object)
            names = aligned(names, chunk, scored).astype(str)
            self._add_documents(names, nll, counts, np.asarray(scored.lines))

    def _add_documents(self, names: np.ndarray, nll: np.ndarray, counts, lines) -> None:
        found, where = np.unique(names, return_inverse=True)
        first = np.full(found.size, names.size)
        np.minimum.at(first, where, np.arange(names.size))
        sums = np.bincount(where, weights=nll, minlength=found.size)
        tokens = np.bincount(where, minlength=found.size)
        counted = {
            name: self._document_counts(found, where, values, lines, name)
            if self.per_document
            else np.bincount(where, weights=values, minlength=found.size)
            for name, values in counts.items()
        }
        for j in np.argsort(first, kind="stable").tolist():  # in the order first seen
            self._add_document(
                (self.source, str(found[j])),
                [float(sums[j]), int(tokens[j])]
                + [int(counted[c][j]) if c in counted else None for c in COUNTS],
            )

    def _document_counts(self, found, where, values, lines, kind: str) -> np.ndarray:
        """Each document's count, the same on all its rows (``per_document``)."""
        _, at = np.unique(where, return_index=True)  # each document's first row
        first = np.asarray(values)[at]
        differ = np.flatnonzero(values != first[where])
        if differ.size:
            i = int(differ[0])
            j = int(where[i])
            self._differ(str(found[j]), kind, int(first[j]), int(values[i]), int(lines[i]))
        return first

    def _differ(self, name: str, kind: str, one: int, other: int, line=None) -> None:
        raise DataError(
            f"document {name!r} has {kind[:-1]} counts {one:,} and {other:,}: with counts "
            "per document, each of its rows holds the same",
            source=self.source or None,
            line=line,
        )

    def _add_document(self, name: tuple[str, str], entry: list) -> None:
        mine = self.documents.get(name)
        if mine is None:
            if len(self.documents) >= MAX_DOCUMENTS:
                raise DataError(f"more than {MAX_DOCUMENTS:,} documents")
            self.documents[name] = list(entry)
            return
        mine[0] += entry[0]
        mine[1] += entry[1]
        for i, kind in ((2, "bytes"), (3, "words")):
            if mine[i] is None or entry[i] is None:
                mine[i] = None
            elif not self.per_document:
                mine[i] += entry[i]
            elif mine[i] != entry[i]:
                self._differ(name[1], kind, mine[i], entry[i])

    def document_spread(self) -> tuple[int, float, float] | None:
        """(G, R, se) of the mean token loss (in the run's base) with the documents as the
        units (:func:`.groups.clustered_spread`), or None without two documents."""
        from .groups import clustered_spread

        if self.document_column is None:
            return None
        return clustered_spread([(nll / self.nats, n) for nll, n, *_ in self.documents.values()])

    def rescale(self, shift: int) -> None:
        """Unweighted sums (tokens, bytes, words): nothing to scale (.scaling)."""

    def merge(self, other: Normalised, rows_before: int = 0) -> Normalised:
        """Add another's sums and documents (rows after these), in their order."""
        self.nll.merge(other.nll)
        self.tokens += other.tokens
        for name, value in other.counted.items():
            self.counted[name] = self.counted.get(name, 0) + value
        for key, entry in other.documents.items():
            self._add_document(key, entry)
        return self

    def finish(self) -> NormalisedSummary:
        nll = self.nll.value
        tokens = self.tokens
        counted = dict(self.counted)
        if self.per_document and self.documents:  # each document's count, once
            for i, kind in ((2, "bytes"), (3, "words")):
                found = [entry[i] for entry in self.documents.values()]
                if all(x is not None for x in found):
                    counted[kind] = int(sum(found))
        n_bytes, words = counted.get("bytes"), counted.get("words")
        files = len({source for source, _ in self.documents}) > 1
        documents = [
            Document(
                f"{source}:{name}" if files else name,
                int(t),
                float(d_nll),
                _exp(d_nll / t) if t else math.nan,
                b,
                None if b is None else (d_nll / b / math.log(2) if b else math.nan),
                w,
                per(d_nll, w),
            )
            for (source, name), (d_nll, t, b, w) in self.documents.items()
        ]
        mean_document = (
            math.fsum(d.perplexity for d in documents) / len(documents) if documents else None
        )
        return NormalisedSummary(
            tokens=tokens,
            nll=nll,
            token_perplexity=_exp(nll / tokens) if tokens else math.nan,
            mean_surprisal_bits=nll / tokens / math.log(2) if tokens else math.nan,
            bytes=n_bytes,
            byte_perplexity=per(nll, n_bytes),
            bits_per_byte=None
            if n_bytes is None
            else (nll / n_bytes / math.log(2) if n_bytes else math.nan),
            words=words,
            word_perplexity=per(nll, words),
            document_column=self.document_column if self.documents else None,
            mean_document_perplexity=mean_document,
            documents=documents,
        )
