"""One accumulator per metric family (see :mod:`.base` for what each is).

A :class:`~xent.totals.Totals` holds those a run asks for, by name. To add a metric:
write a module with an :class:`~.base.Accumulator` (state, ``needs``, ``add``,
``merge``, ``finish``), and register its class in :data:`REGISTRY` (and in a
:data:`FAMILIES` entry if an option turns it on with others).

==============  =============================================================
``moments``     rows, Σ s·l, the divisor, spread, min, max (:mod:`.moments`)
``per_class``   each class's rows, loss, divisor, weight (:mod:`.per_class`)
``accuracy``    Σ s·correct, overall and per class (:mod:`.per_class`)
``top_k``       top-k hits, overall and per class (:mod:`.top_k`)
``brier``       the Brier score, overall and per class (:mod:`.brier`)
``calibration`` the calibration histograms (:mod:`.calibration`)
``columns``     a contribution table's column sums, H(P), KL (:mod:`.columns`)
``worst``       the K rows of highest loss (:mod:`.worst`)
``standard_errors`` the spreads of the loss, accuracies and Brier score, for ``--ci``'s
                intervals (:mod:`.standard_errors`; Student's t: :mod:`.student`)
``bootstrap``   per-replicate exact sums, for ``--bootstrap``'s intervals (:mod:`.bootstrap`;
                its weights :mod:`.poisson`, its sums :mod:`.replicate_sums`)
``groups``      totals per group, sums per sequence (:mod:`.groups`)
==============  =============================================================

Made by the map step from what a chunk carries (like ``groups``): ``normalised``
(perplexity per token, byte, word and document: :mod:`.normalised`) when it has counts or
is a logprobs file's tokens, and ``top_k_entropy`` (:mod:`.top_k_entropy`) when it lists
each position's top log-probs.

Besides: :class:`~.rows.RowTotals` (``entropy``, ``kl``, ``js`` files) and
:class:`~.paired.Paired` (``compare``), and the exact sums (:mod:`.exact`); and those of
two models' tokens (``compare`` of language models, :data:`TOKENS`, kept together by
:class:`~.token_totals.TokenTotals`): ``kl`` (:mod:`.token_kl`), ``top1``
(:mod:`.top_agreement`), ``delta_p`` (:mod:`.delta_p`), ``perplexity``
(:mod:`.perplexity_pair`).
"""

from __future__ import annotations

from .base import Accumulator, Rows, Settings
from .brier import Brier
from .calibration import Calibration
from .columns import Columns
from .moments import LossMoments
from .per_class import Accuracy, PerClass
from .top_k import TopK
from .worst import WorstRows

# The accumulators made from (classes, Settings); ``bootstrap``, ``standard_errors`` and
# ``groups`` are made by xent.parts.new_totals with their own parameters, when asked for
# (and only then imported: a metric nobody asked for costs nothing, its import neither).
REGISTRY: dict[str, type[Accumulator]] = {
    cls.name: cls
    for cls in (LossMoments, PerClass, Accuracy, TopK, Brier, Calibration, Columns, WorstRows)
}


def __getattr__(name: str):
    """``TOKENS``: two models' token statistics (xent compare of language models), by
    name; imported at its first use (9 ms that no other command pays)."""
    if name != "TOKENS":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from .delta_p import DeltaP
    from .perplexity_pair import PerplexityPair
    from .token_kl import TokenKL
    from .top_agreement import SameTop

    tokens = {cls.name: cls for cls in (TokenKL, SameTop, DeltaP, PerplexityPair)}
    globals()["TOKENS"] = tokens
    return tokens


# What every run keeps, and what an option turns on together.
ALWAYS = ("moments", "per_class", "accuracy")
FAMILIES = {
    "metrics": ("top_k", "brier", "calibration"),  # top-k, Brier and the calibration errors
    "detail": ("columns",),  # a contribution table
    "worst": ("worst",),  # --worst K
}

__all__ = ["ALWAYS", "FAMILIES", "REGISTRY", "TOKENS", "Accumulator", "Rows", "Settings"]
