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


def refuse_vector_only_options(options, save_svg, save_html) -> None:
    """Options that file mode does not apply yet: say so rather than ignore them."""
    given = [
        ("--label-smoothing", options.label_smoothing != 0.0),
        ("--weights", options.weights is not None),
        ("--ignore-index", options.ignore_index is not None),
        ("--ignore-label", options.ignore_label is not None),
        ("--multi-label", options.multi_label),
        ("--top-k", options.top_k != 1),
        ("--save-svg", save_svg is not None),
        ("--save-html", save_html is not None),
    ]
    for name, used in given:
        if used:
            raise UsageError(
                "works with --pred/--logits vectors; files do not support it yet", source=name
            )
