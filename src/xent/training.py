"""Reports with the frameworks' training options: ``--label-smoothing``, ``--weights``,
``--ignore-index``/``--ignore-label``, ``--multi-label`` and the batch metrics.

Built from parsed arguments (and, the same way, from file columns), above the engine and
:mod:`xent.losses`. Each option follows one framework's convention exactly; see
``docs/conventions.md``. Without any option this is :func:`report.cross_entropy_report`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import engine, metrics
from .errors import DataError, UsageError
from .report import Report, cross_entropy_report


@dataclass(frozen=True)
class TrainingOptions:
    label_smoothing: float = 0.0
    weights: tuple[float, ...] | None = None
    ignore_index: int | None = None
    ignore_label: str | None = None
    multi_label: bool = False
    top_k: int = 1
    bins: int = 15

    @property
    def ignoring(self) -> bool:
        return self.ignore_index is not None or self.ignore_label is not None


def check_options(options: TrainingOptions) -> None:
    """Option values that are wrong whatever the data: one line, exit 2."""
    if not 0.0 <= options.label_smoothing <= 1.0:
        raise UsageError(
            f"{options.label_smoothing!r} is not in [0, 1] (PyTorch's range)",
            source="--label-smoothing",
        )
    if options.weights is not None and not all(w >= 0 for w in options.weights):
        raise UsageError("class weights must be finite and non-negative", source="--weights")
    if options.top_k < 1:
        raise UsageError(f"{options.top_k} is not a positive number of classes", source="--top-k")
    if options.bins < 1:
        raise UsageError(f"{options.bins} is not a positive number of bins", source="--bins")


def kept_rows(label_texts: list[str], n_rows: int, options: TrainingOptions) -> list[int]:
    """The rows whose label is not the ignored one (PyTorch's ``ignore_index``).

    One label for all rows is ignored for all of them. Every row ignored is an error
    (PyTorch returns NaN there, the mean of nothing).
    """
    texts = label_texts if len(label_texts) == n_rows else label_texts * n_rows

    def ignored(text: str) -> bool:
        text = text.strip()
        if options.ignore_label is not None and text == options.ignore_label:
            return True
        if options.ignore_index is not None:
            try:
                return int(text) == options.ignore_index
            except ValueError:
                return False
        return False

    keep = [i for i, text in enumerate(texts) if not ignored(text)]
    if not keep:
        how = (
            f"the ignore index {options.ignore_index} (--ignore-index)"
            if options.ignore_index is not None
            else f"{options.ignore_label!r} (--ignore-label)"
        )
        raise DataError(
            f"every row is ignored: all {n_rows} labels are {how}, so there is no loss to "
            "average (PyTorch would print nan)"
        )
    return keep


def ignored_note(n_rows: int, n_kept: int) -> str | None:
    if n_kept == n_rows:
        return None
    return f"{n_rows - n_kept} of {n_rows} rows ignored (PyTorch's ignore_index)"


@dataclass
class WeightedReport(Report):
    """A report whose mean is PyTorch's weighted mean: Σ l_n / Σ w[y_n] for class targets.

    ``rows.contribution`` and ``rows.cross_entropy`` hold the weighted terms l_n; entropy
    and KL stay those of the unweighted P and Q (there is no weighted H(P) in PyTorch).
    """

    denominator: float = 1.0

    @property
    def cross_entropy(self) -> float:
        total = float(self.rows.cross_entropy.sum())
        return total if self.reduction == "sum" else total / self.denominator

    @property
    def contributions(self) -> np.ndarray:
        total = self.rows.contribution.sum(axis=0)
        return total if self.reduction == "sum" else total / self.denominator

    @property
    def perplexity(self) -> float:
        mean = float(self.rows.cross_entropy.sum()) / self.denominator
        return float(engine.perplexity(mean, base=self.base))


def _dense(targets: list, n_classes: int) -> np.ndarray:
    return np.array(
        [np.eye(n_classes)[t] if isinstance(t, int) else t for t in targets], dtype=np.float64
    )


def batch_metrics(targets: list, q: np.ndarray, options: TrainingOptions) -> dict[str, float]:
    """Top-k accuracy, Brier score and ECE of a batch (labels as given, not smoothed)."""
    p = _dense(targets, q.shape[1])
    k = options.top_k
    # The same keys as a file's summary, so scripts read either the same way.
    return {
        "top_k_accuracy": metrics.top_k_accuracy(p, q, k=k),
        "k": k,
        "brier_score": float(metrics.brier_score(p, q)),
        "ece": metrics.expected_calibration_error(p, q, bins=options.bins),
        "bins": options.bins,
    }


def training_report(
    targets: list,
    label_texts: list[str],
    classes: list[str],
    *,
    pred=None,
    logits=None,
    base: float,
    reduction: str,
    clip: float | None = None,
    renormalize: bool = False,
    notes: list[str] | None = None,
    options: TrainingOptions = TrainingOptions(),
) -> Report:
    """:func:`cross_entropy_report`, with label smoothing and class weights applied and
    the batch metrics attached."""
    notes = list(notes or [])
    n_classes = len(classes)
    alpha = options.label_smoothing
    p = _dense(targets, n_classes)
    if alpha:
        # PyTorch: the target becomes (1 - a) P + a/K, for class and probability targets.
        notes.append(f"label smoothing {alpha:g}: the target is (1 - {alpha:g})·P + {alpha:g}/K")
    smoothed = [row.tolist() for row in (1 - alpha) * p + alpha / n_classes] if alpha else targets
    report = cross_entropy_report(
        smoothed,
        label_texts,
        classes,
        pred=pred,
        logits=logits,
        base=base,
        reduction=reduction,
        clip=clip,
        renormalize=renormalize,
        notes=notes,
    )
    if options.weights is not None:
        report = _weighted(report, targets, options.weights)
    if report.n_samples > 1:
        if logits is not None:
            q = engine.softmax(logits)
        else:
            q = engine.normalize_rows(pred) if renormalize else np.asarray(pred, dtype=float)
        report.metrics = batch_metrics(targets, q, options)
    return report


def _weighted(report: Report, targets: list, weights) -> WeightedReport:
    w = np.asarray(weights, dtype=np.float64)
    if w.shape[0] != len(report.classes):
        raise UsageError(
            f"{w.shape[0]} weights for {len(report.classes)} classes: give one per class",
            source="--weights",
        )
    by_index = [isinstance(t, int) for t in targets]
    if any(by_index) and not all(by_index):
        raise UsageError(
            "with --weights give every label as a class or every label as a distribution: "
            "PyTorch divides the mean by the weights of the classes for the first, by the "
            "number of rows for the second"
        )
    rows = report.rows
    contribution = np.where(w > 0, rows.contribution * w, 0.0)  # 0 * inf = 0
    weighted = rows._replace(contribution=contribution, cross_entropy=contribution.sum(axis=1))
    if all(by_index):
        denominator = float(w[np.asarray(targets)].sum())
        how = "divided by the sum of the weights of the true classes"
    else:
        denominator = float(len(targets))
        how = "divided by the number of rows (probability labels)"
    if denominator == 0:
        raise DataError("the weights of the true classes sum to 0: the weighted mean is undefined")
    notes = report.notes + [
        f"class weights (PyTorch's CrossEntropyLoss weight): the mean is the weighted sum {how}; "
        "H(P) and KL are unweighted"
    ]
    return WeightedReport(
        report.kind,
        report.classes,
        report.labels,
        weighted,
        report.base,
        report.reduction,
        notes,
        report.metrics,
        denominator,
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def parse_multi_label(text: str, classes: list[str], *, source: str) -> list[float]:
    """One value in [0, 1] per class, or ``dog,eagle``: the positive classes by name.

    Values come first, so with the numbered default classes ``0,1`` is a 0 and a 1.
    """
    from .readers.arguments import parse_vector

    tokens = [t.strip() for t in text.split(",")]
    if not all(_is_number(t) for t in tokens):
        unknown = [t for t in tokens if t not in classes]
        if unknown:
            raise DataError(
                f"unknown class {unknown[0]!r}: the classes are {', '.join(classes)}",
                source=source,
            )
        return [1.0 if name in tokens else 0.0 for name in classes]
    values = parse_vector(text, source=source)
    if len(values) != len(classes):
        raise DataError(
            f"{len(values)} values given, but there are {len(classes)} classes "
            "(multi-label: one 0/1 per class, or the names of the positive classes)",
            source=source,
        )
    if not all(0 <= v <= 1 for v in values):
        raise DataError("multi-label values must be in [0, 1]", source=source)
    return values


def multilabel_report(
    y: np.ndarray,
    label_texts: list[str],
    classes: list[str],
    *,
    pred=None,
    logits=None,
    base: float,
    reduction: str,
    clip: float | None = None,
    notes: list[str] | None = None,
    options: TrainingOptions = TrainingOptions(),
) -> Report:
    """Rows of K independent yes/no classes: per-class binary cross-entropy, averaged.

    The class table shows each class's term w_c·BCE(y_c, q_c)/K, so the terms sum to the
    row's loss, as in PyTorch's ``BCEWithLogitsLoss`` (mean) and Keras'
    ``binary_crossentropy``.
    """
    y = np.asarray(y, dtype=np.float64)
    k = y.shape[1]
    alpha = options.label_smoothing
    y_s = y * (1 - alpha) + 0.5 * alpha
    w = np.ones(k) if options.weights is None else np.asarray(options.weights, dtype=float)
    if w.shape[0] != k:
        raise UsageError(f"{w.shape[0]} weights for {k} classes", source="--weights")
    ln_b = np.log(base)
    if logits is not None:
        z = np.asarray(logits, dtype=np.float64)
        if not np.isfinite(z).all():
            raise DataError("logits must be finite numbers")
        with np.errstate(over="ignore"):
            q = 1.0 / (1.0 + np.exp(-z))
        neg_log_q = np.logaddexp(0.0, -z) / ln_b  # -log sigmoid(z), exact for any z
    else:
        q = np.asarray(pred, dtype=np.float64)
        if not ((q >= 0) & (q <= 1)).all():
            raise DataError("multi-label predictions must each be a probability in [0, 1]")
        with np.errstate(divide="ignore"):
            neg_log_q = -np.log(q) / ln_b
    bce = engine.binary_cross_entropy(
        y_s, None if logits is not None else q, logits=logits, reduction="none", clip=clip
    )
    h = engine.binary_cross_entropy(y_s, y_s, reduction="none")  # binary entropy of labels
    terms = np.where(w > 0, w * bce, 0.0) / k
    rows = engine.Breakdown(
        p=y_s,
        q=q,
        neg_log_q=neg_log_q + 0.0,
        contribution=terms / ln_b,
        cross_entropy=terms.sum(axis=1) / ln_b,
        entropy=h.mean(axis=1) / ln_b,
        kl_divergence=(bce - h).mean(axis=1) / ln_b,
        perplexity=np.exp(terms.sum(axis=1)),
    )
    notes = list(notes or []) + [
        "multi-label: each class is its own yes/no (sigmoid); a row's loss is the mean of "
        "its classes' binary cross-entropies (PyTorch BCEWithLogitsLoss, Keras "
        "binary_crossentropy)"
    ]
    if alpha:
        notes.append(f"label smoothing {alpha:g} (Keras): each label becomes y·(1 - a) + a/2")
    return Report("cross_entropy", classes, label_texts, rows, base, reduction, notes)


__all__ = [
    "TrainingOptions",
    "WeightedReport",
    "batch_metrics",
    "check_options",
    "ignored_note",
    "kept_rows",
    "multilabel_report",
    "parse_multi_label",
    "training_report",
]
