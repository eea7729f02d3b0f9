"""The options several commands share, declared once (sqlite-utils' shared decorators, in
Typer's terms): a command names a group by a parameter whose default is the group,

    @app.command()
    @shared.expand
    def report(ctx: typer.Context, paths: p.PathsArgument = None, reading=shared.READING): ...

and :func:`expand` puts the group's options in that parameter's place, so ``--help``
lists them where the group stands. The command's body reads them from ``ctx.params`` (as
:func:`xent.cli.parse.evaluation` does). A new option of a group is one line here: every
command that names the group takes it (tests/test_file_options.py checks each).
"""

import functools
import inspect
from typing import Any, Callable

from . import params as p
from . import params_language as lp
from .choices import Holds, LogprobsMode, OnError


class Group:
    """Options by parameter name: (the annotated type, the default)."""

    __slots__ = ("options",)

    def __init__(self, **options: tuple[Any, Any]) -> None:
        self.options = options

    def without(self, *names: str) -> "Group":
        return Group(**{k: v for k, v in self.options.items() if k not in names})


# How a prediction file is read, and where its labels are. Every command that reads files
# takes the first (or, reading distributions, the second); one to which an option cannot
# apply refuses it with a line saying why (tests/test_file_options.py checks each).
LABELED_READING = Group(
    pred_array=(p.PredArrayOption, None),
    holds=(p.HoldsOption, Holds.auto),
    labels_file=(p.LabelsFileOption, None),
    logprobs_mode=(lp.LogprobsModeOption, LogprobsMode.auto),
    input_format=(p.InputFormatOption, None),
    label_column=(p.LabelColumnOption, "label"),
    label_columns=(p.LabelColumnsOption, None),
    delimiter=(p.DelimiterOption, None),
    ignore_columns=(p.IgnoreColumnsOption, None),
    on_error=(p.OnErrorOption, OnError.raise_),
)
LABEL_OPTIONS = ("label_column", "label_columns")
# A file of distributions (entropy, kl, js): no labels.
READING = LABELED_READING.without(*LABEL_OPTIONS)
READ_OPTIONS = tuple(READING.options)
# How a row's loss is defined: the frameworks' conventions.
CONVENTIONS = Group(
    from_logits=(p.FromLogitsOption, False),
    clip=(p.ClipOption, None),
    renormalize=(p.RenormalizeOption, False),
    label_smoothing=(p.LabelSmoothingOption, 0.0),
    weights=(p.WeightsOption, None),
    sample_weights=(p.SampleWeightsOption, None),
    ignore_index=(p.IgnoreIndexOption, None),
    ignore_label=(p.IgnoreLabelOption, None),
)
# How --ci draws its intervals.
INTERVALS = Group(
    ci=(p.CiOption, None), bootstrap=(p.BootstrapOption, None), seed=(p.SeedOption, 0)
)


def expand(command: Callable[..., Any]) -> Callable[..., Any]:
    """The command with each :class:`Group` parameter replaced by the group's options (see
    the module docstring); called with them, it passes on only its own parameters."""
    signature = inspect.signature(command)
    parameters: list[inspect.Parameter] = []
    grouped: set[str] = set()
    for parameter in signature.parameters.values():
        if not isinstance(parameter.default, Group):
            parameters.append(parameter)
            continue
        for name, (annotation, default) in parameter.default.options.items():
            kind = parameter.kind
            parameters.append(inspect.Parameter(name, kind, default=default, annotation=annotation))
            grouped.add(name)

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        return command(*args, **{k: v for k, v in kwargs.items() if k not in grouped})

    run.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    return run
