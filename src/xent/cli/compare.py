"""``xent compare A B``: two models' prediction files for the same rows, row by row."""

# No `from __future__ import annotations`: Typer reads the parameters' types at every
# start, and string annotations would each be compiled and evaluated then.

import sys
from typing import Optional

import typer

from ..errors import UsageError
from . import options as o
from .app import XentCommand, app, output_format


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
def compare(
    file_a: str = typer.Argument(..., metavar="A", help="The reference model's predictions."),
    file_b: str = typer.Argument(..., metavar="B", help="The new model's, for the same rows."),
    id_column: Optional[str] = typer.Option(
        None,
        "--id",
        metavar="COLUMN",
        help="Match rows by this column instead of by order (both files are read in memory).",
        rich_help_panel=o.DECIDE,
    ),
    disagree: int = typer.Option(
        10,
        "--disagree",
        min=0,
        max=100_000,
        metavar="K",
        help="List the K rows where the two losses differ most (default 10).",
        rich_help_panel=o.DECIDE,
    ),
    fail_if_worse: Optional[float] = typer.Option(
        None,
        "--fail-if-worse",
        metavar="[MARGIN]",
        help="A gate for scripts: after the output, exit 3 when B's mean loss is above A's "
        "by more than MARGIN (default 0).",
        rich_help_panel=o.DECIDE,
    ),
    ci: Optional[float] = o.CiOption,
    bootstrap: int = o.BootstrapOption,
    seed: int = o.SeedOption,
    input_format: Optional[o.InputFormat] = o.InputFormatOption,
    label_column: str = o.LabelColumnOption,
    label_columns: Optional[str] = o.LabelColumnsOption,
    delimiter: Optional[str] = o.DelimiterOption,
    ignore_columns: Optional[str] = o.IgnoreColumnsOption,
    classes: Optional[str] = o.ClassesOption,
    from_logits: bool = o.FromLogitsOption,
    clip: Optional[float] = o.ClipOption,
    renormalize: bool = o.RenormalizeOption,
    label_smoothing: float = o.LabelSmoothingOption,
    weights: Optional[str] = o.WeightsOption,
    sample_weights: Optional[str] = o.SampleWeightsOption,
    ignore_index: Optional[int] = o.IgnoreIndexOption,
    ignore_label: Optional[str] = o.IgnoreLabelOption,
    top_k: int = o.TopKOption,
    base: str = o.BaseOption,
    fmt: o.OutputFormat = o.FormatOption,
    precision: int = o.PrecisionOption,
    output: Optional[str] = o.OutputOption,
) -> None:
    """Compare two models on the same rows: both losses, the paired difference B − A with
    its standard error, t statistic and interval, per-class differences, wins.

    \b
    Examples:
      xent compare old.csv new.csv                    (aligned by order, streamed)
      xent compare old.csv new.csv --id id --ci 0.95  (matched by an id column)
      xent compare old.csv new.csv --fail-if-worse 0.01   (exit 3 if new is worse)
    """
    from ..compare import compare_files
    from ..render.compare_output import render_comparison

    options = o.score_options(
        logits=from_logits,
        base=base,
        clip=clip,
        renormalize=renormalize,
        label_smoothing=label_smoothing,
        weights=weights,
        ignore_index=ignore_index,
        ignore_label=ignore_label,
        top_k=top_k,
        ci=ci,
        replicates=bootstrap,
        seed=seed,
    )
    read = o.file_read_options(
        input_format=input_format,
        label_column=label_column,
        label_columns=label_columns,
        delimiter_text=delimiter,
        ignore_columns=ignore_columns,
        classes=classes,
        sample_weights=sample_weights,
        ignore_index=ignore_index,
        ignore_label=ignore_label,
    )
    if file_a == "-" and file_b == "-":
        raise UsageError("stdin can be only one of the two files")
    comparison = compare_files(
        file_a, file_b, options, read, id_column=id_column, disagreements=disagree
    )
    render_comparison(comparison, output_format(fmt), sys.stdout, precision=precision)
    sys.stdout.flush()
    if fail_if_worse is not None:
        import math

        from ..errors import GateFailed

        if math.isnan(fail_if_worse):
            raise UsageError("nan is not a margin", source="--fail-if-worse")
        d = comparison.difference
        if d > fail_if_worse or math.isnan(d):
            raise GateFailed(
                f"gate failed: B ({comparison.b.source}) is worse than A "
                f"({comparison.a.source}) by {d!r} {comparison.unit}, more than the margin "
                f"{fail_if_worse!r}",
                source="--fail-if-worse",
            )
