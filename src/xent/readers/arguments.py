"""Vectors, labels and class names given on the command line."""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import DataError, UsageError, param
from .values import shown, to_float

# The article's five animals: the built-in vocabulary for five-class vectors.
ARTICLE_CLASSES = ("dog", "fox", "horse", "eagle", "squirrel")
ARTICLE_NOTE = "classes: the article's dog, fox, horse, eagle, squirrel (see --classes)"


def parse_vector(text: str, *, source: str) -> list[float]:
    """``"0.4,0.3,0.05,0.05,0.2"`` -> floats, naming the value that is not a number."""
    if not text.strip():
        raise DataError("no values given: expected numbers separated by commas", source=source)
    values = []
    for position, token in enumerate(text.strip().split(","), start=1):
        token = token.strip()
        try:
            values.append(to_float(token))
        except ValueError:
            what = shown(token) if token else "empty"
            raise DataError(f"value {position} is {what}, not a number", source=source) from None
    return values


def parse_class_names(text: str, *, source: str) -> list[str]:
    """``"dog,fox,horse"`` -> names; empty and repeated names are errors."""
    names = [name.strip() for name in text.split(",")]
    for position, name in enumerate(names, start=1):
        if not name:
            raise UsageError(f"class name {position} is empty", source=source)
    seen = set()
    for name in names:
        if name in seen:
            raise UsageError(f"class name {name!r} is given twice", source=source)
        seen.add(name)
    return names


def resolve_classes(
    n_classes: int, *, option: str | None, environ: Mapping[str, str]
) -> tuple[list[str], str | None]:
    """The class names for ``n_classes`` classes, and a note to show when they are a default.

    ``--classes`` comes first, then ``XENT_CLASSES``; with neither, five classes are the
    article's animals and any other count is numbered from 0.
    """
    for source, text in ((param("classes"), option), ("XENT_CLASSES", environ.get("XENT_CLASSES"))):
        if text is None or not text.strip():
            continue
        names = parse_class_names(text, source=source)
        if len(names) != n_classes:
            raise UsageError(
                f"{len(names)} class names given, but the vectors have {n_classes} values",
                source=source,
            )
        return names, None
    if n_classes == len(ARTICLE_CLASSES):
        return list(ARTICLE_CLASSES), ARTICLE_NOTE
    return [str(i) for i in range(n_classes)], None


def parse_label(text: str, classes: list[str], *, source: str, binary: bool = False):
    """A label as a class index (``int``) or a distribution (``list[float]``).

    One value is a class name, or else a class index; several values are a one-hot or
    soft distribution with one value per class. For a ``binary`` prediction (one
    probability of the second class) one value may also be a soft label y in [0, 1],
    returned as the distribution [1 - y, y].
    """
    tokens = [t.strip() for t in text.split(",")]
    if len(tokens) == 1:
        token = tokens[0]
        if token in classes:
            return classes.index(token)
        if binary:
            (y,) = parse_vector(token, source=source)
            if not 0 <= y <= 1:
                raise DataError(
                    f"binary label {shown(token)} is not 0 or 1 (or a soft label in [0, 1])",
                    source=source,
                )
            return [1.0 - y, y]
        try:
            index = int(token)
        except ValueError:
            known = ", ".join(classes)
            raise DataError(
                f"unknown class {shown(token)}: the classes are {known}", source=source
            ) from None
        if not 0 <= index < len(classes):
            raise DataError(
                f"class index {index} is out of range: there are {len(classes)} classes "
                f"(0 to {len(classes) - 1})",
                source=source,
            )
        return index
    values = parse_vector(text, source=source)
    if len(values) != len(classes):
        raise DataError(
            f"{len(values)} values given, but there are {len(classes)} classes", source=source
        )
    return values


def sources(option: str, count: int) -> list[str]:
    """Where each repeated value came from: ``--pred`` or ``--pred (sample 2)``."""
    return [option] if count == 1 else [f"{option} (sample {i})" for i in range(1, count + 1)]


def parse_vectors(texts: list[str], option: str) -> list[list[float]]:
    """Repeated ``--pred`` values: one vector each, all of one length."""
    names = sources(option, len(texts))
    vectors = [parse_vector(text, source=src) for text, src in zip(texts, names)]
    for vector, src in zip(vectors, names):
        if len(vector) != len(vectors[0]):
            raise DataError(
                f"has {len(vector)} values, but the first prediction has {len(vectors[0])}",
                source=src,
            )
    return vectors


def _is_number(text: str) -> bool:
    try:
        to_float(text)
    except ValueError:
        return False
    return True


def parse_multi_label(text: str, classes: list[str], *, source: str) -> list[float]:
    """One value in [0, 1] per class, or ``dog,eagle``: the positive classes by name.

    Values come first, so with the numbered default classes ``0,1`` is a 0 and a 1.
    """
    tokens = [t.strip() for t in text.replace("|", ",").split(",")]
    if not all(_is_number(t) for t in tokens):
        unknown = [t for t in tokens if t not in classes]
        if unknown:
            raise DataError(
                f"unknown class {shown(unknown[0])}: the classes are {', '.join(classes)}",
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
    outside = [v for v in values if not 0 <= v <= 1]
    if outside:
        raise DataError(
            f"multi-label value {outside[0]!r} is outside [0, 1]: give 0/1 per class",
            source=source,
        )
    return values


def _ignored(text: str, options) -> bool:
    text = text.strip()
    if options.ignore_label is not None and text == options.ignore_label:
        return True
    if options.ignore_index is not None:
        try:
            return int(text) == options.ignore_index
        except ValueError:
            return False
    return False


def vector_chunk(
    labels: list[str],
    vectors: list[list[float]],
    classes: list[str] | None,
    options,
    *,
    option: str = param("pred"),
    sample_weights: list[float] | None = None,
    environ: dict[str, str] | None = None,
):
    """Rows given as arguments as one chunk, the same as a file's: labels parsed against
    the classes, every row knowing the argument it came from. Returns the chunk and the
    notes to show (default class names)."""
    import os

    import numpy as np

    from .chunks import PredictionChunk

    n = len(vectors)
    labels, label_sources = _labels_for(labels, n)
    pred_sources = sources(option, n)
    weights = _argument_weights(sample_weights, n)
    binary = len(vectors[0]) == 1 and not options.multi_label
    names, note = resolve_classes(
        2 if binary else len(vectors[0]),
        option=",".join(classes) if classes else None,
        environ=os.environ if environ is None else environ,
    )
    values = np.asarray(vectors, dtype=np.float64)
    chunk = PredictionChunk(
        classes=names,
        values=values,
        lines=np.arange(1, n + 1),
        numbered="sample",
        sample_weights=weights,
        task="binary" if binary else "multiclass",
        origins={
            "prediction": pred_sources,
            "logits": pred_sources,
            "label": label_sources,
            "labels": label_sources,
        },
    )
    if options.multi_label:
        rows = [parse_multi_label(t, names, source=s) for t, s in zip(labels, label_sources)]
        chunk.targets = np.asarray(rows, dtype=np.float64)
        chunk.task = "multilabel"
        return chunk, [note] if note else []
    parsed = [
        len(names)
        if _ignored(text, options)
        else parse_label(text, names, source=src, binary=binary)
        for text, src in zip(labels, label_sources)
    ]
    if all(isinstance(p, int) for p in parsed):
        chunk.labels = np.asarray(parsed, dtype=np.intp)
    else:
        chunk.targets = _label_targets(parsed, len(names), options)
    return chunk, [note] if note else []


def _labels_for(labels: list[str], n: int) -> tuple[list[str], list[str]]:
    """The labels of ``n`` predictions (one label given is every row's) and the argument
    each came from."""
    if not labels:
        raise UsageError(
            f"no label: give the true class with {param('labels')} (a name, an index, or one "
            "value per class)"
        )
    if len(labels) not in (1, n):
        raise UsageError(
            f"{len(labels)} labels for {n} predictions: give one label for all, "
            "or one per prediction",
            parameter="labels",
        )
    label_sources = sources(param("labels"), len(labels))
    if len(labels) == 1 and n > 1:
        labels, label_sources = labels * n, label_sources * n
    return labels, label_sources


def _argument_weights(sample_weights: list[float] | None, n: int):
    """--sample-weights as an array, checked: one per prediction, finite, non-negative."""
    import numpy as np

    if sample_weights is None:
        return None
    if len(sample_weights) != n:
        raise UsageError(
            f"{len(sample_weights)} weights for {n} predictions: give one per {param('pred')}",
            parameter="sample_weights",
        )
    weights = np.asarray(sample_weights, dtype=np.float64)
    if not (np.isfinite(weights) & (weights >= 0)).all():
        raise UsageError(
            "sample weights must be finite and non-negative", parameter="sample_weights"
        )
    return weights


def _label_targets(parsed: list, k: int, options):
    """The (n, k) targets of labels of which some are distributions (a class index is a
    one-hot row; ``k``, an ignored label, is refused)."""
    import numpy as np

    if options.weights is not None and any(isinstance(p, int) for p in parsed):
        raise UsageError(
            f"with {param('weights')} give every label as a class or every label as a "
            "distribution: PyTorch divides the mean by the weights of the classes "
            "for the first, by the number of rows for the second",
            parameter="weights",
        )
    if options.ignoring and any(isinstance(p, int) and p == k for p in parsed):
        raise UsageError(
            "the labels are distributions: PyTorch's ignore_index needs class labels",
            parameter="ignore_index" if options.ignore_label is None else "ignore_label",
        )
    targets = np.zeros((len(parsed), k))
    for i, p in enumerate(parsed):
        if isinstance(p, int):
            targets[i, p] = 1.0
        else:
            targets[i] = p
    return targets


def distribution_chunk(
    vectors: list[list[float]],
    classes: list[str] | None,
    *,
    option: str = param("pred"),
    environ: dict[str, str] | None = None,
):
    """Distributions given as arguments (``xent entropy``): one value is the binary
    distribution (1 − p, p)."""
    import os

    import numpy as np

    from .chunks import PredictionChunk

    n = len(vectors)
    values = np.asarray(vectors, dtype=np.float64)
    task = "entropy"
    origin = sources(option, n)
    if values.shape[1] == 1:
        # Checked here, before 1 - p turns the value the user typed into another one.
        p = values[:, 0]
        outside = ~((p >= 0) & (p <= 1))
        if outside.any():
            i = int(np.flatnonzero(outside)[0])
            raise DataError(
                f"binary probability {p[i]:.6g} is outside [0, 1]: one value is P(class 1) "
                "of two classes (for counts, give a value per class with "
                f"{param('renormalize', True)})",
                source=origin[i],
            )
        values = np.column_stack([1.0 - p, p])
    names, note = resolve_classes(
        values.shape[1],
        option=",".join(classes) if classes else None,
        environ=os.environ if environ is None else environ,
    )
    chunk = PredictionChunk(
        classes=names,
        values=values,
        lines=np.arange(1, n + 1),
        numbered="sample",
        task=task,
        origins={"prediction": origin, "distribution": origin, "logits": origin},
    )
    return chunk, [note] if note else []
