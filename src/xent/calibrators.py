"""A fitted calibration: temperature scaling or vector scaling, its parameters and its file.

Both change the scores z of a row before the softmax (Guo et al. 2017):

    temperature   z'_c = z_c / T
    vector        z'_c = w_c·z_c + b_c   (a scale and a bias per class)

z are the logits as given (``logits=True``), or log Q for probabilities (after
``renormalize`` and ``clip``; log-probability arrays as they are). For temperature scaling
the two are one family (log-softmax differs from the logits by a per-row constant), so T
fits either; vector scaling multiplies each class by its own scale, so a calibration fitted
on logits is applied to logits, one fitted on probabilities to probabilities. A class of
probability 0 (z = −inf) stays 0.

:class:`Calibration` is what ``calibrate`` writes (:func:`to_dict`, JSON) and what
``ScoreOptions(calibration=...)`` applies (:mod:`xent.calibrated` does, for the scorer).
It sits low, beside the options that hold it: only the standard library, NumPy, and
:mod:`xent.rules` (its checks).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import DataError, UsageError
from .rules import check_calibration

FORMAT = "xent calibration"
LOGITS, PROBABILITIES = "logits", "probabilities"


@dataclass(frozen=True)
class Calibration:
    """A calibration: ``method`` ``temperature`` (``temperature`` T) or ``vector``
    (``scales`` w and ``biases`` b, one per class, the biases summing to 0). ``classes``:
    the classes it was fitted on (empty: a temperature given by hand, for any classes);
    ``holds``: what z was, ``logits`` or ``probabilities`` (empty: either); ``fitted_on``
    and ``rows``: the file and its rows; ``origin``: where it was read from (messages)."""

    method: str = "temperature"
    temperature: float = 1.0
    scales: tuple[float, ...] = ()
    biases: tuple[float, ...] = ()
    classes: tuple[str, ...] = ()
    holds: str = ""
    fitted_on: str = ""
    rows: int = 0
    origin: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        check_calibration(self)

    def scaled(self, z: np.ndarray) -> np.ndarray:
        """z' of scores z (−inf stays −inf)."""
        if self.method == "temperature":
            return z / self.temperature
        w = np.asarray(self.scales)
        b = np.asarray(self.biases)
        with np.errstate(invalid="ignore"):
            return np.where(np.isfinite(z), w * z + b, -np.inf)

    def describe(self) -> str:
        where = f" ({self.origin})" if self.origin else ""
        return f"the calibration{where}"


def of(options) -> Calibration | None:
    """The calibration a :class:`~xent.options.ScoreOptions` applies: its ``calibration``,
    or its ``temperature`` given by hand, or None."""
    if options.calibration is not None:
        return options.calibration
    if options.temperature is not None:
        return Calibration("temperature", temperature=options.temperature)
    return None


def note(options) -> str:
    """What a reader of calibrated numbers must know: which calibration scored them."""
    if options.temperature is not None:
        return f"calibrated: Q = softmax(z / T), T = {options.temperature!r} given by hand"
    c = options.calibration
    origin = f" {c.origin}" if c.origin else ""
    fitted = f", fitted on {c.fitted_on} ({c.rows:,} rows)" if c.fitted_on else ""
    if c.method == "temperature":
        return f"calibrated by{origin}: Q = softmax(z / T), T = {c.temperature!r}{fitted}"
    return f"calibrated by{origin}: vector scaling, Q = softmax(w·z + b){fitted}"


def check_fits(calibration: Calibration, classes, holds: str) -> None:
    """A calibration fitted on other classes, or (vector scaling) on logits for
    probabilities or the other way round, is refused, naming both."""
    classes = tuple(map(str, classes))
    if calibration.classes and calibration.classes != classes:
        raise UsageError(
            f"{calibration.describe()} was fitted on the classes "
            f"{', '.join(calibration.classes)}; these predictions have {', '.join(classes)}",
            parameter="calibration",
        )
    if calibration.method == "vector" and calibration.holds and calibration.holds != holds:
        raise UsageError(
            f"{calibration.describe()} scales {calibration.holds}; these predictions are "
            f"{holds} (vector scaling is not the same on both: fit it on {holds})",
            parameter="calibration",
        )


# --------------------------------------------------------------------------- the JSON file


def to_dict(calibration: Calibration, version: str) -> dict:
    """The JSON document of a calibration (``calibrate --save-calibration``)."""
    if calibration.method == "temperature":
        parameters: dict = {"temperature": calibration.temperature}
    else:
        parameters = {"scales": list(calibration.scales), "biases": list(calibration.biases)}
    return {
        "xent_version": version,
        "format": FORMAT,
        "method": calibration.method,
        "parameters": parameters,
        "classes": list(calibration.classes),
        "holds": calibration.holds,
        "fitted_on": calibration.fitted_on,
        "rows": calibration.rows,
    }


def from_dict(data, origin: str = "") -> Calibration:
    """The :class:`Calibration` of a JSON document written by :func:`to_dict`."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise DataError(f"not an {FORMAT} (written by xent calibrate)", source=origin or None)
    try:
        parameters = data["parameters"]
        return Calibration(
            method=str(data["method"]),
            temperature=float(parameters.get("temperature", 1.0)),
            scales=tuple(float(w) for w in parameters.get("scales", ())),
            biases=tuple(float(b) for b in parameters.get("biases", ())),
            classes=tuple(str(c) for c in data.get("classes", ())),
            holds=str(data.get("holds", "")),
            fitted_on=str(data.get("fitted_on", "")),
            rows=int(data.get("rows", 0)),
            origin=origin,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise DataError(f"not a calibration: {error}", source=origin or None) from None
    except UsageError as error:
        raise DataError(error.message, source=origin or None) from None


def load(path: str) -> Calibration:
    """The calibration saved at ``path``."""
    import json

    try:
        with open(path, encoding="utf-8") as stream:
            data = json.load(stream)
    except OSError as error:
        raise UsageError(f"{path}: {error.strerror or error}", parameter="calibration") from None
    except ValueError as error:
        raise DataError(f"not JSON ({error})", source=path) from None
    return from_dict(data, origin=path)
