"""Temperature scaling of a prediction file, streamed: the T that minimises the NLL.

Temperature scaling (Guo et al. 2017) divides the logits by T: Q_T = softmax(z/T). For a
file of probabilities z = log Q, since softmax(log Q / T) is the same family (log-softmax
differs from the logits by a per-row constant, which softmax ignores). With β = 1/T, the
summed NLL is

    f(β) = Σ_n s_n [LSE(β·z_n) − β·t_n],   t_n = z_n[y_n] (or Σ_c p_nc·z_nc, soft labels)

convex in β (a log-sum-exp of linear functions minus a linear one), with
f'(β) = Σ s (E_β[z] − t) and f''(β) = Σ s Var_β[z] ≥ 0 (mean and variance of z under
softmax(β z)). Each is a sum over rows, so the values at a whole grid of β add up over
chunks and merge like the other totals (:class:`TemperatureSums`).

**The two passes.** Pass 1 scores the file as ``xent compute`` does (the numbers before)
and sums f, f', f'' at 33 temperatures log-spaced over [0.01, 100]; f' is increasing, so
its sign change brackets the optimum between two neighbours (a ratio of 1.33 in T). Pass
2 sums them at 17 points evenly spaced across that bracket, and the optimum is the root
of the cubic Hermite interpolant of f' (from f' and f'' at the two points that bracket it,
1/16 of the bracket apart): an error of order h⁴, far below 1e-6 relative. The loss at
T is the cubic Hermite interpolant of f there. Memory is flat: 3 × 33 numbers.

A third read (:func:`recalibrate`) scores the recalibrated probabilities (the loss and ECE
after) and writes them out: binning them needs T, which is known only after pass 2.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from . import calibrated, calibrators
from .accumulators.scaling import meet
from .calibrated import VectorSums, centred
from .calibrators import Calibration
from .errors import DataError, UsageError, param
from .kernels import scaled_weights
from .options import ScoreOptions
from .scorer import bad_rows, drop_ignored, rows_of, score_chunk, two_classes
from .totals import Totals

# Pass 1: temperatures 10^-2 ... 10^2, 8 a decade (T = 1 is one of them).
COARSE_TEMPERATURES = 10.0 ** np.linspace(-2.0, 2.0, 33)
FINE_POINTS = 17


class TemperatureSums:
    """f, f' and f'' (see the module docstring) at each β of a grid, summed over rows:
    arrays made in ``__init__``, filled by ``add``, summed by ``merge``."""

    def __init__(self, betas) -> None:
        self.betas = np.asarray(betas, dtype=np.float64)
        g = self.betas.size
        self.value = np.zeros(g)
        self.slope = np.zeros(g)
        self.curvature = np.zeros(g)
        self.weight = 0.0
        self.exponent: int | None = None  # sums in units of 2^exponent (accumulators.scaling)

    def add(self, z: np.ndarray, t: np.ndarray, s: np.ndarray | None = None) -> None:
        """Rows of z (log-probabilities or logits, −inf allowed off the target) and their
        target term t = z[y] (or Σ p·z)."""
        if not z.shape[0]:
            return
        if s is None:
            w = np.ones(z.shape[0])
        else:
            scaled, exponent = scaled_weights(np.asarray(s, dtype=np.float64))
            assert scaled is not None
            w = self._align(scaled, exponent)
        keep = w > 0
        z, t, w = z[keep], t[keep], w[keep]
        finite = np.isfinite(z)
        zf = np.where(finite, z, 0.0)
        top = np.max(z, axis=1)
        gap = top - t  # ≥ 0; the NLL at β is β·gap + log Σ exp(β(z − top))
        with np.errstate(under="ignore"):
            for i, beta in enumerate(self.betas):
                e = np.where(finite, np.exp(beta * (zf - top[:, None])), 0.0)
                total = e.sum(axis=1)
                mean = (e * zf).sum(axis=1) / total
                spread = (e * (zf - mean[:, None]) ** 2).sum(axis=1) / total
                self.value[i] += math.fsum((w * (beta * gap + np.log(total))).tolist())
                self.slope[i] += math.fsum((w * (mean - t)).tolist())
                self.curvature[i] += math.fsum((w * spread).tolist())
        self.weight += math.fsum(w.tolist())

    def _align(self, w: np.ndarray, exponent: int) -> np.ndarray:
        """Weights s·2^-exponent in these sums' units (the larger exponent's)."""
        if self.exponent is None:
            self.exponent = exponent
        elif exponent > self.exponent:
            self.rescale(self.exponent - exponent)
        return np.ldexp(w, exponent - self.exponent)

    def rescale(self, shift: int) -> None:
        self.value, self.slope, self.curvature = (
            np.ldexp(x, shift) for x in (self.value, self.slope, self.curvature)
        )
        self.weight = math.ldexp(self.weight, shift)
        self.exponent = (self.exponent or 0) - shift

    def merge(self, other: TemperatureSums) -> TemperatureSums:
        if not np.array_equal(self.betas, other.betas):
            raise ValueError("the grids differ")
        meet(self, other)
        self.value += other.value
        self.slope += other.slope
        self.curvature += other.curvature
        self.weight += other.weight
        return self


def _hermite(x0, x1, y0, y1, d0, d1, x):
    """The cubic Hermite interpolant of (y, y') at x0 and x1, at x."""
    h = x1 - x0
    u = (x - x0) / h
    h00 = 2 * u**3 - 3 * u**2 + 1
    h10 = u**3 - 2 * u**2 + u
    h01 = -2 * u**3 + 3 * u**2
    h11 = u**3 - u**2
    return h00 * y0 + h10 * h * d0 + h01 * y1 + h11 * h * d1


def _root(sums: TemperatureSums, i: int) -> tuple[float, float]:
    """The root β of f' between betas[i] and betas[i+1] (f'(i) < 0 ≤ f'(i+1)) and f there:
    bisection on the cubic Hermite interpolant of f' (a cubic, cheap to evaluate)."""
    b, g, h, f = sums.betas, sums.slope, sums.curvature, sums.value
    lo, hi = b[i], b[i + 1]

    def slope(x):
        return _hermite(b[i], b[i + 1], g[i], g[i + 1], h[i], h[i + 1], x)

    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if slope(mid) < 0:
            lo = mid
        else:
            hi = mid
    root = 0.5 * (lo + hi)
    return root, float(_hermite(b[i], b[i + 1], f[i], f[i + 1], g[i], g[i + 1], root))


def _bracket(sums: TemperatureSums) -> tuple[int | None, str]:
    """The index i with f'(β_i) ≤ 0 < f'(β_{i+1}) (betas ascending), or None and why."""
    g = sums.slope
    if not np.any(g):
        return None, "flat"  # every row's values are equal
    rising = np.flatnonzero(g > 0)  # f' is 0 only in the limit (or by underflow)
    if not rising.size:
        return None, "low"  # still falling at the largest β: T below the grid
    if rising[0] == 0:
        return None, "high"  # already rising at the smallest β: T above the grid
    return int(rising[0] - 1), ""


@dataclass
class TemperatureFit:
    """What ``xent calibrate`` reports: the fitted :class:`~xent.calibrators.Calibration`
    and the file's numbers before and after it, both on the rows it was fitted on
    (in-sample). Losses in the run's base (mean per row)."""

    temperature: float
    rows: int
    loss_before: float  # the mean NLL at T = 1
    loss_after: float  # at the fitted T (from pass 2's interpolant; pass 3 checks it)
    ece_before: float
    ece_after: float = math.nan
    mce_before: float = math.nan
    mce_after: float = math.nan
    accuracy: float = math.nan
    bins: int = 15
    base: float = math.e
    passes: int = 2
    notes: list[str] = field(default_factory=list)
    calibration: Calibration | None = None
    in_sample: bool = True  # the numbers after are of the rows the calibration was fitted on

    @property
    def method(self) -> str:
        return "temperature" if self.calibration is None else self.calibration.method

    @property
    def calibration_loss(self) -> float:
        """The part of the loss temperature scaling removes: loss − loss at the best T."""
        return self.loss_before - self.loss_after

    @property
    def refinement_loss(self) -> float:
        """The rest: the loss at the best temperature."""
        return self.loss_after


def _prepared(chunk, options: ScoreOptions, method: str = "temperature"):
    """The rows the scorer keeps, as (z, p, kept chunk, logits): the scores a calibration
    scales (:func:`xent.calibrators.scores`: log Q, or the logits for vector scaling) and
    the targets p (one-hot, or the soft labels)."""
    chunk, _ = drop_ignored(chunk, options)
    if options.skip_bad_rows and len(chunk):
        bad = bad_rows(chunk, options)
        if bad.any():
            chunk = rows_of(chunk, ~bad)
    logits = options.logits or chunk.logits
    values = chunk.values
    targets = chunk.targets
    if chunk.task == "binary":
        values = two_classes(values, logits)
        if targets is not None and targets.shape[1] == 1:
            targets = np.column_stack([1.0 - targets[:, 0], targets[:, 0]])
    z = calibrated.scores(values, logits, chunk.log_probs and not logits, options, method)
    n = z.shape[0]
    if targets is None:
        targets = np.zeros(z.shape)
        targets[np.arange(n), chunk.labels] = 1.0
    if n and ((targets > 0) & ~np.isfinite(z)).any():
        raise DataError(
            "a row gives probability 0 to its label: the NLL is infinite at every "
            f"temperature ({param('clip', 2.220446049250313e-16, cli='eps')} clips the "
            "predictions)"
        )
    return z, targets, chunk, logits


def _log_predictions(chunk, options: ScoreOptions) -> tuple[np.ndarray, np.ndarray, Any]:
    """(z, t, kept chunk): log Q (logits become their log-softmax) and the target term
    t = z[y] (or Σ p·z)."""
    z, p, chunk, _ = _prepared(chunk, options)
    t = np.where(p > 0, p * np.where(np.isfinite(z), z, 0.0), 0.0).sum(axis=1)
    return z, t, chunk


# Where the search ends at an edge of the grid: T there, and the note that says why.
EDGES = {
    "flat": (1.0, "every row's values are equal: no temperature changes the loss"),
    "low": (
        COARSE_TEMPERATURES[0],
        "the loss still falls at T = 0.01 (the predictions rank every row right): T is "
        "that edge of the search",
    ),
    "high": (
        COARSE_TEMPERATURES[-1],
        "the loss still falls at T = 100 (the predictions carry no information): T is "
        "that edge of the search",
    ),
}


def _first_pass(
    chunks: Iterable, options: ScoreOptions, source: str, add: Callable[[Any], None]
) -> tuple[Totals, tuple[str, ...], str]:
    """Pass 1: the file scored as ``xent compute`` scores it (the numbers before), each
    chunk handed to ``add`` (the sums of the first step of the fit); the classes and what
    the values are (logits or probabilities)."""
    totals: Totals | None = None
    holds = calibrators.PROBABILITIES
    for chunk in chunks:
        if chunk.task == "tokens":
            raise UsageError(
                "a logprobs file holds the log-prob of each token that came, not a "
                "distribution over the vocabulary: a calibration needs the whole row "
                "(logits or probabilities of every class)",
                source=source,
            )
        if chunk.task in ("multilabel", "entropy") or (
            chunk.labels is None and chunk.targets is None
        ):
            raise UsageError("calibration needs labelled rows of one class each")
        scored = score_chunk(chunk, options, source=source, metrics=True)
        if totals is None:
            totals = Totals(chunk.classes, top_k=options.top_k, bins=options.bins)
            if options.logits or chunk.logits:
                holds = calibrators.LOGITS
        totals.add(scored)
        add(chunk)
    if totals is None or not totals.rows:
        raise DataError("no rows: nothing to calibrate", source=source)
    return totals, tuple(map(str, totals.classes)), holds


def _located(function, chunk, options: ScoreOptions, source: str, *args):
    """``function(chunk, options, *args)``, its data errors naming the file."""
    try:
        return function(chunk, options, *args)
    except DataError as error:
        if error.source is None:
            error.source = source
        raise


def fit_temperature(
    chunks: Callable[[], Iterable], options: ScoreOptions, *, source: str
) -> tuple[TemperatureFit, Totals]:
    """Fit T in two reads of ``chunks()`` (a function giving a fresh iterator each time)."""
    if options.multi_label:
        raise UsageError("temperature scaling of multi-label rows is not supported")
    coarse = TemperatureSums(np.sort(1.0 / COARSE_TEMPERATURES))

    def add(chunk, sums=coarse) -> None:
        z, t, kept = _located(_log_predictions, chunk, options, source)
        sums.add(z, t, kept.sample_weights)

    totals, classes, holds = _first_pass(chunks(), options, source, add)
    notes: list[str] = []
    i, why = _bracket(coarse)
    if i is None:
        temperature, note = EDGES[why]
        value = float(np.interp(1.0 / temperature, coarse.betas, coarse.value))
        notes.append(note)
        passes = 1
    else:
        fine = TemperatureSums(np.linspace(coarse.betas[i], coarse.betas[i + 1], FINE_POINTS))
        for chunk in chunks():
            add(chunk, fine)
        j, _ = _bracket(fine)
        beta, value = _root(fine, 0 if j is None else j)
        temperature = 1.0 / beta
        passes = 2
    calibration = Calibration(
        "temperature", float(temperature), (), (), classes, holds, source, totals.rows
    )
    fit = _fit(totals, options, source, calibration, value / coarse.weight, passes, notes)
    return fit, totals


def _fit(totals: Totals, options, source: str, calibration, loss_after, passes, notes):
    """The :class:`TemperatureFit` of a calibration: the numbers before from pass 1's
    totals, the loss after (nats) from the fit."""
    ece, mce, _ = totals.calibration_errors()
    vector = calibration.method == "vector"
    return TemperatureFit(
        temperature=math.nan if vector else calibration.temperature,
        rows=totals.rows,
        loss_before=totals.mean(source),
        loss_after=loss_after / math.log(options.base),
        ece_before=ece,
        mce_before=mce,
        accuracy=totals.correct.value
        / (totals.sample_total.value if totals.sample_weighted else totals.rows),
        bins=options.bins,
        base=options.base,
        passes=passes,
        notes=notes,
        calibration=calibration,
    )


# Vector scaling's Newton iterations: at most this many reads, each one step (or a half
# step back when the loss rose); done when the predicted fall of the mean NLL is below
# STOP (a change of the parameters of about its square root).
MAX_STEPS = 50
STOP = 1e-22


# Vector scaling's Hessian is 2K × 2K, and each read costs about n·K² operations.
MAX_VECTOR_CLASSES = 1_000


def _check_vector_classes(k: int) -> None:
    if k > MAX_VECTOR_CLASSES:
        raise UsageError(
            f"vector scaling fits a scale and a bias for each of the {k:,} classes (a "
            f"{2 * k:,} × {2 * k:,} Hessian): at most {MAX_VECTOR_CLASSES:,} classes; "
            f"temperature scaling fits one number ({param('calibrator', 'temperature')})",
            parameter="calibrator",
        )


def fit_vector(
    chunks: Callable[[], Iterable], options: ScoreOptions, *, source: str
) -> tuple[TemperatureFit, Totals]:
    """Fit vector scaling (a scale and a bias per class) by Newton's method on the summed
    NLL, one read of ``chunks()`` a step: f is convex in (w, b), and each read sums f, its
    gradient and Hessian at the new point (:class:`~xent.calibrators.VectorSums`)."""
    if options.multi_label:
        raise UsageError("vector scaling of multi-label rows is not supported")
    found: list = [None]

    def add(chunk, sums=None) -> None:
        z, p, kept, _ = _located(_prepared, chunk, options, source, "vector")
        if sums is None:
            if found[0] is None:
                _check_vector_classes(z.shape[1])
                found[0] = VectorSums(np.ones(z.shape[1]), np.zeros(z.shape[1]))
            sums = found[0]
        sums.add(z, p, kept.sample_weights)

    totals, classes, holds = _first_pass(chunks(), options, source, add)
    sums: VectorSums = found[0]
    k, passes, notes = len(classes), 1, []
    for _ in range(MAX_STEPS):
        step, decrement = sums.newton_step()
        if not decrement > STOP * sums.weight:  # NaN: stop too
            break
        size = 1.0
        while True:
            trial = VectorSums(
                sums.scales + size * step[:k], centred(sums.biases + size * step[k:])
            )
            for chunk in chunks():
                add(chunk, trial)
            passes += 1
            if trial.value <= sums.value + 1e-12 * abs(sums.value) or size < 1e-6:
                break
            size /= 2
        sums = trial
    else:
        notes.append(
            f"the loss still fell after {MAX_STEPS} steps (the predictions may rank every row "
            "right, so that the scales grow without end): the last step's scales are kept"
        )
    if sums.value < 1e-6 * sums.weight:
        notes.append(
            "the scales and biases separate the rows (the loss after is near 0): too few rows "
            "for two parameters a class; the in-sample numbers say nothing of other rows"
        )
    calibration = Calibration(
        "vector",
        scales=tuple(map(float, sums.scales)),
        biases=tuple(map(float, sums.biases)),
        classes=classes,
        holds=holds,
        fitted_on=source,
        rows=totals.rows,
    )
    return _fit(
        totals, options, source, calibration, sums.value / sums.weight, passes, notes
    ), totals


def scaled_chunk(chunk, options: ScoreOptions, calibration: Calibration):
    """The chunk's kept rows with the calibrated Q' = softmax(z') as their probabilities."""
    z, _, kept, _ = _prepared(chunk, options, calibration.method)
    with np.errstate(under="ignore"):
        q = np.exp(calibrated.kept_log_softmax(calibration.scaled(z)))
    values = q[:, 1:2] if kept.task == "binary" else q
    return replace(kept, values=values, logits=False, skipped=[])


def recalibrate(
    chunks: Iterable,
    options: ScoreOptions,
    fit: TemperatureFit,
    *,
    source: str,
    on_chunk: Callable[[object], None] | None = None,
) -> TemperatureFit:
    """The last read: score the calibrated Q' (the loss and ECE after, in-sample), handing
    each scaled chunk to ``on_chunk`` (which writes ``--output``)."""
    after = replace(options, logits=False, renormalize=False, clip=None, skip_bad_rows=False)
    totals: Totals | None = None
    for chunk in chunks:
        scaled = _located(scaled_chunk, chunk, options, source, fit.calibration)
        if totals is None:
            totals = Totals(chunk.classes, bins=options.bins)
        totals.add(score_chunk(scaled, after, source=source, metrics=True))
        if on_chunk is not None:
            on_chunk(scaled)
    if totals is None or not totals.rows:
        return fit
    ece, mce, _ = totals.calibration_errors()
    return replace(
        fit, ece_after=ece, mce_after=mce, loss_after=totals.mean(source), passes=fit.passes + 1
    )
