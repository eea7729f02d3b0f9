"""KL(base‖other) per token (``xent compare`` of language models): its mean and standard
error, min, max and percentiles, as llama.cpp's ``--kl-divergence`` summary gives them.

A token's KL below 0 is rounding (Gibbs' inequality): it is counted, the lowest kept for
the note, and floored at 0 before it is summed or ranked.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..divergences import mean_and_error
from .exact import ExactSum
from .quantiles import QuantileResult, Quantiles
from .token_base import TokenAccumulator, TokenRows, TokenSettings


class KLResult(NamedTuple):
    mean: float
    standard_error: float
    percentiles: QuantileResult  # 1.0 is the max, 0.0 the min
    floored: int  # tokens whose KL came out below 0 by rounding, reported as 0
    lowest: float  # the lowest of those (0 if none)


class TokenKL(TokenAccumulator):
    name = "kl"
    needs = ("kl",)

    def __init__(self, settings: TokenSettings | None = None) -> None:
        super().__init__(settings)
        self.total, self.squares = ExactSum(), ExactSum()
        self.count = self.floored = 0
        self.lowest = 0.0
        self.quantiles = Quantiles(*self.settings)

    def add(self, rows: TokenRows) -> None:
        kl = np.asarray(rows.pair.kl, dtype=np.float64)
        below = kl < 0
        if below.any():
            self.floored += int(below.sum())
            self.lowest = min(self.lowest, float(kl[below].min()))
            kl = np.maximum(kl, 0.0)
        self.total.add_array(kl)
        with np.errstate(over="ignore"):
            self.squares.add_array(kl * kl)
        self.count += kl.size
        self.quantiles.add(kl, rows.first)

    def merge(self, other: TokenKL) -> TokenKL:
        self.total.merge(other.total)
        self.squares.merge(other.squares)
        self.count += other.count
        self.floored += other.floored
        self.lowest = min(self.lowest, other.lowest)
        self.quantiles.merge(other.quantiles)
        return self

    def finish(self) -> KLResult:
        mean, se = mean_and_error(self.total.value, self.squares.value, self.count)
        if math.isinf(mean):
            se = math.nan
        return KLResult(mean, se, self.quantiles.finish(), self.floored, self.lowest)
