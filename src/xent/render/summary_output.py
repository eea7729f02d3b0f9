"""A :class:`~xent.summary.FileSummary` as plain, json or csv (the table is in
``summary_table``). They format; they never compute a loss."""

from __future__ import annotations

import csv
import math

from .language_output import language_dict, render_documents_csv
from .numbers import full_precision, json_number
from .text import require_encodable, write_json

WORST_HEADER = ["row", "line", "label", "predicted", "cross_entropy"]
# Appended after the original columns, so that scripts reading those by position still work.
CSV_METRICS = ["top_k_accuracy", "k", "brier_score", "ece", "bins"]
# The calibration columns, after those (a class's row has its own ECE in classwise_ece).
CSV_CALIBRATION = ["mce", "rms_calibration_error", "classwise_ece", "adaptive_ece", "binary_ece"]
# The reliability diagram's rows (--reliability -f csv/json).
RELIABILITY_HEADER = [
    "bin",
    "low",
    "high",
    "rows",
    "weight",
    "mean_confidence",
    "accuracy",
    "gap",
    "wilson_low",
    "wilson_high",
]


def adaptive_bound_text(m) -> str:
    """The equal-mass ECE's worst-case error (``adaptive_ece_bound``: it comes from the
    histogram of the confidences, not from sampling) as a note, when it matters: when it
    is at least a tenth of the ECE. Empty otherwise."""
    bound, value = m.adaptive_ece_bound, m.adaptive_ece
    if not (math.isfinite(bound) and math.isfinite(value)) or bound <= 0 or bound < value / 10:
        return ""
    from .numbers import number

    return f"worst-case error ≤ {number(bound, 2)}"


# The tie rules of the two accuracies, where both are shown (top-k with k > 1): each one
# is its scikit-learn counterpart's, and they differ on a tie for the top probability.
TIE_NOTE = (
    "accuracy: the arg-max, the first class on a tie (scikit-learn's accuracy_score of "
    "argmax(Q)); top-k accuracy: scikit-learn's top_k_accuracy_score, which ranks the "
    "later class first on a tie"
)


def metrics_dict(summary) -> dict:
    """The stable metric keys; null when the summary has no metrics (no rows)."""
    m = summary.metrics
    return {
        "top_k_accuracy": None if m is None else json_number(m.top_k_accuracy),
        "k": None if m is None else m.k,
        "brier_score": None if m is None else json_number(m.brier_score),
        "brier_convention": None if m is None else m.brier_convention,
        "ece": None if m is None else json_number(m.ece),
        "bins": None if m is None else m.bins,
        "mce": None if m is None else json_number(m.mce),
        "rms_calibration_error": None if m is None else json_number(m.rms_calibration_error),
        "classwise_ece": None if m is None else json_number(m.classwise_ece),
        "adaptive_ece": None if m is None else json_number(m.adaptive_ece),
        "adaptive_ece_bound": None if m is None else json_number(m.adaptive_ece_bound),
        "binary_ece": None if m is None or math.isnan(m.binary_ece) else json_number(m.binary_ece),
    }


def reliability_rows(summary) -> list[list]:
    """The reliability diagram as rows of :data:`RELIABILITY_HEADER` (floats)."""
    m = summary.metrics
    if m is None:
        return []
    return [
        [b + 1, low, high, rows, weight, conf, acc, acc - conf, w_low, w_high]
        for b, (low, high, rows, weight, conf, acc, w_low, w_high) in enumerate(m.reliability)
    ]


def render_reliability_csv(summary, out) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(RELIABILITY_HEADER)
    for row in reliability_rows(summary):
        writer.writerow([v if isinstance(v, int) else full_precision(v) for v in row])


def render_reliability_json(summary, out) -> None:
    data = {
        "source": summary.source,
        "bins": summary.metrics.bins if summary.metrics else None,
        "interval": "wilson, 95%",
        **metrics_dict(summary),
        "reliability": [
            {
                name: v if isinstance(v, int) else json_number(v)
                for name, v in zip(RELIABILITY_HEADER, row)
            }
            for row in reliability_rows(summary)
        ],
    }
    write_json(data, out)


CI_ORDER = (
    "mean_cross_entropy",
    "perplexity",
    "accuracy",
    "top_k_accuracy",
    "brier_score",
    "ece",
)


def ci_dict(ci) -> dict | None:
    """``{level, method, replicates, seed, mean_cross_entropy: [lo, hi], ...}``."""
    if ci is None:
        return None
    data: dict = {
        "level": ci.level,
        "method": ci.method,
        "replicates": ci.replicates,
        "seed": ci.seed,
    }
    for name in CI_ORDER:
        if name in ci.bounds:
            data[name] = [json_number(x) for x in ci.bounds[name]]
    return data


def skill_dict(skill) -> dict | None:
    """The loss against the base rate (see :class:`xent.results.Skill`)."""
    if skill is None:
        return None
    return {
        "base_rate_entropy": json_number(skill.base_rate),
        "cross_entropy": json_number(skill.loss),
        "pseudo_r2": json_number(skill.pseudo_r2),
        "information_gain_bits": json_number(skill.information_gain_bits),
    }


# Token rows (a logprobs file: each token's log-probability, not a distribution over
# classes): what JSON leaves null for them, and why (in "notes").
TOKEN_NOTE = (
    "token rows: each token's log-probability, not a distribution over classes, so "
    "accuracy, the classes, the per-class table and the calibration metrics are null"
)


def summary_to_dict(summary) -> dict:
    data = _summary_dict(summary)
    if summary.task == "tokens":  # the same keys, null where they mean nothing
        data.update(accuracy=None, classes=None, per_class=None)
        data.pop("classes_left_out", None)
        for row in data["worst"]:
            row.update(label=None, predicted=None)
        worst = " (and the worst rows' label and prediction)" if data["worst"] else ""
        data["notes"].append(TOKEN_NOTE + worst)
    return data


def _summary_dict(summary) -> dict:
    return {
        "source": summary.source,
        "cross_entropy": json_number(summary.cross_entropy),
        "reduction": summary.reduction,
        "rows": summary.rows,
        "mean": json_number(summary.mean),
        "sum": json_number(summary.sum),
        "std": json_number(summary.std),
        "min": json_number(summary.min),
        "max": json_number(summary.max),
        "perplexity": json_number(summary.perplexity),
        "accuracy": json_number(summary.accuracy),
        **metrics_dict(summary),
        # "weighted": the mean is a weighted mean; "weighting" says whose: one of
        # pytorch_class_weights, sklearn_sample_weight, or both joined by "+".
        "weighted": summary.weighted is not None,
        "weighting": summary.weighted,
        "ignored_rows": summary.ignored,
        "unit": summary.unit,
        "base": summary.base,
        # Stable keys for scripts: "first" holds line numbers, or row positions in a JSON
        # document ("numbered_by" says which).
        "skipped": {
            "rows": summary.skipped,
            "first": summary.skipped_lines,
            "numbered_by": summary.numbered,
        },
        **per_class_part(summary),
        "worst": worst_dicts(summary),
        "ci": ci_dict(summary.ci),
        "skill": skill_dict(summary.skill),
        **groups_dict(summary),
        **language_dict(summary),
        "notes": list(summary.notes),
        **files_dict(summary),
    }


def per_class_part(summary) -> dict:
    """ "classes" and "per_class": every class, or the largest shares of the loss and
    "classes_left_out" (how many are not listed; see :mod:`.classes_shown`)."""
    from .classes_shown import shown

    chosen, left_out = shown([c.share for c in summary.per_class])
    listed = [summary.per_class[i] for i in chosen]
    part: dict = {"classes": [c.name for c in listed], "per_class": per_class_dicts(listed)}
    if left_out:
        part["classes_left_out"] = left_out
    return part


def per_class_dicts(summary) -> list[dict]:
    """A dict per class of ``summary`` (a summary, or a list of its classes)."""
    classes = summary if isinstance(summary, list) else summary.per_class
    return [
        {
            "class": c.name,
            "rows": c.rows,
            "mean_cross_entropy": json_number(c.mean),
            "share": json_number(c.share),
            "accuracy": json_number(c.accuracy),
            "top_k_accuracy": json_number(c.top_k_accuracy),
            "brier_score": json_number(c.brier_score),
            "ece": json_number(c.ece),
        }
        for c in classes
    ]


def worst_dicts(summary) -> list[dict]:
    """The worst rows; "line" only where rows are numbered by line."""
    return [
        {
            "row": w.row,
            "line": w.line if summary.numbered == "line" else None,
            "label": w.label,
            "predicted": w.predicted,
            "cross_entropy": json_number(w.cross_entropy),
        }
        for w in summary.worst
    ]


def files_dict(summary) -> dict:
    """``--by-file``: {"files": a dict per file}; nothing without it."""
    if summary.files is None:
        return {}
    files = [
        {
            "source": f.source,
            "rows": f.rows,
            "mean_cross_entropy": json_number(f.mean),
            "skipped": f.skipped,
        }
        for f in summary.files
    ]
    return {"files": files}


def render_files_csv(summary, out) -> None:
    """``--by-file``: a row per file (its rows and mean loss), then ``(all)``."""
    require_encodable(out, [*(f.source for f in summary.files), summary.unit], "file name")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["file", "rows", "mean_cross_entropy", "unit"])
    for f in summary.files:
        writer.writerow([f.source, f.rows, full_precision(f.mean), summary.unit])
    writer.writerow(["(all)", summary.rows, full_precision(summary.mean), summary.unit])


def group_dict(name: str, group) -> dict:
    return {
        "group": name,
        "rows": group.rows,
        "mean_cross_entropy": json_number(group.mean),
        "perplexity": json_number(group.perplexity),
        "accuracy": json_number(group.accuracy),
        "ci": ci_dict(group.ci),
        "skill": skill_dict(group.skill),
    }


def groups_dict(summary) -> dict:
    """``group_by`` and ``groups`` (highest mean loss first), ``sequences``: present
    only when asked for."""
    data: dict = {}
    if summary.group_by is not None:
        data["group_by"] = summary.group_by
        data["groups"] = [group_dict(name, group) for name, group in summary.groups]
    seq = summary.sequences
    if seq is not None:
        data["sequences"] = {
            "column": seq.column,
            "sequences": seq.sequences,
            "tokens": seq.tokens,
            "corpus_mean_cross_entropy": json_number(seq.corpus_mean_loss),
            "corpus_perplexity": json_number(seq.corpus_perplexity),
            "mean_sequence_perplexity": json_number(seq.mean_sequence_perplexity),
        }
    return data


def render_summary_json(summary, out) -> None:
    data = summary_to_dict(summary)
    write_json(data, out)


def render_summary_plain(summary, out) -> None:
    """The one reduced number; with ``--worst``, the worst rows as CSV; with
    ``--by-file``, the files as CSV. With ``--ci`` the mean's interval follows the number
    on its line, full precision: ``0.5067740669573996 [0.3134009035064773,
    0.7165167820085073]``."""
    if summary.files is not None:
        render_files_csv(summary, out)
    elif summary.worst:
        render_worst_csv(summary, out)
    else:
        line = full_precision(summary.cross_entropy)
        ci = getattr(summary, "ci", None)
        bounds = None if ci is None else ci.bounds.get("mean_cross_entropy")
        if bounds is not None and summary.reduction == "mean":
            line += f" [{full_precision(bounds[0])}, {full_precision(bounds[1])}]"
        out.write(line + "\n")


def render_worst_csv(summary, out) -> None:
    names = [text for w in summary.worst for text in (w.label, w.predicted)]
    require_encodable(out, [*names, summary.unit], "class name")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(WORST_HEADER)
    for w in summary.worst:
        writer.writerow([w.row, w.line, w.label, w.predicted, full_precision(w.cross_entropy)])


def render_summary_csv(summary, out) -> None:
    """One row per class and a last row ``(all)`` for the whole file; with ``--worst``,
    the worst rows instead; with ``--by-file``, the files."""
    if summary.files is not None:
        render_files_csv(summary, out)
        return
    if summary.worst:
        render_worst_csv(summary, out)
        return
    if summary.group_by is not None:
        render_groups_csv(summary, out)
        return
    if getattr(summary, "language", None) is not None and summary.language.documents:
        render_documents_csv(summary, out)
        return
    require_encodable(out, [*(c.name for c in summary.per_class), summary.unit], "class name")
    writer = csv.writer(out, lineterminator="\n")
    ci = summary.ci
    ci_names = [name for name in CI_ORDER if ci is not None and name in ci.bounds]
    ci_header = ["ci_level"] + [f"{name}_{end}" for name in ci_names for end in ("lo", "hi")]
    writer.writerow(
        [
            "class",
            "rows",
            "mean_cross_entropy",
            "share",
            "accuracy",
            "unit",
            *CSV_METRICS,
            *CSV_CALIBRATION,
        ]
        + (ci_header if ci is not None else [])
    )
    no_ci = [""] * len(ci_header) if ci is not None else []
    m = summary.metrics
    k, bins = ("", "") if m is None else (m.k, m.bins)
    extra: tuple[object, ...]
    for c in summary.per_class:
        cells = (c.mean, c.share, c.accuracy)
        extra = (full_precision(c.top_k_accuracy), k, full_precision(c.brier_score), "", bins)
        extra += ("", "", full_precision(c.ece) if m is not None else "", "", "")
        writer.writerow([c.name, c.rows, *map(full_precision, cells), summary.unit, *extra, *no_ci])
    cells = (summary.mean, 1.0 if summary.rows else float("nan"), summary.accuracy)
    if m is None:
        extra = ("",) * (len(CSV_METRICS) + len(CSV_CALIBRATION))
    else:
        extra = (full_precision(m.top_k_accuracy), k, full_precision(m.brier_score))
        extra += (full_precision(m.ece), bins)
        binary = "" if math.isnan(m.binary_ece) else full_precision(m.binary_ece)
        extra += tuple(full_precision(x) for x in (m.mce, m.rms_calibration_error, m.classwise_ece))
        extra += (full_precision(m.adaptive_ece), binary)
    all_ci = []
    if ci is not None:
        all_ci = [full_precision(ci.level)]
        all_ci += [full_precision(x) for name in ci_names for x in ci.bounds[name]]
    writer.writerow(
        ["(all)", summary.rows, *map(full_precision, cells), summary.unit, *extra, *all_ci]
    )


GROUP_HEADER = [
    "group",
    "rows",
    "mean_cross_entropy",
    "perplexity",
    "accuracy",
    "base_rate_entropy",
    "pseudo_r2",
    "information_gain_bits",
    "unit",
]


def render_groups_csv(summary, out) -> None:
    """``--group-by``: a row per group (highest mean loss first) and ``(all)``; with
    ``--ci`` the intervals of each."""
    require_encodable(out, [name for name, _ in summary.groups] + [summary.unit], "group")
    writer = csv.writer(out, lineterminator="\n")
    ci = summary.ci
    names = [n for n in CI_ORDER if n in ("mean_cross_entropy", "perplexity", "accuracy")]
    header = list(GROUP_HEADER)
    if ci is not None:
        header += ["ci_level"] + [f"{n}_{end}" for n in names for end in ("lo", "hi")]
    writer.writerow(header)
    for name, group in [*summary.groups, ("(all)", summary)]:
        sk = group.skill
        skill = (
            ("", "", "") if sk is None else (sk.base_rate, sk.pseudo_r2, sk.information_gain_bits)
        )
        cells = [group.mean, group.perplexity, group.accuracy, *skill]
        row = [name, group.rows, *(x if x == "" else full_precision(x) for x in cells)]
        row.append(summary.unit)
        if ci is not None:
            row.append(full_precision(ci.level))
            for n in names:
                bounds = group.ci.bounds.get(n) if group.ci is not None else None
                row += ["", ""] if bounds is None else [full_precision(x) for x in bounds]
        writer.writerow(row)
