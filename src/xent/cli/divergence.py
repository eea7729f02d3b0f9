"""``xent kl`` and ``xent js``: divergences between two distributions P and Q."""

# No `from __future__ import annotations`: Typer reads the parameters' types at every
# start, and string annotations would each be compiled and evaluated then.

import os
from typing import List, Optional

import typer

from ..errors import InvalidProbabilities, UsageError
from ..units import parse_base, unit_name
from . import options as o
from .app import XentCommand, app, output_format

POption = typer.Option(
    None, "--p", metavar="P1,P2,...", help="Distribution P, one value per class. Repeatable."
)
QOption = typer.Option(
    None, "--q", metavar="Q1,Q2,...", help="Distribution Q, one value per class. Repeatable."
)


def _run(kind, p, q, classes, base, fmt, precision, reduction, renormalize, files) -> None:
    import sys

    from ..divergences import divergence
    from ..readers.arguments import parse_vectors, resolve_classes, sources
    from ..render.divergence_output import render_divergence

    log_base = parse_base(base)
    if _file(kind, bool(p or q), classes, log_base, fmt, precision, reduction, renormalize, files):
        return
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
    names = resolve_classes(len(p_rows[0]), option=classes, environ=os.environ)[0]
    try:
        result = divergence(kind, p_rows, q_rows, base=log_base, renormalize=renormalize)
    except InvalidProbabilities as error:
        option = f"--{error.what}"
        names_of = sources(option, len(p_rows if error.what == "p" else q_rows))
        row = min(error.row or 0, len(names_of) - 1)
        error.source = names_of[row]
        raise error from None
    render_divergence(
        result,
        output_format(fmt),
        sys.stdout,
        classes=names,
        base=log_base,
        unit=unit_name(log_base),
        reduction=reduction.value,
        precision=precision,
    )
    sys.stdout.flush()


def _file(kind, given, classes, base, fmt, precision, reduction, renormalize, files) -> bool:
    """Score a file of P and Q columns, if one is given (or piped in): True when done."""
    file, input_format, delimiter, ignore_columns, on_error, p_columns, q_columns = files
    path = o.stdin_or_file(
        file,
        given,
        "no input: give --p and --q, a file with --file (columns p_<class> and q_<class>), "
        f"or pipe a file in (see 'xent {kind} --help')",
    )
    if path is None:
        return False
    from ..options import ScoreOptions
    from .files import distribution_file_command

    options = ScoreOptions(
        base=base, renormalize=renormalize, skip_bad_rows=on_error is o.OnError.skip
    )
    read = o.read_options(input_format, delimiter, ignore_columns, None, on_error)
    distribution_file_command(
        path,
        kind,
        options,
        read,
        o.View(fmt, precision, reduction.value),
        p_columns=o.names(p_columns, "--p-columns"),
        q_columns=o.names(q_columns, "--q-columns"),
        classes=o.names(classes, "--classes"),
    )
    return True


@app.command(cls=XentCommand)
def kl(
    p: Optional[List[str]] = POption,
    q: Optional[List[str]] = QOption,
    classes: Optional[str] = o.ClassesOption,
    file: Optional[str] = o.FileOption,
    input_format: Optional[o.InputFormat] = o.InputFormatOption,
    delimiter: Optional[str] = o.DelimiterOption,
    ignore_columns: Optional[str] = o.IgnoreColumnsOption,
    p_columns: Optional[str] = o.PColumnsOption,
    q_columns: Optional[str] = o.QColumnsOption,
    on_error: o.OnError = o.OnErrorOption,
    base: str = o.BaseOption,
    fmt: o.OutputFormat = o.FormatOption,
    precision: int = o.PrecisionOption,
    reduction: o.Reduction = o.ReductionOption,
    renormalize: bool = o.RenormalizeOption,
    output: Optional[str] = o.OutputOption,
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
    """
    files = (file, input_format, delimiter, ignore_columns, on_error, p_columns, q_columns)
    _run("kl", p, q, classes, base, fmt, precision, reduction, renormalize, files)


@app.command(cls=XentCommand)
def js(
    p: Optional[List[str]] = POption,
    q: Optional[List[str]] = QOption,
    classes: Optional[str] = o.ClassesOption,
    file: Optional[str] = o.FileOption,
    input_format: Optional[o.InputFormat] = o.InputFormatOption,
    delimiter: Optional[str] = o.DelimiterOption,
    ignore_columns: Optional[str] = o.IgnoreColumnsOption,
    p_columns: Optional[str] = o.PColumnsOption,
    q_columns: Optional[str] = o.QColumnsOption,
    on_error: o.OnError = o.OnErrorOption,
    base: str = o.BaseOption,
    fmt: o.OutputFormat = o.FormatOption,
    precision: int = o.PrecisionOption,
    reduction: o.Reduction = o.ReductionOption,
    renormalize: bool = o.RenormalizeOption,
    output: Optional[str] = o.OutputOption,
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
    files = (file, input_format, delimiter, ignore_columns, on_error, p_columns, q_columns)
    _run("js", p, q, classes, base, fmt, precision, reduction, renormalize, files)
