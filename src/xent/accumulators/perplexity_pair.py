"""Both models' perplexities on the same tokens, as llama.cpp's KLD summary gives them:
PPL = exp(mean NLL) ± PPL·se(mean NLL); the correlation of the per-token log-probabilities
(Pearson's, from Cov(mean NLL_base, mean NLL_other)); and ln(PPL(other)/PPL(base)) =
mean NLL_other − mean NLL_base ± √(se_o² + se_b² − 2·Cov), with PPL(other)/PPL(base) ±
that ratio times the same."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..divergences import covariance_of_means, mean_and_error
from .exact import ExactSum
from .token_base import TokenAccumulator, TokenRows

SUMS = ("b", "o", "bb", "oo", "bo")


class PerplexityResult(NamedTuple):
    nll_base: float
    nll_base_error: float
    nll_other: float
    nll_other_error: float
    perplexity_base: float
    perplexity_base_error: float
    perplexity_other: float
    perplexity_other_error: float
    correlation: float  # of the per-token log-probabilities of the target
    log_ratio: float  # ln(PPL(other)/PPL(base))
    log_ratio_error: float
    ratio: float  # PPL(other)/PPL(base)
    ratio_error: float


class PerplexityPair(TokenAccumulator):
    name = "perplexity"
    needs = ("log_p_base", "log_p_other")

    def __init__(self, settings=None) -> None:
        super().__init__(settings)
        self.sums = {name: ExactSum() for name in SUMS}
        self.count = 0

    def add(self, rows: TokenRows) -> None:
        b = -np.asarray(rows.pair.log_p_base, dtype=np.float64)
        o = -np.asarray(rows.pair.log_p_other, dtype=np.float64)
        for name, values in zip(SUMS, (b, o, b * b, o * o, b * o)):
            self.sums[name].add_array(values)
        self.count += b.size

    def merge(self, other: PerplexityPair) -> PerplexityPair:
        for name, total in self.sums.items():
            total.merge(other.sums[name])
        self.count += other.count
        return self

    def finish(self) -> PerplexityResult:
        s = {name: total.value for name, total in self.sums.items()}
        n = self.count
        mb, eb = mean_and_error(s["b"], s["bb"], n)
        mo, eo = mean_and_error(s["o"], s["oo"], n)
        cov = covariance_of_means(s["b"], s["o"], s["bo"], n)
        correlation = cov / (eb * eo) if eb > 0 and eo > 0 else math.nan
        log_ratio = mo - mb
        log_ratio_error = math.sqrt(max(eb * eb + eo * eo - 2 * cov, 0.0)) if n > 1 else math.nan
        ppl_b, ppl_o = _exp(mb), _exp(mo)
        ratio = _exp(log_ratio)
        return PerplexityResult(
            mb, eb, mo, eo, ppl_b, ppl_b * eb, ppl_o, ppl_o * eo,
            correlation, log_ratio, log_ratio_error, ratio, ratio * log_ratio_error,
        )  # fmt: skip


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf
