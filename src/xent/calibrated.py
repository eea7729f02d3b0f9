"""Calibrations applied, and vector scaling's sums: the arithmetic of
:mod:`xent.calibrators` on a chunk's values (NumPy, :mod:`xent.engine`'s exact
log-softmax), called by the scorer (:func:`calibrated_log_probs`) and by the fit
(:mod:`xent.calibration`)."""

from __future__ import annotations

import math

import numpy as np

from . import engine
from .calibrators import LOGITS, PROBABILITIES, check_fits
from .errors import UsageError


def scores(values, logits: bool, log_probs: bool, options, method: str) -> np.ndarray:
    """The z a calibration scales, from a chunk's values (two columns for a binary file):
    the logits as given (vector scaling), else log Q, checked and clipped as the options
    say (logits become their log-softmax)."""
    if log_probs and not logits:
        if options.clip is None:
            return values
        with np.errstate(divide="ignore"):
            return np.log(np.clip(np.exp(values), options.clip, 1 - options.clip))
    _, log_q = engine.predictions(
        None if logits else values,
        logits=values if logits else None,
        clip=options.clip,
        renormalize=options.renormalize,
        tolerance=options.tolerance,
    )
    if logits and method == "vector":
        return values  # checked finite by engine.predictions
    return log_q


def kept_log_softmax(z: np.ndarray) -> np.ndarray:
    """log softmax(z) for scores that may hold −inf (a probability of 0 stays 0; every
    row has a finite value): each −inf stands in as its row's largest value − 2000 (whose
    exp is 0 in float64), then −inf again. Rows without −inf are as log_softmax's."""
    zero = ~np.isfinite(z)
    if not zero.any():
        return engine.log_softmax(z)
    top = np.max(np.where(zero, -np.inf, z), axis=1, keepdims=True)
    out = engine.log_softmax(np.where(zero, top - 2000.0, z))
    out[zero] = -np.inf
    return out


def apply(chunk, values, logits: bool, log_probs: bool, options):
    """What the scorer scores (values, logits, log_probs, options): with a calibration
    (``options.temperature`` or ``options.calibration``) the values as calibrated
    log-probabilities, and the options that score them as they are (clipping and
    renormalizing were done before); without, the arguments unchanged."""
    if options.temperature is None and options.calibration is None:
        return values, logits, log_probs, options
    from dataclasses import replace

    from .calibrators import of

    log_q = calibrated_log_probs(values, logits, log_probs, chunk.classes, options, of(options))
    plain = replace(options, clip=None, renormalize=False, temperature=None, calibration=None)
    return log_q, False, True, plain


def refused(options):
    """The options of rows a calibration cannot rescale (a logprobs file's tokens: each
    token's log-probability, not the whole distribution), refused when they ask for one."""
    if options.temperature is not None or options.calibration is not None:
        raise UsageError(
            "a logprobs file holds each token's log-probability, not the distribution over "
            "the vocabulary that a calibration rescales",
            parameter="temperature" if options.temperature is not None else "calibration",
        )
    return options


def calibrated_log_probs(values, logits: bool, log_probs: bool, classes, options, calibration):
    """log Q' = log softmax(z') of a chunk's values, after checking that ``calibration``
    was fitted on these classes and on the same kind of values."""
    check_fits(calibration, classes, LOGITS if logits else PROBABILITIES)
    z = scores(values, logits, log_probs, options, calibration.method)
    with np.errstate(under="ignore"):
        return kept_log_softmax(calibration.scaled(z))


class VectorSums:
    """f, its gradient and Hessian in θ = (w, b) of the summed NLL of softmax(w·z + b),
    at one θ, summed over rows:

        f = Σ s [LSE(z') − Σ_c p_c z'_c],  g_w = Σ s (π − p)·z,  g_b = Σ s (π − p),
        H = Σ s Jᵀ (diag π − π πᵀ) J,      J = ∂z'/∂θ = [diag z | I]

    (π = softmax(z'); p the label, one-hot or soft). f is convex in θ; the biases are
    defined up to a constant (softmax ignores it), a direction in which H is 0."""

    def __init__(self, scales, biases) -> None:
        self.scales = np.asarray(scales, dtype=np.float64)
        self.biases = np.asarray(biases, dtype=np.float64)
        k = self.scales.size
        self.value = 0.0
        self.gradient = np.zeros(2 * k)
        self.hessian = np.zeros((2 * k, 2 * k))
        self.weight = 0.0

    def add(self, z: np.ndarray, p: np.ndarray, s: np.ndarray | None = None) -> None:
        """Rows of scores z (−inf allowed off the target) and targets p."""
        if not z.shape[0]:
            return
        w = np.ones(z.shape[0]) if s is None else np.asarray(s, dtype=np.float64)
        finite = np.isfinite(z)
        zf = np.where(finite, z, 0.0)
        with np.errstate(under="ignore"):
            log_pi = kept_log_softmax(np.where(finite, self.scales * zf + self.biases, -np.inf))
        pi = np.exp(log_pi)
        picked = np.where(p > 0, p * np.where(finite, log_pi, 0.0), 0.0).sum(axis=1)
        self.value += math.fsum((-w * picked).tolist())
        r = w[:, None] * (pi - p)
        k = z.shape[1]
        self.gradient[:k] += (r * zf).sum(axis=0)
        self.gradient[k:] += r.sum(axis=0)
        wpi = w[:, None] * pi
        pz = pi * zf
        h = self.hessian
        h[:k, :k] += np.diag((wpi * zf * zf).sum(axis=0)) - (w[:, None] * pz).T @ pz
        h[:k, k:] += np.diag((wpi * zf).sum(axis=0)) - (w[:, None] * pz).T @ pi
        h[k:, k:] += np.diag(wpi.sum(axis=0)) - wpi.T @ pi
        h[k:, :k] = h[:k, k:].T
        self.weight += math.fsum(w.tolist())

    def newton_step(self) -> tuple[np.ndarray, float]:
        """The Newton step δ = −H⁺ g (the least-norm solution: no move along a direction
        the data do not determine, such as the biases' common constant) and the Newton
        decrement −gᵀδ, twice the predicted fall of f."""
        step = np.linalg.lstsq(self.hessian, -self.gradient, rcond=1e-12)[0]
        return step, float(-self.gradient @ step)


def centred(biases: np.ndarray) -> np.ndarray:
    """The biases moved to sum to 0 (softmax does not change)."""
    return biases - biases.mean()
