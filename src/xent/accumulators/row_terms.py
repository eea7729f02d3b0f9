"""Each row's hit, top-k hit and Brier term, unweighted: what the interval accumulators
(:mod:`.bootstrap`, :mod:`.standard_errors`) sum beside the loss, found one way for both."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import metrics


class RowTerms(NamedTuple):
    """A chunk's rows (of a slice): ``hits`` (1 where right), and with probabilities
    ``top_k`` and ``brier`` (else None)."""

    hits: np.ndarray | None
    top_k: np.ndarray | None
    brier: np.ndarray | None


def row_terms(scored, part: slice, top_k: int, *, scores: bool = True) -> RowTerms:
    """The rows' terms: a multi-label row is right when every class is (Q ≥ 0.5 as the
    label is); a class label's row when its class is the predicted one. ``scores=False``:
    the hits alone."""
    q = None if scored.probabilities is None else scored.probabilities[part]
    if scored.columns is not None and q is not None:
        agree = (q >= 0.5) == (scored.positives[part] >= 0.5)
        return RowTerms(agree.all(axis=1), None, None)
    if scored.labels is None or scored.predicted is None:
        return RowTerms(None, None, None)
    labels = scored.labels[part]
    hits = labels == scored.predicted[part]
    if q is None or not scores:
        return RowTerms(hits, None, None)
    targets = None if scored.targets is None else scored.targets[part]
    return RowTerms(
        hits, metrics.top_k_hits(labels, q, top_k), metrics.brier_rows(labels, targets, q)
    )
