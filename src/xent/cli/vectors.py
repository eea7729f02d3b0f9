"""``xent compute`` on vectors given on the command line: ``--labels`` and ``--pred`` (or
``--logits``), one or several samples. Files go through :mod:`.file_input`."""

from __future__ import annotations

import os

from ..errors import InvalidProbabilities, UsageError
from .app import locate, predictions, render_report, sources


def run_vectors(
    *,
    labels,
    pred,
    logits,
    from_logits: bool,
    classes,
    base: float,
    reduction: str,
    clip,
    renormalize: bool,
    options,
    sample_weights,
    fmt,
    precision: int,
    save_svg,
    save_html,
) -> None:
    """Score the vectors and render the report (the body of ``xent compute`` without a file)."""
    from ..readers.arguments import parse_label, resolve_classes
    from ..training import training_report
    from .training_flags import drop_ignored, multi_label_report, refuse_vector_only_flags

    refuse_vector_only_flags(sample_weights)
    if from_logits:  # Keras' from_logits=True: the same numbers as --logits
        if logits:
            raise UsageError("--from-logits reads --pred as logits: give --pred, not --logits")
        pred, logits = None, pred
    vectors, pred_option = predictions(pred, logits)
    pred_option = "--pred" if from_logits else pred_option
    if not labels:
        raise UsageError(
            "no label: give the true class with --labels (a name, an index, or one value per class)"
        )
    if len(labels) not in (1, len(vectors)):
        raise UsageError(
            f"{len(labels)} labels for {len(vectors)} predictions: give one label for all, "
            "or one per prediction",
            source="--labels",
        )
    # Sources are numbered before ignored rows are left out, so errors name the user's rows.
    pred_sources, label_sources = (
        sources(pred_option, len(vectors)),
        sources("--labels", len(labels)),
    )
    labels, vectors, label_sources, pred_sources, ignored = drop_ignored(
        labels, vectors, label_sources, pred_sources, options
    )
    if options.multi_label:
        report = multi_label_report(
            labels,
            vectors,
            label_sources,
            pred_sources,
            bool(pred),
            classes,
            base,
            reduction,
            clip,
            options,
        )
        return render_report(report, fmt, precision, svg=save_svg, html=save_html)
    binary = len(vectors[0]) == 1
    n_classes = 2 if binary else len(vectors[0])
    names, note = resolve_classes(n_classes, option=classes, environ=os.environ)
    if binary:
        # One value is the probability (or logit) of the second class.
        vectors = [[1.0 - v[0], v[0]] if pred else [0.0, v[0]] for v in vectors]
    targets = [
        parse_label(text, names, source=src, binary=binary)
        for text, src in zip(labels, label_sources)
    ]
    if len(targets) == 1 and len(vectors) > 1:
        targets, labels, label_sources = (
            targets * len(vectors),
            list(labels) * len(vectors),
            label_sources * len(vectors),
        )
    try:
        report = training_report(
            targets,
            list(labels),
            names,
            pred=vectors if pred else None,
            logits=vectors if logits else None,
            base=base,
            reduction=reduction,
            clip=clip,
            renormalize=renormalize,
            notes=[n for n in (note, ignored) if n],
            options=options,
        )
    except InvalidProbabilities as error:
        hint = (
            ""
            if renormalize or error.what != "prediction"
            else " (--renormalize divides by the sum)"
        )
        error.message += hint
        raise locate(error, {"label": label_sources, "pred": pred_sources}) from None
    render_report(report, fmt, precision, svg=save_svg, html=save_html)
