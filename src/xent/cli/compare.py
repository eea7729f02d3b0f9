"""``xent compare A B``: two models' prediction files for the same rows, row by row."""

# No `from __future__ import annotations`: Typer reads the parameters' types at every
# start, and string annotations would each be compiled and evaluated then.

import sys
from typing import Annotated, Optional

import typer

from ..errors import UsageError
from . import params as p
from . import params_calibration as pc
from . import parse, shared
from .app import XentCommand, app, output_format
from .choices import GateOn, OutputFormat


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class CompareCommand(XentCommand):
    """``--fail-if-worse`` takes an optional MARGIN: given alone it means 0."""

    def parse_args(self, ctx, args):
        args = list(args)
        for i, arg in enumerate(args):
            if arg == "--":
                break
            if arg == "--fail-if-worse" and (i + 1 == len(args) or not _is_number(args[i + 1])):
                args.insert(i + 1, "0")
        return super().parse_args(ctx, args)


@app.command(cls=CompareCommand)
@shared.expand
def compare(
    ctx: typer.Context,
    file_a: Annotated[str, typer.Argument(metavar="A", help="The reference model's predictions.")],
    file_b: Annotated[str, typer.Argument(metavar="B", help="The new model's, for the same rows.")],
    id_column: Annotated[
        Optional[str],
        typer.Option(
            "--id",
            metavar="COLUMN",
            help="Match rows by this column, not by order.",
            rich_help_panel=p.DECIDE,
        ),
    ] = None,
    disagree: Annotated[
        int,
        typer.Option(
            "--disagree",
            min=0,
            max=100_000,
            metavar="K",
            help="The K rows that differ most (default 10).",
            rich_help_panel=p.DECIDE,
        ),
    ] = 10,
    fail_if_worse: Annotated[
        Optional[float],
        typer.Option(
            "--fail-if-worse",
            metavar="[MARGIN]",
            help="Exit 3 when B is worse by more than MARGIN (0).",
            rich_help_panel=p.DECIDE,
        ),
    ] = None,
    token_stats: Annotated[
        str,
        typer.Option(
            "--token-stats",
            metavar="LIST",
            help="Token statistics: kl,top1,delta_p,perplexity.",
            rich_help_panel=p.DECIDE,
        ),
    ] = "auto",
    exact_percentiles: Annotated[
        int,
        typer.Option(
            "--exact-percentiles",
            min=0,
            metavar="N",
            help="Exact percentiles up to N tokens (default 2^20).",
            rich_help_panel=p.DECIDE,
        ),
    ] = 1 << 20,
    gate_on: pc.GateOnOption = GateOn.estimate,
    intervals=shared.INTERVALS,
    reading=shared.LABELED_READING,
    classes: p.ClassesOption = None,
    conventions=shared.CONVENTIONS,
    top_k: p.TopKOption = 1,
    base: p.BaseOption = "e",
    fmt: p.FormatOption = OutputFormat.auto,
    precision: p.PrecisionOption = 4,
    classes_shown: p.ClassesShownOption = "20",
    output: p.OutputOption = None,
) -> None:
    """Compare two models on the same rows: both losses, the paired difference B − A with
    its standard error, t statistic and interval, per-class differences, wins.

    \b
    Two language models' logits or log-probabilities (.npy with --labels-file, .npz,
    .safetensors, llama.cpp's --kl-divergence-base files): also KL(A‖B) per token, the
    same top token, Δp and both perplexities, as llama-perplexity --kl-divergence.

    \b
    Examples:
      xent compare old.csv new.csv                    (aligned by order, streamed)
      xent compare old.csv new.csv --id id --ci 0.95  (matched by an id column)
      xent compare old.csv new.csv --fail-if-worse 0.01   (exit 3 if new is worse)
    """
    from .. import api
    from ..render.compare_output import render_comparison
    from ..rules import check_gate

    parse.view(ctx.params)  # --classes-shown
    on = parse.choice(gate_on)
    ci = ctx.params["ci"]
    check_gate(on, fail_if_worse, gate="fail_if_worse", ci=ci)
    parse.refuse_drawing(ctx.params)
    evaluation = parse.evaluation(
        ctx.params,
        [file_a, file_b],
        "compare",
        id_column=id_column,
        disagreements=disagree,
        token_stats=_token_stats(token_stats),
        exact_percentiles=exact_percentiles,
    )
    if file_a == "-" and file_b == "-":
        raise UsageError("stdin can be only one of the two files")
    comparison = api.evaluate(evaluation, [file_a, file_b])
    render_comparison(comparison, output_format(fmt), sys.stdout, precision=precision)
    sys.stdout.flush()
    _say_no_interval(comparison, ci, output_format(fmt))
    _gate(fail_if_worse, comparison, on)


def _say_no_interval(comparison, ci: Optional[float], fmt: str) -> None:
    """``-f plain --ci`` prints the difference alone when there is no interval (one row):
    why goes to stderr, as for ``compute``."""
    if fmt == "plain" and ci is not None and comparison.ci is None:
        from .app import error_line

        why = [n for n in comparison.notes if "no confidence interval" in n]
        error_line(why[0] if why else "no confidence interval of the difference")


def _token_stats(text: str) -> Optional[tuple]:
    """``--token-stats``: None for auto, () for none, else the names (checked later)."""
    words = [w.strip() for w in text.split(",") if w.strip()]
    if words == ["auto"]:
        return None
    if words == ["none"]:
        return ()
    if words == ["all"]:
        from ..rules import TOKEN_STATS

        return TOKEN_STATS
    return tuple(words)


def _gate(margin: Optional[float], comparison, on: str = "estimate") -> None:
    """``--fail-if-worse MARGIN``: after the output, exit 3 when B is worse than A by more
    (with ``--gate-on upper``/``lower``: when that bound of the difference's interval is
    above MARGIN; upper with MARGIN 0 fails unless the interval lies below 0)."""
    import math

    from ..errors import GateFailed

    if margin is None:
        return
    a, b = comparison.a.source, comparison.b.source
    d = comparison.difference
    failed = f"B ({b}) is worse than A ({a}) by {d!r} {comparison.unit}"
    if on != "estimate":
        bounds = comparison.ci
        d = math.nan if bounds is None else bounds[on == "upper"]
        failed = (
            f"the {on} bound of the interval of B − A (B {b}, A {a}) is {d!r} {comparison.unit}"
        )
        if bounds is None:
            failed = "no interval of the difference could be computed"
    if d > margin or math.isnan(d):
        raise GateFailed(
            f"gate failed: {failed}, more than the margin {margin!r}", source="--fail-if-worse"
        )
