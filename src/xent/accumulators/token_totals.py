"""The token statistics of two models asked for (``xent compare`` of language models):
each block of aligned rows is turned once into per-token figures
(:func:`xent.divergences.token_pair`, only those the statistics asked for need: no KL pass
without ``kl``), handed to each statistic's accumulator, and finished into
:class:`TokenStats`."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from ..divergences import token_pair
from ..units import unit_name
from .token_base import TokenRows, TokenSettings


class TokenStats(NamedTuple):
    """The finished statistics, by name (``kl``, ``top1``, ``delta_p``, ``perplexity``:
    each its accumulator's result, absent when not asked for), over ``tokens`` tokens."""

    tokens: int
    results: dict[str, Any]
    settings: TokenSettings
    base: float = math.e  # KL and the log ratio are in log base ``base`` (nats for e)


class TokenTotals:
    """The accumulators of ``names`` (keys of :data:`xent.accumulators.TOKENS`)."""

    def __init__(self, names, settings: TokenSettings | None = None, start: int = 0) -> None:
        """``start``: the 0-based position of the first token these totals will hold."""
        from . import TOKENS

        self.settings = settings or TokenSettings()
        self.accumulators = {name: TOKENS[name](self.settings) for name in names}
        self.start, self.count = start, 0

    def add(self, base, holds_base: str, other, holds_other: str, targets) -> None:
        """Aligned rows of the two models (values as they hold them) and their targets."""
        if not len(targets):
            return
        pair = token_pair(
            base,
            holds_base,
            other,
            holds_other,
            np.asarray(targets, dtype=np.intp),
            kl="kl" in self.accumulators,
            same_top="top1" in self.accumulators,
        )
        self.add_pair(pair)

    def add_pair(self, pair) -> None:
        rows = TokenRows(pair, self.start + self.count)
        for accumulator in self.accumulators.values():
            accumulator.add(rows)
        self.count += len(rows)

    def merge(self, other: TokenTotals) -> TokenTotals:
        for name, accumulator in self.accumulators.items():
            accumulator.merge(other.accumulators[name])
        self.count += other.count
        return self

    def finish(self) -> TokenStats:
        results = {name: acc.finish() for name, acc in self.accumulators.items()}
        return TokenStats(self.count, results, self.settings)


def in_base(stats: TokenStats, base: float) -> TokenStats:
    """The statistics with KL (mean, standard error, percentiles, the lowest rounding) and
    the log ratio of the perplexities (and both mean NLLs) in log base ``base``: each
    divided by ln(base). Δp and the same top token are fractions, the perplexities free of
    any unit: they stay as they are."""
    if base == math.e:
        return stats
    scale = 1.0 / math.log(base)
    results = dict(stats.results)
    kl = results.get("kl")
    if kl is not None:
        q = kl.percentiles
        values = {f: v * scale for f, v in q.values.items()}
        results["kl"] = kl._replace(
            mean=kl.mean * scale,
            standard_error=kl.standard_error * scale,
            percentiles=q._replace(values=values),
            lowest=kl.lowest * scale,
        )
    p = results.get("perplexity")
    if p is not None:
        results["perplexity"] = p._replace(
            nll_base=p.nll_base * scale,
            nll_base_error=p.nll_base_error * scale,
            nll_other=p.nll_other * scale,
            nll_other_error=p.nll_other_error * scale,
            log_ratio=p.log_ratio * scale,
            log_ratio_error=p.log_ratio_error * scale,
        )
    return stats._replace(results=results, base=base)


def token_notes(stats: TokenStats) -> list[str]:
    """What the token statistics' summary must say: how the percentiles were found, and
    the KL rounding floor."""
    notes = []
    for name in ("kl", "delta_p"):
        result = stats.results.get(name)
        if result is None:
            continue
        q = result.percentiles
        if not q.exact:
            notes.append(
                f"the percentiles of {'KL' if name == 'kl' else 'Δp'} come from a quantile "
                f"sketch (more than {stats.settings.exact_limit:,} tokens): each is within "
                f"{q.rank_error:,} ranks of the exact one ({q.rank_error / q.n:.3%} of "
                f"{q.n:,} tokens); min and max are exact"
            )
    kl = stats.results.get("kl")
    if kl is not None and kl.floored:
        notes.append(
            f"KL of {kl.floored:,} tokens came out below 0 (down to {kl.lowest:.3g} "
            f"{unit_name(stats.base)}) by float "
            "rounding: below the floor of 0 (a divergence is never negative), reported as 0"
        )
    return notes
