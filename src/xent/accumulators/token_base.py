"""What the accumulators of two models' tokens share (``xent compare`` of language models).

Each is given :class:`TokenRows`: a block of aligned tokens' per-token figures
(:class:`xent.divergences.TokenPair`: KL(base‖other), whether the top tokens agree, each
model's log-probability of the target) and the 0-based position of the block's first token
among all the tokens compared. Sums go through :class:`~.exact.ExactSum` and counts are
integers, so any split of the tokens, merged in order, gives what one pass gives; the
percentiles are kept by :class:`~.quantiles.Quantiles`, exact in the same way.
"""

from __future__ import annotations

from typing import Any, ClassVar, NamedTuple

import numpy as np

from .quantiles import EXACT_LIMIT, SKETCH_K


class TokenSettings(NamedTuple):
    """How percentiles are kept: exactly up to ``exact_limit`` tokens, else in a sketch
    whose leaves hold ``sketch_k`` values (:mod:`.quantiles`)."""

    exact_limit: int = EXACT_LIMIT
    sketch_k: int = SKETCH_K


class TokenRows:
    """A block of tokens' figures (``pair``: a TokenPair) and where the block begins."""

    __slots__ = ("pair", "first")

    def __init__(self, pair, first: int) -> None:
        self.pair, self.first = pair, first

    def __len__(self) -> int:
        return int(np.asarray(self.pair.log_p_base).size)


class TokenAccumulator:
    """One statistic of two models' tokens: ``needs`` the TokenPair fields it reads."""

    name: ClassVar[str]
    needs: ClassVar[tuple[str, ...]] = ()

    def __init__(self, settings: TokenSettings | None = None) -> None:
        self.settings = settings or TokenSettings()

    def add(self, rows: TokenRows) -> None:
        raise NotImplementedError

    def merge(self, other: Any) -> Any:
        """Add another's state, over the tokens just after these."""
        raise NotImplementedError

    def finish(self) -> Any:
        raise NotImplementedError
