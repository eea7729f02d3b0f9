"""The frameworks' losses on arrays, for Python callers: the pipeline's scorer, not a copy.

:func:`cross_entropy` is PyTorch's ``nn.CrossEntropyLoss`` (``weight``, ``label_smoothing``,
``ignore_index``) with scikit-learn's ``sample_weight``; :func:`multilabel_cross_entropy`
is ``BCEWithLogitsLoss`` for rows of independent sigmoids. Both wrap arrays into one chunk
and score it with :func:`xent.scorer.score_chunk`, the code that scores files and the
command line, so the formulas (``docs/conventions.md``) exist once.
"""

from __future__ import annotations

import math

import numpy as np

from . import engine
from .checks import as_float_array
from .errors import DataError, XentError
from .options import ScoreOptions

__all__ = ["cross_entropy", "multilabel_cross_entropy"]


def _options(**values) -> ScoreOptions:
    alpha = values.get("label_smoothing", 0.0)
    if not 0.0 <= alpha <= 1.0:  # PyTorch's own range check; NaN fails it too
        raise ValueError(f"label_smoothing must be in [0, 1], got {alpha!r}")
    try:
        return ScoreOptions(**values)
    except XentError as error:  # the API's callers get Python's error for a bad argument
        raise ValueError(error.message) from None


def _nonnegative(values, length: int, what: str, counted: str) -> np.ndarray:
    w = np.asarray(values, dtype=np.float64)
    if w.ndim != 1 or w.shape[0] != length:
        raise ValueError(
            f"{what} must have one value per {counted} ({length}), got shape {w.shape}"
        )
    if not (np.isfinite(w) & (w >= 0)).all():
        i = int(np.flatnonzero(~(np.isfinite(w) & (w >= 0)))[0])
        raise ValueError(f"{what} must be finite and non-negative: value {i + 1} is {w[i]!r}")
    return w


def _score(chunk, options: ScoreOptions, reduction: str, keep=None):
    """Score one chunk; reduce as the totals do (``none``: a value per row, 0 where ignored)."""
    from .scorer import score_chunk
    from .totals import Totals

    if reduction not in engine.REDUCTIONS:
        raise ValueError(
            f"reduction must be one of {', '.join(engine.REDUCTIONS)}, got {reduction!r}"
        )
    scored = score_chunk(chunk, options, source="")
    if reduction == "none":
        losses = scored.losses
        if scored.sample_weights is not None:
            losses = np.where(scored.sample_weights > 0, scored.sample_weights * losses, 0.0)
        if keep is None:
            return losses
        full = np.zeros(keep.shape[0])
        full[keep] = losses
        return full
    totals = Totals(chunk.classes)
    totals.add(scored)
    if reduction == "sum":
        return np.float64(totals.loss.value)
    if totals.rows == 0:
        return np.float64(np.nan)
    return np.float64(totals.mean())


def _chunk(values: np.ndarray, **fields):
    from .readers.chunks import PredictionChunk

    n, k = values.shape
    return PredictionChunk(
        classes=[str(i) for i in range(k)], values=values, lines=np.arange(1, n + 1), **fields
    )


def cross_entropy(
    target,
    pred=None,
    *,
    logits=None,
    base: float = math.e,
    reduction: str = "mean",
    clip: float | None = None,
    renormalize: bool = False,
    tolerance: float | None = None,
    weights=None,
    label_smoothing: float = 0.0,
    ignore_index: int | None = None,
    sample_weight=None,
):
    """Cross-entropy with PyTorch's class ``weights``, ``label_smoothing`` and
    ``ignore_index``, and scikit-learn's ``sample_weight``.

    ``target`` holds class indices (the predictions' shape less the class axis) or
    distributions of the predictions' shape. ``reduction="none"`` gives each row's
    ``l_n`` times its sample weight, with 0 for an ignored row (as PyTorch does). When
    every row is ignored the mean does not exist: a ``DataError`` says so instead of
    returning PyTorch's NaN.

    >>> float(cross_entropy(0, [0.4, 0.3, 0.05, 0.05, 0.2]))  # the article's dog
    0.916290731874155
    >>> round(float(cross_entropy(0, [0.4, 0.3, 0.05, 0.05, 0.2], label_smoothing=0.1)), 12)
    1.019084978602
    """
    if (pred is None) == (logits is None):
        raise ValueError("give exactly one of pred and logits")
    values = as_float_array(pred if logits is None else logits, "prediction")
    shape = values.shape[:-1]
    rows = values.reshape(-1, values.shape[-1])
    n, k = rows.shape
    options = _options(
        logits=logits is not None,
        base=base,
        clip=clip,
        renormalize=renormalize,
        tolerance=tolerance,
        label_smoothing=float(label_smoothing),
        weights=None if weights is None else tuple(_nonnegative(weights, k, "weights", "class")),
    )
    fields: dict = {}
    if sample_weight is not None:
        fields["sample_weights"] = _nonnegative(sample_weight, n, "sample_weight", "row")
    chunk, keep = _target_chunk(np.asarray(target), values, rows, ignore_index, fields)
    result = _score(chunk, options, reduction, keep)
    _warn_if_infinite(result)
    return result.reshape(shape) if reduction == "none" else result


def _target_chunk(target: np.ndarray, values: np.ndarray, rows: np.ndarray, ignore_index, fields):
    """The chunk of ``rows`` with their targets: class indices (less the rows whose label
    is ``ignore_index``: ``keep`` says which are kept) or distributions (``keep`` None)."""
    shape = values.shape[:-1]
    n, k = rows.shape
    if target.dtype.kind in "iub" and target.shape == shape:
        labels = target.reshape(-1).astype(np.intp)
        keep = None
        if ignore_index is not None:
            keep = labels != ignore_index
            if not keep.any():
                raise DataError(
                    f"every row is ignored (all {n} labels are the ignore index "
                    f"{ignore_index}): there is no loss to average"
                )
            rows, labels = rows[keep], labels[keep]
            if "sample_weights" in fields:
                fields["sample_weights"] = fields["sample_weights"][keep]
        return _chunk(rows, labels=labels, **fields), keep
    if ignore_index is not None:
        # PyTorch refuses it too: "ignore_index is not supported for floating point target".
        raise ValueError("ignore_index needs class-index targets, not distributions")
    if target.shape != values.shape:
        raise ValueError(
            f"labels of shape {target.shape} match neither the predictions "
            f"{values.shape} (distributions) nor {shape} (class indices)"
        )
    return _chunk(rows, targets=target.reshape(n, k).astype(np.float64), **fields), None


def _warn_if_infinite(values) -> None:
    if np.isposinf(values).any():
        engine.warn_if_infinite(np.asarray(values))


def multilabel_cross_entropy(
    target,
    pred=None,
    *,
    logits=None,
    base: float = math.e,
    reduction: str = "mean",
    weights=None,
    label_smoothing: float = 0.0,
    clip: float | None = None,
):
    """Sigmoid cross-entropy of rows with several positive classes.

    Each of the K classes is an independent yes/no: ``target`` holds 0/1 (or soft values
    in [0, 1]) per class, ``pred`` the probability of each class, or ``logits`` their
    logits. A row's loss is the mean over its classes of ``w_c * BCE(y_c, q_c)``, so
    ``mean`` over rows is PyTorch's ``BCEWithLogitsLoss(weight=w)`` and Keras'
    ``binary_crossentropy`` averaged over the batch; ``sum`` sums the row means (Keras'
    ``reduction="sum"``; PyTorch's ``sum`` is K times it). ``label_smoothing`` a moves
    each label towards ½, ``y (1 - a) + a / 2``, as Keras' ``BinaryCrossentropy`` does.
    """
    if (pred is None) == (logits is None):
        raise ValueError("give exactly one of pred and logits")
    y = np.asarray(target, dtype=np.float64)
    scores = np.asarray(pred if logits is None else logits, dtype=np.float64)
    if y.shape != scores.shape or y.ndim not in (1, 2):
        raise ValueError(f"labels of shape {y.shape} do not match predictions {scores.shape}")
    rows = scores.reshape(-1, scores.shape[-1])
    k = rows.shape[1]
    options = _options(
        logits=logits is not None,
        base=base,
        clip=clip,
        label_smoothing=float(label_smoothing),
        weights=None if weights is None else tuple(_nonnegative(weights, k, "weights", "class")),
        multi_label=True,
    )
    chunk = _chunk(rows, targets=y.reshape(rows.shape), task="multilabel")
    result = _score(chunk, options, reduction)
    return result.reshape(scores.shape[:-1]) if reduction == "none" else result
