"""The entropy of a language model's next-token distribution when only its top k
log-probs are known (an API's ``top_logprobs``): the probability mass outside the listed
tokens, and, given the vocabulary size V, bounds on the true entropy. A sum over the
listed tokens alone is not the entropy, and is never reported as one.

At one position the listed tokens (the top k, and the token that came if it is not among
them: K tokens in all) have known probabilities p_i; the other u = V − K tokens share the
missing mass m = 1 − Σ p_i, each at most c, the smallest listed probability of a token
other than the one that came (every unlisted token is below the k-th; the token that came
may be listed though it is not among the top). With φ(x) = −x ln x,

    H = H_K + Σ_j φ(q_j),   H_K = Σ_i φ(p_i),   Σ_j q_j = m,   0 ≤ q_j ≤ c.

**Upper bound.** φ is concave, so by Jensen Σ_j φ(q_j) ≤ u φ(m/u) = m ln(u/m), reached by
the uniform q_j = m/u, which is allowed since m ≤ u c (else the listed tokens cannot be the
top ones for this V: an error). So H ≤ H_K + m ln(u / m).

**Lower bound.** Σ_j φ(q_j) is concave on the polytope {0 ≤ q ≤ c, Σ q = m}, so its
minimum is at a vertex. A vertex of that polytope (u coordinates, one equation) has at
least u − 1 coordinates at a bound, 0 or c: n of them at c, one at r ∈ [0, c), the rest
at 0, with n c + r = m, so n = ⌊m / c⌋ and r = m − n c. Every vertex is a permutation of
this one, with the same value: the mass put on as few tokens as allowed. So
H ≥ H_K + n φ(c) + φ(r). Both bounds are reached (they are the entropies of the two
distributions named), and they meet when m = 0.

With no token listed besides the one that came, c = 1 (nothing bounds the others but the
mass). Per token the mass and the two bounds are summed (exactly, :class:`~.exact.ExactSum`)
and the mean over tokens reported, in the run's base; without V, the mass alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import DataError
from .base import Accumulator, Rows
from .exact import ExactSum
from .normalised import aligned

# How far the listed probabilities may sum above 1, and the mass spread beyond u·c (rounding).
ROUNDING = 1e-5


def xlogx(x: np.ndarray) -> np.ndarray:
    """−x ln x, 0 at 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > 0, -x * np.log(np.where(x > 0, x, 1.0)), 0.0)


def entropy_bounds(
    logprob: np.ndarray, others: np.ndarray, vocab: int | None
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """Per position (nats): the mass outside the listed tokens, the lower and upper bounds
    on the entropy (None without ``vocab``), and whether the listed tokens are too few for
    ``vocab`` (the mass cannot be spread under the cap). ``logprob``: the token that came,
    (n,); ``others``: the other listed tokens', (n, k), NaN where fewer."""
    p = np.exp(logprob)
    q = np.exp(others)  # NaN stays NaN
    listed = np.isfinite(q)
    known = p + np.where(listed, q, 0.0).sum(axis=1)
    mass = np.clip(1.0 - known, 0.0, None)
    if vocab is None:
        return mass, None, None, None
    h_known = xlogx(p) + np.where(listed, xlogx(np.where(listed, q, 0.0)), 0.0).sum(axis=1)
    cap = np.where(listed.any(axis=1), np.where(listed, q, np.inf).min(axis=1), 1.0)
    u = vocab - 1 - listed.sum(axis=1)
    too_few = mass > np.maximum(u, 0) * cap + ROUNDING
    spread = np.maximum(u, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        upper = h_known + np.where(mass > 0, mass * np.log(spread / np.where(mass > 0, mass, 1)), 0)
        full = np.floor(mass / cap)
    rest = np.clip(mass - full * cap, 0.0, None)
    lower = h_known + full * xlogx(cap) + xlogx(rest)
    return mass, lower, np.maximum(upper, lower), too_few


@dataclass(frozen=True)
class TopKEntropySummary:
    """Means over the tokens with a listed top k (in the run's base; bounds None without
    the vocabulary size)."""

    tokens: int
    mean_mass_outside: float
    max_mass_outside: float
    vocab_size: int | None
    lower: float | None
    upper: float | None


class TopKEntropy(Accumulator):
    """Sums of the mass outside the listed tokens and of the entropy bounds (see the
    module docstring), from chunks that list other tokens (``chunk.top_logprobs``)."""

    name = "top_k_entropy"
    missing = "adopt"

    def __init__(
        self, vocab_size: int | None = None, base: float = math.e, source: str = ""
    ) -> None:
        self.vocab_size, self.base, self.source = vocab_size, base, source
        self.tokens = 0
        self.mass = ExactSum()
        self.max_mass = 0.0
        self.lower = ExactSum()
        self.upper = ExactSum()

    def empty(self, classes=(), settings=None) -> TopKEntropy:
        return TopKEntropy(self.vocab_size, self.base, self.source)

    def takes(self, rows: Rows) -> bool:
        return rows.chunk is not None and rows.chunk.top_logprobs is not None

    def add(self, rows: Rows) -> None:
        chunk, scored = rows.chunk, rows.scored
        logprob = aligned(chunk.values[:, 0], chunk, scored)
        others = aligned(chunk.top_logprobs, chunk, scored)
        mass, lower, upper, too_few = entropy_bounds(logprob, others, self.vocab_size)
        if too_few is not None and too_few.any():
            i = int(np.flatnonzero(too_few)[0])
            raise DataError(
                f"the mass outside the listed tokens, {mass[i]:.6g}, does not fit in the "
                f"{self.vocab_size:,}-token vocabulary under the smallest listed probability: "
                "the vocabulary size is too small, or the listed tokens are not the top ones",
                source=self.source or None,
                line=int(scored.lines[i]),
            )
        self.tokens += mass.size
        self.mass.add_array(mass)
        self.max_mass = max(self.max_mass, float(mass.max()))
        if lower is not None and upper is not None:
            self.lower.add_array(lower)
            self.upper.add_array(upper)

    def rescale(self, shift: int) -> None:
        """Unweighted sums of the tokens: nothing to scale (.scaling)."""

    def merge(self, other: TopKEntropy, rows_before: int = 0) -> TopKEntropy:
        self.tokens += other.tokens
        self.mass.merge(other.mass)
        self.max_mass = max(self.max_mass, other.max_mass)
        self.lower.merge(other.lower)
        self.upper.merge(other.upper)
        return self

    def finish(self) -> TopKEntropySummary | None:
        n = self.tokens
        if not n:
            return None
        nats = math.log(self.base)
        bounded = self.vocab_size is not None
        return TopKEntropySummary(
            tokens=n,
            mean_mass_outside=self.mass.value / n,
            max_mass_outside=self.max_mass,
            vocab_size=self.vocab_size,
            lower=self.lower.value / n / nats if bounded else None,
            upper=self.upper.value / n / nats if bounded else None,
        )
