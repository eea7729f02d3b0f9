"""Every rule between options, in one module: the values of a
:class:`~xent.options.ScoreOptions` (:func:`check_score`), the roles of a file's columns in a
:class:`~xent.readers.read_options.ReadOptions` (:func:`check_read`), and the rules of an
:class:`~xent.evaluation.Evaluation` between them and the rest of the request
(:func:`check_evaluation`, :func:`check_files`). Each is checked once, when its object is
built. Only the standard library and :mod:`xent.errors`: every layer may import it (and
it imports none of the classes it checks, so that no cycle runs through it).

Errors name parameters, never flags: ``reduction='none'`` in Python, ``--reduction none``
on the command line (:func:`xent.errors.param`).
"""

from __future__ import annotations

import math

from .errors import UsageError, param

# Size-like options are bounded: a mistyped 1e9 must be a message, not a machine out of
# memory (the bins and the worst-rows heap are allocated up front).
MAX_BINS = 10_000
MAX_WORST = 100_000
MAX_TOP_K = 1_000_000
MAX_VOCABULARY = 1 << 40  # a language model's vocabulary size (vocab_size)
MAX_REPLICATES = 10_000  # bootstrap replicates (the weights' key holds 16 bits of them)

REDUCTIONS = ("mean", "sum", "none")
# What is measured: the cross-entropy of labels and predictions; a distribution's entropy,
# or the divergence of two (P and Q columns); two files' paired comparison; the
# temperature that calibrates a file's predictions.
MEASURES = ("cross_entropy", "entropy", "kl", "js", "compare", "temperature")
# Pictures of the whole summary (a reliability diagram, the table saved as SVG or HTML):
# a run that asks for one needs a summary, not rows.
# What an array file's values are (ReadOptions.holds).
HOLDS = ("auto", "logits", "logprobs", "probabilities")
# Whose the byte and word counts are (ScoreOptions.counts_per).
COUNTS_PER = ("row", "document")
# Which responses' log-probs a logprobs file holds (ReadOptions.logprobs_mode).
LOGPROBS_MODES = ("auto", "chat", "completions", "vllm", "vllm-prompt")
DRAWINGS = ("reliability", "reliability_svg", "save_svg", "save_html")
# What a gate (fail_above, fail_if_worse) compares with its limit: the estimate itself, or
# a bound of its bootstrap interval (upper: strict, fail unless the whole interval is at or
# below the limit; lower: lenient, fail only when the whole interval is above it).
GATES = ("estimate", "upper", "lower")


# compare's token statistics of two language models (xent.accumulators.TOKENS), and up to
# how many tokens their percentiles are exact (all values kept: 8 MiB each).
TOKEN_STATS = ("kl", "top1", "delta_p", "perplexity")
EXACT_PERCENTILES = 1 << 20


def check_evaluation(evaluation) -> None:
    """Every rule of an :class:`~xent.evaluation.Evaluation`, checked when it is built."""
    for name in evaluation.token_stats or ():
        if name not in TOKEN_STATS:
            raise UsageError(
                f"{name!r} is not a token statistic: use " + ", ".join(TOKEN_STATS),
                parameter="token_stats",
            )
    if evaluation.exact_percentiles < 0:
        raise UsageError(
            f"{evaluation.exact_percentiles} tokens: expected 0 or more",
            parameter="exact_percentiles",
        )
    if evaluation.reduction not in REDUCTIONS:
        raise UsageError(
            f"{evaluation.reduction!r} is not a reduction: use " + ", ".join(REDUCTIONS),
            parameter="reduction",
        )
    if evaluation.measure not in MEASURES:
        raise UsageError(
            f"{evaluation.measure!r} is not a measure: use " + ", ".join(MEASURES),
            parameter="measure",
        )
    for drawing in evaluation.drawings:
        if drawing not in DRAWINGS:
            raise UsageError(f"{drawing!r} is not a drawing", parameter="drawings")
    if evaluation.calibrator not in CALIBRATIONS:
        raise UsageError(
            f"{evaluation.calibrator!r} is not a calibration method: use "
            + ", ".join(CALIBRATIONS),
            parameter="calibrator",
        )
    calibrating = evaluation.score.temperature is not None or evaluation.score.calibration
    if calibrating and evaluation.measure != "cross_entropy":
        why = {
            "compare": "two models need a calibration each: score each file with its own",
            "temperature": "the fit starts from the predictions as they are",
        }.get(evaluation.measure, "it calibrates predictions scored against labels")
        raise UsageError(
            f"{param('measure', evaluation.measure)} with a calibration: {why}",
            parameter="temperature" if evaluation.score.temperature is not None else "calibration",
        )
    if evaluation.read is None:
        _check_values(evaluation)
    else:
        _check_file(evaluation)


def _check_values(evaluation) -> None:
    """Rows given as values: nothing that reads a file's columns or draws its bins."""
    reliability = _drawn(evaluation, "reliability", "reliability_svg")
    if reliability:
        raise UsageError(
            f"the reliability diagram is drawn for a file ({param('sources')}): its "
            "bins need many rows",
            parameter=reliability,
        )
    if evaluation.group_by is not None or evaluation.sequence_column is not None:
        raise UsageError(
            f"{param('group_by')} and {param('sequence_column')} read a file's columns: "
            f"give {param('sources')}",
            parameter="group_by" if evaluation.group_by is not None else "sequence_column",
        )
    counts = _counts(evaluation)
    if counts is not None:
        raise UsageError(
            f"{param(counts)} reads a file's column of counts: give {param('sources')}",
            parameter=counts,
        )


def _counts(evaluation) -> str | None:
    """The first count column given (byte_column, word_column), or None."""
    score = evaluation.score
    return (
        "byte_column"
        if score.byte_column is not None
        else ("word_column" if score.word_column is not None else None)
    )


def _check_file(evaluation) -> None:
    """A file's rows: a loss per row (``reduction='none'``) has no summary to keep
    or draw, and a cluster does not send rows back."""
    none = param("reduction", "none")
    if evaluation.workers is not None and evaluation.cluster != "local":
        raise UsageError(
            f"{param('workers')} is for {param('cluster', 'local')}", parameter="workers"
        )
    if evaluation.reduction == "none" and evaluation.cluster is not None:
        raise UsageError(
            f"{none} with {param('cluster')}: the rows would all come back through the "
            "scheduler to be written here; score the files locally for one loss per row",
            parameter="reduction",
        )
    if evaluation.reduction == "none" and evaluation.by_file:
        raise UsageError(
            f"{param('by_file')} needs a summary: leave out {none}", parameter="by_file"
        )
    if evaluation.reduction == "none" and evaluation.score.worst:
        raise UsageError(f"{param('worst')} needs a summary: leave out {none}", parameter="worst")
    if evaluation.reduction == "none" and evaluation.score.ci is not None:
        raise UsageError(f"the intervals are the summary's: leave out {none}", parameter="ci")
    pictures = _drawn(evaluation, "save_svg", "save_html")
    if evaluation.reduction == "none" and pictures:
        raise UsageError(
            f"{param('save_svg')}/{param('save_html')} save the summary: leave out {none}",
            parameter=pictures,
        )
    reliability = _drawn(evaluation, "reliability", "reliability_svg")
    if evaluation.reduction == "none" and reliability:
        raise UsageError(
            f"the reliability diagram is of the whole file: leave out {none}",
            parameter=reliability,
        )
    _check_distribution_file(evaluation)
    counts = _counts(evaluation)
    if evaluation.score.counts_per == "document" and (
        counts is None or evaluation.sequence_column is None
    ):
        raise UsageError(
            f"{param('counts_per', 'document')} reads each document's counts: give "
            f"{param('sequence_column')} and {param('byte_column')} or {param('word_column')}",
            parameter="counts_per",
        )
    if counts is not None and evaluation.read.sample_weights is not None:
        raise UsageError(
            f"{param(counts)} with {param('sample_weights')}: the perplexities per byte and "
            "word are lm-evaluation-harness' unweighted sums",
            parameter=counts,
        )
    if evaluation.recalibrate and evaluation.read is not None and evaluation.read.label_columns:
        raise UsageError(
            f"{param('predictions')} writes one class label per row: soft labels "
            f"({param('label_columns')}) have none",
            parameter="predictions",
        )


def _check_distribution_file(evaluation) -> None:
    """Rows of distributions (entropy, kl, js) have no labels, and their values are
    probabilities (``ScoreOptions.logits``: logits): the options that read an array
    file's labels or say what its values hold are refused, not ignored."""
    measure, read = evaluation.measure, evaluation.read
    if read.logprobs_mode != "auto" and measure in ("entropy", "kl", "js", "temperature"):
        what = "fits a temperature to" if measure == "temperature" else "reads"
        raise UsageError(
            f"{'calibrate' if measure == 'temperature' else measure} {what} every class's "
            "values: a logprobs file holds only the log-prob of each token that came "
            "(xent compute scores it)",
            parameter="logprobs_mode",
        )
    if measure not in ("entropy", "kl", "js"):
        return
    if read.labels_file is not None:
        raise UsageError(
            f"{measure} reads rows of distributions, which have no labels: the labels "
            "file is for prediction files",
            parameter="labels_file",
        )
    if read.holds != "auto" and measure == "entropy":  # kl, js: of two models' arrays p, q
        raise UsageError(
            f"{measure} reads a file's values as distributions: what they hold is said for "
            "prediction files and the P and Q arrays of kl and js only",
            parameter="holds",
        )
    if measure != "entropy" and read.pred_array is not None:
        raise UsageError(
            f"{measure} reads the P and Q columns of a table (CSV, JSON, Parquet), not the "
            "arrays of an .npz: the predictions array is for prediction files",
            parameter="pred_array",
        )


def check_files(evaluation, count: int, *, worst_hint: str | None = None) -> None:
    """The rules that need the number of files, once the paths are expanded: a loss
    per row, and the worst rows' line numbers, are of one file. ``worst_hint``: what
    to say instead when the worst rows were not asked for (a default)."""
    if count <= 1:
        return
    if evaluation.reduction == "none":
        raise UsageError(
            f"{param('reduction', 'none')} with several files: the rows would be "
            "numbered per file; score one file at a time",
            parameter="reduction",
        )
    if evaluation.score.worst and worst_hint is not None:
        raise UsageError(worst_hint, parameter="worst")
    if evaluation.score.worst:
        raise UsageError(
            f"{param('worst')} with several files: its line numbers would be per file; "
            "score one file at a time",
            parameter="worst",
        )


def check_gate(
    gate_on: str, limit: float | None, *, gate: str, ci: float | None, reduction: str = "mean"
) -> None:
    """A gate's rules, before anything is read: ``gate`` is the parameter holding the
    ``limit`` (``fail_above``, ``fail_if_worse``); a bound (``gate_on`` upper or lower)
    needs the interval (``ci``), which is of the mean."""
    if gate_on not in GATES:
        raise UsageError(
            f"{gate_on!r} is not what a gate compares: use " + ", ".join(GATES),
            parameter="gate_on",
        )
    if limit is not None and limit != limit:
        raise UsageError("nan is not a limit", parameter=gate)
    if gate_on == "estimate":
        return
    if limit is None:
        raise UsageError(
            f"{param('gate_on', gate_on)} says what {param(gate)} compares: give {param(gate)} too",
            parameter="gate_on",
        )
    if ci is None:
        raise UsageError(
            f"{param('gate_on', gate_on)} compares a bound of the interval: give "
            f"{param('ci', 0.95)} too",
            parameter="gate_on",
        )
    if reduction != "mean":
        raise UsageError(
            f"{param('gate_on', gate_on)}: the interval is of the mean loss, not the "
            f"{reduction}: leave out {param('reduction', reduction)}",
            parameter="gate_on",
        )


def _drawn(evaluation, *drawings: str) -> str | None:
    """The first of ``drawings`` asked for, or None."""
    return next((d for d in drawings if d in evaluation.drawings), None)


def check_score(options) -> None:
    """Values that are wrong whatever the data: one line, exit 2, naming the parameter."""
    if not (math.isfinite(options.base) and options.base > 0 and options.base != 1):
        raise UsageError(
            f"{options.base!r} is not a log base: use e, 2, 10 or another positive number but 1",
            parameter="base",
        )
    if options.clip is not None and not 0 < options.clip < 0.5:
        raise UsageError(
            f"{options.clip!r} is not a clip value: use a small number such as 1e-15",
            parameter="clip",
        )
    if not 0.0 <= options.label_smoothing <= 1.0:  # NaN fails too
        raise UsageError(
            f"{options.label_smoothing!r} is not in [0, 1] (PyTorch's range)",
            parameter="label_smoothing",
        )
    if options.weights is not None and not all(
        math.isfinite(w) and w >= 0 for w in options.weights
    ):
        raise UsageError("class weights must be finite and non-negative", parameter="weights")
    if options.weights is not None and not all(
        w == 0 or WEIGHT_RANGE[0] <= w <= WEIGHT_RANGE[1] for w in options.weights
    ):
        raise UsageError(f"class weights {WEIGHTS_RELATIVE}", parameter="weights")
    if options.renormalize and options.logits:
        raise UsageError(
            "logits are normalised by the softmax: there is nothing to renormalise",
            parameter="renormalize",
        )
    if options.ignore_index is not None and options.ignore_label is not None:
        raise UsageError(f"give {param('ignore_index')} or {param('ignore_label')}, not both")
    _bounded(options.top_k, 1, MAX_TOP_K, "top_k", "classes")
    _bounded(options.bins, 1, MAX_BINS, "bins", "bins")
    _bounded(options.worst, 0, MAX_WORST, "worst", "rows")
    if options.ci is not None and not 0.0 < options.ci < 1.0:  # NaN fails too
        raise UsageError(
            f"{options.ci!r} is not a confidence level: use a number in (0, 1), such as 0.95",
            parameter="ci",
        )
    if options.replicates is not None:
        _bounded(options.replicates, 2, MAX_REPLICATES, "replicates", "replicates")
    elif options.seed:
        raise UsageError(
            f"seeds the bootstrap's weights: give {param('replicates')} too (200 is the usual "
            "number), or leave it out",
            parameter="seed",
        )
    if options.counts_per not in COUNTS_PER:
        raise UsageError(
            f"{options.counts_per!r}: the counts are per row or per document",
            parameter="counts_per",
        )
    if options.vocab_size is not None:
        _bounded(options.vocab_size, 2, MAX_VOCABULARY, "vocab_size", "tokens")
    _check_calibrating(options)
    if not 0 <= options.seed < 2**63:
        raise UsageError(f"{options.seed} is not a seed: use 0 to 2**63 - 1", parameter="seed")


# What a calibration can be (xent.calibrators), and the temperatures allowed: beyond them
# z/T overflows or every row becomes one-hot.
CALIBRATIONS = ("temperature", "vector")
TEMPERATURES = (1e-6, 1e6)


def _check_calibrating(options) -> None:
    """A temperature by hand or a fitted calibration, not both; not for multi-label rows
    (K independent sigmoids, not one softmax)."""
    t = options.temperature
    if t is not None and not TEMPERATURES[0] <= t <= TEMPERATURES[1]:  # NaN fails too
        raise UsageError(
            f"{t!r} is not a temperature: use a number from 1e-06 to 1e+06 (1 changes nothing)",
            parameter="temperature",
        )
    if t is not None and options.calibration is not None:
        raise UsageError(
            f"give {param('temperature')} or {param('calibration')}, not both",
            parameter="temperature",
        )
    if options.multi_label and (t is not None or options.calibration is not None):
        raise UsageError(
            f"calibrating multi-label rows is not supported: leave out {param('multi_label')}",
            parameter="temperature" if t is not None else "calibration",
        )


def check_calibration(calibration) -> None:
    """A :class:`~xent.calibrators.Calibration`'s parameters: a temperature in range, or a
    finite scale and bias for each class."""
    if calibration.method not in CALIBRATIONS:
        raise UsageError(
            f"{calibration.method!r} is not a calibration method: use " + ", ".join(CALIBRATIONS),
            parameter="calibration",
        )
    t = calibration.temperature
    if calibration.method == "temperature" and not TEMPERATURES[0] <= t <= TEMPERATURES[1]:
        raise UsageError(f"{t!r} is not a temperature", parameter="temperature")
    if calibration.method != "vector":
        return
    k = len(calibration.classes)
    if k < 2 or len(calibration.scales) != k or len(calibration.biases) != k:
        raise UsageError(
            f"vector scaling needs a scale and a bias for each of its classes ({k})",
            parameter="calibration",
        )
    if not all(math.isfinite(v) for v in (*calibration.scales, *calibration.biases)):
        raise UsageError("a scale or a bias is not a finite number", parameter="calibration")


# Class weights are relative (a mean divides by their sum), so a run needs none beyond
# these: within them a weight's square, a sum of 2^63 of those and a weight times a loss
# stay normal floats. Outside, sums overflow (fsum's "intermediate overflow") or products
# lose their digits (subnormals: 1e-320 × 0.36 keeps two), and the mean would be wrong.
# (Sample weights have no such range: each chunk's are scaled by a power of two, exactly:
# xent.accumulators.scaling.)
WEIGHT_RANGE = (1e-100, 1e100)
WEIGHTS_RELATIVE = (
    "are relative: each must be 0 or between 1e-100 and 1e100 (multiply them all by one "
    "number: the mean is the same)"
)


def _bounded(value: int, low: int, high: int, parameter: str, what: str) -> None:
    """``value`` in [low, high], or a UsageError: ``what`` is the plural noun counted."""
    if value < low > 1:
        raise UsageError(f"{value} is too few: at least {low} {what}", parameter=parameter)
    if value < low:
        kind = "positive" if low == 1 else "non-negative"
        raise UsageError(f"{value} is not a {kind} number of {what}", parameter=parameter)
    if value > high:
        raise UsageError(f"{value:,} is more than the {high:,} {what} allowed", parameter=parameter)


def check_read(read) -> None:
    """A column has one role: a weight column that is also the label (or a soft label, or
    ignored) would be read twice and give confusing errors. ``holds`` is one of
    :data:`HOLDS`."""
    if read.holds not in HOLDS:
        raise UsageError(
            f"{read.holds!r} is not what a file can hold: use " + ", ".join(HOLDS),
            parameter="holds",
        )
    if read.logprobs_mode not in LOGPROBS_MODES:
        raise UsageError(
            f"{read.logprobs_mode!r} is not a logprobs mode: use " + ", ".join(LOGPROBS_MODES),
            parameter="logprobs_mode",
        )
    weights = read.sample_weights
    if weights is None:
        return
    roles = [
        (
            "label_column",
            () if read.label_columns or read.label_column is None else (read.label_column,),
        ),
        ("label_columns", read.label_columns),
        ("ignore_columns", read.ignore_columns),
    ]
    for parameter, names in roles:
        if weights in names:
            raise UsageError(
                f"{weights!r} is also named by {param(parameter)}: the weights need a column "
                "of their own",
                parameter="sample_weights",
            )
