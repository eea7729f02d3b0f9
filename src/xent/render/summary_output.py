"""A :class:`~xent.summary.FileSummary` as plain, json or csv (the table is in
``summary_table``). They format; they never compute a loss."""

from __future__ import annotations

import csv
import json
import math

from .numbers import full_precision, json_number
from .text import ascii_json, require_encodable

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


def metrics_dict(summary) -> dict:
    """The stable metric keys; null when the summary has no metrics (no rows)."""
    m = summary.metrics
    return {
        "top_k_accuracy": None if m is None else json_number(m.top_k_accuracy),
        "k": None if m is None else m.k,
        "brier_score": None if m is None else json_number(m.brier_score),
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
    json.dump(data, out, indent=2, ensure_ascii=ascii_json(out), allow_nan=False)
    out.write("\n")


def summary_to_dict(summary) -> dict:
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
        "classes": [c.name for c in summary.per_class],
        "per_class": [
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
            for c in summary.per_class
        ],
        "worst": [
            {
                "row": w.row,
                "line": w.line if summary.numbered == "line" else None,
                "label": w.label,
                "predicted": w.predicted,
                "cross_entropy": json_number(w.cross_entropy),
            }
            for w in summary.worst
        ],
        "notes": list(summary.notes),
        **(
            {}
            if summary.files is None
            else {
                "files": [
                    {
                        "source": f.source,
                        "rows": f.rows,
                        "mean_cross_entropy": json_number(f.mean),
                        "skipped": f.skipped,
                    }
                    for f in summary.files
                ]
            }
        ),
    }


def render_files_csv(summary, out) -> None:
    """``--by-file``: a row per file (its rows and mean loss), then ``(all)``."""
    require_encodable(out, [*(f.source for f in summary.files), summary.unit], "file name")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["file", "rows", "mean_cross_entropy", "unit"])
    for f in summary.files:
        writer.writerow([f.source, f.rows, full_precision(f.mean), summary.unit])
    writer.writerow(["(all)", summary.rows, full_precision(summary.mean), summary.unit])


def render_summary_json(summary, out) -> None:
    data = summary_to_dict(summary)
    json.dump(data, out, indent=2, ensure_ascii=ascii_json(out), allow_nan=False)
    out.write("\n")


def render_summary_plain(summary, out) -> None:
    """The one reduced number; with ``--worst``, the worst rows as CSV; with
    ``--by-file``, the files as CSV."""
    if summary.files is not None:
        render_files_csv(summary, out)
    elif summary.worst:
        render_worst_csv(summary, out)
    else:
        out.write(full_precision(summary.cross_entropy) + "\n")


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
    require_encodable(out, [*(c.name for c in summary.per_class), summary.unit], "class name")
    writer = csv.writer(out, lineterminator="\n")
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
    )
    m = summary.metrics
    k, bins = ("", "") if m is None else (m.k, m.bins)
    extra: tuple[object, ...]
    for c in summary.per_class:
        cells = (c.mean, c.share, c.accuracy)
        extra = (full_precision(c.top_k_accuracy), k, full_precision(c.brier_score), "", bins)
        extra += ("", "", full_precision(c.ece) if m is not None else "", "", "")
        writer.writerow([c.name, c.rows, *map(full_precision, cells), summary.unit, *extra])
    cells = (summary.mean, 1.0 if summary.rows else float("nan"), summary.accuracy)
    if m is None:
        extra = ("",) * (len(CSV_METRICS) + len(CSV_CALIBRATION))
    else:
        extra = (full_precision(m.top_k_accuracy), k, full_precision(m.brier_score))
        extra += (full_precision(m.ece), bins)
        binary = "" if math.isnan(m.binary_ece) else full_precision(m.binary_ece)
        extra += tuple(full_precision(x) for x in (m.mce, m.rms_calibration_error, m.classwise_ece))
        extra += (full_precision(m.adaptive_ece), binary)
    writer.writerow(["(all)", summary.rows, *map(full_precision, cells), summary.unit, *extra])
