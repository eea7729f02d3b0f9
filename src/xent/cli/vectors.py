"""``xent compute`` on vectors given as arguments: a one-chunk source of the pipeline."""

from __future__ import annotations

from .app import render_report
from .options import View, names, predictions


def score_vectors(labels, pred, logits, classes, options, sample_weights, view: View):
    """Parse the vectors into one chunk, score it as any file is scored, draw the table."""
    from ..errors import DataError, UsageError
    from ..pipeline import vector_report
    from ..readers.arguments import parse_vector, vector_chunk

    vectors, option = predictions(pred, logits)
    if options.logits and pred:
        option = "--pred"  # --from-logits: the values of --pred are logits
    weights = None
    if sample_weights is not None:
        try:
            weights = parse_vector(sample_weights, source="--sample-weights")
        except DataError as error:
            raise UsageError(
                f"{error.message}: with vectors give one weight per --pred (a file names a column)",
                source="--sample-weights",
            ) from None
    chunk, notes = vector_chunk(
        list(labels or []),
        vectors,
        list(names(classes, "--classes")) or None,
        options,
        option=option,
        sample_weights=weights,
    )
    report = vector_report(
        chunk,
        options,
        reduction=view.reduction,
        notes=notes,
        labels=list(labels or []),
        metrics=view.fmt != "plain",  # plain prints the loss alone
    )
    render_report(report, view.fmt, view.precision, svg=view.svg, html=view.html)
    return report
