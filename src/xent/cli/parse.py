"""From the options as typed to one request: a command hands its option values
(``ctx.params``, by parameter name) to :func:`evaluation`, which parses what needs parsing
(the log base, the class weights, lists of names) and builds the
:class:`~xent.evaluation.Evaluation`, where every rule between options is checked once.
The sources (files, or vectors given as arguments) and the :class:`View` (how the result
is shown) are read here too. Nothing is imported that a command does not use: start-up.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ..errors import UsageError, param
from .choices import OutputFormat

# The ScoreOptions fields that are command-line options of the same name.
SCORE_FIELDS = (
    "clip",
    "renormalize",
    "label_smoothing",
    "ignore_index",
    "ignore_label",
    "multi_label",
    "top_k",
    "bins",
    "worst",
    "ci",
    "seed",
    "vocab_size",
    "byte_column",
    "word_column",
    "temperature",
)
DRAWINGS = ("reliability", "reliability_svg", "save_svg", "save_html")


class View(NamedTuple):
    """How a command's result is shown: the output options, read once. (A NamedTuple: a
    frozen dataclass costs about a millisecond of start-up.)"""

    fmt: OutputFormat
    precision: int
    reduction: str = "mean"
    svg: str | None = None
    html: str | None = None
    reliability: bool = False  # the reliability diagram instead of the summary
    reliability_svg: str | None = None

    @property
    def pictures(self) -> bool:
        return self.svg is not None or self.html is not None


def classes_shown(text: str) -> int | None:
    """``--classes-shown N|all``: a number of classes, or None for all of them."""
    if text.strip().lower() == "all":
        return None
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise UsageError(
            f"{text!r} is not a number of classes: give N >= 1, or all",
            parameter="classes_shown",
        )
    return n


def choice(value: Any, default: str | None = None) -> Any:
    """An enumerated option's value as text (``ctx.params`` holds it as Click read it,
    a function's argument as Typer converted it: either way, the text)."""
    return default if value is None else getattr(value, "value", value)


def view(params: dict[str, Any]) -> View:
    """The output options of a command, by their parameter names (``classes_shown`` sets
    how many classes the renderers list: :mod:`xent.render.classes_shown`)."""
    if "classes_shown" in params:
        from ..render.classes_shown import HOW_TO_LIST_ALL, LIMIT

        LIMIT.set(classes_shown(params["classes_shown"]))
        HOW_TO_LIST_ALL.set("--classes-shown all")
    return View(
        OutputFormat(choice(params.get("fmt"), "auto")),
        params.get("precision", 4),
        choice(params.get("reduction"), "mean"),
        params.get("save_svg"),
        params.get("save_html"),
        params.get("reliability", False),
        params.get("reliability_svg"),
    )


def evaluation(
    params: dict[str, Any], files: list[str] | None, measure: str = "cross_entropy", **values
):
    """The :class:`~xent.evaluation.Evaluation` of a command's options: its scoring
    options, how to read ``files`` (None: rows given as arguments), and the rest by name;
    ``values`` are what the command decides itself (``metrics``, ``recalibrate``)."""
    from ..evaluation import Evaluation

    score = score_options(params)
    distributions = measure in ("entropy", "kl", "js")
    read = None
    if files is not None:
        read = distribution_read_options(params) if distributions else file_read_options(params)
    else:
        refuse_file_options(params)
    given: dict[str, Any] = {
        name: params[name]
        for name in ("by_file", "group_by", "sequence_column", "cluster", "workers")
        if name in params
    }
    if "p_columns" in params:  # kl and js: the columns of P and Q, the classes named apart
        given["p_columns"] = names(params.get("p_columns"), param("p_columns"))
        given["q_columns"] = names(params.get("q_columns"), param("q_columns"))
        given["classes"] = names(params.get("classes"), param("classes"))
    return Evaluation(
        score=score,
        read=read,
        measure=measure,
        reduction=choice(params.get("reduction"), "mean"),
        drawings=tuple(d for d in DRAWINGS if params.get(d)),
        **given,
        **values,
    )


def score_options(params: dict[str, Any]):
    """The :class:`~xent.options.ScoreOptions` of a command, from its option values as
    typed: the log base and the class weights parsed, ``--on-error skip`` as
    ``skip_bad_rows``, ``--from-logits`` (or ``--logits`` vectors) as ``logits``."""
    from ..options import ScoreOptions
    from ..units import parse_base

    given: dict[str, Any] = {name: params[name] for name in SCORE_FIELDS if name in params}
    if "clip" in given:
        given["clip"] = clip(given["clip"])
    if params.get("calibration") is not None:  # the file calibrate --save-calibration wrote
        from ..calibrators import load

        given["calibration"] = load(params["calibration"])
    return ScoreOptions(
        logits=bool(params.get("from_logits") or params.get("logits")),
        base=parse_base(params.get("base", "e")),
        weights=class_weights(params.get("weights")),
        skip_bad_rows=choice(params.get("on_error")) == "skip",
        replicates=params.get("bootstrap"),
        counts_per=choice(params.get("counts_per"), "row"),
        **given,
    )


# scikit-learn's clip since 1.5: np.finfo(float).eps, the float64 machine epsilon.
EPS = 2.220446049250313e-16


def clip(text: Any) -> float | None:
    """``--clip EPS``: a number, or ``eps`` for the float64 machine epsilon
    (2.220446049250313e-16, scikit-learn's log_loss clip since 1.5)."""
    if text is None or isinstance(text, float):
        return text
    if str(text).strip().lower() == "eps":
        return EPS
    try:
        return float(text)
    except ValueError:
        raise UsageError(
            f"{text!r} is not a clip value: use a small number such as 1e-15, or eps "
            f"(the float64 machine epsilon, {EPS!r}, scikit-learn's)",
            parameter="clip",
        ) from None


def file_read_options(params: dict[str, Any]):
    """The :class:`~xent.readers.read_options.ReadOptions` of a prediction file, from the
    file options as typed (one spelling of each for every command)."""
    from ..readers.read_options import ReadOptions

    ignored = (params.get("ignore_index"), params.get("ignore_label"))
    return ReadOptions(
        input_format=choice(params.get("input_format")),
        label_column=params.get("label_column", "label"),
        label_columns=names(params.get("label_columns"), param("label_columns")),
        delimiter=delimiter(params.get("delimiter")),
        ignore_columns=column_names(params.get("ignore_columns"), param("ignore_columns")),
        classes=names(params.get("classes"), param("classes")),
        on_error=choice(params.get("on_error"), "raise"),
        sample_weights=params.get("sample_weights"),
        ignore_labels=tuple(str(t) for t in ignored if t is not None),
        multi_label=params.get("multi_label", False),
        pred_array=params.get("pred_array"),
        holds=choice(params.get("holds"), "auto"),
        labels_file=params.get("labels_file"),
        logprobs_mode=choice(params.get("logprobs_mode"), "auto"),
    )


def distribution_read_options(params: dict[str, Any]):
    """The :class:`~xent.readers.read_options.ReadOptions` of a file of distribution rows
    (``entropy``, ``kl``, ``js``): no label column, the classes named apart."""
    from ..readers.read_options import ReadOptions

    return ReadOptions(
        input_format=choice(params.get("input_format")),
        label_column=None,
        delimiter=delimiter(params.get("delimiter")),
        ignore_columns=column_names(params.get("ignore_columns"), param("ignore_columns")),
        classes=() if "p_columns" in params else names(params.get("classes"), param("classes")),
        on_error=choice(params.get("on_error"), "raise"),
        pred_array=params.get("pred_array"),
        holds=choice(params.get("holds"), "auto"),
        labels_file=params.get("labels_file"),
        q_file=params.get("q_file"),
        logprobs_mode=choice(params.get("logprobs_mode"), "auto"),
    )


# The options that read a file's columns, at their defaults (--on-error also skips bad
# rows given as arguments).
FILE_DEFAULTS = {
    "input_format": None,
    "delimiter": None,
    "ignore_columns": None,
    "pred_array": None,
    "holds": "auto",
    "labels_file": None,
    "logprobs_mode": "auto",
    "label_column": "label",
    "label_columns": None,
}


def refuse_file_options(params: dict[str, Any]) -> None:
    """Rows given as arguments have no file to read: an option that reads one is refused
    when it is given, rather than silently ignored."""
    for name, default in FILE_DEFAULTS.items():
        if name in params and choice(params[name]) != default:
            raise UsageError(
                "reads a file, and the rows given as arguments have no columns: give "
                f"{param('sources')}, or leave it out",
                parameter=name,
            )


def stdin_or_file(file: str | None, given: bool, no_input: str) -> str | None:
    """The file to read: ``--file``, else piped stdin (``-``) when no vectors are given;
    None for the vectors. ``no_input`` is the usage error when there is neither."""
    from .app import Terminal

    if file is not None:
        if given:
            raise UsageError("give a file or vectors, not both")
        return file
    if given:
        return None
    if Terminal.detect().stdin_is_tty:
        raise UsageError(no_input)
    return "-"


def predictions(pred, logits) -> tuple[list[list[float]], str]:
    """The vectors of ``--pred`` or ``--logits``, and the option they came from."""
    if pred and logits:
        raise UsageError("give the prediction as --pred or as --logits, not both")
    if not pred and not logits:
        raise UsageError(
            "no prediction: give --pred 0.4,0.3,... (probabilities) or --logits 2.0,1.0,..."
        )
    from ..readers.arguments import parse_vectors

    option = "--pred" if pred else "--logits"
    return parse_vectors(list(pred or logits), option), option


def input_files(params: dict[str, Any], given: bool, no_input: str) -> list[str] | None:
    """The files to read (``--file`` and the arguments after it), or piped stdin when no
    vectors are ``given``; None for the vectors. ``no_input``: the error when there is
    neither and stdin is a terminal."""
    from .app import Terminal

    files = [*(params.get("file") or ()), *(params.get("paths") or ())]
    if not files and not given:
        if Terminal.detect().stdin_is_tty:
            raise UsageError(no_input)
        files = ["-"]
    if files and given:
        raise UsageError("give a file or --labels/--pred/--logits vectors, not both")
    return files or None


def vectors(params: dict[str, Any], options):
    """The rows given as arguments: ``--labels``, ``--pred`` or ``--logits``, ``--classes``
    and ``--sample-weights`` (one number per ``--pred``), as an :class:`xent.api.Vectors`."""
    from ..api import Vectors
    from ..errors import DataError
    from ..readers.arguments import parse_vector

    pred = params.get("pred")
    values, option = predictions(pred, params.get("logits"))
    if options.logits and pred:
        option = "--pred"  # --from-logits: the values of --pred are logits
    weights = None
    if params.get("sample_weights") is not None:
        try:
            weights = parse_vector(params["sample_weights"], source="--sample-weights")
        except DataError as error:
            raise UsageError(
                f"{error.message}: with vectors give one weight per --pred (a file names a column)",
                source="--sample-weights",
            ) from None
    classes = list(names(params.get("classes"), "--classes")) or None
    return Vectors(list(params.get("labels") or []), values, classes, option, weights)


def names(text: str | None, option: str) -> tuple[str, ...]:
    from ..readers.arguments import parse_class_names

    return tuple(parse_class_names(text, source=option)) if text else ()


def column_names(text: str | None, option: str) -> tuple[str, ...]:
    """Column names, comma-separated and quoted as in CSV: ``id,"a,b"``; the empty name
    is ``''`` alone or ``""`` in a list (pandas' unnamed index column)."""
    if text is None:
        return ()
    if not text.strip():
        return ("",)
    import csv

    try:
        fields = next(csv.reader([text], skipinitialspace=True, strict=True))
    except csv.Error as error:
        raise UsageError(f"not a list of names ({error})", source=option) from None
    names = tuple(name.strip() for name in fields)
    for name in names:
        if names.count(name) > 1:
            raise UsageError(f"column {name!r} is given twice", source=option)
    return names


def delimiter(text: str | None) -> str | None:
    if text is None:
        return None
    text = {"\\t": "\t", "tab": "\t"}.get(text, text)
    if len(text) != 1:
        raise UsageError(f"{text!r} is not one character", source="--delimiter")
    return text


def class_weights(text: str | None) -> tuple[float, ...] | None:
    if text is None:
        return None
    from ..errors import DataError
    from ..readers.arguments import parse_vector

    try:
        return tuple(parse_vector(text, source="--weights"))
    except DataError as error:  # a weight that is not a number is a usage error here
        raise UsageError(error.message, source="--weights") from None


def refuse_drawing(params: dict[str, Any]) -> None:
    """``--bootstrap`` and ``--seed`` say how ``--ci`` draws its interval: without it they
    are refused (files and vectors alike), not ignored."""
    if params.get("ci") is not None:
        return
    for name, default in (("bootstrap", None), ("seed", 0)):
        if params.get(name, default) != default:
            raise UsageError(
                "says how --ci draws its interval: give --ci 0.95 too, or leave it out",
                parameter=name,
            )
