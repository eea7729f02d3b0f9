"""The calibration step of ``xent explain`` for a batch: the non-empty bins of the reliability
diagram, each bin's part of the ECE, and what the sum means (:func:`calibration_step`);
the steps and the heading of ``xent explain --file`` (:func:`batch_steps`,
:func:`batch_heading`).
"""

from __future__ import annotations

from typing import NamedTuple

from ..units import base_label
from .explain_steps import Step, aligned, unit_text
from .explain_text import texts
from .numbers import json_number, number


class CalibrationBin(NamedTuple):
    low: float
    high: float
    rows: int
    weight: float
    confidence: float
    accuracy: float
    gap: float  # accuracy − confidence
    term: float  # (weight / total weight)·|gap|: the bin's part of the ECE


def calibration_bins(summary) -> list[CalibrationBin]:
    """The non-empty bins of the summary's reliability diagram, each with its ECE term."""
    reliability = summary.metrics.reliability
    total = sum(row[3] for row in reliability)
    out = []
    for low, high, rows, weight, confidence, accuracy, _, _ in reliability:
        if weight > 0:
            gap = accuracy - confidence
            term = weight / total * abs(gap)
            out.append(CalibrationBin(low, high, rows, weight, confidence, accuracy, gap, term))
    return out


def _bin_text(low: float, high: float) -> str:
    return f"({low:.2f}, {high:.2f}]"


def _join(lang: str, *sentences: str) -> str:
    return ("" if lang == "zh" else " ").join(s for s in sentences if s)


def calibration_step(summary, lang: str, precision: int, number_text: str = "") -> Step:
    """What ECE means, with the batch's numbers: the bins, each non-empty bin's gap, and
    the weighted sum (which is the summary's ECE)."""
    t = texts(lang)
    m = summary.metrics
    num = lambda x: number(x, precision)  # noqa: E731
    bins = calibration_bins(summary)
    weighted = any(b.weight != b.rows for b in bins)
    n = summary.rows
    table = [
        [
            t["column_bin"],
            t["column_rows"],
            t["column_confidence"],
            t["column_accuracy"],
            t["column_gap"],
            t["column_term"],
        ]
    ]
    total = sum(b.weight for b in bins)
    for b in bins:
        share = num(b.weight / total) if weighted else f"{b.rows}/{n}"
        table.append(
            [
                _bin_text(b.low, b.high),
                f"{b.rows:,}",
                num(b.confidence),
                num(b.accuracy),
                num(b.gap),
                f"{share} · {num(abs(b.gap))} = {num(b.term)}",
            ]
        )
    terms = " + ".join(num(b.term) for b in bins)
    lines = [
        "ECE = Σ_b (n_b/N)·|accuracy_b − confidence_b|",
        t["calibration_of"].format(bins=m.bins, rows=f"{n:,}"),
        *aligned(table),
        f"ECE = {terms} = {num(m.ece)}" if len(bins) > 1 else f"ECE = {num(m.ece)}",
    ]
    largest = max(bins, key=lambda b: abs(b.gap))
    if largest.gap == 0:
        verdict = t["calibration_perfect"]
    else:
        verdict = t["calibration_over" if largest.gap < 0 else "calibration_under"].format(
            bin=_bin_text(largest.low, largest.high),
            accuracy=num(largest.accuracy),
            confidence=num(largest.confidence),
        )
    few = t["calibration_few"].format(rows=f"{n:,}") if n < 100 else ""
    title = t["calibration_title"].format(number=number_text)
    return Step("calibration", title, lines, _join(lang, t["calibration_meaning"], verdict, few))


def alternatives_step(lesson, lang: str, precision: int) -> Step:
    """Several predictions of one label: each one's confidence, top class and whether it
    is right, and why no ECE is computed over alternatives of one sample."""
    t = texts(lang)
    confidence, top, right = lesson.tops
    classes = lesson.report.classes
    table = [[t["column_prediction"], t["column_confidence"], t["column_top"], t["column_right"]]]
    for i, (c, k, ok) in enumerate(zip(confidence, top, right)):
        table.append(
            [f"#{i + 1}", number(c, precision), classes[k], t[f"right_{'yes' if ok else 'no'}"]]
        )
    return Step("calibration", t["alternatives_title"], aligned(table), t["alternatives_meaning"])


def alternatives_to_dict(lesson) -> dict:
    """The JSON of :func:`alternatives_step`: no ECE (null), and each prediction's figures."""
    confidence, top, right = lesson.tops
    return {
        "ece": None,
        "why_no_ece": "alternative predictions of one sample are not a batch of samples",
        "predictions": [
            {"confidence": json_number(c), "top_class": lesson.report.classes[k], "right": bool(ok)}
            for c, k, ok in zip(confidence, top, right)
        ],
    }


def calibration_to_dict(summary) -> dict:
    m = summary.metrics
    return {
        "bins": m.bins,
        "rows": summary.rows,
        "ece": json_number(m.ece),
        "mce": json_number(m.mce),
        "non_empty_bins": [
            {
                "low": b.low,
                "high": b.high,
                "rows": b.rows,
                "weight": json_number(b.weight),
                "confidence": json_number(b.confidence),
                "accuracy": json_number(b.accuracy),
                "gap": json_number(b.gap),
                "term": json_number(b.term),
            }
            for b in calibration_bins(summary)
        ],
    }


def batch_steps(summary, lang: str, precision: int) -> list[Step]:
    """``xent explain --file``: the batch's mean loss, then what its ECE means."""
    t = texts(lang)
    num = lambda x: number(x, precision)  # noqa: E731
    unit = unit_text(t, summary.base)
    loss = [f"H = (1/N)·Σ_n H(P_n,Q_n) = {num(summary.sum)} / {summary.rows:,} = "]
    loss[0] += f"{num(summary.mean)} {unit}"
    out = [Step("batch_loss", t["batch_loss_title"], loss, t["batch_loss_meaning"])]
    if summary.metrics is not None:
        out.append(calibration_step(summary, lang, precision, "2. "))
    return out


def batch_heading(summary, lang: str) -> list[str]:
    t = texts(lang)
    unit = unit_text(t, summary.base)
    return [
        t["batch_heading"].format(source=summary.source, rows=f"{summary.rows:,}"),
        t["in_unit"].format(unit=unit, base=base_label(summary.base)),
    ]
