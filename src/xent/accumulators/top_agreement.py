"""How often two models' most probable tokens agree (llama.cpp's "Same top p"), with its
binomial standard error √(p(1 − p)/(n − 1)), as llama.cpp gives it."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .token_base import TokenAccumulator, TokenRows


class TopResult(NamedTuple):
    fraction: float
    standard_error: float
    same: int
    total: int


class SameTop(TokenAccumulator):
    name = "top1"
    needs = ("same_top",)

    def __init__(self, settings=None) -> None:
        super().__init__(settings)
        self.same = self.count = 0

    def add(self, rows: TokenRows) -> None:
        same = np.asarray(rows.pair.same_top, dtype=bool)
        self.same += int(same.sum())
        self.count += same.size

    def merge(self, other: SameTop) -> SameTop:
        self.same += other.same
        self.count += other.count
        return self

    def finish(self) -> TopResult:
        n = self.count
        p = self.same / n if n else math.nan
        se = math.sqrt(p * (1 - p) / (n - 1)) if n > 1 else math.nan
        return TopResult(p, se, self.same, n)
