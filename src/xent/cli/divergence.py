"""``xent kl`` and ``xent js``: divergences between two distributions P and Q."""

# No `from __future__ import annotations`: Typer reads the parameters' types at every
# start, and string annotations would each be compiled and evaluated then.

import os
from typing import Annotated, List, Optional

import typer

from ..errors import UsageError
from ..units import unit_name
from . import params as o
from . import parse, shared
from .app import XentCommand, app, output_format
from .choices import OutputFormat, Reduction

POption = Annotated[
    Optional[List[str]],
    typer.Option(
        "--p", metavar="P1,P2,...", help="Distribution P, one value per class. Repeatable."
    ),
]
QOption = Annotated[
    Optional[List[str]],
    typer.Option(
        "--q", metavar="Q1,Q2,...", help="Distribution Q, one value per class. Repeatable."
    ),
]


QFileOption = Annotated[
    Optional[str],
    typer.Option(
        "--q-file",
        metavar="FILE",
        help="Q in an .npy of its own, P the --file .npy: two models' arrays of logits, "
        "log-probabilities or probabilities (--holds), one row per pair. An .npz or "
        ".safetensors holds both as arrays p and q.",
        rich_help_panel=o.FILES,
    ),
]


def _run(params: dict, kind: str) -> None:
    """``xent kl``/``js``: of a file of P and Q columns (or piped in), or of --p and --q."""
    import sys

    from .. import api
    from ..readers.arguments import parse_vectors, resolve_classes
    from ..render.divergence_output import render_divergence

    p, q = params["p"], params["q"]
    path = parse.stdin_or_file(
        params["file"],
        bool(p or q),
        "no input: give --p and --q, a file with --file (columns p_<class> and q_<class>), "
        f"or pipe a file in (see 'xent {kind} --help')",
    )
    evaluation = parse.evaluation(params, None if path is None else [path], kind)
    if path is not None:
        from .files import score_distributions

        return score_distributions(evaluation, path, parse.view(params))
    if not p or not q:
        raise UsageError("give both distributions: --p 0.5,0.5 --q 0.9,0.1")
    if len(p) != len(q) and 1 not in (len(p), len(q)):
        raise UsageError(f"{len(p)} --p for {len(q)} --q: give one of them once, or as many")
    p_rows, q_rows = parse_vectors(list(p), "--p"), parse_vectors(list(q), "--q")
    if len(p_rows[0]) != len(q_rows[0]):
        raise UsageError(
            f"--p has {len(p_rows[0])} values but --q has {len(q_rows[0])}: one per class"
        )
    # The table names each class itself: the default-classes note of compute is not needed.
    names = resolve_classes(len(p_rows[0]), option=params["classes"], environ=os.environ)[0]
    result = api.evaluate(evaluation, api.Distributions(p_rows, q_rows, names))
    base, fmt, reduction = (
        evaluation.score.base,
        output_format(parse.view(params).fmt),
        evaluation.reduction,
    )
    render_divergence(
        result,
        fmt,
        sys.stdout,
        classes=names,
        base=base,
        unit=unit_name(base),
        reduction=reduction,
        precision=params["precision"],
    )
    sys.stdout.flush()


# Both commands' options, in the order --help lists them.
PAIRS = shared.Group(
    p=(POption, None),
    q=(QOption, None),
    classes=(o.ClassesOption, None),
    file=(o.FileOption, None),
    **shared.READING.options,
    p_columns=(o.PColumnsOption, None),
    q_columns=(o.QColumnsOption, None),
    q_file=(QFileOption, None),
    base=(o.BaseOption, "e"),
    fmt=(o.FormatOption, OutputFormat.auto),
    precision=(o.PrecisionOption, 4),
    classes_shown=(o.ClassesShownOption, "20"),
    reduction=(o.ReductionOption, Reduction.mean),
    renormalize=(o.RenormalizeOption, False),
    output=(o.OutputOption, None),
)


@app.command(cls=XentCommand)
@shared.expand
def kl(
    ctx: typer.Context,
    options=PAIRS,
) -> None:
    """Kullback-Leibler divergence KL(P‖Q) = Σ P(i)·log(P(i)/Q(i)).

    The extra cost of coding P with a code built for Q: never negative, not symmetric,
    infinite when Q(i) = 0 < P(i). SciPy's entropy(p, q) and rel_entr(p, q).sum().

    \b
    Example (0.0204 nats):
      xent kl --p 0.5,0.5 --q 0.4,0.6

    \b
    A file, a row per pair: columns p_<class> and q_<class> (or --p-columns, --q-columns):
      xent kl -i examples/distributions.csv -r none

    \b
    Two models' logits (or log-probabilities, probabilities: --holds), row by row:
      xent kl -i base.npy --q-file other.npy       (or -i pair.npz with arrays p and q)
    """
    _run(ctx.params, "kl")


@app.command(cls=XentCommand)
@shared.expand
def js(
    ctx: typer.Context,
    options=PAIRS,
) -> None:
    """Jensen-Shannon divergence JS(P,Q) = ½ KL(P‖M) + ½ KL(Q‖M), M = (P+Q)/2.

    Symmetric and finite, between 0 and 1 bit (ln 2 nats). This prints the divergence;
    SciPy's jensenshannon(p, q, base) returns its square root, the Jensen-Shannon
    distance (json output gives both: js_divergence and js_distance).

    \b
    Example (1 bit: disjoint distributions):
      xent js --p 1,0 --q 0,1 --base 2

    \b
    A file, a row per pair: columns p_<class> and q_<class> (or --p-columns, --q-columns):
      xent js -i examples/distributions.csv --base 2
    """
    _run(ctx.params, "js")
