"""The one place where rows become losses: every formula and every option, for every source.

A chunk of rows (from arguments, a file or stdin) goes in; per-row losses and what the
totals need come out. Pure NumPy on top of :mod:`xent.engine`. The frameworks' formulas
(``docs/conventions.md``), for class weights w, smoothing a, K classes, sample weights s:

    multi-class   l_n = Σ_c w_c · p̃_nc · (−log q_nc),  p̃ = (1 − a)·P + a/K
                  mean = Σ s_n l_n / Σ s_n d_n,  d_n = w[y_n] (class labels) or 1 (soft)
    binary        the same with K = 2: P(class 1) = p becomes Q = (1 − p, p), a logit z
                  the logits (0, z) (scikit-learn's log_loss; PyTorch's BCE with logits)
    multi-label   l_n = (1/K) Σ_c w_c · BCE(ỹ_nc, q_nc),  ỹ = y·(1 − a) + a/2 (Keras)
    entropy       l_n = H(Q_n) = −Σ_c q_nc log q_nc

With class labels and no smoothing only the label's term is non-zero, so the scorer takes
log Q at the label alone (one log a row, not K); every value is still checked.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import replace
from typing import NamedTuple

import numpy as np

from . import engine
from .errors import DataError, InvalidProbabilities, UsageError, param
from .options import ScoreOptions


class Detail(NamedTuple):
    """Everything about each row, per class (arrays (n, K); losses in the run's base):
    what a contribution table shows. Only asked for small inputs (arguments, explain)."""

    p: np.ndarray  # the target the loss uses (smoothed, when smoothing)
    q: np.ndarray  # the prediction as probabilities (clipped, when clipping)
    neg_log_q: np.ndarray
    contribution: np.ndarray  # the terms of l_n: they sum to it
    cross_entropy: np.ndarray  # l_n
    entropy: np.ndarray  # H(P̃), unweighted
    kl_divergence: np.ndarray  # KL(P̃‖Q), unweighted
    perplexity: np.ndarray  # base^l_n


class ScoredRows(NamedTuple):
    """A scored chunk: what the totals and the per-row output need of each row."""

    lines: np.ndarray  # 1-based line (or row, or sample) numbers
    labels: np.ndarray | None  # true class index (a soft label's arg-max); None: multi-label
    predicted: np.ndarray | None  # the prediction's arg-max class
    losses: np.ndarray  # l_n in the run's base
    skipped: list  # DataErrors of the rows left out as bad
    ignored: int = 0  # rows left out by ignore_index / ignore_label
    sample_weights: np.ndarray | None = None  # s_n
    denominators: np.ndarray | None = None  # s_n·d_n, when the mean is weighted
    probabilities: np.ndarray | None = None  # Q, for top-k, Brier and ECE
    targets: np.ndarray | None = None  # soft labels P, for the Brier score
    columns: np.ndarray | None = None  # multi-label: the per-class terms, for the table
    positives: np.ndarray | None = None  # multi-label: the labels y (n, K)
    detail: Detail | None = None


def score_chunk(
    chunk,
    options: ScoreOptions,
    *,
    source: str,
    detail: bool = False,
    metrics: bool = False,
    predicted: bool = True,
) -> ScoredRows:
    """Score each row of ``chunk``: raise for the first bad row (with its line), or with
    ``options.skip_bad_rows`` leave every bad row out with its own message. ``metrics``:
    keep Q for top-k, Brier and ECE; ``predicted``: each row's arg-max class (accuracy,
    the worst rows, per-row output; a class-label run without it has ``predicted`` None)."""
    skipped = list(chunk.skipped)
    chunk, ignored = _drop_ignored(chunk, options)
    if options.skip_bad_rows and len(chunk):
        bad = _bad_rows(chunk, options)
        if bad.any():
            for i in np.flatnonzero(bad):
                try:  # the same checks word the problem with this one row
                    score_chunk(rows_of(chunk, slice(i, i + 1)), _strict(options), source=source)
                except DataError as error:
                    skipped.append(error)
            chunk = rows_of(chunk, ~bad)
            skipped.sort(key=lambda error: error.line or error.number or 0)
    if not len(chunk):
        empty = np.zeros(0, dtype=np.intp)
        return ScoredRows(chunk.lines, empty, empty, np.zeros(0), skipped, ignored)
    try:
        with warnings.catch_warnings():
            # An infinite loss is counted and said once, by the totals, not per chunk.
            warnings.simplefilter("ignore", engine.ZeroProbabilityWarning)
            scored = _score(chunk, options, detail, metrics, predicted)
    except InvalidProbabilities as error:
        _add_hint(error, chunk, options)
        raise place(error, chunk, source) from None
    except DataError as error:
        if error.row is None:
            raise
        raise place(error, chunk, source) from None
    return scored._replace(skipped=skipped, ignored=ignored)


def _strict(options: ScoreOptions) -> ScoreOptions:
    return replace(options, skip_bad_rows=False)


# --------------------------------------------------------------------------- the formulas


def _score(
    chunk, options: ScoreOptions, detail: bool, metrics: bool, predicted: bool = True
) -> ScoredRows:
    if options.multi_label or chunk.task == "multilabel":
        return _multi_label(chunk, options, detail)
    logits = options.logits or chunk.logits
    log_probs = chunk.log_probs and not logits  # ReadOptions.holds: log Q as it is
    values = chunk.values
    if log_probs:
        _check_log_probs(values, chunk.log_prob_tolerance, options.tolerance)
    if chunk.task == "binary":
        values = _two_classes(values, logits)
        if chunk.targets is not None and chunk.targets.shape[1] == 1:  # y = P(class 1)
            y = chunk.targets[:, 0]
            chunk = replace(chunk, targets=np.column_stack([1.0 - y, y]))
    k = values.shape[1]
    w = class_weights(options, k, chunk.classes)
    alpha = options.label_smoothing
    q: np.ndarray | None
    log_q: np.ndarray | None
    p: np.ndarray | None
    terms: np.ndarray | None
    if chunk.task == "entropy":
        q, log_q = engine._predictions(
            *_pred_or_logits(values, logits), None, options.renormalize, options.tolerance
        )
        p = q
        labels = predicted = np.argmax(q, axis=1)
        terms = engine._neg_xlogy(p, log_q)
        return _rows(
            chunk,
            options,
            labels,
            predicted,
            terms.sum(axis=1),
            None,
            None,
            None,
            _detail(p, q, log_q, terms, options) if detail else None,
        )
    index_labels = chunk.targets is None
    if index_labels and not alpha and not detail and (not logits or options.clip is None):
        # Log Q at the label only; the same checks, the same errors, in the same order.
        labels = chunk.labels
        if logits:
            neg_log = _neg_log_softmax_at_labels(values, labels)
        elif log_probs:
            engine.check_indices(labels, k)
            neg_log = -_clipped_log(values[np.arange(len(labels)), labels], options.clip)
        else:
            neg_log = engine._neg_log_at_labels(
                values, labels, options.clip, options.renormalize, options.tolerance
            )
        losses = neg_log if w is None else engine._neg_xlogy(w[labels], -neg_log)
        terms = None
        q, log_q, p = None, None, None
    else:
        if log_probs:
            q = np.exp(values) if options.clip is None else np.clip(np.exp(values), *_c(options))
            log_q = values if options.clip is None else np.log(q)
        else:
            q, log_q = engine._predictions(
                *_pred_or_logits(values, logits),
                options.clip,
                options.renormalize,
                options.tolerance,
            )
        if index_labels:
            labels = chunk.labels
            engine.check_indices(labels, k)
            p = np.zeros_like(log_q)
            p[np.arange(len(labels)), labels] = 1.0
        else:
            p = engine.target_distribution(chunk.targets, k, tolerance=options.tolerance)
            labels = np.argmax(p, axis=1)
        if alpha:
            p = (1 - alpha) * p + alpha / k
        terms = engine._neg_xlogy(p if w is None else w * p, log_q)
        losses = terms.sum(axis=1)
    if w is None:
        denominators = None
    else:
        denominators = w[labels] if index_labels else np.ones(len(labels))
    probabilities = None
    if metrics:
        probabilities = (
            np.exp(values) if log_probs else to_probabilities(values, logits, options.renormalize)
        )
    return _rows(
        chunk,
        options,
        labels,
        np.argmax(values, axis=1) if predicted or detail else None,
        losses,
        denominators,
        probabilities,
        None if index_labels else chunk.targets,
        _detail(p, q, log_q, terms, options) if detail else None,
    )


def _rows(
    chunk, options, labels, predicted, losses, denominators, probabilities, targets, rows_detail
):
    s = chunk.sample_weights
    if s is not None:
        denominators = s if denominators is None else s * denominators
    return ScoredRows(
        chunk.lines,
        labels,
        predicted,
        engine._in_base(np.asarray(losses, dtype=np.float64), options.base),
        [],
        sample_weights=s,
        denominators=denominators,
        probabilities=probabilities,
        targets=targets,
        detail=rows_detail,
    )


def _detail(p, q, log_q, terms, options: ScoreOptions) -> Detail:
    base = options.base
    with np.errstate(divide="ignore"):
        log_p = np.log(p)
    nats = terms.sum(axis=1)
    return Detail(
        p=p,
        q=q,
        neg_log_q=engine._in_base(-log_q, base),
        contribution=engine._in_base(terms, base),
        cross_entropy=engine._in_base(nats, base),
        entropy=engine._in_base(engine._neg_xlogy(p, log_p).sum(axis=1), base),
        kl_divergence=engine._in_base(
            np.maximum(engine.rel_entr_from_logs(p, log_p, log_q).sum(axis=1), 0.0), base
        ),
        perplexity=engine._exp(nats),
    )


def _multi_label(chunk, options: ScoreOptions, detail: bool) -> ScoredRows:
    """K independent yes/no classes: the mean of the classes' binary cross-entropies."""
    y = chunk.targets
    if y is None or y.shape != chunk.values.shape:
        raise UsageError(
            "multi-label rows need one 0/1 label per class (or the positive class names)",
            parameter="multi_label",
        )
    logits = options.logits or chunk.logits
    values = chunk.values
    _check_unit_interval(y, "label")
    if not logits:
        _check_unit_interval(values, "prediction")
    k = values.shape[1]
    w = class_weights(options, k, chunk.classes)
    alpha = options.label_smoothing
    y_s = y * (1 - alpha) + 0.5 * alpha
    pred, z = (None, values) if logits else (values, None)
    elements = engine.binary_cross_entropy(y_s, pred, logits=z, reduction="none", clip=options.clip)
    with np.errstate(invalid="ignore"):  # 0·inf where w = 0: masked, not a warning
        terms = (elements if w is None else np.where(w > 0, w * elements, 0.0)) / k
    losses = terms.sum(axis=1)
    q = np.exp(engine.log_sigmoid(values)[0]) if logits else values
    rows_detail = None
    if detail:
        h = engine.binary_cross_entropy(y_s, y_s, reduction="none")
        neg_log_q = -engine.log_sigmoid(values)[0] if logits else -_log(values)
        base = options.base
        rows_detail = Detail(
            p=y_s,
            q=q,
            neg_log_q=engine._in_base(neg_log_q, base),
            contribution=engine._in_base(terms, base),
            cross_entropy=engine._in_base(losses, base),
            entropy=engine._in_base(h.mean(axis=1), base),
            kl_divergence=engine._in_base(np.maximum((elements - h).mean(axis=1), 0.0), base),
            perplexity=engine._exp(losses),
        )
    s = chunk.sample_weights
    return ScoredRows(
        chunk.lines,
        None,
        None,
        engine._in_base(losses, options.base),
        [],
        sample_weights=s,
        denominators=s,
        probabilities=q,
        columns=engine._in_base(terms, options.base),
        positives=y,
        detail=rows_detail,
    )


# From this many classes on (a vocabulary), the shift z - m is taken as exact when adding
# m back gives z again everywhere (float32 logits: always, in float64), without the
# four passes of TwoSum; a rounding that this misses is below 1e-16 of the loss.
VOCABULARY = 1024


def _neg_log_softmax_at_labels(z: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """-log_softmax(z)[row, label] as :func:`engine.log_softmax` computes it (bit for bit
    below :data:`VOCABULARY` classes): the shift by the largest logit made exact, log1p of
    the rest, without the logs of the other classes: one exp per value, no (n, K) result."""
    n = np.arange(len(z))
    top = z.argmax(axis=1)
    m = z[n, top][:, np.newaxis]
    if not (np.isfinite(m).all() and np.isfinite(z.min())):
        engine._raise_if_not_finite(z)
    engine.check_indices(labels, z.shape[1])
    with np.errstate(over="ignore", invalid="ignore"):
        if z.shape[1] >= VOCABULARY:  # the shift exact (z = d + m) in one pass, not four
            d = z - m
            exact = bool(((d + m) == z).all())
        if z.shape[1] < VOCABULARY or not exact:
            d, err = engine._exact_difference(z, m)
            err[np.isinf(d)] = 0.0  # logits 1.8e308 apart: that log-probability is -inf
            exact = not err.any()
    with np.errstate(under="ignore"):
        terms = np.exp(d)
        if not exact:
            terms += terms * err
    terms[n, top] = 0.0  # the 1 of log1p
    log_q = d[n, labels] - np.log1p(terms.sum(axis=1))
    if not exact:
        log_q += err[n, labels]
    return -log_q


def _check_log_probs(values: np.ndarray, slack: float | None, tolerance: float | None) -> None:
    """Log-probabilities (``ReadOptions.holds='logprobs'``): each <= 0 and each row's
    exponentials sum to 1 within the tolerance (``slack``: a quantised file's own)."""
    tol = slack if slack is not None else tolerance or engine.default_tolerance(values.shape[1])
    top = values.max(axis=1)
    if not np.isfinite(values.min()) and np.isnan(values).any() or np.isnan(top).any():
        engine._raise_if_not_finite(values)
    above = top > (tol if slack is not None else 0.0)
    if above.any():
        i = int(np.flatnonzero(above)[0])
        j = int(values[i].argmax())
        error = InvalidProbabilities(
            f"log-probability {j + 1} is {values[i, j]:.6g}, above 0: not a log-probability "
            f"({param('holds', 'logits')} reads the values as logits)",
            row=i,
        )
        error.what = "prediction"
        raise error
    with np.errstate(under="ignore"):
        sums = np.exp(values - top[:, np.newaxis]).sum(axis=1)
    lse = top + np.log(sums)
    off = ~(np.abs(lse) <= tol)
    if off.any():
        i = int(np.flatnonzero(off)[0])
        error = InvalidProbabilities(
            f"the log-probabilities' exponentials sum to {math.exp(lse[i]):.10g}, not 1 "
            f"(tolerance {tol:.1g} on their log-sum-exp; {param('holds', 'logits')} "
            "normalises them)",
            row=i,
        )
        error.what = "prediction"
        raise error


def _clipped_log(picked: np.ndarray, clip: float | None) -> np.ndarray:
    if clip is None:
        return picked
    return np.log(np.clip(np.exp(picked), clip, 1 - clip))


def _c(options: ScoreOptions) -> tuple[float, float]:
    assert options.clip is not None
    return options.clip, 1 - options.clip


def _log(values: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(values)


def _check_unit_interval(values: np.ndarray, what: str) -> None:
    inside = (values >= 0) & (values <= 1)  # NaN fails both
    if not inside.all():
        i, j = (int(x[0]) for x in np.nonzero(~inside))
        error = InvalidProbabilities(
            f"{what} value {j + 1} is {values[i, j]:.6g}, outside [0, 1] "
            "(multi-label: each class's own probability)",
            row=i,
        )
        error.what = what
        raise error


def _two_classes(values: np.ndarray, logits: bool) -> np.ndarray:
    """One value per row, P(class 1) or its logit z, as two classes: (1 − p, p) or the
    logits (0, z), whose log-softmax is the exact log-sigmoid."""
    v = values[:, 0]
    if logits:
        return np.column_stack([np.zeros_like(v), v])
    inside = (v >= 0) & (v <= 1)
    if not inside.all():
        i = int(np.flatnonzero(~inside)[0])
        error = InvalidProbabilities(
            f"binary prediction {v[i]:.6g} is outside [0, 1]: give P(class 1)", row=i
        )
        raise error
    return np.column_stack([1.0 - v, v])


def _pred_or_logits(
    values: np.ndarray, logits: bool
) -> tuple[np.ndarray | None, np.ndarray | None]:
    return (None, values) if logits else (values, None)


def to_probabilities(values: np.ndarray, logits: bool, renormalize: bool) -> np.ndarray:
    """Q as the metrics see it, unclipped: softmax of logits, rows over their sums, or the
    values themselves (already checked by the loss)."""
    if logits:
        return np.exp(engine.log_softmax(values))
    if renormalize:
        return values / values.sum(axis=1, keepdims=True)
    return values


def class_weights(options: ScoreOptions, k: int, classes) -> np.ndarray | None:
    if options.weights is None:
        return None
    w = np.asarray(options.weights, dtype=np.float64)
    if w.shape[0] != k:
        raise UsageError(
            f"{w.shape[0]} weights for {k} classes ({', '.join(map(str, classes))}): "
            "give one per class",
            parameter="weights",
        )
    return w


# --------------------------------------------------------------------------- rows left out


def ignored_classes(classes: list[str], options: ScoreOptions) -> list[int]:
    """Class indices whose rows are left out: K (what a reader maps an ignored label that
    is no class to), and the class the ignore index or label names, if any."""
    k = len(classes)
    found = [k]
    if options.ignore_index is not None and 0 <= options.ignore_index < k:
        found.append(options.ignore_index)
    if options.ignore_label in classes:
        found.append(classes.index(options.ignore_label))
    return found


def _drop_ignored(chunk, options: ScoreOptions):
    if not options.ignoring or not len(chunk):
        return chunk, 0
    if chunk.targets is not None:
        raise UsageError(
            "the labels are distributions: PyTorch's ignore_index needs class labels",
            parameter="ignore_index" if options.ignore_label is None else "ignore_label",
        )
    drop = np.isin(chunk.labels, ignored_classes(chunk.classes, options))
    ignored = int(drop.sum())
    return (rows_of(chunk, ~drop) if ignored else chunk), ignored


def _bad_rows(chunk, options: ScoreOptions) -> np.ndarray:
    """Rows the checks would reject: predictions (and soft labels) that are not
    distributions, logits that are not finite, labels out of range."""
    values = chunk.values
    logits = options.logits or chunk.logits
    multi = options.multi_label or chunk.task == "multilabel"
    if logits or chunk.log_probs:
        bad = ~np.isfinite(values).all(axis=1)
        if chunk.log_probs and not logits:
            bad |= (values > 0).any(axis=1)
    elif multi or chunk.task == "binary":
        bad = ~((values >= 0) & (values <= 1)).all(axis=1)
    elif options.renormalize:
        bad = engine.unnormalizable_rows(values)
    else:
        bad = engine.invalid_distribution_rows(values, tolerance=options.tolerance)
    if chunk.targets is not None:
        if multi:
            bad |= ~((chunk.targets >= 0) & (chunk.targets <= 1)).all(axis=1)
        else:
            bad |= engine.invalid_distribution_rows(chunk.targets, tolerance=options.tolerance)
    return bad


def rows_of(chunk, which):
    """The chunk restricted to some rows (a mask or a slice)."""

    def pick(array):
        return None if array is None else array[which]

    origins = chunk.origins
    if origins:
        kept = np.arange(len(chunk))[which]
        origins = {kind: [names[i] for i in kept] for kind, names in origins.items()}
    return replace(
        chunk,
        origins=origins,
        values=chunk.values[which],
        lines=chunk.lines[which],
        labels=pick(chunk.labels),
        targets=pick(chunk.targets),
        sample_weights=pick(chunk.sample_weights),
        skipped=[],
    )


# --------------------------------------------------------------------------- errors


def _add_hint(error: InvalidProbabilities, chunk, options: ScoreOptions) -> None:
    """Suggest --renormalize only where it would work: a prediction row of finite,
    non-negative values with a positive sum that is not 1."""
    if error.what != "prediction" or options.renormalize or options.logits or chunk.logits:
        return
    if chunk.log_probs:
        return
    if chunk.task in ("binary", "multilabel") or options.multi_label:
        return
    row = chunk.values[error.row or 0]
    if not engine.unnormalizable_rows(row)[0]:
        error.message += f" ({param('renormalize', True)} divides by the sum)"


def place(error: DataError, chunk, source: str) -> DataError:
    """Give an error about a row of the chunk the place that row came from: an argument
    (``--pred (sample 2)``), a file's line, or a JSON document's row."""
    origins = chunk.origins
    if not source and not origins:
        return error  # a Python caller: the row index of its array is the place
    row = error.row or 0
    error.row = None
    if origins:
        names = origins.get(getattr(error, "what", "prediction"), origins["prediction"])
        error.source = names[min(row, len(names) - 1)]
        return error
    number = int(chunk.lines[row])
    error.source = source
    if chunk.numbered == "row":
        error.message = f"row {number}: {error.message}"
        error.number = number
    else:
        error.line = number
    return error
