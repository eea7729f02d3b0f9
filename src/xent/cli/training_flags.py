"""The framework options of ``xent compute`` (``--label-smoothing``, ``--weights``,
``--ignore-index``/``--ignore-label``, ``--multi-label``, ``--top-k``, ``--bins``): from
option values to :mod:`xent.training`, kept out of ``compute.py`` so the command stays small.
"""

from __future__ import annotations

import os

from ..errors import InvalidProbabilities, UsageError
from .app import locate


def training_options(
    label_smoothing, weights, ignore_index, ignore_label, multi_label, top_k, bins
):
    from ..readers.arguments import parse_vector
    from ..training import TrainingOptions, check_options

    if ignore_index is not None and ignore_label is not None:
        raise UsageError("give --ignore-index or --ignore-label, not both")
    parsed = None
    if weights is not None:
        try:
            parsed = tuple(parse_vector(weights, source="--weights"))
        except Exception as error:  # a weight that is not a number is a usage error here
            raise UsageError(error.message, source="--weights") from None
    options = TrainingOptions(
        label_smoothing=label_smoothing,
        weights=parsed,
        ignore_index=ignore_index,
        ignore_label=ignore_label,
        multi_label=multi_label,
        top_k=top_k,
        bins=bins,
    )
    check_options(options)
    return options


def drop_ignored(labels, vectors, label_sources, pred_sources, options):
    """Leave out the rows whose label is ignored; returns the rest and a note (or None)."""
    from ..training import ignored_note, kept_rows

    if not options.ignoring:
        return labels, vectors, label_sources, pred_sources, None
    keep = kept_rows(list(labels), len(vectors), options)
    note = ignored_note(len(vectors), len(keep))
    if len(labels) > 1:
        labels = [labels[i] for i in keep]
        label_sources = [label_sources[i] for i in keep]
    return labels, [vectors[i] for i in keep], label_sources, [pred_sources[i] for i in keep], note


def multi_label_report(
    labels,
    vectors,
    label_sources,
    pred_sources,
    probabilities,
    classes,
    base,
    reduction,
    clip,
    options,
):
    """``--multi-label``: labels are 0/1 per class (or positive class names)."""
    from ..readers.arguments import resolve_classes
    from ..training import multilabel_report, parse_multi_label

    names, note = resolve_classes(len(vectors[0]), option=classes, environ=os.environ)
    if len(labels) == 1 and len(vectors) > 1:
        labels, label_sources = list(labels) * len(vectors), label_sources * len(vectors)
    y = [parse_multi_label(t, names, source=s) for t, s in zip(labels, label_sources)]
    try:
        return multilabel_report(
            y,
            list(labels),
            names,
            pred=vectors if probabilities else None,
            logits=None if probabilities else vectors,
            base=base,
            reduction=reduction,
            clip=clip,
            notes=[note] if note else None,
            options=options,
        )
    except InvalidProbabilities as error:
        raise locate(error, {"label": label_sources, "pred": pred_sources}) from None


def refuse_vector_only_options(options, save_svg=None, save_html=None) -> None:
    """Options that file mode does not apply: say so rather than ignore them.

    ``--multi-label`` stays vector-only: a file's class columns are one softmax
    distribution per row, and its label column one class; multi-label rows need a label
    format of their own (several names, or one 0/1 column per class) and independent
    probabilities, which the readers do not take yet."""
    if options.multi_label:
        raise UsageError(
            "works with --pred/--logits vectors; prediction files hold one class per row "
            "and do not support it yet",
            source="--multi-label",
        )


def refuse_vector_only_flags(sample_weights) -> None:
    """``--sample-weights`` names a file column: vectors have none."""
    if sample_weights is not None:
        raise UsageError(
            "names a column of a prediction file: use it with --file "
            "(the Python API takes sample_weight= for arrays)",
            source="--sample-weights",
        )
