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

from . import calibrated, checks, engine, kernels
from .errors import DataError, InvalidProbabilities, UsageError, param
from .kernels import Breakdown, scaled_weights
from .options import ScoreOptions
from .readers.chunks import place

# Each row per class (arrays (n, K), losses in the run's base): small inputs' table.
Detail = Breakdown


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
    # Probabilities with class labels: the columns 0 in every row (checks.zero_columns).
    zero_columns: np.ndarray | None = None
    weight_exponent: int = 0  # the sample weights are s_n·2^-e (accumulators.scaling)


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
    if options.renormalize and (chunk.logits or chunk.log_probs or chunk.task == "tokens"):
        holds = "logits, which the softmax normalises" if chunk.logits else "log-probabilities"
        raise UsageError(
            f"it holds {holds}: there is nothing to renormalise",
            source=source,
            parameter="renormalize",
        )
    skipped = list(chunk.skipped)
    chunk, ignored = drop_ignored(chunk, options)
    if options.skip_bad_rows and len(chunk):
        bad = bad_rows(chunk, options)
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
        _add_hint(error, chunk, options, source)
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
    if chunk.task == "tokens":
        return _tokens(chunk, calibrated.refused(options))
    logits = options.logits or chunk.logits
    log_probs = chunk.log_probs and not logits  # ReadOptions.holds: log Q as it is
    values = chunk.values
    if log_probs:
        checks.check_log_probs(values, chunk.log_prob_tolerance, options.tolerance)
    if chunk.task == "binary":
        values = two_classes(values, logits)
        if chunk.targets is not None and chunk.targets.shape[1] == 1:  # y = P(class 1)
            y = chunk.targets[:, 0]
            chunk = replace(chunk, targets=np.column_stack([1.0 - y, y]))
    if chunk.task == "entropy":
        return _entropy(chunk, values, logits, options, detail)
    values, logits, log_probs, options = calibrated.apply(chunk, values, logits, log_probs, options)
    w = class_weights(options, values.shape[1], chunk.classes)
    index_labels = chunk.targets is None
    table: Detail | None = None
    at_labels = not options.label_smoothing and not detail and (not logits or options.clip is None)
    if index_labels and at_labels:
        # Log Q at the label only; the same checks, the same errors, in the same order.
        labels = chunk.labels
        neg_log = _neg_log_at_labels(values, labels, logits, log_probs, options)
        losses = neg_log if w is None else kernels.cross_entropy_terms(w[labels], -neg_log)
    else:
        labels, losses, table = _every_class(chunk, values, logits, log_probs, w, options, detail)
    denominators = None
    if w is not None:
        denominators = w[labels] if index_labels else np.ones(len(labels))
    probabilities = None
    if metrics:
        probabilities = (
            np.exp(values) if log_probs else to_probabilities(values, logits, options.renormalize)
        )
    scored = _rows(
        chunk,
        options,
        labels,
        np.argmax(values, axis=1) if predicted or detail else None,
        losses,
        denominators,
        probabilities,
        None if index_labels else chunk.targets,
        table,
    )
    if index_labels and not (logits or log_probs) and chunk.task == "multiclass":
        return scored._replace(zero_columns=checks.zero_columns(values))
    return scored


def _tokens(chunk, options: ScoreOptions) -> ScoredRows:
    """A logprobs file's tokens: the loss is each token's surprisal, −log p (no class)."""
    log_p = np.asarray(chunk.values[:, 0], dtype=np.float64)
    bad = np.flatnonzero(~(log_p <= 0))  # NaN too; -inf: probability 0, an infinite loss
    if bad.size:
        raise DataError(f"token log-probability {log_p[bad[0]]!r} is above 0", row=int(bad[0]))
    labels = np.zeros(log_p.size, dtype=np.intp)
    return _rows(chunk, options, labels, None, -log_p, None, None, None, None)


def _entropy(chunk, values, logits: bool, options: ScoreOptions, detail: bool) -> ScoredRows:
    """Each row's H(Q) (``xent entropy``): Q is its own target; no clipping."""
    q, log_q = checked_predictions(values, logits, options, clip=False)
    labels = np.argmax(q, axis=1)
    terms = kernels.cross_entropy_terms(q, log_q)
    table = kernels.breakdown_from_logs(q, q, log_q, options.base, terms) if detail else None
    return _rows(chunk, options, labels, labels, terms.sum(axis=1), None, None, None, table)


def _neg_log_at_labels(values, labels, logits: bool, log_probs: bool, options: ScoreOptions):
    """-log Q at each row's class label, without the logs of the other classes."""
    if logits:
        return engine.neg_log_softmax_at_labels(values, labels)
    if log_probs:
        engine.check_indices(labels, values.shape[1])
        return -_clipped_log(values[np.arange(len(labels)), labels], options.clip)
    return engine.neg_log_at_labels(
        values,
        labels,
        clip=options.clip,
        renormalize=options.renormalize,
        tolerance=options.tolerance,
    )


def _every_class(chunk, values, logits: bool, log_probs: bool, w, options, detail: bool):
    """(labels, l_n in nats, the per-class table or None) from log Q of every class: for
    soft labels, label smoothing, clipped logits, or when the table is asked for."""
    k = values.shape[1]
    if log_probs:
        q = np.exp(values) if options.clip is None else np.clip(np.exp(values), *_c(options))
        log_q = values if options.clip is None else np.log(q)
    else:
        q, log_q = checked_predictions(values, logits, options)
    if chunk.targets is None:
        labels = chunk.labels
        engine.check_indices(labels, k)
        p = np.zeros_like(log_q)
        p[np.arange(len(labels)), labels] = 1.0
    else:
        p = engine.target_distribution(chunk.targets, k, tolerance=options.tolerance)
        labels = np.argmax(p, axis=1)
    alpha = options.label_smoothing
    if alpha:
        p = (1 - alpha) * p + alpha / k
    terms = kernels.cross_entropy_terms(p if w is None else w * p, log_q)
    table = kernels.breakdown_from_logs(p, q, log_q, options.base, terms) if detail else None
    return labels, terms.sum(axis=1), table


def checked_predictions(
    values: np.ndarray, logits: bool, options: ScoreOptions, *, clip: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """(Q, log Q) of a chunk's values, probabilities or (``logits``) logits, checked as
    the options say (renormalized, the tolerance; clipped unless ``clip`` is False)."""
    return engine.predictions(
        None if logits else values,
        logits=values if logits else None,
        clip=options.clip if clip else None,
        renormalize=options.renormalize,
        tolerance=options.tolerance,
    )


def _rows(chunk, options, labels, predicted, losses, denominators, probabilities, targets, table):
    # Sample weights × 2^-e, the largest in [0.5, 1): exact at any size (accumulators.scaling).
    s, exponent = scaled_weights(chunk.sample_weights)
    if s is not None:
        denominators = s if denominators is None else s * denominators
    return ScoredRows(
        chunk.lines,
        labels,
        predicted,
        kernels.to_base(np.asarray(losses, dtype=np.float64), options.base),
        [],
        sample_weights=s,
        denominators=denominators,
        probabilities=probabilities,
        targets=targets,
        detail=table,
        weight_exponent=exponent,
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
    base = options.base
    table = None
    if detail:
        table = _multi_label_table(y_s, q, values, logits, elements, terms, losses, base)
    s, exponent = scaled_weights(chunk.sample_weights)
    return ScoredRows(
        chunk.lines,
        None,
        None,
        kernels.to_base(losses, base),
        [],
        sample_weights=s,
        denominators=s,
        probabilities=q,
        columns=kernels.to_base(terms, base),
        positives=y,
        detail=table,
        weight_exponent=exponent,
    )


def _multi_label_table(y_s, q, values, logits: bool, elements, terms, losses, base) -> Detail:
    """The per-class table of multi-label rows: each class a binary cross-entropy, the
    row's entropy and KL the means of the classes' binary ones."""
    h = engine.binary_cross_entropy(y_s, y_s, reduction="none")
    neg_log_q = -engine.log_sigmoid(values)[0] if logits else -_log(values)
    return Detail(
        p=y_s,
        q=q,
        neg_log_q=kernels.to_base(neg_log_q, base),
        contribution=kernels.to_base(terms, base),
        cross_entropy=kernels.to_base(losses, base),
        entropy=kernels.to_base(h.mean(axis=1), base),
        kl_divergence=kernels.to_base(kernels.clamp_kl((elements - h).mean(axis=1)), base),
        perplexity=kernels.power(math.e, losses),
    )


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


def two_classes(values: np.ndarray, logits: bool) -> np.ndarray:
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


def drop_ignored(chunk, options: ScoreOptions):
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


def bad_rows(chunk, options: ScoreOptions) -> np.ndarray:
    """Rows the checks would reject: predictions (and soft labels) that are not
    distributions, logits that are not finite, labels out of range."""
    values = chunk.values
    logits = options.logits or chunk.logits
    multi = options.multi_label or chunk.task == "multilabel"
    if chunk.task == "tokens":
        bad = ~(values <= 0).all(axis=1)
    elif logits or chunk.log_probs:
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
        counts=None if chunk.counts is None else {k: v[which] for k, v in chunk.counts.items()},
        top_logprobs=pick(chunk.top_logprobs),
        skipped=[],
    )


# --------------------------------------------------------------------------- errors


def _add_hint(error: InvalidProbabilities, chunk, options: ScoreOptions, source: str) -> None:
    """Name the column to blame, when one is (a file's ``id`` column: leave it out), else
    suggest --renormalize where it would work: a prediction row of finite, non-negative
    values with a positive sum that is not 1."""
    if error.what != "prediction" or options.logits or chunk.logits or chunk.log_probs:
        return
    row = chunk.values[error.row or 0]
    hint = (
        None
        if chunk.origins or not source
        else checks.column_hint(row, chunk.classes, options.tolerance)
    )
    if hint:
        error.message += hint
        return
    if options.renormalize:
        return
    if chunk.task in ("binary", "multilabel") or options.multi_label:
        return
    if not engine.unnormalizable_rows(row)[0]:
        error.message += f" ({param('renormalize', True)} divides by the sum)"
