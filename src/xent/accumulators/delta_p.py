"""Δp = p_other(target) − p_base(target) per token, as llama.cpp's summary gives it: its
mean and standard error, its percentiles (min and max included), and its root mean square
RMS = √mean(Δp²) with the standard error √(Var(Δp²)/n)/(2·RMS) (the delta method, from
Σ Δp⁴)."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..divergences import mean_and_error
from .exact import ExactSum
from .quantiles import QuantileResult, Quantiles
from .token_base import TokenAccumulator, TokenRows, TokenSettings


class DeltaPResult(NamedTuple):
    mean: float
    standard_error: float
    rms: float
    rms_error: float
    percentiles: QuantileResult


class DeltaP(TokenAccumulator):
    name = "delta_p"
    needs = ("log_p_base", "log_p_other")

    def __init__(self, settings: TokenSettings | None = None) -> None:
        super().__init__(settings)
        self.sums = [ExactSum() for _ in range(3)]  # Σ Δp, Σ Δp², Σ Δp⁴
        self.count = 0
        self.quantiles = Quantiles(*self.settings)

    def add(self, rows: TokenRows) -> None:
        dp = np.exp(rows.pair.log_p_other) - np.exp(rows.pair.log_p_base)
        square = dp * dp
        for total, values in zip(self.sums, (dp, square, square * square)):
            total.add_array(values)
        self.count += dp.size
        self.quantiles.add(dp, rows.first)

    def merge(self, other: DeltaP) -> DeltaP:
        for mine, theirs in zip(self.sums, other.sums):
            mine.merge(theirs)
        self.count += other.count
        self.quantiles.merge(other.quantiles)
        return self

    def finish(self) -> DeltaPResult:
        s1, s2, s4 = (total.value for total in self.sums)
        mean, se = mean_and_error(s1, s2, self.count)
        mse, mse_error = mean_and_error(s2, s4, self.count)
        rms = math.sqrt(mse) if mse >= 0 else math.nan
        rms_error = mse_error / (2 * rms) if rms > 0 else math.nan
        return DeltaPResult(mean, se, rms, rms_error, self.quantiles.finish())
