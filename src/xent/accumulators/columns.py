"""Per class column of a contribution table (``ScoredRows.detail``, a few rows): Σ s· each
column's term, P, Q and −log Q, and Σ s·H(P) and Σ s·KL(P‖Q) of the rows."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .base import Accumulator, Rows
from .exact import ExactSum, weigh


class ColumnSums(NamedTuple):
    terms: np.ndarray
    p: np.ndarray
    q: np.ndarray
    neg_log_q: np.ndarray
    entropy: float
    kl: float


class Columns(Accumulator):
    name = "columns"
    needs = ("detail",)

    def __init__(self, classes, settings=None) -> None:
        k = len(classes)
        self.terms = np.zeros(k)
        self.p = np.zeros(k)
        self.q = np.zeros(k)
        self.neg_log_q = np.zeros(k)
        self.entropy = ExactSum()
        self.kl = ExactSum()

    def add(self, rows: Rows) -> None:
        detail, s = rows.scored.detail, rows.weights

        def column_sum(values):
            return (values if s is None else values * s[:, None]).sum(axis=0)

        with np.errstate(invalid="ignore"):
            self.terms += column_sum(detail.contribution)
            self.p += column_sum(detail.p)
            self.q += column_sum(detail.q)
            self.neg_log_q += column_sum(detail.neg_log_q)
        self.entropy.add_array(weigh(detail.entropy, s))
        self.kl.add_array(weigh(detail.kl_divergence, s))

    def merge(self, other: Columns, rows_before: int = 0) -> None:
        self.terms = self.terms + other.terms
        self.p = self.p + other.p
        self.q = self.q + other.q
        self.neg_log_q = self.neg_log_q + other.neg_log_q
        self.entropy.merge(other.entropy)
        self.kl.merge(other.kl)

    def rescale(self, shift: int) -> None:
        self.terms, self.p, self.q, self.neg_log_q = (
            np.ldexp(x, shift) for x in (self.terms, self.p, self.q, self.neg_log_q)
        )
        self.entropy.scale(shift)
        self.kl.scale(shift)

    def finish(self) -> ColumnSums:
        return ColumnSums(
            self.terms, self.p, self.q, self.neg_log_q, self.entropy.value, self.kl.value
        )
