"""``json``: every number of the report, valid JSON (no NaN or Infinity literals).

Non-finite numbers become the strings ``"inf"``, ``"-inf"`` and ``"nan"``, which
``float()`` in Python and ``tonumber`` in jq read back.
"""

from __future__ import annotations

from typing import Any

from .numbers import json_number
from .text import write_json


def _per_class(report, p, q, neg_log_q, contribution) -> list[dict]:
    keys: tuple[str, ...]
    columns: tuple[Any, ...]
    if report.kind == "entropy":
        keys = ("class", "p", "neg_log_p", "contribution")
        columns = (q, neg_log_q, contribution)
    else:
        keys = ("class", "label", "pred", "neg_log_pred", "contribution")
        columns = (p, q, neg_log_q, contribution)
    from .classes_shown import shown

    chosen, _ = shown([float(c) for c in contribution])  # --classes-shown, as for a file
    return [
        dict(zip(keys, (report.classes[i], *(json_number(c[i]) for c in columns)))) for i in chosen
    ]


def _totals(report, ce, h, kl, ppl) -> dict:
    if report.kind == "entropy":
        return {"entropy": json_number(h), "perplexity": json_number(ppl)}
    return {
        "cross_entropy": json_number(ce),
        "entropy": json_number(h),
        "kl_divergence": json_number(kl),
        "perplexity": json_number(ppl),
    }


def report_to_dict(report) -> dict:
    rows = report.rows
    samples = []
    for i in range(report.n_samples):
        sample: dict[str, Any] = {"row": i + 1}
        if report.kind != "entropy":
            sample["label"] = report.labels[i]
        sample.update(
            _totals(
                report,
                rows.cross_entropy[i],
                rows.entropy[i],
                rows.kl_divergence[i],
                rows.perplexity[i],
            )
        )
        sample["contributions"] = _per_class(
            report, rows.p[i], rows.q[i], rows.neg_log_q[i], rows.contribution[i]
        )
        samples.append(sample)
    data = _totals(
        report, report.cross_entropy, report.entropy, report.kl_divergence, report.perplexity
    )
    data.update(
        unit=report.unit,
        base=report.base,
        reduction=report.reduction,
        rows=report.n_samples,
        classes=list(report.classes),
        # Per-class means over the samples (the sample's own values for one sample); the
        # contributions are reduced like the loss, so they sum to it.
        contributions=_per_class(
            report,
            rows.p.mean(axis=0),
            rows.q.mean(axis=0),
            rows.neg_log_q.mean(axis=0),
            report.contributions,
        ),
        samples=samples,
        notes=list(report.notes),
    )
    from .classes_shown import shown

    left_out = shown([float(c) for c in report.contributions])[1]
    if left_out:  # the contribution lists name only the largest shares (--classes-shown)
        data["classes_left_out"] = left_out
    if getattr(report, "ci", None) is not None:  # --ci: a file's "ci" object
        from .summary_output import ci_dict

        data["ci"] = ci_dict(report.ci)
    if getattr(report, "metrics", None):  # batch metrics: top-k accuracy, Brier, ECE
        data.update(
            (name, v if isinstance(v, int) else json_number(v))
            for name, v in report.metrics.items()
        )
    return data


def render_json(report, out) -> None:
    data = report_to_dict(report)
    write_json(data, out)


__all__ = ["json_number", "render_json", "report_to_dict"]
