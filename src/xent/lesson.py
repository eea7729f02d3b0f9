"""What ``xent explain`` teaches: one label scored against one or more predictions.

Every number comes from the engine (through :func:`~xent.report.cross_entropy_report`);
the renderers in :mod:`xent.render.explain` only write them out. The loss is also taken in
nats and bits, straight from the engine, so the base lesson shows real values, not ones
the renderer rescaled.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from . import engine
from .report import Report


@dataclass
class Lesson:
    """``report`` has one row per prediction, all against the same label, in ``base``."""

    report: Report
    nats: np.ndarray  # H(P,Q) of each prediction, base e
    bits: np.ndarray  # H(P,Q) of each prediction, base 2

    @property
    def n_predictions(self) -> int:
        return self.report.n_samples

    @property
    def label(self) -> str:
        return self.report.labels[0]

    @property
    def one_hot(self) -> bool:
        p = self.report.rows.p[0]
        return bool(((p == 0) | (p == 1)).all())

    @property
    def tops(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each prediction's confidence (its top probability), its top class, and whether
        that is the label's class (a soft label's arg-max): what calibration counts over
        many samples. Several predictions of one label are alternatives, not a batch of
        samples, so no calibration error is computed over them."""
        q = self.report.rows.q
        top = np.argmax(q, axis=1)
        return q.max(axis=1), top, top == int(np.argmax(self.report.rows.p[0]))

    @property
    def falls(self) -> np.ndarray:
        """How much the loss fell from the first prediction (negative: it rose)."""
        ce = self.report.rows.cross_entropy
        with np.errstate(invalid="ignore"):  # ∞ − ∞: no fall can be said (NaN)
            falls = ce[0] - ce
        falls[0] = 0.0  # the first from itself, even when its loss is infinite
        return falls

    @property
    def relative_falls(self) -> np.ndarray:
        """The falls as a fraction of the first loss (NaN when the first loss is 0 or inf)."""
        first = float(self.report.rows.cross_entropy[0])
        if first == 0 or not math.isfinite(first):
            return np.full(self.n_predictions, np.nan)
        with np.errstate(invalid="ignore"):
            return self.falls / first


def build_lesson(chunk, options, label_text: str, notes: list[str]) -> Lesson:
    """Score each prediction of ``chunk`` (one row each, all against one label) through
    the pipeline, in the asked base and again in nats and bits."""
    from dataclasses import replace

    from .pipeline import vector_report

    def scored(base: float, *, first: bool = False) -> Report:
        # The first scoring warns about a zero probability; once is enough.
        with warnings.catch_warnings():
            if not first:
                warnings.simplefilter("ignore", engine.ZeroProbabilityWarning)
            return vector_report(
                chunk,
                replace(options, base=base),
                reduction="none",
                notes=notes,
                labels=[label_text],
            )

    report = scored(options.base, first=True)
    return Lesson(report, scored(math.e).rows.cross_entropy, scored(2.0).rows.cross_entropy)
