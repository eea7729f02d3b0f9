"""``csv``: one row per sample with a header, numbers in full precision."""

from __future__ import annotations

import csv

from .numbers import full_precision
from .text import require_encodable


def render_csv(report, out) -> None:
    rows = report.rows
    labels = [] if report.kind == "entropy" else list(report.labels)
    require_encodable(out, [*labels, report.unit], "label")
    writer = csv.writer(out, lineterminator="\n")
    if report.kind == "entropy":
        writer.writerow(["row", "entropy", "perplexity", "unit"])
        for i in range(report.n_samples):
            writer.writerow(
                [
                    i + 1,
                    full_precision(rows.entropy[i]),
                    full_precision(rows.perplexity[i]),
                    report.unit,
                ]
            )
        return
    writer.writerow(
        ["row", "label", "cross_entropy", "entropy", "kl_divergence", "perplexity", "unit"]
    )
    for i in range(report.n_samples):
        writer.writerow(
            [
                i + 1,
                report.labels[i],
                full_precision(rows.cross_entropy[i]),
                full_precision(rows.entropy[i]),
                full_precision(rows.kl_divergence[i]),
                full_precision(rows.perplexity[i]),
                report.unit,
            ]
        )
